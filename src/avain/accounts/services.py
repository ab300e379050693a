"""Every movement of money on a budget account. Entries are only ever added."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import formats
from django.utils.translation import gettext as _

from avain.catalogue.models import Provider
from avain.core import clock
from avain.core.money import ZERO, to_money
from avain.core.periods import Period
from avain.planning.models import CaseStatus, HBCase, PlanLine
from avain.planning.services import record_decision

from .models import BudgetAccount, EntryKind, Invoice, LedgerEntry


def grant_budget(*, case: HBCase, decided_by, period: Period) -> BudgetAccount:
    """Make the decision and open the client's budget account with a grant on each plan line, in one transaction."""
    with transaction.atomic():
        decision = record_decision(case=case, decided_by=decided_by, period=period)
        now = clock.now()
        account = BudgetAccount.objects.create(
            organiser_id=decision.organiser_id, client_id=case.client_id, decision=decision, opened_at=now
        )
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                organiser_id=account.organiser_id,
                account=account,
                plan_line=line,
                kind=EntryKind.GRANT,
                amount=line.amount,
                at=now,
                by=decided_by,
            )
            for line in decision.plan.lines.all()
        )
    return account


def _money_text(amount: Decimal) -> str:
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True)


def record_invoice(
    *,
    account: BudgetAccount,
    provider: Provider,
    invoice_number: str,
    plan_line: PlanLine,
    service_date: dt.date,
    amount: Decimal,
    recorded_by,
) -> Invoice:
    """Post a provider's invoice as spending on one plan line, if the line has the money left."""
    invoice_number = invoice_number.strip()
    if not invoice_number:
        raise ValidationError(_("Give the invoice number."), code="no_invoice_number")
    try:
        amount = to_money(amount)
    except ValueError:  # NaN, infinity or not a number at all
        amount = ZERO
    if amount <= 0:
        raise ValidationError(_("The amount must be more than zero euros."), code="amount_not_positive")
    if provider.organiser_id != account.organiser_id:
        raise ValidationError(_("Choose one of your organiser's providers."), code="foreign_provider")
    with transaction.atomic():
        # The account row lock serialises every posting on this account: no two invoices can spend the same euro.
        account = BudgetAccount.objects.select_for_update().select_related("decision").get(pk=account.pk)
        decision = account.decision
        # Locked too, so that the HB cannot be closed while this invoice is being posted.
        if HBCase.objects.select_for_update().get(pk=decision.case_id).status == CaseStatus.CLOSED:
            raise ValidationError(
                _("This HB has been closed. No more invoices can be recorded on its account."), code="case_closed"
            )
        if plan_line.plan_id != decision.plan_id:
            raise ValidationError(_("Choose a line of the approved plan."), code="foreign_plan_line")
        if not Period(decision.period_start, decision.period_end).contains(service_date):
            raise ValidationError(
                _("The service date must be within the budget period %(start)s–%(end)s."),
                code="date_outside_period",
                params={
                    "start": formats.date_format(decision.period_start, "SHORT_DATE_FORMAT"),
                    "end": formats.date_format(decision.period_end, "SHORT_DATE_FORMAT"),
                },
            )
        if Invoice.objects.filter(
            organiser_id=account.organiser_id, provider=provider, invoice_number=invoice_number
        ).exists():
            raise ValidationError(
                _("Invoice %(number)s from %(provider)s has already been recorded."),
                code="duplicate_invoice",
                params={"number": invoice_number, "provider": provider.name},
            )
        left = (
            LedgerEntry.objects.filter(account=account, plan_line=plan_line).aggregate(total=Sum("amount"))["total"]
            or ZERO
        )
        if amount > left:
            raise ValidationError(
                _("Only %(left)s € is left for “%(line)s”; the invoice is %(amount)s €."),
                code="insufficient_funds",
                params={"left": _money_text(left), "line": plan_line.description, "amount": _money_text(amount)},
            )
        now = clock.now()
        try:
            with transaction.atomic():
                invoice = Invoice.objects.create(
                    organiser_id=account.organiser_id,
                    account=account,
                    provider=provider,
                    invoice_number=invoice_number,
                    plan_line=plan_line,
                    service_date=service_date,
                    amount=amount,
                    recorded_by=recorded_by,
                    recorded_at=now,
                )
        except IntegrityError:  # the same invoice posted at the same moment through another account
            raise ValidationError(
                _("Invoice %(number)s from %(provider)s has already been recorded."),
                code="duplicate_invoice",
                params={"number": invoice_number, "provider": provider.name},
            ) from None
        LedgerEntry.objects.create(
            organiser_id=account.organiser_id,
            account=account,
            plan_line=plan_line,
            kind=EntryKind.SPENDING,
            amount=-amount,
            invoice=invoice,
            at=now,
            by=recorded_by,
        )
    return invoice
