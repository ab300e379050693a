"""Paying approved invoices: payment batches, the SEPA credit transfer file (pain.001) and the bank's notification of
what it paid (camt.054).

The life of a payment::

    invoice APPROVED ──create_batch──▶ IN_PAYMENT (payment PENDING in a DRAFT batch)
        ◀──cancel_batch── (payment CANCELLED; only while the batch is a draft)
    ──export_batch──▶ the batch is EXPORTED: its pain.001 file is stored and never changes again
    ──import_camt054──▶ booked debit: payment PAID, invoice PAID, a PAYMENT ledger entry per sub-account
                      ▶ return (credit, reversal or return reason): payment RETURNED, invoice APPROVED again

Nothing is paid twice: an invoice has at most one payment that is pending or paid (a partial unique constraint in
the database, ``payment_one_live_per_invoice``), a batch takes only invoices that are APPROVED under a row lock, an
exported batch cannot be cancelled, and a notification is applied once (the same file again returns the first
result; a booking already applied in an earlier file changes nothing).

Locks, in the order every writer of the ledger takes them: budget accounts, then payment batches, payments and
invoices (each in id order), then sub-accounts through :func:`ledger.lock_sub_accounts`.
"""

import datetime as dt
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError

from avain.core.formatting import date_text, money_text
from avain.core import clock
from avain.core.money import ZERO, money_sum
from avain.core.validators import validate_iban

from . import ledger
from .formats import pain001, references
from .formats.camt054 import BOOKED, DEBIT, NotificationEntry, parse_camt054
from .formats.errors import BuildError
from .formats.sepa_text import SepaTextError, to_sepa_text
from .models import (
    BatchStatus,
    BudgetAccount,
    EntryKind,
    ImportFile,
    ImportKind,
    ImportStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    NoticeOutcome,
    PayerAccount,
    Payment,
    PaymentBatch,
    PaymentNotice,
    PaymentStatus,
)

# No 0/O or 1/I/L: a message id is read over the phone to the bank and typed from paper.
_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"




# ---------------------------------------------------------------------------------------------------------------
# The organiser's paying account


def validate_bic(value: str) -> None:
    try:
        stdnum_bic.validate(value)
    except StdnumValidationError as error:
        raise ValidationError(
            _("“%(value)s” is not a valid BIC. It has 8 or 11 letters and digits, for example OKOYFIHH."),
            code="invalid_bic",
            params={"value": value},
        ) from error


def validate_payer_name(value: str) -> None:
    """The debtor's name goes into every payment file: it must be writable in the SEPA character set."""
    try:
        text = to_sepa_text(value)
    except SepaTextError as error:
        raise ValidationError(
            _("The name cannot contain these characters in a bank payment: %(characters)s"),
            code="name_not_sepa",
            params={"characters": error.characters},
        ) from error
    if not text:
        raise ValidationError(_("Give the account holder's name."), code="no_name")
    if len(text) > pain001.NAME_LENGTH:
        raise ValidationError(
            _("The name can be at most %(limit)s characters in a bank payment."),
            code="name_too_long",
            params={"limit": pain001.NAME_LENGTH},
        )


def set_payer_account(*, organiser, name: str, iban: str, bic: str, by) -> PayerAccount:
    """Set the organiser's own bank account, the debtor of every payment batch exported from now on. Batches already
    exported keep the account they were exported with (it is in their file)."""
    name = " ".join(name.split())
    validate_payer_name(name)
    validate_iban(iban)
    validate_bic(bic)
    with transaction.atomic():
        account, _created = PayerAccount.objects.select_for_update().update_or_create(
            organiser=organiser,
            defaults={"name": name, "iban": stdnum_iban.compact(iban), "bic": stdnum_bic.compact(bic)},
        )
    return account


def payer_account_of(organiser_id: int) -> PayerAccount | None:
    return PayerAccount.objects.filter(organiser_id=organiser_id).first()


# ---------------------------------------------------------------------------------------------------------------
# What goes into the file for one invoice


def _sepa_text_lenient(text: str, limit: int) -> str:
    """``text`` in the SEPA character set, with characters that have no spelling there turned into spaces, cut to
    ``limit``. Payee names and invoice numbers come from providers; a stray "€" or "@" must not stop a payment."""
    try:
        result = to_sepa_text(text)
    except SepaTextError as error:
        result = to_sepa_text("".join(" " if character in error.characters else character for character in text))
    return result[:limit].strip()


def _payment_line(payment: Payment, invoice: Invoice) -> pain001.Payment:
    """One credit transfer: a valid Finnish or RF reference goes structured, else the invoice number as a message
    (in Finnish and Swedish, the languages a provider in Finland reads)."""
    reference = references.compact(invoice.reference)
    if reference and references.is_valid_reference(reference):
        remittance = {"reference": reference}
    else:
        remittance = {"message": _sepa_text_lenient(f"Lasku/Faktura {invoice.invoice_number}", pain001.MESSAGE_LENGTH)}
    return pain001.Payment(
        end_to_end_id=payment.end_to_end_id,
        creditor_name=_sepa_text_lenient(invoice.payee_name, pain001.NAME_LENGTH),
        creditor_iban=invoice.payee_iban,
        amount=payment.amount,
        **remittance,
    )


def _unpayable(invoice: Invoice) -> str | None:
    """Why the bank could not be asked to pay ``invoice`` as it stands, or None."""
    try:
        stdnum_iban.validate(invoice.payee_iban or "")
    except StdnumValidationError:
        return "invalid_payee_iban"
    if not _sepa_text_lenient(invoice.payee_name or "", pain001.NAME_LENGTH):
        return "no_payee_name"
    if not ZERO < invoice.total <= pain001.MAX_AMOUNT:
        return "amount_not_payable"
    return None


UNPAYABLE_MESSAGES = {
    "invalid_payee_iban": gettext_lazy("Invoice %(number)s: the payee's account %(iban)s is not a valid IBAN."),
    "no_payee_name": gettext_lazy("Invoice %(number)s has no payee name."),
    "amount_not_payable": gettext_lazy("Invoice %(number)s: %(amount)s € cannot be paid as one bank payment."),
}


def _unpayable_message(code: str, invoice: Invoice) -> str:
    return str(UNPAYABLE_MESSAGES[code]) % {
        "number": invoice.invoice_number, "iban": invoice.payee_iban, "amount": money_text(invoice.total)
    }


# ---------------------------------------------------------------------------------------------------------------
# Batches


def new_message_id(today: dt.date) -> str:
    """The pain.001 message id: the day and a random part, 20 characters of the SEPA set. Each payment's end-to-end id
    is the message id and the invoice's id, so both the bank's and our own records lead back to the invoice."""
    return f"AV-{today:%Y%m%d}-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def end_to_end_id(message_id: str, invoice_id: int) -> str:
    return f"{message_id}-{invoice_id}"


@dataclass(frozen=True)
class LeftOut:
    """An approved invoice that a batch of all waiting invoices did not take, and why (a code of
    ``UNPAYABLE_MESSAGES``)."""

    invoice: Invoice
    code: str

    def message(self) -> str:
        return _unpayable_message(self.code, self.invoice)


def _lock_accounts(account_ids) -> None:
    list(BudgetAccount.objects.select_for_update().filter(pk__in=set(account_ids)).order_by("pk").values_list("pk"))


def create_batch(*, organiser, execution_date: dt.date, created_by, invoice_ids=None) -> PaymentBatch:
    """Gather approved invoices into a draft batch: a pending payment of each invoice's total, the invoice moves to
    IN_PAYMENT. Without ``invoice_ids``, every approved invoice of the organiser; an invoice that the bank could not
    pay (a broken IBAN, no payee name) is left out and listed in ``batch.left_out``. With ``invoice_ids``, every one
    of them must be approved and payable, or nothing is done."""
    _refuse_past(execution_date)
    chosen = invoice_ids is not None
    if chosen:
        invoice_ids = set(invoice_ids)
        wanted = Invoice.objects.filter(organiser_id=organiser.pk, pk__in=invoice_ids)
    else:
        wanted = Invoice.objects.filter(organiser_id=organiser.pk, status=InvoiceStatus.APPROVED)

    with transaction.atomic():
        account_ids = set(wanted.values_list("account_id", flat=True))
        _lock_accounts(account_ids)
        # An invoice approved on another account after the accounts were locked waits for the next batch.
        invoices = list(
            wanted.select_for_update().filter(account_id__in=account_ids).order_by("pk")
        )
        if chosen:
            not_approved = [invoice for invoice in invoices if invoice.status != InvoiceStatus.APPROVED]
            if len(invoices) != len(invoice_ids):
                raise ValidationError(_("Some of the chosen invoices were not found."), code="invoice_not_found")
            if not_approved:
                raise ValidationError(
                    _("Only invoices approved for payment can be paid. Not approved: %(numbers)s."),
                    code="not_approved",
                    params={"numbers": _numbers_with_status(not_approved)},
                )
            problems = [(invoice, code) for invoice in invoices if (code := _unpayable(invoice))]
            if problems:
                raise ValidationError(
                    _("These invoices cannot be paid as they are: %(problems)s"),
                    code="not_payable",
                    params={"problems": " ".join(_unpayable_message(code, invoice) for invoice, code in problems)},
                )
            left_out = []
        else:
            left_out = [LeftOut(invoice, code) for invoice in invoices if (code := _unpayable(invoice))]
            skipped = {item.invoice.pk for item in left_out}
            invoices = [invoice for invoice in invoices if invoice.pk not in skipped]
        if not invoices and left_out:
            raise ValidationError(
                _("None of the approved invoices can be paid as they are: %(problems)s"),
                code="nothing_payable",
                params={"problems": " ".join(item.message() for item in left_out)},
            )
        if not invoices:
            raise ValidationError(_("There are no approved invoices waiting for payment."), code="nothing_to_pay")

        now = clock.now()
        batch = _create_batch_row(organiser, execution_date, created_by, now, money_sum(i.total for i in invoices))
        Payment.objects.bulk_create(
            Payment(
                organiser_id=organiser.pk,
                batch=batch,
                invoice=invoice,
                end_to_end_id=end_to_end_id(batch.message_id, invoice.pk),
                amount=invoice.total,
            )
            for invoice in invoices
        )
        Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).update(status=InvoiceStatus.IN_PAYMENT)
    batch.left_out = tuple(left_out)
    return batch


def _numbers_with_status(invoices) -> str:
    return ", ".join(f"{invoice.invoice_number} ({invoice.get_status_display()})" for invoice in invoices)


def _create_batch_row(organiser, execution_date, created_by, now, total) -> PaymentBatch:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return PaymentBatch.objects.create(
                    organiser=organiser,
                    message_id=new_message_id(clock.today()),
                    execution_date=execution_date,
                    total=total,
                    created_by=created_by,
                    created_at=now,
                )
        except IntegrityError:  # the random message id was taken: draw another
            continue
    raise RuntimeError("no free payment message id after five draws")


def _lock_batch(batch: PaymentBatch) -> PaymentBatch:
    """Lock the batch after the accounts of its invoices. Its invoices never change after creation, so reading them
    before the lock is safe."""
    account_ids = Invoice.objects.filter(payments__batch_id=batch.pk).values_list("account_id", flat=True)
    _lock_accounts(account_ids)
    return PaymentBatch.objects.select_for_update().get(pk=batch.pk, organiser_id=batch.organiser_id)


def _refuse_past(execution_date: dt.date) -> None:
    if execution_date < clock.today():
        raise ValidationError(
            _("The payment date %(date)s has passed. Choose today or a later day."),
            code="date_in_past",
            params={"date": date_text(execution_date)},
        )


def change_batch_date(*, batch: PaymentBatch, execution_date: dt.date) -> PaymentBatch:
    """Move a draft batch to another payment date, today or later. Once its file is made the bank has the date, and a
    cancelled batch pays nothing, so neither changes."""
    _refuse_past(execution_date)
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk, organiser_id=batch.organiser_id)
        if batch.status == BatchStatus.EXPORTED:
            raise ValidationError(
                _("The payment file of this batch is made, so its payment date can no longer be changed here."),
                code="already_exported",
            )
        if batch.status == BatchStatus.CANCELLED:
            raise ValidationError(_("This batch was cancelled. Make a new batch."), code="batch_cancelled")
        batch.execution_date = execution_date
        batch.save(update_fields=["execution_date"])
    return batch


def cancel_batch(*, batch: PaymentBatch, cancelled_by) -> PaymentBatch:
    """Cancel a draft batch: its payments are cancelled and its invoices wait for payment again. A batch sent to the
    bank cannot be cancelled here (the bank has the file). Cancelling twice changes nothing."""
    with transaction.atomic():
        batch = _lock_batch(batch)
        if batch.status == BatchStatus.CANCELLED:
            return batch
        if batch.status == BatchStatus.EXPORTED:
            raise ValidationError(
                _(
                    "This batch was sent to the bank on %(date)s, so it can no longer be cancelled here. "
                    "To stop a payment, contact the bank."
                ),
                code="already_exported",
                params={"date": date_text(timezone.localtime(batch.exported_at).date())},
            )
        payments = list(Payment.objects.select_for_update().filter(batch=batch).order_by("pk"))
        invoice_ids = [payment.invoice_id for payment in payments]
        list(Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk").values_list("pk"))
        Payment.objects.filter(pk__in=[p.pk for p in payments]).update(status=PaymentStatus.CANCELLED)
        Invoice.objects.filter(pk__in=invoice_ids, status=InvoiceStatus.IN_PAYMENT).update(
            status=InvoiceStatus.APPROVED
        )
        batch.status = BatchStatus.CANCELLED
        batch.cancelled_by = cancelled_by
        batch.cancelled_at = clock.now()
        batch.save(update_fields=["status", "cancelled_by", "cancelled_at"])
    return batch


def export_batch(*, batch: PaymentBatch, exported_by) -> PaymentBatch:
    """Write the batch's pain.001.001.03 file (checked against the official schema) and keep it; the batch is then
    sent to the bank and can no longer be cancelled. Exporting again returns the same file."""
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk, organiser_id=batch.organiser_id)
        if batch.status == BatchStatus.EXPORTED:
            return batch
        if batch.status == BatchStatus.CANCELLED:
            raise ValidationError(_("This batch was cancelled. Make a new batch."), code="batch_cancelled")
        payer = payer_account_of(batch.organiser_id)
        if payer is None:
            raise ValidationError(
                _(
                    "The organiser's bank account for payments is not set. The organiser's administrator sets it on "
                    "the page “Bank account for payments”."
                ),
                code="no_payer_account",
            )
        if batch.execution_date < clock.today():
            raise ValidationError(
                _("The payment date %(date)s has passed. Cancel this batch and make a new one with a new date."),
                code="date_in_past",
                params={"date": date_text(batch.execution_date)},
            )
        payments = list(Payment.objects.filter(batch=batch).select_related("invoice").order_by("pk"))
        now = clock.now()
        file_batch = pain001.PaymentBatch(
            message_id=batch.message_id,
            created_at=now,
            debtor_name=_sepa_text_lenient(payer.name, pain001.NAME_LENGTH),
            debtor_iban=payer.iban,
            debtor_bic=payer.bic,
            execution_date=batch.execution_date,
            payments=tuple(_payment_line(payment, payment.invoice) for payment in payments),
        )
        try:
            data = pain001.build_pain001(file_batch)
        except BuildError as error:
            raise ValidationError(
                _("The payment file could not be made: %(problems)s"),
                code="file_not_valid",
                params={"problems": "; ".join(_build_problem(e, payments) for e in error.errors)},
            ) from error
        batch.pain001 = data
        batch.status = BatchStatus.EXPORTED
        batch.exported_by = exported_by
        batch.exported_at = now
        batch.save(update_fields=["pain001", "status", "exported_by", "exported_at"])
    return batch


def _build_problem(error, payments: list[Payment]) -> str:
    """Name the invoice a problem belongs to; the detail is the format module's own (English) description."""
    if error.row is not None:
        return _("invoice %(number)s: %(detail)s") % {
            "number": payments[error.row - 1].invoice.invoice_number, "detail": error.message
        }
    return error.message


def pain001_filename(batch: PaymentBatch) -> str:
    return f"{batch.message_id}.xml"


# ---------------------------------------------------------------------------------------------------------------
# The bank's notification


PROBLEM_MESSAGES = {
    # The file as a whole (line None): nothing in it was used.
    "file_empty": gettext_lazy("The file is empty."),
    "file_too_large": gettext_lazy("The file is larger than %(limit_mb)s MB."),
    "not_xml": gettext_lazy("The file is not readable XML."),
    "xml_unsafe": gettext_lazy("The file declares a DTD or entities, which are not accepted in an uploaded file."),
    "not_camt054": gettext_lazy("The file is not a bank notification of payments (camt.054.001.02)."),
    "schema": gettext_lazy("The file does not follow the camt.054.001.02 schema: %(detail)s"),
    # One entry of the file.
    "entry_schema": gettext_lazy("The entry does not follow the camt.054.001.02 schema: %(detail)s"),
    "entry_missing_amount": gettext_lazy("A transaction of the entry has no amount."),
    "entry_amount_mismatch": gettext_lazy("The transactions add up to %(total)s €, but the entry is %(entry)s €."),
    "no_end_to_end_id": gettext_lazy("A transaction of %(amount)s € has no end-to-end id, so it is not one of ours."),
    "unknown_payment": gettext_lazy("There is no payment with the end-to-end id %(end_to_end_id)s."),
    "other_batch": gettext_lazy(
        "The bank reports payment %(end_to_end_id)s under message %(message_id)s, but it was sent in %(batch)s. "
        "Nothing was changed."
    ),
    "not_exported": gettext_lazy(
        "Payment %(end_to_end_id)s is in a batch that has not been sent to the bank. Nothing was changed."
    ),
    "payment_cancelled": gettext_lazy(
        "Payment %(end_to_end_id)s belongs to a cancelled batch, yet the bank reports it. Check with the bank."
    ),
    "amount_mismatch": gettext_lazy(
        "The bank booked %(booked)s %(currency)s for payment %(end_to_end_id)s, but %(expected)s € was sent. "
        "It was not marked paid: check with the bank."
    ),
    "not_booked": gettext_lazy("The bank has not booked payment %(end_to_end_id)s yet. It keeps waiting."),
    "already_paid": gettext_lazy("Payment %(end_to_end_id)s was already marked paid. Nothing was changed."),
    "already_returned": gettext_lazy("Payment %(end_to_end_id)s was already returned. Nothing was changed."),
    "returned": gettext_lazy(
        "Payment %(end_to_end_id)s (invoice %(invoice)s, %(amount)s €) came back from the bank: %(reason)s. "
        "The invoice waits for payment again; check the payee's account before paying it."
    ),
}

RETURN_REASONS = {
    "AC01": gettext_lazy("the account number is wrong"),
    "AC04": gettext_lazy("the account is closed"),
    "AC06": gettext_lazy("the account is blocked"),
    "AG01": gettext_lazy("the account does not take this kind of payment"),
    "AM05": gettext_lazy("the payment was a duplicate"),
    "BE04": gettext_lazy("the payee's address is missing"),
    "MD07": gettext_lazy("the account holder has died"),
    "MS02": gettext_lazy("the payee refused it"),
    "MS03": gettext_lazy("the bank gave no reason"),
    "RC01": gettext_lazy("the bank identifier is wrong"),
}

_MONEY_PARAMS = {"amount", "total", "entry", "booked", "expected"}


def return_reason_text(code: str | None) -> str:
    if code in RETURN_REASONS:
        return f"{RETURN_REASONS[code]} ({code})"
    return _("reason code %(code)s") % {"code": code} if code else _("no reason given")


def problem_message(problem: dict) -> str:
    """A stored problem (``{"line", "code", "params"}``) in the active language."""
    params = dict(problem.get("params") or {})
    for key in _MONEY_PARAMS & params.keys():
        try:
            params[key] = money_text(Decimal(str(params[key])))
        except ArithmeticError:
            pass
    if "reason" in params:
        params["reason"] = return_reason_text(params["reason"])
    template = PROBLEM_MESSAGES.get(problem["code"])
    if template is None:
        return problem["code"]
    try:
        return str(template) % params if params else str(template)
    except (KeyError, TypeError, ValueError):
        return str(template)


def _problem(line: int | None, code: str, **params) -> dict:
    """Stored as JSON: amounts and dates as text, turned into the reader's format by :func:`problem_message`."""
    return {
        "line": line,
        "code": code,
        "params": {k: v if v is None or isinstance(v, str | int | bool) else str(v) for k, v in params.items()},
    }


def import_camt054(*, organiser, filename: str, data: bytes, by) -> ImportFile:
    """Apply the bank's notification: a booked debit with a payment's end-to-end id and exactly its amount marks it
    paid; a return (credit, reversal or return reason) marks it returned and its invoice waits for payment again.
    Everything else becomes a problem on the returned :class:`ImportFile`, with the entry's position in the file.

    The same file again (same SHA-256) returns the first import and changes nothing. A file that cannot be read as a
    camt.054 notification is kept as REJECTED, with the reason, and nothing else changes."""
    data = bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    first = ImportFile.objects.filter(organiser_id=organiser.pk, kind=ImportKind.CAMT054, sha256=sha256).first()
    if first is not None:
        return first
    result = parse_camt054(data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ImportFile.objects.create(
                    organiser=organiser,
                    kind=ImportKind.CAMT054,
                    filename=(filename or "camt054.xml")[-200:],
                    sha256=sha256,
                    size=len(data),
                    content=data,
                    received_by=by,
                    received_at=clock.now(),
                )
        except IntegrityError:  # the same file came in at the same moment: the first one's result stands
            return ImportFile.objects.get(organiser_id=organiser.pk, kind=ImportKind.CAMT054, sha256=sha256)

        file_errors = [error for error in result.errors if error.row is None]
        if file_errors or not result.notifications:
            record.status = ImportStatus.REJECTED
            record.problems = [_problem(None, e.code, **e.params) for e in file_errors] or [
                _problem(None, "not_camt054")
            ]
        else:
            problems = [_problem(e.row, e.code, **e.params) for e in result.errors]
            changed = _apply_entries(organiser, record, result.entries, problems, by)
            record.status = ImportStatus.PROCESSED
            record.lines_total = len(result.entries) + len(result.failed_entries)
            record.lines_posted = changed
            record.problems = sorted(problems, key=lambda p: (p["line"] or 0))
        record.processed_at = clock.now()
        record.save(update_fields=["status", "problems", "lines_total", "lines_posted", "processed_at"])
    return record


def _apply_entries(organiser, record: ImportFile, entries, problems: list[dict], by) -> int:
    """Match and apply the notified transactions; returns how many payments changed."""
    ids = {entry.end_to_end_id for entry in entries if entry.end_to_end_id}
    known = Payment.objects.filter(organiser_id=organiser.pk, end_to_end_id__in=ids)
    invoice_ids = list(known.values_list("invoice_id", flat=True))
    account_ids = Invoice.objects.filter(pk__in=invoice_ids).values_list("account_id", flat=True)

    _lock_accounts(account_ids)
    batches = {
        batch.pk: batch
        for batch in PaymentBatch.objects.select_for_update()
        .filter(pk__in=known.values_list("batch_id", flat=True))
        .order_by("pk")
    }
    payments = {payment.end_to_end_id: payment for payment in known.select_for_update().order_by("pk")}
    invoices = {
        invoice.pk: invoice for invoice in Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk")
    }
    per_sub_account = defaultdict(list)  # invoice id → [(sub-account id, amount)]
    for row in (
        InvoiceLine.objects.filter(invoice_id__in=invoice_ids)
        .values("invoice_id", "sub_account_id")
        .annotate(amount=Sum("amount"))
        .order_by("invoice_id", "sub_account_id")
    ):
        per_sub_account[row["invoice_id"]].append((row["sub_account_id"], row["amount"]))
    subs = ledger.lock_sub_accounts(sub for rows in per_sub_account.values() for sub, _amount in rows)

    now = clock.now()
    postings: list[ledger.Posting] = []
    changed: dict[int, Payment] = {}
    notices: list[PaymentNotice] = []

    def notice(position: int, entry: NotificationEntry, payment: Payment, outcome: NoticeOutcome) -> None:
        """Keep what this transaction said about ``payment`` and what it did, as a row of its own."""
        notices.append(
            PaymentNotice(
                organiser_id=organiser.pk,
                payment=payment,
                notification=record,
                position=position,
                entry_number=entry.entry_number,
                outcome=outcome,
                is_return=entry.is_return,
                amount=entry.amount,
                currency=(entry.currency or "")[:3],
                booking_date=entry.booking_date or entry.value_date,
                return_reason=(entry.return_reason or "")[:35] if entry.is_return else "",
                recorded_at=now,
            )
        )

    # Debits first, then returns: a file that carries both the payment and its return leaves the payment returned,
    # with the money paid and paid back on the ledger, whatever order the bank listed them in. Each transaction that
    # names one of our payments is kept as a PaymentNotice, whatever it did (``position``: its place in the file).
    numbered = sorted(enumerate(entries, start=1), key=lambda item: item[1].is_return)
    for position, entry in numbered:
        payment = payments.get(entry.end_to_end_id) if entry.end_to_end_id else None
        code, params = _check_entry(entry, payment, batches)
        if code is not None:
            problems.append(_problem(entry.entry_number, code, **params))
            if payment is not None:
                notice(position, entry, payment, NoticeOutcome(code))
            continue
        invoice = invoices[payment.invoice_id]
        sign = 1
        if not entry.is_return:
            if payment.status == PaymentStatus.PAID:
                problems.append(_problem(entry.entry_number, "already_paid", end_to_end_id=payment.end_to_end_id))
                notice(position, entry, payment, NoticeOutcome.ALREADY_PAID)
                continue
            if payment.status == PaymentStatus.RETURNED:
                problems.append(_problem(entry.entry_number, "already_returned", end_to_end_id=payment.end_to_end_id))
                notice(position, entry, payment, NoticeOutcome.ALREADY_RETURNED)
                continue
            payment.status = PaymentStatus.PAID
            payment.booked_on = entry.booking_date or entry.value_date or clock.today()
            invoice.status = InvoiceStatus.PAID
            notice(position, entry, payment, NoticeOutcome.PAID)
        else:
            if payment.status == PaymentStatus.RETURNED:
                problems.append(_problem(entry.entry_number, "already_returned", end_to_end_id=payment.end_to_end_id))
                notice(position, entry, payment, NoticeOutcome.ALREADY_RETURNED)
                continue
            notice(position, entry, payment, NoticeOutcome.RETURNED)
            was_paid = payment.status == PaymentStatus.PAID
            payment.status = PaymentStatus.RETURNED
            invoice.status = InvoiceStatus.APPROVED
            problems.append(
                _problem(
                    entry.entry_number,
                    "returned",
                    end_to_end_id=payment.end_to_end_id,
                    invoice=invoice.invoice_number,
                    amount=payment.amount,
                    reason=entry.return_reason,
                )
            )
            if not was_paid:
                payment.notification = record
                changed[payment.pk] = payment
                continue
            sign = -1
        payment.notification = record
        changed[payment.pk] = payment
        memo = f"camt.054 {record.pk}" + (f" return {entry.return_reason}" if sign < 0 and entry.return_reason else "")
        for sub_id, amount in per_sub_account[invoice.pk]:
            postings.append(
                ledger.Posting(
                    subs[sub_id], EntryKind.PAYMENT, sign * amount,
                    invoice_id=invoice.pk, payment_id=payment.pk, memo=memo[:200],
                )
            )

    Payment.objects.bulk_update(list(changed.values()), ["status", "booked_on", "notification"], batch_size=2000)
    Invoice.objects.bulk_update(
        [invoices[payment.invoice_id] for payment in changed.values()], ["status"], batch_size=2000
    )
    ledger.post(postings, by=by, at=now)
    # The database allows one "paid" and one "returned" notice per payment: the last guard against paying twice.
    PaymentNotice.objects.bulk_create(notices, batch_size=2000)
    return len(changed)


def _check_entry(entry: NotificationEntry, payment: Payment | None, batches) -> tuple[str | None, dict]:
    """Why ``entry`` cannot change ``payment``, or (None, {}) when it can."""
    if not entry.end_to_end_id:
        return "no_end_to_end_id", {"amount": entry.amount}
    if payment is None:
        return "unknown_payment", {"end_to_end_id": entry.end_to_end_id}
    batch = batches[payment.batch_id]
    if entry.original_message_id not in (None, batch.message_id):
        return "other_batch", {
            "end_to_end_id": entry.end_to_end_id, "message_id": entry.original_message_id, "batch": batch.message_id
        }
    if payment.status == PaymentStatus.CANCELLED:
        return "payment_cancelled", {"end_to_end_id": entry.end_to_end_id}
    if batch.status != BatchStatus.EXPORTED:
        return "not_exported", {"end_to_end_id": entry.end_to_end_id}
    if entry.status != BOOKED:
        return "not_booked", {"end_to_end_id": entry.end_to_end_id}
    if not entry.is_return and (
        entry.credit_debit != DEBIT or entry.amount != payment.amount or entry.currency != "EUR"
    ):
        return "amount_mismatch", {
            "end_to_end_id": entry.end_to_end_id,
            "booked": entry.amount,
            "currency": entry.currency or "",
            "expected": payment.amount,
        }
    return None, {}


# ---------------------------------------------------------------------------------------------------------------
# Reads for the payment pages, always scoped by organiser


@dataclass(frozen=True)
class Waiting:
    count: int
    total: Decimal
    earliest_due: dt.date | None


def waiting_for_payment(organiser_id: int) -> Waiting:
    row = Invoice.objects.filter(organiser_id=organiser_id, status=InvoiceStatus.APPROVED).aggregate(
        count=Count("pk"), total=Sum("total", default=ZERO), earliest=Min("due_date")
    )
    return Waiting(row["count"], row["total"], row["earliest"])


def waiting_invoices(organiser_id: int, limit: int):
    """The approved invoices waiting for payment, the earliest due first, at most ``limit``, with the client each is
    for (a receipt is paid to the client, whose name is then shown)."""
    return (
        Invoice.objects.filter(organiser_id=organiser_id, status=InvoiceStatus.APPROVED)
        .select_related("account__client")
        .order_by("due_date", "pk")[:limit]
    )


def batches_of(organiser_id: int):
    return PaymentBatch.objects.filter(organiser_id=organiser_id).annotate(payment_count=Count("payments")).defer(
        "pain001"
    )


def batch_of(organiser_id: int, batch_id: int) -> PaymentBatch | None:
    return PaymentBatch.objects.filter(organiser_id=organiser_id, pk=batch_id).select_related(
        "created_by", "exported_by", "cancelled_by"
    ).first()


def payments_of(batch: PaymentBatch):
    return (
        Payment.objects.filter(organiser_id=batch.organiser_id, batch=batch)
        .select_related("invoice", "invoice__account__client")
        .order_by("pk")
    )


def notifications_of(organiser_id: int):
    return ImportFile.objects.filter(organiser_id=organiser_id, kind=ImportKind.CAMT054).defer("content")


def notification_of(organiser_id: int, import_id: int) -> ImportFile | None:
    return notifications_of(organiser_id).filter(pk=import_id).select_related("received_by").first()


def notices_changing(record: ImportFile):
    """The notices by which this notification paid or returned payments, with each payment, its invoice, batch and
    client, in the order they were applied. A payment paid by one file and returned by a later one is listed under
    both."""
    return (
        PaymentNotice.objects.filter(
            organiser_id=record.organiser_id,
            notification=record,
            outcome__in=[NoticeOutcome.PAID, NoticeOutcome.RETURNED],
        )
        .select_related("payment__invoice__account__client", "payment__batch")
        .defer("payment__batch__pain001")
        .order_by("pk")
    )


def notices_of_batch(batch: PaymentBatch):
    """Every notice of the bank about the batch's payments, in the order they were applied, with the notification
    each came in and the payment's invoice."""
    return (
        PaymentNotice.objects.filter(organiser_id=batch.organiser_id, payment__batch=batch)
        .select_related("notification", "payment__invoice")
        .defer("notification__content", "notification__problems")
        .order_by("pk")
    )
