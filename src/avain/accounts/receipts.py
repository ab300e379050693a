"""Clients' receipts: a direct purchase the client paid themselves, claimed from one plan line and reimbursed to the
client's own bank account.

A receipt is an :class:`Invoice` with ``source=RECEIPT`` and no provider, numbered ``K-1``, ``K-2``… per account,
with one line (quantity 1) and one spending entry on the chosen sub-account. It is posted the moment it is claimed,
like a provider's invoice, so that the same euro can never be claimed twice; rejecting it reverses the entry
(``invoices.reject_invoice``).

The photo or PDF of the receipt is checked by its first bytes, never by its name or the browser's content type, and
stored under a random name: the client's own file name never reaches the disk or a URL.
"""

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError

from avain.core.formatting import date_text, money_text
from avain.core import clock
from avain.core.money import ZERO, round_money
from avain.people.models import Client, Delegation
from avain.people.selectors import active_delegation

from . import ledger
from .models import (
    AccountStatus,
    BudgetAccount,
    EntryKind,
    Invoice,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    SubAccount,
)
from .posting import initial_status

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# The days the organiser has to pay a claimed receipt; the payment run picks invoices by their due date.
PAYMENT_DAYS = 14
RECEIPT_NUMBER_PREFIX = "K-"

# The first bytes of each accepted kind of file, and the extension and content type it is stored and served with.
_SIGNATURES = (
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
    (b"%PDF-", ".pdf", "application/pdf"),
)
CONTENT_TYPES = {extension: content_type for _signature, extension, content_type in _SIGNATURES}




def may_act_for_client(user, client: Client) -> bool:
    """The client themselves, or someone the client has let read and edit their plan and budget."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if client.user_id is not None and client.user_id == user.pk:
        return True
    delegation = active_delegation(user, client)
    return delegation is not None and delegation.access == Delegation.Access.EDIT


def attachment_kind(upload: UploadedFile) -> tuple[str, str] | None:
    """The stored extension and content type of the file by its first bytes, or None if it is no JPEG, PNG or PDF."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, extension, content_type in _SIGNATURES:
        if head.startswith(signature):
            return extension, content_type
    return None


def content_type_of(invoice: Invoice) -> str:
    """The content type of a stored receipt file, from the extension chosen when it was checked."""
    name = invoice.attachment.name or ""
    return CONTENT_TYPES.get(name[name.rfind(".") :].lower(), "application/octet-stream")


def no_receipt_used(account: BudgetAccount) -> Decimal:
    """What the client has claimed without receipts on this account, not counting rejected claims."""
    return (
        Invoice.objects.filter(organiser_id=account.organiser_id, account=account, without_receipt=True)
        .exclude(status=InvoiceStatus.REJECTED)
        .aggregate(total=Sum("total", default=ZERO))["total"]
    )


def no_receipt_left(account: BudgetAccount) -> Decimal:
    return max(account.no_receipt_allowance - no_receipt_used(account), ZERO)


def _check_amount(amount) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("money is never a float")
    try:
        amount = Decimal(amount) if not isinstance(amount, Decimal) else amount
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError(_("Give the amount in euros, for example 12,50."), code="no_amount")
    if amount <= 0:
        raise ValidationError(_("The amount must be more than zero euros."), code="not_positive")
    if round_money(amount) != amount:
        raise ValidationError(
            _("Give the amount in euros and cents, with at most two decimals, for example 12,50."),
            code="not_whole_cents",
        )
    return round_money(amount)


def _check_iban(value: str) -> str:
    compact = stdnum_iban.compact(value or "")
    try:
        stdnum_iban.validate(compact)
    except StdnumValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid bank account number (IBAN). It looks like FI21 1234 5600 0007 85."),
            code="invalid_iban",
            params={"value": value},
        ) from None
    return compact


def _check_attachment(attachment: UploadedFile | None, without_receipt: bool) -> str | None:
    """The extension to store the file with, or None when the claim has no file."""
    if without_receipt:
        if attachment is not None:
            raise ValidationError(
                _("You said you have no receipt but also added a file. Either remove the file or untick “I have no receipt”."),
                code="receipt_and_no_receipt",
            )
        return None
    if attachment is None:
        raise ValidationError(
            _("Add a photo or a PDF of the receipt. If you have no receipt, tick “I have no receipt”."),
            code="no_attachment",
        )
    if attachment.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("The file is too large. It can be at most 10 MB; a photo taken with a phone is usually smaller."),
            code="attachment_too_large",
        )
    kind = attachment_kind(attachment)
    if kind is None:
        raise ValidationError(
            _("The file is not a photo (JPEG or PNG) or a PDF. Take a photo of the receipt or save it as a PDF."),
            code="attachment_wrong_type",
        )
    return kind[0]


def _check_date(account: BudgetAccount, purchase_date: dt.date, today: dt.date) -> None:
    if purchase_date > today:
        raise ValidationError(
            _("The date %(date)s is in the future. Give the date you bought the thing or service."),
            code="date_in_future",
            params={"date": date_text(purchase_date)},
        )
    if not account.period_start <= purchase_date <= account.period_end:
        raise ValidationError(
            _("The date %(date)s is outside your budget period %(start)s–%(end)s."),
            code="date_outside_period",
            params={"date": date_text(purchase_date), "start": date_text(account.period_start), "end": date_text(account.period_end)},
        )
    if (today - purchase_date).days > account.claim_deadline_days:
        raise ValidationError(
            _("The purchase on %(date)s was more than %(days)s days ago. The time to claim it has passed."),
            code="claimed_too_late",
            params={"date": date_text(purchase_date), "days": account.claim_deadline_days},
        )


def _next_receipt_number(account: BudgetAccount) -> str:
    """``K-<n>``, one more than the receipts already on the account. The caller holds the account's row lock, so two
    claims never draw the same number; the database's unique constraint stands behind it."""
    count = Invoice.objects.filter(account=account, provider__isnull=True).count()
    return f"{RECEIPT_NUMBER_PREFIX}{count + 1}"


def claim_receipt(
    *,
    account: BudgetAccount,
    sub_account: SubAccount,
    purchase_date: dt.date,
    amount: Decimal,
    description: str,
    payee_iban: str,
    attachment: UploadedFile | None = None,
    without_receipt: bool = False,
    claimed_by,
) -> Invoice:
    """The client (or a delegate with edit access) claims a purchase they paid themselves from one plan line.

    Every check refuses with its own message and code and changes nothing. The claim counts as the client's
    acceptance, so it waits for the worker's approval (or is approved at once when the organiser asks for none)."""
    description = (description or "").strip()
    amount = _check_amount(amount)
    if not description:
        raise ValidationError(_("Say what you bought."), code="no_description")
    iban = _check_iban(payee_iban)
    extension = _check_attachment(attachment, without_receipt)
    client = account.client
    if not may_act_for_client(claimed_by, client):
        raise ValidationError(
            _("Only the client, or someone the client has let edit their budget, can claim a receipt."),
            code="not_allowed",
        )
    if sub_account.account_id != account.pk:
        raise ValidationError(_("Choose one of the lines of your plan."), code="unknown_line")

    stored_name = None
    with transaction.atomic():
        account = BudgetAccount.objects.select_for_update().get(pk=account.pk)
        sub = ledger.lock_sub_accounts([sub_account.pk])[sub_account.pk]
        if account.status != AccountStatus.OPEN or not sub.is_open:
            raise ValidationError(
                _("This budget has been closed. No more purchases can be claimed from it."), code="account_closed"
            )
        today = clock.today()
        _check_date(account, purchase_date, today)
        if amount > sub.left + sub.overspend_allowed:
            raise ValidationError(
                _("Only %(left)s € is left for “%(line)s”; the purchase is %(amount)s €."),
                code="insufficient_funds",
                params={"left": money_text(max(sub.left, ZERO)), "line": sub.description, "amount": money_text(amount)},
            )
        if without_receipt:
            if account.no_receipt_allowance <= 0:
                raise ValidationError(
                    _("Your budget needs a receipt for every purchase. Add a photo or a PDF of the receipt."),
                    code="no_receipt_not_allowed",
                )
            left = account.no_receipt_allowance - no_receipt_used(account)
            if amount > left:
                raise ValidationError(
                    _("Without a receipt you can claim %(left)s € more in this budget period; this purchase is %(amount)s €. Add a photo or a PDF of the receipt."),
                    code="over_no_receipt_allowance",
                    params={"left": money_text(max(left, ZERO)), "amount": money_text(amount)},
                )

        now = clock.now()
        status = initial_status(account)
        accepted = account.client_acceptance
        if accepted:
            # Claiming is the client's acceptance: the claim skips the step of waiting for it.
            status = InvoiceStatus.AWAITING_APPROVAL if account.staff_approval else InvoiceStatus.APPROVED
        invoice = Invoice(
            organiser_id=account.organiser_id,
            account=account,
            provider=None,
            source=InvoiceSource.RECEIPT,
            invoice_number=_next_receipt_number(account),
            invoice_date=purchase_date,
            due_date=today + dt.timedelta(days=PAYMENT_DAYS),
            payee_name=client.full_name[:200],
            payee_iban=iban,
            total=amount,
            status=status,
            without_receipt=without_receipt,
            recorded_by=claimed_by,
            recorded_at=now,
            accepted_by=claimed_by if accepted else None,
            accepted_at=now if accepted else None,
        )
        try:
            if extension is not None:
                # A random name: the client's own file name may say who they are or what they bought.
                invoice.attachment.save(secrets.token_hex(16) + extension, attachment, save=False)
                stored_name = invoice.attachment.name
            invoice.save()
            InvoiceLine.objects.create(
                organiser_id=account.organiser_id,
                invoice=invoice,
                sub_account=sub,
                agreement=None,
                line_number=1,
                service_date=purchase_date,
                description=description[:200],
                quantity=Decimal(1),
                unit_price=amount,
                amount=amount,
            )
            ledger.post(
                [ledger.Posting(sub, EntryKind.SPENDING, amount, invoice_id=invoice.pk, memo="receipt")],
                by=claimed_by,
                at=now,
            )
        except BaseException:
            if stored_name:  # the database forgets the claim; the disk must not keep its file
                invoice.attachment.storage.delete(stored_name)
            raise
    return invoice
