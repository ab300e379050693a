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
from functools import cached_property

from django.db import connection, transaction
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Provider
from avain.core import clock
from avain.core.money import ZERO, money_sum, round_money

from . import bulk, ledger
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
    "quantity_over_agreement": _("Agreement %(agreement)s has %(units_left)s units left; the line has %(quantity)s."),
    "over_agreement": _("Agreement %(agreement)s has %(left)s € left; the line is %(amount)s €."),
    "iban_not_agreed": _("The account %(iban)s is not the account you registered. Payments go only to the registered account."),
}

# The columns written for a posted invoice and line; the model defaults fill the rest.
INVOICE_FIELDS = (
    "organiser_id", "account_id", "provider_id", "source", "import_file_id", "invoice_number", "invoice_date",
    "due_date", "payee_name", "payee_iban", "reference", "total", "status", "recorded_by_id", "recorded_at",
)
LINE_FIELDS = (
    "organiser_id", "invoice_id", "sub_account_id", "agreement_id", "line_number", "service_date", "description",
    "quantity", "unit_price", "amount",
)
ACCOUNT_FIELDS = tuple(f.attname for f in BudgetAccount._meta.concrete_fields)
AGREEMENT_FIELDS = tuple(f.attname for f in Agreement._meta.concrete_fields)


@dataclass(frozen=True)
class Problem:
    """Why one line (or, with ``line`` None, the whole file) was not posted. ``claim``: for a problem of posting,
    which of the claims given to :func:`post_provider_invoices` it is about (their index), so that a file whose
    invoices number their lines each from 1 can tell whose line it is; not stored."""

    line: int | None
    code: str
    params: dict = field(default_factory=dict)
    claim: int | None = None

    def message(self) -> str:
        template = str(PROBLEM_MESSAGES[self.code])
        return template % display_params(self.params) if self.params else template

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


class PostingResult:
    """The invoices posted (each with its ``posted_lines``) and the problems of the lines refused.

    ``invoices`` are made into model objects on first use only: an import of 200 000 lines needs the counts, a page
    that shows the invoice needs the objects."""

    def __init__(self, problems: list[Problem], lines_posted: int = 0, make_invoices=list):
        self.problems = problems
        self.lines_posted = lines_posted
        self._make_invoices = make_invoices

    @cached_property
    def invoices(self) -> list[Invoice]:
        return self._make_invoices()


# Problems are stored (ImportFile.problems) and read later by someone in another language: their parameters are kept
# as plain values (ISO dates, decimal strings) and formatted for the reader when shown, by the parameter's name.
_DATE_PARAMS = {"date", "start", "end"}
_MONEY_PARAMS = {"price", "agreed", "expected", "amount", "left", "total", "rows_total"}
_NUMBER_PARAMS = {"quantity", "units_left"}


def display_params(params: dict) -> dict:
    """The parameters of a problem formatted in the active language: dates, euros and quantities."""
    shown = dict(params)
    for key, value in params.items():
        try:
            if key in _DATE_PARAMS:
                shown[key] = formats.date_format(dt.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
            elif key in _MONEY_PARAMS:
                shown[key] = formats.number_format(Decimal(str(value)), 2, use_l10n=True, force_grouping=True)
            elif key in _NUMBER_PARAMS:
                shown[key] = formats.number_format(Decimal(str(value)).normalize(), use_l10n=True)
        except (ValueError, ArithmeticError):
            pass  # a value that came from a file as it was: shown as it was
    return shown


def _date(value: dt.date) -> str:
    return value.isoformat()


def _money(amount: Decimal) -> str:
    return str(amount)


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

    def refuse(index: int, claim_line: int | None, code: str, **params) -> None:
        problems.append(Problem(claim_line, code, params, claim=index))

    # Invoices that cannot be posted at all: no number, repeated in this sending, or sent before.
    numbers = [claim.invoice_number.strip() for claim in claims]
    already = set(
        Invoice.objects.filter(bulk.any_of("invoice_number", set(numbers)), organiser_id=organiser_id, provider=provider)
        .values_list("invoice_number", flat=True)
    )
    seen: set[str] = set()
    postable: list[tuple[int, str, InvoiceClaim]] = []
    for index, (number, claim) in enumerate(zip(numbers, claims, strict=True)):
        code = (
            "no_invoice_number" if not number
            else "duplicate_invoice" if number in already
            else "repeated_in_file" if number in seen
            else None
        )
        seen.add(number)
        if code:
            for line in claim.lines:
                refuse(index, line.line, code, number=number)
        else:
            postable.append((index, number, claim))

    agreement_numbers = {line.agreement_number.strip() for _, _, claim in postable for line in claim.lines}
    with transaction.atomic():
        found = list(
            Agreement.objects.filter(bulk.any_of("number", agreement_numbers), organiser_id=organiser_id, provider=provider)
            .values_list("pk", "account_id")
        )
        # Plain rows rather than model objects: a file may touch 20 000 accounts and agreements.
        accounts = {
            account.id: account
            for account in BudgetAccount.objects.select_for_update()
            .filter(bulk.any_of("pk", {account_id for _, account_id in found}))
            .order_by("pk")
            .values_list(*ACCOUNT_FIELDS, named=True)
        }
        agreements = {
            agreement.number: agreement
            for agreement in Agreement.objects.select_for_update()
            .filter(bulk.any_of("pk", [pk for pk, _ in found]))
            .order_by("pk")
            .values_list(*AGREEMENT_FIELDS, named=True)
        }
        subs = ledger.lock_sub_accounts(agreement.sub_account_id for agreement in agreements.values())

        now = clock.now()
        iban = provider.iban.replace(" ", "").upper()
        accepted: list[tuple[str, InvoiceClaim, object, list]] = []  # (number, claim, account, [(agreement, line)])
        used: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, Decimal(0)])  # agreement id → [amount, quantity]
        for index, number, claim in postable:
            account = None
            invoice_lines = []
            payee_ok = claim.payee_iban.replace(" ", "").upper() == iban
            for claim_line in claim.lines:
                agreement = agreements.get(claim_line.agreement_number.strip())
                code, params = _check_line(claim, claim_line, agreement, accounts, payee_ok, today)
                if code is None and account is not None and account.id != agreement.account_id:
                    code, params = "mixed_clients", {}
                if code is None:
                    code, params = _check_agreement_room(claim_line, agreement, used[agreement.id])
                if code is not None:
                    refuse(index, claim_line.line, code, **params)
                    continue
                use = used[agreement.id]
                use[0] += claim_line.amount
                use[1] += claim_line.quantity
                account = accounts[agreement.account_id]
                invoice_lines.append((agreement, claim_line))
            if invoice_lines:
                accepted.append((number, claim, account, invoice_lines))

        import_file_id = import_file.pk if import_file is not None else None
        invoice_rows = [
            (
                organiser_id, account.id, provider.pk, source, import_file_id, number, claim.invoice_date,
                claim.due_date, provider.name, provider.iban, claim.reference,
                money_sum(line.amount for _, line in invoice_lines), initial_status(account), recorded_by.pk, now,
            )
            for number, claim, account, invoice_lines in accepted
        ]
        invoice_ids = bulk.insert(Invoice, INVOICE_FIELDS, invoice_rows)
        line_rows = [
            (
                organiser_id, invoice_id, agreement.sub_account_id, agreement.id, line.line, line.service_date,
                line.description[:200], line.quantity, line.unit_price, line.amount,
            )
            for invoice_id, (_, _, _, invoice_lines) in zip(invoice_ids, accepted, strict=True)
            for agreement, line in invoice_lines
        ]
        line_ids = bulk.insert(InvoiceLine, LINE_FIELDS, line_rows)
        ledger.post(_spending_postings(invoice_ids, accepted, subs), by=recorded_by, at=now)
        _record_agreement_use(agreements, used)

    def make_invoices() -> list[Invoice]:
        return _invoice_objects(
            provider, import_file, recorded_by, accounts, agreements, invoice_ids, invoice_rows, line_ids, line_rows
        )

    return PostingResult(problems, lines_posted=len(line_rows), make_invoices=make_invoices)


def _check_line(claim, claim_line: LineClaim, agreement, accounts, payee_ok: bool, today) -> tuple[str | None, dict]:
    """The checks that need nothing but the line, its agreement and its account (``payee_ok``: the invoice is to
    be paid to the provider's registered account)."""
    if agreement is None:
        return "unknown_agreement", {"agreement": claim_line.agreement_number.strip()}
    account = accounts[agreement.account_id]
    date = claim_line.service_date
    if account.status != AccountStatus.OPEN:
        return "account_closed", {"agreement": agreement.number}
    if agreement.status != AgreementStatus.ACTIVE:
        return "agreement_ended", {"agreement": agreement.number}
    if not payee_ok:
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
            "quantity": str(claim_line.quantity),
            "price": _money(claim_line.unit_price),
            "expected": _money(expected),
            "amount": _money(claim_line.amount),
        }
    return None, {}


def _check_agreement_room(claim_line: LineClaim, agreement, used_now) -> tuple[str | None, dict]:
    """What is left of the agreement after the lines already accepted from this sending."""
    if agreement.quantity is not None:
        left = agreement.quantity - agreement.used_quantity - used_now[1]
        if claim_line.quantity > left:
            return "quantity_over_agreement", {
                "agreement": agreement.number,
                "units_left": str(left),
                "quantity": str(claim_line.quantity),
            }
    left = agreement.cap - agreement.used_amount - used_now[0]
    if claim_line.amount > left:
        return "over_agreement", {
            "agreement": agreement.number, "left": _money(left), "amount": _money(claim_line.amount)
        }
    return None, {}


def _spending_postings(invoice_ids: list[int], accepted, subs) -> list[ledger.Posting]:
    """Per invoice and agreement: the committed money becomes spending (a release and a spending entry)."""
    postings = []
    for invoice_id, (_, _, _, invoice_lines) in zip(invoice_ids, accepted, strict=True):
        per_agreement: dict[int, Decimal] = defaultdict(lambda: ZERO)
        sub_of: dict[int, int] = {}
        for agreement, line in invoice_lines:
            per_agreement[agreement.id] += line.amount
            sub_of[agreement.id] = agreement.sub_account_id
        for agreement_id, amount in per_agreement.items():
            sub = subs[sub_of[agreement_id]]
            postings.append(ledger.Posting(sub, EntryKind.RELEASE, -amount, invoice_id=invoice_id, agreement_id=agreement_id))
            postings.append(ledger.Posting(sub, EntryKind.SPENDING, amount, invoice_id=invoice_id, agreement_id=agreement_id))
    return postings


def _record_agreement_use(agreements: dict, used: dict[int, list[Decimal]]) -> None:
    """Store what the agreements have used, and keep the rows in ``agreements`` up to date with it."""
    changed = []
    for number, agreement in agreements.items():
        if agreement.id in used:
            amount, quantity = used[agreement.id]
            agreements[number] = agreement = agreement._replace(
                used_amount=agreement.used_amount + amount, used_quantity=agreement.used_quantity + quantity
            )
            changed.append((agreement.id, agreement.used_amount, agreement.used_quantity))
    bulk.update(Agreement, ["used_amount", "used_quantity"], changed)


def _invoice_objects(
    provider, import_file, recorded_by, accounts, agreements, invoice_ids, invoice_rows, line_ids, line_rows
) -> list[Invoice]:
    """The posted invoices and their lines as model objects, as saved, pointing at their account and agreements."""
    account_objects = {pk: _saved(BudgetAccount(**row._asdict())) for pk, row in accounts.items()}
    agreement_objects = {row.id: _saved(Agreement(**row._asdict())) for row in agreements.values()}
    invoices = {}
    for pk, row in zip(invoice_ids, invoice_rows, strict=True):
        values = dict(zip(INVOICE_FIELDS, row, strict=True))
        del values["provider_id"], values["import_file_id"], values["recorded_by_id"]
        values["account"] = account_objects[values.pop("account_id")]
        invoice = _saved(Invoice(pk=pk, provider=provider, import_file=import_file, recorded_by=recorded_by, **values))
        invoice.posted_lines = []
        invoices[pk] = invoice
    for pk, row in zip(line_ids, line_rows, strict=True):
        values = dict(zip(LINE_FIELDS, row, strict=True))
        values["agreement"] = agreement_objects[values.pop("agreement_id")]
        invoices[values["invoice_id"]].posted_lines.append(_saved(InvoiceLine(pk=pk, **values)))
    return list(invoices.values())


def _saved(obj):
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj
