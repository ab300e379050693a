"""Posting providers' invoices on budget accounts, line by line, from the portal form, a Finvoice file or a CSV file.

Every line is checked on its own and either posted or refused with a :class:`Problem` (a code and parameters, turned
into a message in the reader's language by :meth:`Problem.message`): one bad line never sinks the good ones. A posted
line turns the agreement's committed money into spending on the agreement's sub-account, so the client's money is
never counted twice and an invoice can never spend more than the agreement holds.

The work is set-based, so a file of 200 000 lines costs a fixed number of queries: read the agreements and earlier
invoices, lock what will change (accounts, then agreements, then sub-accounts, each in id order, the same order as
every other writer), check every line in memory, then insert the invoices, lines and entries and update the totals
in bulk.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Provider
from avain.core import clock
from avain.core.money import ZERO, money_sum, round_money

from . import ledger
from .models import (
    AccountStatus,
    Agreement,
    AgreementStatus,
    BudgetAccount,
    EntryKind,
    ImportFile,
    Invoice,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
)

PROBLEM_MESSAGES = {
    "no_invoice_number": _("The invoice number is missing."),
    "duplicate_invoice": _("Invoice %(number)s has already been sent. The same invoice is never paid twice."),
    "repeated_in_file": _("Invoice %(number)s appears twice in what was sent. Send each invoice once."),
    "unknown_agreement": _("There is no agreement %(agreement)s with you. Check the agreement number."),
    "mixed_clients": _("The lines of one invoice must all be for the same client. Send a separate invoice for each client."),
    "account_closed": _("The client's budget for agreement %(agreement)s has been closed. No more invoices can be paid from it."),
    "agreement_ended": _("Agreement %(agreement)s has ended. Services after it cannot be invoiced."),
    "date_outside_agreement": _("The service date %(date)s is outside agreement %(agreement)s (%(start)s–%(end)s)."),
    "date_outside_period": _("The service date %(date)s is outside the client's budget period %(start)s–%(end)s."),
    "date_in_future": _("The service date %(date)s is in the future. Invoice a service once it has been given."),
    "claimed_too_late": _("The service on %(date)s was more than %(days)s days ago. The time to invoice it has passed."),
    "not_positive": _("The quantity and the amount must be more than zero."),
    "amount_mismatch": _("%(quantity)s × %(price)s € is %(expected)s €, but the line says %(amount)s €."),
    "price_above_agreed": _("The price %(price)s € is more than the agreed %(agreed)s € per unit."),
    "quantity_over_agreement": _("Agreement %(agreement)s has %(left)s units left; the line has %(quantity)s."),
    "over_agreement": _("Agreement %(agreement)s has %(left)s € left; the line is %(amount)s €."),
    "iban_not_agreed": _("The account %(iban)s is not the account you registered. Payments go only to the registered account."),
}


@dataclass(frozen=True)
class Problem:
    """Why one line (or, with ``line`` None, the whole file) was not posted."""

    line: int | None
    code: str
    params: dict = field(default_factory=dict)

    def message(self) -> str:
        return str(PROBLEM_MESSAGES[self.code]) % self.params if self.params else str(PROBLEM_MESSAGES[self.code])

    def as_json(self) -> dict:
        return {"line": self.line, "code": self.code, "params": self.params}


@dataclass(frozen=True)
class LineClaim:
    """One line as the provider sent it. ``line`` is where it stands in what was sent (a file's row number, or the
    form's line), so the sender can find it."""

    line: int
    agreement_number: str
    service_date: dt.date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    description: str = ""


@dataclass(frozen=True)
class InvoiceClaim:
    invoice_number: str
    invoice_date: dt.date
    due_date: dt.date
    payee_iban: str
    lines: tuple[LineClaim, ...]
    reference: str = ""


@dataclass
class PostingResult:
    invoices: list[Invoice]
    problems: list[Problem]

    @property
    def lines_posted(self) -> int:
        return sum(len(invoice.posted_lines) for invoice in self.invoices)


def _date(value: dt.date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _money(amount: Decimal) -> str:
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True)


def initial_status(account: BudgetAccount) -> InvoiceStatus:
    """Where a newly posted invoice waits, by the approvals the account's funding rule asks for."""
    if account.client_acceptance:
        return InvoiceStatus.AWAITING_ACCEPTANCE
    if account.staff_approval:
        return InvoiceStatus.AWAITING_APPROVAL
    return InvoiceStatus.APPROVED


def post_provider_invoices(
    *,
    provider: Provider,
    claims: Sequence[InvoiceClaim],
    source: InvoiceSource,
    recorded_by,
    import_file: ImportFile | None = None,
) -> PostingResult:
    """Check every line of the provider's invoices and post the ones that pass, in one transaction."""
    organiser_id = provider.organiser_id
    today = clock.today()
    problems: list[Problem] = []

    def refuse(claim_line: int | None, code: str, **params) -> None:
        problems.append(Problem(claim_line, code, params))

    # Invoices that cannot be posted at all: no number, repeated in this sending, or sent before.
    numbers = [claim.invoice_number.strip() for claim in claims]
    already = set(
        Invoice.objects.filter(organiser_id=organiser_id, provider=provider, invoice_number__in=set(numbers))
        .values_list("invoice_number", flat=True)
    )
    seen: set[str] = set()
    postable: list[tuple[str, InvoiceClaim]] = []
    for number, claim in zip(numbers, claims, strict=True):
        code = (
            "no_invoice_number" if not number
            else "duplicate_invoice" if number in already
            else "repeated_in_file" if number in seen
            else None
        )
        seen.add(number)
        if code:
            for line in claim.lines:
                refuse(line.line, code, number=number)
        else:
            postable.append((number, claim))

    agreement_numbers = {line.agreement_number.strip() for _, claim in postable for line in claim.lines}
    with transaction.atomic():
        found = list(
            Agreement.objects.filter(organiser_id=organiser_id, provider=provider, number__in=agreement_numbers)
            .values_list("pk", "account_id")
        )
        accounts = {
            account.pk: account
            for account in BudgetAccount.objects.select_for_update()
            .filter(pk__in={account_id for _, account_id in found})
            .order_by("pk")
        }
        agreements = {
            agreement.number: agreement
            for agreement in Agreement.objects.select_for_update()
            .filter(pk__in=[pk for pk, _ in found])
            .order_by("pk")
        }
        subs = ledger.lock_sub_accounts(agreement.sub_account_id for agreement in agreements.values())

        now = clock.now()
        invoices: list[Invoice] = []
        lines: list[InvoiceLine] = []
        used: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, Decimal(0)])  # agreement pk → [amount, quantity]
        for number, claim in postable:
            invoice = None
            invoice_lines: list[InvoiceLine] = []
            for claim_line in claim.lines:
                agreement = agreements.get(claim_line.agreement_number.strip())
                code, params = _check_line(claim, claim_line, agreement, accounts, provider, today)
                if code is None and invoice is not None and invoice.account_id != agreement.account_id:
                    code, params = "mixed_clients", {}
                if code is None:
                    code, params = _check_agreement_room(claim_line, agreement, used[agreement.pk])
                if code is not None:
                    refuse(claim_line.line, code, **params)
                    continue
                used[agreement.pk][0] += claim_line.amount
                used[agreement.pk][1] += claim_line.quantity
                if invoice is None:
                    account = accounts[agreement.account_id]
                    invoice = Invoice(
                        organiser_id=organiser_id,
                        account=account,
                        provider=provider,
                        source=source,
                        import_file=import_file,
                        invoice_number=number,
                        invoice_date=claim.invoice_date,
                        due_date=claim.due_date,
                        payee_name=provider.name,
                        payee_iban=provider.iban,
                        reference=claim.reference,
                        total=ZERO,
                        status=initial_status(account),
                        recorded_by=recorded_by,
                        recorded_at=now,
                    )
                invoice_lines.append(
                    InvoiceLine(
                        organiser_id=organiser_id,
                        sub_account_id=agreement.sub_account_id,
                        agreement=agreement,
                        line_number=claim_line.line,
                        service_date=claim_line.service_date,
                        description=claim_line.description[:200],
                        quantity=claim_line.quantity,
                        unit_price=claim_line.unit_price,
                        amount=claim_line.amount,
                    )
                )
            if invoice is not None:
                invoice.total = money_sum(line.amount for line in invoice_lines)
                invoice.posted_lines = invoice_lines
                invoices.append(invoice)
                lines.extend(invoice_lines)

        Invoice.objects.bulk_create(invoices, batch_size=5000)
        for invoice in invoices:
            for line in invoice.posted_lines:
                line.invoice_id = invoice.pk
        InvoiceLine.objects.bulk_create(lines, batch_size=5000)
        ledger.post(_spending_postings(invoices, subs), by=recorded_by, at=now)
        _record_agreement_use(agreements, used)
    return PostingResult(invoices=invoices, problems=problems)


def _check_line(claim, claim_line: LineClaim, agreement, accounts, provider, today) -> tuple[str | None, dict]:
    """The checks that need nothing but the line, its agreement and its account."""
    if agreement is None:
        return "unknown_agreement", {"agreement": claim_line.agreement_number.strip()}
    account = accounts[agreement.account_id]
    date = claim_line.service_date
    if account.status != AccountStatus.OPEN:
        return "account_closed", {"agreement": agreement.number}
    if agreement.status != AgreementStatus.ACTIVE:
        return "agreement_ended", {"agreement": agreement.number}
    if claim.payee_iban.replace(" ", "").upper() != provider.iban.replace(" ", "").upper():
        return "iban_not_agreed", {"iban": claim.payee_iban}
    if date > today:
        return "date_in_future", {"date": _date(date)}
    if not account.period_start <= date <= account.period_end:
        return "date_outside_period", {
            "date": _date(date), "start": _date(account.period_start), "end": _date(account.period_end)
        }
    if not agreement.valid_from <= date <= agreement.valid_until:
        return "date_outside_agreement", {
            "date": _date(date),
            "agreement": agreement.number,
            "start": _date(agreement.valid_from),
            "end": _date(agreement.valid_until),
        }
    if (today - date).days > account.claim_deadline_days:
        return "claimed_too_late", {"date": _date(date), "days": account.claim_deadline_days}
    if claim_line.quantity <= 0 or claim_line.amount <= 0:
        return "not_positive", {}
    if claim_line.unit_price > agreement.unit_price:
        return "price_above_agreed", {"price": _money(claim_line.unit_price), "agreed": _money(agreement.unit_price)}
    expected = round_money(claim_line.quantity * claim_line.unit_price)
    if claim_line.amount != expected:
        return "amount_mismatch", {
            "quantity": formats.number_format(claim_line.quantity, use_l10n=True),
            "price": _money(claim_line.unit_price),
            "expected": _money(expected),
            "amount": _money(claim_line.amount),
        }
    return None, {}


def _check_agreement_room(claim_line: LineClaim, agreement: Agreement, used_now) -> tuple[str | None, dict]:
    """What is left of the agreement after the lines already accepted from this sending."""
    if agreement.quantity is not None:
        left = agreement.quantity - agreement.used_quantity - used_now[1]
        if claim_line.quantity > left:
            return "quantity_over_agreement", {
                "agreement": agreement.number,
                "left": formats.number_format(left, use_l10n=True),
                "quantity": formats.number_format(claim_line.quantity, use_l10n=True),
            }
    left = agreement.remaining - used_now[0]
    if claim_line.amount > left:
        return "over_agreement", {
            "agreement": agreement.number, "left": _money(left), "amount": _money(claim_line.amount)
        }
    return None, {}


def _spending_postings(invoices: list[Invoice], subs) -> list[ledger.Posting]:
    """Per invoice and agreement: the committed money becomes spending (a release and a spending entry)."""
    postings = []
    for invoice in invoices:
        per_agreement: dict[Agreement, Decimal] = defaultdict(lambda: ZERO)
        for line in invoice.posted_lines:
            per_agreement[line.agreement] += line.amount
        for agreement, amount in per_agreement.items():
            sub = subs[agreement.sub_account_id]
            postings.append(ledger.Posting(sub, EntryKind.RELEASE, -amount, invoice_id=invoice.pk, agreement_id=agreement.pk))
            postings.append(ledger.Posting(sub, EntryKind.SPENDING, amount, invoice_id=invoice.pk, agreement_id=agreement.pk))
    return postings


def _record_agreement_use(agreements: dict[str, Agreement], used: dict[int, list[Decimal]]) -> None:
    changed = []
    for agreement in agreements.values():
        if agreement.pk in used:
            amount, quantity = used[agreement.pk]
            agreement.used_amount += amount
            agreement.used_quantity += quantity
            changed.append(agreement)
    Agreement.objects.bulk_update(changed, ["used_amount", "used_quantity"], batch_size=2000)
