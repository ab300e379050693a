"""Importing a provider's invoice file: Finvoice 3.0 invoices (XML: one, or several in a transmission file) or a CSV
file of invoice lines.

The kind of file is decided from its content, never from its name. Every line is read and checked on its own: a
line that cannot be read, or that :mod:`avain.accounts.posting` refuses, gets a problem of its own (a code and
parameters, shown in the reader's language by :func:`problem_message`), and the other lines are posted. A file that
cannot be read as a whole (empty, too large, not an invoice, unsafe or broken XML, not UTF-8, no header) is
*rejected*: its :class:`ImportFile` records why, and nothing is posted from it.

A Finvoice file of several invoices (:func:`read_finvoice`) is read invoice by invoice: an invoice that cannot be
paid is refused on its own and the others are posted; every problem of such a file names its invoice
(:class:`InvoiceProblem`).

Idempotency and crash safety:

* The same bytes (same SHA-256) are imported once per organiser and kind (a unique constraint on ``ImportFile``).
  Sending them again returns the first :class:`ImportFile` and changes nothing.
* Receiving the file, posting its invoices and recording the outcome happen in **one** transaction. A process
  killed half-way leaves no trace, and sending the same file again imports it in full. An ``ImportFile`` still
  ``received`` (stored by some other path and never processed) is processed when it is met.

See docs/invoice-files.md for the CSV columns, the Finvoice elements read and every problem code.
"""

import csv
import datetime as dt
import functools
import hashlib
import io
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import psycopg
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fi import ytunnus

from avain.catalogue.models import Provider
from avain.core import clock, faults

from .formats import finvoice, references
from .formats.errors import FileFormatError, FormatError
from .formats.safexml import parse_untrusted
from .models import Agreement, ImportFile, ImportKind, ImportStatus, Invoice, InvoiceSource
from .posting import (
    PROBLEM_MESSAGES,
    InvoiceClaim,
    LineClaim,
    PostingResult,
    Problem,
    display_params,
    post_provider_invoices,
)

# The largest invoice file accepted, checked before anything is parsed. 20 MB holds a CSV of some 200 000 lines.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILE_MB = MAX_FILE_BYTES // (1024 * 1024)

# Where the database would refuse a value, the line is refused first, so one line can never fail the whole insert.
MAX_INVOICE_NUMBER_LENGTH = 40  # Invoice.invoice_number
MAX_DESCRIPTION_LENGTH = 200  # InvoiceLine.description
MAX_QUANTITY = Decimal("100000000")  # InvoiceLine.quantity: 10 digits, 2 of them decimals
MAX_AMOUNT = Decimal("1000000000")  # a billion euros: no real line comes near it
MAX_ECHOED_VALUE = 60  # how much of a bad value a problem repeats back to the sender
MAX_STORED_PARAM = 300  # how long any stored parameter of a problem may be

# --- Problems and their messages ---------------------------------------------------------------------------------

IMPORT_MESSAGES = {
    # The file as a whole
    "file_empty": _("The file is empty."),
    "file_too_large": _(
        "The file is larger than %(limit_mb)s MB. Split it into smaller files and send them one at a time."
    ),
    "file_not_invoice": _(
        "The file is neither a Finvoice invoice (XML) nor a CSV file. If you made it in Excel, save it as "
        "“CSV UTF-8” and send it again."
    ),
    "not_xml": _(
        "The file is not complete, readable XML. It may have been cut short or damaged on the way. "
        "Send the whole file again."
    ),
    "xml_unsafe": _(
        "The file declares a DTD or entities. For safety, invoice files with them are not accepted. "
        "Send the invoice without them."
    ),
    "not_finvoice": _("The file is XML but not a Finvoice invoice: its main element is “%(root)s”."),
    "unsupported_version": _("The invoice is Finvoice version “%(version)s”. Only Finvoice 3.0 is accepted."),
    "seller_not_you": _(
        "The invoice is from business ID %(found)s, but you send invoices for %(expected)s. "
        "Send only your own invoices."
    ),
    "currency_not_eur": _("The invoice is in %(currency)s. Only invoices in euros can be paid."),
    # The Finvoice invoice's own details
    "schema": _("The invoice does not follow the Finvoice 3.0 standard: %(detail)s"),
    "missing_seller_business_id": _("The seller's business ID (SellerPartyIdentifier) is missing."),
    "invalid_business_id": _("The seller's business ID “%(value)s” is not valid."),
    "missing_seller_name": _("The seller's name (SellerOrganisationName) is missing."),
    "missing_buyer_name": _("The buyer's name (BuyerOrganisationName) is missing."),
    "missing_seller_iban": _("The seller's bank account (SellerAccountID) is missing."),
    "invalid_iban": _("The bank account “%(value)s” is not a valid IBAN."),
    "invalid_bic": _("The bank code “%(value)s” is not a valid BIC."),
    "missing_invoice_number": _("The invoice number (InvoiceNumber) is missing."),
    "missing_invoice_date": _("The invoice date (InvoiceDate) is missing."),
    "missing_due_date": _("The due date (InvoiceDueDate) is missing."),
    "invalid_date": _("%(field)s “%(value)s” is not a date. Write dates as YYYYMMDD, for example 20260315."),
    "invalid_reference": _("The payment reference “%(value)s” is not valid."),
    "missing_total": _("The invoice total (InvoiceTotalVatIncludedAmount) is missing."),
    "missing_currency": _("The invoice total does not say its currency (AmountCurrencyIdentifier)."),
    "invalid_amount": _("%(field)s “%(value)s” is not an amount in euros and cents."),
    "invalid_number": _("%(field)s “%(value)s” is not a number. Write numbers like 1234,50."),
    "currency_mismatch": _("%(field)s is in %(currency)s, but the invoice is in %(invoice_currency)s."),
    "no_rows": _("The invoice has no rows (InvoiceRow)."),
    "total_mismatch": _("The rows add up to %(rows_total)s, but the invoice total is %(total)s."),
    # One Finvoice row
    "row_schema": _("The row does not follow the Finvoice 3.0 standard: %(detail)s"),
    "row_missing_price": _("The row has no unit price (UnitPriceAmount)."),
    "row_missing_quantity": _("The row has no quantity (DeliveredQuantity)."),
    "row_missing_amount": _("The row has no amount (RowAmount)."),
    "row_amount_mismatch": _("Quantity × unit price is %(expected)s, but the row says %(amount)s."),
    "row_dates_reversed": _("The row's start date is after its end date."),
    "row_sub_rows": _("Rows made of sub-rows (SubInvoiceRow) are not accepted. Send each service as a row of its own."),
    "no_agreement_number": _(
        "The row does not say which agreement it is for. Write the agreement number in RowBuyerReferenceIdentifier, "
        "or for the whole invoice in BuyerReferenceIdentifier."
    ),
    "no_service_date": _("The row does not say when the service was given. Write the date in RowDeliveryDate."),
    # Either format
    "too_many_decimals": _("%(field)s “%(value)s” has more than two decimals."),
    "number_too_large": _("%(field)s “%(value)s” is too large."),
    # The CSV file as a whole
    "csv_not_utf8": _("The CSV file is not in UTF-8. In Excel, save it as “CSV UTF-8 (comma delimited)”."),
    "csv_unreadable": _(
        "Line %(line)s cannot be read as CSV: check its quotation marks. Nothing in the file was recorded."
    ),
    "csv_no_header": _("The first line must name the columns: %(columns)s."),
    "csv_missing_columns": _("These columns are missing: %(columns)s."),
    "csv_unknown_columns": _("These columns are not known: %(columns)s. Check their spelling."),
    "csv_duplicate_columns": _("These columns appear more than once: %(columns)s."),
    "csv_no_rows": _("The file has a header line but no invoice lines under it."),
    # One CSV line
    "csv_missing_value": _("The column %(column)s is empty."),
    "csv_bad_date": _("%(column)s “%(value)s” is not a date. Write dates as 2026-03-15 or 15.3.2026."),
    "csv_bad_number": _("%(column)s “%(value)s” is not a number. Write numbers like 12,50 or 12.50."),
    "csv_too_long": _("%(column)s is too long: at most %(limit)s characters."),
    "csv_too_many_values": _(
        "The line has %(found)s values, but the header has %(expected)s columns. If you separate values with "
        "commas, put numbers with a decimal comma in quotation marks."
    ),
    "csv_bad_iban": _("The bank account “%(value)s” is not a valid IBAN."),
    "csv_bad_reference": _("The payment reference “%(value)s” is not valid."),
    "csv_invoice_details_differ": _(
        "The lines of invoice %(number)s do not agree on its date, due date, account or reference. "
        "Write them the same on every line of the invoice."
    ),
}
# The reader reports the same mistake inside a row with a row_ prefix; the message is the same.
for _code in ("invalid_number", "invalid_amount", "invalid_date", "currency_mismatch"):
    IMPORT_MESSAGES[f"row_{_code}"] = IMPORT_MESSAGES[_code]

UNKNOWN_LINE_PROBLEM = _("This row cannot be read: %(code)s")
# Naming one invoice of a file of several: by its number, and always by where it stands in the file.
INVOICE_IN_FILE = _("Invoice %(number)s (no. %(position)s in the file)")
UNNAMED_INVOICE_IN_FILE = _("Invoice no. %(position)s in the file (its number cannot be read)")
UNKNOWN_FILE_PROBLEM = _("The file cannot be read: %(code)s")

# Parameters that are amounts of money, shown with the reader's decimal separator.
class _Params(dict):
    """Parameters for a message: one that a message asks for but a problem lacks shows as "?" instead of failing
    the page."""

    def __missing__(self, key):
        return "?"


def problem_message(problem: dict | Problem) -> str:
    """The message for a stored problem (``{"line", "code", "params"}``) in the active language."""
    if isinstance(problem, Problem):
        problem = problem.as_json()
    code = problem.get("code") or "?"
    params = _Params(display_params(problem.get("params") or {}))
    template = IMPORT_MESSAGES.get(code) or PROBLEM_MESSAGES.get(code)
    if template is None:
        template = UNKNOWN_FILE_PROBLEM if problem.get("line") is None else UNKNOWN_LINE_PROBLEM
        params = _Params(code=code)
    return str(template) % params


def _echo(value) -> str:
    text = str(value)
    return text if len(text) <= MAX_ECHOED_VALUE else text[: MAX_ECHOED_VALUE - 1] + "…"


def _json_params(params: dict) -> dict:
    """Parameters as they are stored: JSON values, texts cut short (values from the file are cut where they are
    read, to :data:`MAX_ECHOED_VALUE`; this is the last guard, e.g. for a schema message)."""
    stored = {}
    for key, value in params.items():
        if value is not None and not isinstance(value, bool | int):
            value = str(value)
            value = value if len(value) <= MAX_STORED_PARAM else value[: MAX_STORED_PARAM - 1] + "…"
        stored[key] = value
    return stored


@dataclass(frozen=True)
class InvoiceProblem(Problem):
    """A problem of one invoice in a Finvoice file of several: ``invoice`` is its number as the file writes it (None
    when it cannot be read), ``position`` where it stands among the file's invoices (1 = the first). ``line`` is the
    row within that invoice, or None for the invoice as a whole. Stored as ``"invoice"`` and ``"invoice_position"``
    beside ``line``, ``code`` and ``params``; problems of single-invoice and CSV files never have them."""

    invoice: str | None = None
    position: int | None = None

    def as_json(self) -> dict:
        return {**super().as_json(), "invoice": self.invoice, "invoice_position": self.position}


class FileRejected(Exception):
    """The file cannot be imported at all; ``problems`` say why (and, for a Finvoice file, what else was wrong)."""

    def __init__(self, problems: list[Problem], lines_total: int = 0):
        super().__init__(", ".join(problem.code for problem in problems))
        self.problems = problems
        self.lines_total = lines_total


@dataclass
class ReadFile:
    """What a file says, ready for posting: the invoices with the lines that could be read, the lines that could
    not, and how many lines the file had."""

    claims: list[InvoiceClaim]
    problems: list[Problem] = field(default_factory=list)
    lines_total: int = 0
    # A Finvoice file of several invoices: (number, position in the file) of each claim, which is posted on its own.
    invoices: list[tuple[str, int]] | None = None


# --- The kind of file -----------------------------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BINARY_MAGIC = (
    b"PK\x03\x04",  # ZIP, so also .xlsx and .docx
    b"%PDF",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # old Office files (.xls, .doc)
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
)


def detect_kind(data: bytes) -> str:
    """Finvoice when the content begins (after a byte-order mark and white space) with ``<``; otherwise CSV."""
    head = data[:4096]
    if head.startswith(_UTF16_BOMS):
        text = head.decode("utf-16", errors="ignore")
        return ImportKind.FINVOICE if text.lstrip("\ufeff \t\r\n").startswith("<") else ImportKind.CSV
    return ImportKind.FINVOICE if head.removeprefix(_UTF8_BOM).lstrip().startswith(b"<") else ImportKind.CSV


# --- Importing ------------------------------------------------------------------------------------------------------


def import_invoice_file(*, provider: Provider, filename: str, data: bytes, received_by) -> ImportFile:
    """Receive a provider's invoice file and post what can be posted, all in one transaction.

    Returns the :class:`ImportFile`: ``processed`` (with the lines that failed in ``problems``) or ``rejected``
    (nothing posted; the reasons in ``problems`` with ``line`` None). The same bytes sent again return the first
    ``ImportFile`` unchanged, with ``repeated`` set to True on the returned object. Raises ``ValidationError``
    (code ``file_sent_by_other``) when another provider already sent exactly this file."""
    data = bytes(data)
    kind = detect_kind(data)
    digest = hashlib.sha256(data).hexdigest()
    same_file = {"organiser_id": provider.organiser_id, "kind": kind, "sha256": digest}
    with transaction.atomic():
        import_file = ImportFile.objects.select_for_update().filter(**same_file).first()
        repeated = import_file is not None
        if import_file is None:
            try:
                with transaction.atomic():
                    import_file = ImportFile.objects.create(
                        **same_file,
                        provider=provider,
                        filename=_clean_filename(filename),
                        size=len(data),
                        received_by=received_by,
                        received_at=clock.now(),
                    )
                    # A file over the limit is not kept: storing it would defeat the limit.
                    _store_content(import_file, data if len(data) <= MAX_FILE_BYTES else b"")
            except IntegrityError:
                # The same bytes were being imported at the same moment; that import has committed by now.
                import_file = ImportFile.objects.select_for_update().get(**same_file)
                repeated = True
        if import_file.provider_id != provider.pk:
            raise ValidationError(
                _("This file has already been sent from another provider's account. Check that you chose the right file."),
                code="file_sent_by_other",
            )
        if import_file.status == ImportStatus.RECEIVED:
            faults.checkpoint("import:received")
            _process(import_file, provider=provider, by=received_by)
            repeated = False
    import_file.repeated = repeated
    return import_file


def _store_content(import_file: ImportFile, content: bytes) -> None:
    """Keep the file's bytes with its import. On PostgreSQL they are sent as a binary parameter: the escaped literal
    that the driver's client-side binding would make of them costs about a second for a 20 MB file."""
    import_file.content = content
    if not content:
        return
    if connection.vendor != "postgresql":
        import_file.save(update_fields=["content"])
        return
    table = connection.ops.quote_name(ImportFile._meta.db_table)
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"UPDATE {table} SET content = %b WHERE id = %s", [content, import_file.pk])


def process_import_file(import_file: ImportFile, *, by) -> ImportFile:
    """Process an invoice file that was stored as ``received`` and never processed (after a crash of some other
    path that stores files first). A file already processed or rejected is returned as it is."""
    with transaction.atomic():
        import_file = ImportFile.objects.select_for_update().get(pk=import_file.pk)
        if import_file.status == ImportStatus.RECEIVED:
            if import_file.kind not in (ImportKind.FINVOICE, ImportKind.CSV) or import_file.provider_id is None:
                raise ValueError("only a provider's Finvoice or CSV file can be processed here")
            _process(import_file, provider=import_file.provider, by=by)
    return import_file


def _clean_filename(filename: str) -> str:
    """The file's own name, without any folder a browser may send, cut to fit."""
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    return name[:200] or "invoice"


def _process(import_file: ImportFile, *, provider: Provider, by) -> None:
    """Read, post and record the outcome; the caller holds the transaction and the lock on ``import_file``."""
    try:
        if import_file.size > MAX_FILE_BYTES:
            raise FileRejected([Problem(None, "file_too_large", {"limit_mb": MAX_FILE_MB})])
        data = bytes(import_file.content)
        if import_file.kind == ImportKind.FINVOICE:
            read, table = read_finvoice(data, provider), None
        else:
            table = read_csv_table(data)
    except FileRejected as rejected:
        _record(import_file, ImportStatus.REJECTED, rejected.problems, lines_total=rejected.lines_total, posted=0)
        return
    if table is not None and posts_set_based():
        # That module reads the lines with this one's functions, so it is imported here, not at the top.
        from .csv_posting import post_csv

        problems, result, lines_total = post_csv(table, provider=provider, recorded_by=by, import_file=import_file)
    else:
        if table is not None:
            read = read_csv_rows(table, table.rows, provider)
        if read.invoices is not None:
            result = _post_invoice_by_invoice(read, provider=provider, by=by, import_file=import_file)
        else:
            result = post_provider_invoices(
                provider=provider,
                claims=read.claims,
                source=InvoiceSource.FINVOICE if table is None else InvoiceSource.CSV,
                recorded_by=by,
                import_file=import_file,
            )
        problems, lines_total = read.problems, read.lines_total
    _record(
        import_file,
        ImportStatus.PROCESSED,
        problems + result.problems,
        lines_total=lines_total,
        posted=result.lines_posted,
    )
    # Everything is written but not committed: a crash here must leave nothing behind.
    faults.checkpoint("import:posted")


def posts_set_based() -> bool:
    """Whether CSV files are posted set-based in the database (:mod:`.csv_posting`): on PostgreSQL."""
    return connection.vendor == "postgresql"


def _record(import_file: ImportFile, status: str, problems: Iterable[Problem], *, lines_total: int, posted: int) -> None:
    # In file order: the file's own problems first, then (in a file of several invoices) invoice by invoice, each
    # invoice's own problems before its rows'.
    ordered = sorted(
        problems,
        key=lambda problem: (getattr(problem, "position", None) or 0, -1 if problem.line is None else problem.line),
    )
    import_file.status = status
    import_file.lines_total = lines_total
    import_file.lines_posted = posted
    import_file.problems = [_stored_problem(problem) for problem in ordered]
    import_file.processed_at = clock.now()
    import_file.save(update_fields=["status", "lines_total", "lines_posted", "problems", "processed_at"])


def _stored_problem(problem: Problem) -> dict:
    stored = {"line": problem.line, "code": problem.code, "params": _json_params(problem.params)}
    if isinstance(problem, InvoiceProblem):
        stored.update(invoice=problem.invoice, invoice_position=problem.position)
    return stored


# --- Finvoice ------------------------------------------------------------------------------------------------------


def _format_problem(error: FormatError) -> Problem:
    params = dict(error.params)
    if error.field:
        params.setdefault("field", error.field)
    return Problem(error.row, error.code, params)


def _number_problems(line: int, values: Iterable[tuple[str, Decimal, Decimal]]) -> list[Problem]:
    """Values the database could not hold: more than two decimals, or absurdly large. ``values``: (name, value,
    limit)."""
    problems = []
    for name, value, limit in values:
        if value != value.quantize(Decimal("0.01")):
            problems.append(Problem(line, "too_many_decimals", {"field": name, "value": _echo(value)}))
        elif abs(value) >= limit:
            problems.append(Problem(line, "number_too_large", {"field": name, "value": _echo(value)}))
    return problems


def read_finvoice(data: bytes, provider: Provider) -> ReadFile:
    """The invoices of a Finvoice file as claims.

    A file of one invoice is one claim; it raises :class:`FileRejected` when the invoice as a whole cannot be paid.
    A transmission file of several invoices is read invoice by invoice (:func:`_read_invoices`)."""
    messages = finvoice.parse_finvoice_file(data)
    if len(messages) > 1:
        return _read_invoices(messages, provider)
    claim, problems, rows_read = _read_invoice(messages[0].result, messages[0].document, provider)
    return ReadFile(claims=[claim] if claim is not None else [], problems=problems, lines_total=rows_read)


def _read_invoice(result: finvoice.FinvoiceResult, data: bytes, provider: Provider):
    """One Finvoice invoice as (claim or None when no row can be posted, the rows' problems, rows read). Raises
    :class:`FileRejected` when the invoice as a whole cannot be paid. ``data`` is its message (for the invoice's
    delivery date, read only when a row needs it)."""
    row_problems = [_format_problem(error) for error in result.errors if error.row is not None]
    if result.invoice is None:
        file_problems = [_format_problem(error) for error in result.errors if error.row is None]
        raise FileRejected((file_problems or [Problem(None, "not_xml")]) + row_problems, result.rows_read)
    invoice = result.invoice
    if _compact_business_id(invoice.seller_business_id) != _compact_business_id(provider.business_id):
        raise FileRejected(
            [Problem(None, "seller_not_you", {"found": invoice.seller_business_id, "expected": provider.business_id})],
            result.rows_read,
        )
    if invoice.currency != "EUR":
        raise FileRejected([Problem(None, "currency_not_eur", {"currency": invoice.currency})], result.rows_read)

    problems = list(row_problems)
    lines = []
    invoice_delivery_date = _NotRead
    for row in invoice.rows:
        agreement = row.buyer_reference or invoice.buyer_reference
        if not agreement:
            problems.append(Problem(row.number, "no_agreement_number"))
            continue
        date = row.service_date or row.end_date
        if date is None:
            if invoice_delivery_date is _NotRead:  # read only when a row needs it
                invoice_delivery_date = _invoice_delivery_date(data)
            date = invoice_delivery_date
        if date is None:
            problems.append(Problem(row.number, "no_service_date"))
            continue
        number_problems = _number_problems(
            row.number,
            [
                ("DeliveredQuantity", row.quantity, MAX_QUANTITY),
                ("UnitPriceAmount", row.unit_price, MAX_AMOUNT),
                ("RowAmount", row.total, MAX_AMOUNT),
            ],
        )
        if number_problems:
            problems.extend(number_problems)
            continue
        description = row.article_name or " ".join(row.free_text)
        lines.append(
            LineClaim(
                line=row.number,
                agreement_number=agreement,
                service_date=date,
                quantity=row.quantity,
                unit_price=row.unit_price,
                amount=row.total,
                description=description[:MAX_DESCRIPTION_LENGTH],
            )
        )
    claim = None
    if lines:
        claim = InvoiceClaim(
            invoice_number=invoice.invoice_number,
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            payee_iban=invoice.seller_iban,
            lines=tuple(lines),
            reference=invoice.reference or "",
        )
    return claim, problems, result.rows_read


def _read_invoices(messages: tuple[finvoice.FinvoiceMessage, ...], provider: Provider) -> ReadFile:
    """A transmission file of several invoices, invoice by invoice.

    Each invoice is read and checked as a file of one would be, but an invoice that cannot be paid (not readable,
    not Finvoice 3.0, from another seller, a fault in its own details) is refused on its own with its reasons, and
    the others are read on. An invoice number already used by an earlier invoice of the file refuses the later one
    (``repeated_in_file``). Every problem names its invoice (:class:`InvoiceProblem`).

    The whole file is rejected (:class:`FileRejected`) when any part of it declares a DTD or entities
    (``xml_unsafe``): such a file is not what billing software writes, so none of it is trusted; and when no invoice
    in it can be paid at all."""
    lines_total = sum(message.result.rows_read for message in messages)
    unsafe = [
        _in_invoice(_format_problem(error), message)
        for message in messages
        for error in message.result.errors
        if error.code == "xml_unsafe"
    ]
    if unsafe:
        raise FileRejected(unsafe, lines_total)

    claims: list[InvoiceClaim] = []
    invoices: list[tuple[str, int]] = []
    problems: list[Problem] = []
    numbers_seen: set[str] = set()
    payable = False
    for message in messages:
        number = message.result.invoice_number
        if number is not None and number in numbers_seen:
            problems.append(_in_invoice(Problem(None, "repeated_in_file", {"number": _echo(number)}), message))
            continue
        if number is not None:
            numbers_seen.add(number)
        try:
            claim, own, _rows = _read_invoice(message.result, message.document, provider)
        except FileRejected as refused:
            problems.extend(_in_invoice(problem, message) for problem in refused.problems)
            continue
        payable = True
        problems.extend(_in_invoice(problem, message) for problem in own)
        if claim is not None:
            claims.append(claim)
            invoices.append((claim.invoice_number, message.position))
    if not payable:
        raise FileRejected(problems, lines_total)
    return ReadFile(claims=claims, problems=problems, lines_total=lines_total, invoices=invoices)


def _in_invoice(problem: Problem, message: finvoice.FinvoiceMessage) -> InvoiceProblem:
    number = message.result.invoice_number
    return InvoiceProblem(
        problem.line, problem.code, problem.params, invoice=_echo(number) if number else None, position=message.position
    )


def _post_invoice_by_invoice(read: ReadFile, *, provider: Provider, by, import_file: ImportFile) -> PostingResult:
    """Post a file of several invoices in one go (one set of locks, one write per table), each problem of posting
    then named by its invoice: each invoice numbers its rows from 1, so a row number alone would not tell whose row
    it is (``Problem.claim``)."""
    result = post_provider_invoices(
        provider=provider, claims=read.claims, source=InvoiceSource.FINVOICE, recorded_by=by, import_file=import_file
    )
    result.problems = [
        InvoiceProblem(problem.line, problem.code, problem.params, invoice=_echo(number), position=position)
        for problem in result.problems
        for number, position in [read.invoices[problem.claim]]
    ]
    return result


_NotRead = object()


def _compact_business_id(value: str) -> str:
    return ytunnus.compact(value or "")


def _invoice_delivery_date(data: bytes) -> dt.date | None:
    """``DeliveryDetails/DeliveryDate``, the invoice's own delivery date, which the Finvoice reader does not return.
    The file has already been read safely once, so it is known to be safe XML."""
    try:
        root = parse_untrusted(finvoice._without_transmission_frame(data), what="a Finvoice invoice")
    except FileFormatError:
        return None
    elem = root.find("DeliveryDetails/DeliveryDate")
    text = (elem.text or "").strip() if elem is not None else ""
    if len(text) != 8 or not text.isdigit() or (elem.get("Format") or "CCYYMMDD").strip() != "CCYYMMDD":
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


# --- CSV -----------------------------------------------------------------------------------------------------------

CSV_REQUIRED_COLUMNS = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "agreement",
    "service_date",
    "quantity",
    "unit_price",
    "amount",
)
CSV_OPTIONAL_COLUMNS = ("description", "payee_iban", "reference")
CSV_COLUMNS = CSV_REQUIRED_COLUMNS + CSV_OPTIONAL_COLUMNS

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")
_SPACES = re.compile(r"[ \u00a0\u202f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def example_csv() -> bytes:
    """A small CSV file in the accepted form, offered as a template on the upload page."""
    rows = [
        CSV_COLUMNS,
        ("2026-101", "30.11.2026", "14.12.2026", "HB-7K3M9QXT", "2.11.2026", "2", "45,00", "90,00", "Kotiapu", "", ""),
        ("2026-101", "30.11.2026", "14.12.2026", "HB-7K3M9QXT", "9.11.2026", "1,5", "45,00", "67,50", "Kotiapu", "", ""),
        ("2026-102", "30.11.2026", "14.12.2026", "HB-Q2W8E4RT", "16.11.2026", "1", "30,00", "30,00", "Saattaja", "", ""),
    ]
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return _UTF8_BOM + out.getvalue().encode("utf-8")  # the mark makes Excel open it as UTF-8


def _mostly_text(text: str) -> bool:
    """Text, rather than binary junk: at most one character in a hundred is a control character."""
    sample = text[:65536]
    return len(_CONTROL.findall(sample)) <= len(sample) // 100


@dataclass(frozen=True)
class CsvTable:
    """A CSV file under its header: ``index`` maps each column to its position and ``width`` is the header's
    length. ``body`` is the text below the header; its first line is line ``first_line`` of the file.

    A *plain* file (``plain_lines`` not None) has no quotation marks, one kind of line end, and every line exactly
    the header's width: the common shape, which the csv module and PostgreSQL's ``COPY`` read the same, line for
    line. Any other file is read here with the csv module at once (``parsed``)."""

    index: dict[str, int]
    width: int
    delimiter: str
    body: str
    first_line: int
    plain_lines: list[str] | None
    parsed: list[tuple[int, list[str]]] | None

    @functools.cached_property
    def rows(self) -> list[tuple[int, list[str]]]:
        """The non-blank records below the header as ``(line, values)``, ``line`` being the file's line each
        starts on."""
        if self.parsed is not None:
            return self.parsed
        delimiter, first = self.delimiter, self.first_line
        return [
            (first + offset, line.split(delimiter))
            for offset, line in enumerate(self.plain_lines)
            if line.replace(delimiter, "").strip()
        ]


def read_csv(data: bytes, provider: Provider) -> ReadFile:
    """The invoices in a CSV file: rows with the same ``invoice_number`` form one invoice. Raises
    :class:`FileRejected` when the file cannot be read as a whole."""
    table = read_csv_table(data)
    return read_csv_rows(table, table.rows, provider)


def read_csv_table(data: bytes) -> CsvTable:
    """The file's header and body, after the checks of the file as a whole; raises :class:`FileRejected`."""
    if not data.strip():
        raise FileRejected([Problem(None, "file_empty")])
    if data.startswith(_BINARY_MAGIC) or b"\x00" in data:
        raise FileRejected([Problem(None, "file_not_invoice")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Text in another encoding (Excel's default on Windows) gets a hint; binary junk is not an invoice at all.
        latin = _mostly_text(data[:65536].decode("latin-1"))
        raise FileRejected([Problem(None, "csv_not_utf8" if latin else "file_not_invoice")]) from None
    if not _mostly_text(text):
        raise FileRejected([Problem(None, "file_not_invoice")])

    first_text_line = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    delimiter = ";" if ";" in first_text_line else ","
    stream = io.StringIO(text, newline="")
    header, header_end = [], 0
    for _line, values, end in _csv_records(stream, delimiter):
        if any(value.strip() for value in values):
            header, header_end = values, end
            break
    body = stream.read()  # the csv module reads line by line, so the stream stands just below the header
    plain = _plain_lines(body, delimiter, len(header))
    parsed = None
    if plain is None:
        # Every line is read before the header is judged, so a line that is not CSV is what the sender hears of.
        records = _csv_records(io.StringIO(body, newline=""), delimiter, first_line=header_end + 1)
        parsed = [(line, values) for line, values, _end in records if "".join(values).strip()]
    table = CsvTable(_csv_header(header), len(header), delimiter, body, header_end + 1, plain, parsed)
    if not (parsed if plain is None else any(line.replace(delimiter, "").strip() for line in plain)):
        raise FileRejected([Problem(None, "csv_no_rows")])
    return table


def _plain_lines(body: str, delimiter: str, width: int) -> list[str] | None:
    """The body's lines if the file is plain (see :class:`CsvTable`), else None."""
    if '"' in body or body.count("\r") != body.count("\r\n"):
        return None
    lines = body.split("\n")
    if lines[-1] == "":
        lines.pop()  # the last line's line end
    if "\r" in body:
        lines = [line.removesuffix("\r") for line in lines]
    # map() keeps the per-line work in C: this runs over every line of a 200 000-line file.
    if set(map(operator.methodcaller("count", delimiter), lines)) != {width - 1}:
        return None
    if max(map(len, lines), default=0) > csv.field_size_limit():
        return None
    return lines


def read_csv_rows(table: CsvTable, rows: Iterable[tuple[int, list[str]]], provider: Provider) -> ReadFile:
    """Some of the table's ``rows`` (all of them, or those left after the set-based posting) read into invoices."""
    problems: list[Problem] = []
    readable = []
    rows = list(rows)
    for line, values in rows:
        row, row_problems = _csv_row(line, values, table.index, width=table.width, provider=provider)
        problems.extend(row_problems)
        if row is not None:
            readable.append(row)
    return ReadFile(claims=_csv_claims(readable, problems), problems=problems, lines_total=len(rows))


def _csv_records(stream, delimiter: str, *, first_line: int = 1):
    """The records of a stream of CSV text as ``(line, values, end)``: the file's lines each starts and ends on,
    counting from ``first_line``. Raises :class:`FileRejected` at a line that cannot be read as CSV."""
    # strict: an unclosed quotation mark is an error, instead of silently swallowing the rest of the file.
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    offset = first_line - 1
    previous = 0
    try:
        for values in reader:
            yield previous + 1 + offset, values, reader.line_num + offset
            previous = reader.line_num
    except csv.Error:
        raise FileRejected([Problem(None, "csv_unreadable", {"line": previous + 1 + offset})]) from None


def _csv_header(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    while names and not names[-1]:  # Excel may add empty columns at the end
        names.pop()
    known = [name for name in names if name in CSV_COLUMNS]
    if not known:
        raise FileRejected([Problem(None, "csv_no_header", {"columns": ";".join(CSV_REQUIRED_COLUMNS)})])
    problems = []
    unknown = [name or "?" for name in names if name not in CSV_COLUMNS]
    if unknown:
        problems.append(Problem(None, "csv_unknown_columns", {"columns": ", ".join(unknown)}))
    twice = sorted({name for name in known if known.count(name) > 1})
    if twice:
        problems.append(Problem(None, "csv_duplicate_columns", {"columns": ", ".join(twice)}))
    missing = [name for name in CSV_REQUIRED_COLUMNS if name not in known]
    if missing:
        problems.append(Problem(None, "csv_missing_columns", {"columns": ", ".join(missing)}))
    if problems:
        raise FileRejected(problems)
    return {name: position for position, name in enumerate(names)}


@dataclass(frozen=True)
class _CsvRow:
    line: int
    invoice_number: str
    invoice_details: tuple  # (invoice date, due date, IBAN, reference): the same on every line of an invoice
    claim: LineClaim


def _csv_row(line: int, values: list[str], index: dict[str, int], *, width: int, provider: Provider):
    """One CSV line read into a line claim, or None with the reasons it cannot be read (all of them at once)."""
    problems: list[Problem] = []

    def refuse(code: str, **params) -> None:
        problems.append(Problem(line, code, params))

    if len(values) > width and any(value.strip() for value in values[width:]):
        refuse("csv_too_many_values", found=len(values), expected=width)
        return None, problems

    count = len(values)
    cells = {name: values[position].strip() if position < count else "" for name, position in index.items()}

    def cell(name: str) -> str:
        return cells.get(name, "")

    for name in CSV_REQUIRED_COLUMNS:
        if not cell(name):
            refuse("csv_missing_value", column=name)
    number = cell("invoice_number")
    if len(number) > MAX_INVOICE_NUMBER_LENGTH:
        refuse("csv_too_long", column="invoice_number", limit=MAX_INVOICE_NUMBER_LENGTH)
    description = cell("description")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        refuse("csv_too_long", column="description", limit=MAX_DESCRIPTION_LENGTH)

    dates = {}
    for name in ("invoice_date", "due_date", "service_date"):
        if cell(name):
            dates[name] = csv_date(cell(name))
            if dates[name] is None:
                refuse("csv_bad_date", column=name, value=_echo(cell(name)))
    numbers = {}
    for name, limit in (("quantity", MAX_QUANTITY), ("unit_price", MAX_AMOUNT), ("amount", MAX_AMOUNT)):
        if cell(name):
            numbers[name] = csv_number(cell(name))
            if numbers[name] is None:
                refuse("csv_bad_number", column=name, value=_echo(cell(name)))
            else:
                problems.extend(_number_problems(line, [(name, numbers[name], limit)]))

    iban = provider.iban
    if cell("payee_iban"):
        iban = csv_iban(cell("payee_iban"))
        if iban is None:
            refuse("csv_bad_iban", value=_echo(cell("payee_iban")))
    reference = ""
    if cell("reference"):
        reference = csv_reference(cell("reference"))
        if reference is None:
            refuse("csv_bad_reference", value=_echo(cell("reference")))

    if problems:
        return None, problems
    claim = LineClaim(
        line=line,
        agreement_number=cell("agreement"),
        service_date=dates["service_date"],
        quantity=numbers["quantity"],
        unit_price=numbers["unit_price"],
        amount=numbers["amount"],
        description=description,
    )
    details = (dates["invoice_date"], dates["due_date"], iban, reference)
    return _CsvRow(line, number, details, claim), []


def csv_iban(text: str) -> str | None:
    """The IBAN in the compact form the reader keeps, or None when it is not valid."""
    try:
        return stdnum_iban.validate(text)
    except StdnumValidationError:
        return None


def csv_reference(text: str) -> str | None:
    """The payment reference in its compact form, or None when it is not valid."""
    try:
        return references.validate_reference(text)[1]
    except references.ReferenceError:
        return None


def csv_number_fits(value: Decimal, limit: Decimal) -> bool:
    """Whether a number read from the file is one the reader accepts for a column with this limit."""
    return not _number_problems(0, [("", value, limit)])


@functools.lru_cache(maxsize=4096)  # a file repeats its invoice and due dates on every line
def csv_date(text: str) -> dt.date | None:
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = match.groups()
    else:
        match = _FINNISH_DATE.match(text)
        if not match:
            return None
        day, month, year = match.groups()
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)  # and its prices and quantities
def csv_number(text: str) -> Decimal | None:
    compact = _SPACES.sub("", text)  # thousands may be grouped with spaces: 1 234,50
    if not _NUMBER.match(compact):
        return None
    return Decimal(compact.replace(",", "."))


def _csv_claims(rows: list[_CsvRow], problems: list[Problem]) -> list[InvoiceClaim]:
    """Rows grouped into invoices by number, in the order each invoice first appears. A row whose invoice details
    differ from the invoice's first readable row is refused."""
    invoices: dict[str, tuple[tuple, list[LineClaim]]] = {}
    for row in rows:
        details, lines = invoices.setdefault(row.invoice_number, (row.invoice_details, []))
        if row.invoice_details != details:
            problems.append(Problem(row.line, "csv_invoice_details_differ", {"number": row.invoice_number}))
            continue
        lines.append(row.claim)
    return [
        InvoiceClaim(
            invoice_number=number,
            invoice_date=invoice_date,
            due_date=due_date,
            payee_iban=iban,
            lines=tuple(lines),
            reference=reference,
        )
        for number, ((invoice_date, due_date, iban, reference), lines) in invoices.items()
    ]


# --- Reads for the pages -------------------------------------------------------------------------------------------


def imports_of(provider: Provider):
    """The provider's invoice files, newest first (the content left out: it can be large)."""
    return (
        ImportFile.objects.filter(
            organiser_id=provider.organiser_id, provider=provider, kind__in=[ImportKind.FINVOICE, ImportKind.CSV]
        )
        .defer("content", "problems")
        .order_by("-received_at", "-id")
    )


def import_of(provider: Provider, import_id: int) -> ImportFile | None:
    return (
        ImportFile.objects.filter(
            organiser_id=provider.organiser_id,
            provider=provider,
            kind__in=[ImportKind.FINVOICE, ImportKind.CSV],
            pk=import_id,
        )
        .defer("content")
        .first()
    )


def organiser_imports(organiser_id: int):
    """The invoice files of every provider of the organiser, newest first, with the provider and who received each
    (the content and problems left out: they can be large)."""
    return (
        ImportFile.objects.filter(organiser_id=organiser_id, kind__in=[ImportKind.FINVOICE, ImportKind.CSV])
        .select_related("provider", "received_by")
        .defer("content", "problems")
        .order_by("-received_at", "-id")
    )


def organiser_import(organiser_id: int, import_id: int) -> ImportFile | None:
    return (
        ImportFile.objects.filter(
            organiser_id=organiser_id, kind__in=[ImportKind.FINVOICE, ImportKind.CSV], pk=import_id
        )
        .select_related("provider", "received_by")
        .defer("content")
        .first()
    )


def clients_in_view(import_file: ImportFile, listed_problems) -> set[int]:
    """The clients whose data a file's page shows someone other than its provider: those of the invoices recorded
    from the file, and of the agreements that the listed problems name (their messages tell what is left on them)."""
    clients = set(
        invoices_of_import(import_file).values_list("account__client_id", flat=True)
    )
    numbers = {
        str(problem["params"]["agreement"])
        for problem in listed_problems
        if isinstance(problem.get("params"), dict) and problem["params"].get("agreement")
    }
    if numbers:
        clients |= set(
            Agreement.objects.filter(
                organiser_id=import_file.organiser_id, provider_id=import_file.provider_id, number__in=numbers
            ).values_list("account__client_id", flat=True)
        )
    return clients


def invoices_of_import(import_file: ImportFile):
    return Invoice.objects.filter(organiser_id=import_file.organiser_id, import_file=import_file).order_by("pk")


def invoice_label(problem: dict) -> str | None:
    """Which invoice of a file of several a stored problem is about, in the active language ("Invoice 2026-101
    (no. 2 in the file)"); None for a problem of a single-invoice or CSV file."""
    position = problem.get("invoice_position")
    if position is None:
        return None
    number = problem.get("invoice")
    if number:
        return str(INVOICE_IN_FILE) % {"number": number, "position": position}
    return str(UNNAMED_INVOICE_IN_FILE) % {"position": position}


def problem_text(problem: dict) -> str:
    """The message with the invoice it is about in front, when it is about one invoice of a file of several."""
    label = invoice_label(problem)
    message = problem_message(problem)
    return message if label is None else f"{label}: {message}"


def file_problems(import_file: ImportFile) -> list[str]:
    """The messages about the file, or (in a file of several invoices) one invoice, as a whole, in the active
    language; a message about one invoice names it."""
    return [problem_text(problem) for problem in import_file.problems if problem.get("line") is None]


def line_problems(import_file: ImportFile) -> list[dict]:
    """The stored problems of single lines, in line order (turn them into text with :func:`describe`)."""
    return [problem for problem in import_file.problems if problem.get("line") is not None]


def describe(problems: Iterable[dict]) -> list[tuple[int | None, str]]:
    """(line, message) for each problem, in the active language; a message about one invoice of a file of several
    names it."""
    return [(problem.get("line"), problem_text(problem)) for problem in problems]


def failed_line_count(import_file: ImportFile) -> int:
    return len(
        {
            (problem.get("invoice_position"), problem["line"])
            for problem in import_file.problems
            if problem.get("line") is not None
        }
    )


def names_invoices(import_file: ImportFile) -> bool:
    """Whether the file held several invoices, so that its problems name them."""
    return any(problem.get("invoice_position") is not None for problem in import_file.problems)


def refused_invoice_count(import_file: ImportFile) -> int:
    """How many invoices of a file of several were refused as a whole."""
    return len(
        {
            problem["invoice_position"]
            for problem in import_file.problems
            if problem.get("line") is None and problem.get("invoice_position") is not None
        }
    )


def whole_file_problems(import_file: ImportFile) -> list[str]:
    """The messages about the file as a whole (not about one of its invoices), in the active language."""
    return [
        problem_message(problem)
        for problem in import_file.problems
        if problem.get("line") is None and problem.get("invoice_position") is None
    ]


def listed_problems(import_file: ImportFile) -> list[dict]:
    """The problems the result page lists in its table: each failed line, and each invoice of a file of several
    refused as a whole, in file order (turn them into rows with :func:`describe_listed`)."""
    return [
        problem
        for problem in import_file.problems
        if problem.get("line") is not None or problem.get("invoice_position") is not None
    ]


def describe_listed(problems: Iterable[dict]) -> list[tuple[str | None, int | None, str]]:
    """(invoice, line, message) for each problem, in the active language: ``invoice`` names the invoice of a file
    of several (else None), ``line`` is None for a problem of the invoice as a whole."""
    return [(invoice_label(problem), problem.get("line"), problem_message(problem)) for problem in problems]
