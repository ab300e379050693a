"""Agreements between a client and a provider: making one commits money on a plan line; ending one releases what is
left of it."""

import datetime as dt
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from avain.catalogue.models import Provider, RegistrationStatus
from avain.core.formatting import date_text, money_text
from avain.core import clock
from avain.core.money import round_money, to_money

from . import ledger
from .models import AccountStatus, Agreement, AgreementStatus, BudgetAccount, EntryKind, SubAccount

# No 0/O or 1/I/L: the number is read over the phone and typed from paper.
_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_agreement_number() -> str:
    return "HB-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))



def make_agreement(
    *,
    sub_account: SubAccount,
    provider: Provider,
    service: str,
    unit: str,
    unit_price: Decimal,
    quantity: Decimal | None,
    amount: Decimal | None,
    valid_from: dt.date,
    valid_until: dt.date,
    made_by,
) -> Agreement:
    """Agree a service with a provider against one plan line. The agreement's cap (quantity × unit price, or the
    amount given when there is no quantity) is committed on the line at once, so it must fit in what is left."""
    service = service.strip()
    if not service:
        raise ValidationError(_("Say what service is agreed."), code="no_service")
    try:
        unit_price = to_money(unit_price)
        cap = round_money(Decimal(quantity) * unit_price) if quantity is not None else to_money(amount)
    except (TypeError, ValueError, ArithmeticError):
        raise ValidationError(_("Give the price per unit and either the quantity or the amount."), code="no_cap") from None
    if unit_price <= 0 or cap <= 0 or (quantity is not None and quantity <= 0):
        raise ValidationError(_("The price, quantity and amount must be more than zero."), code="not_positive")
    if valid_until < valid_from:
        raise ValidationError(_("The agreement cannot end before it starts."), code="validity_reversed")
    if provider.organiser_id != sub_account.organiser_id or provider.status != RegistrationStatus.APPROVED:
        raise ValidationError(_("Choose one of the organiser's approved providers."), code="provider_not_approved")
    with transaction.atomic():
        account = BudgetAccount.objects.select_for_update().get(pk=sub_account.account_id)
        sub = ledger.lock_sub_accounts([sub_account.pk])[sub_account.pk]
        if account.status != AccountStatus.OPEN or not sub.is_open:
            raise ValidationError(_("This budget has been closed. No new agreements can be made on it."), code="account_closed")
        if not (account.period_start <= valid_from and valid_until <= account.period_end):
            raise ValidationError(
                _("The agreement must be within the budget period %(start)s–%(end)s."),
                code="outside_period",
                params={
                    "start": date_text(account.period_start),
                    "end": date_text(account.period_end),
                },
            )
        if cap > sub.left:
            raise ValidationError(
                _("Only %(left)s € is left for “%(line)s”; the agreement would take %(cap)s €."),
                code="insufficient_funds",
                params={"left": money_text(sub.left), "line": sub.description, "cap": money_text(cap)},
            )
        now = clock.now()
        for _attempt in range(5):  # 31**8 numbers: a clash is rare, five in a row never happens in practice
            try:
                with transaction.atomic():
                    agreement = Agreement.objects.create(
                        organiser_id=sub.organiser_id,
                        account=account,
                        sub_account=sub,
                        provider=provider,
                        number=new_agreement_number(),
                        service=service[:200],
                        unit=unit.strip()[:40],
                        unit_price=unit_price,
                        quantity=quantity,
                        cap=cap,
                        valid_from=valid_from,
                        valid_until=valid_until,
                        made_by=made_by,
                        made_at=now,
                    )
                break
            except IntegrityError:  # the random number was taken: draw another
                continue
        else:
            raise RuntimeError("no free agreement number after five draws")
        ledger.post([ledger.Posting(sub, EntryKind.COMMITMENT, cap, agreement_id=agreement.pk)], by=made_by, at=now)
    return agreement


def end_agreement(*, agreement: Agreement, ended_by) -> Agreement:
    """End an agreement: what was not invoiced is released back to the plan line. Ending twice changes nothing."""
    with transaction.atomic():
        BudgetAccount.objects.select_for_update().get(pk=agreement.account_id)
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if agreement.status == AgreementStatus.ENDED:
            return agreement
        sub = ledger.lock_sub_accounts([agreement.sub_account_id])[agreement.sub_account_id]
        now = clock.now()
        if agreement.remaining > 0:
            ledger.post(
                [ledger.Posting(sub, EntryKind.RELEASE, -agreement.remaining, agreement_id=agreement.pk)],
                by=ended_by,
                at=now,
            )
        agreement.status = AgreementStatus.ENDED
        agreement.ended_by = ended_by
        agreement.ended_at = now
        agreement.save(update_fields=["status", "ended_by", "ended_at"])
    return agreement
