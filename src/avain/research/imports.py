"""Importing clients' use of ordinary services from the organiser's own records (a CSV file), priced from the
organiser's price list on the day of use.

* Columns (the first line; English or Finnish names): ``service_code``/``palvelukoodi``, ``date``/``päivä`` and
  ``quantity``/``määrä``, and the client by ``personal_identity_code``/``henkilötunnus`` or by
  ``client_number``/``asiakasnumero`` (Avain's client number). When both are given on a line, the identity code is
  used.
* Every line is checked on its own: a line that cannot be read or priced gets a problem (a code and parameters,
  shown in the reader's language by :func:`problem_message`), and the other lines are imported. A file that cannot
  be read as a whole is *rejected* and nothing is imported from it.
* The same bytes (same SHA-256) are imported once per organiser; sending them again returns the first result.
  Receiving, importing and recording the outcome happen in one transaction.
* Problems never repeat an identity code back: the page that shows them is read by people who may not see it.
"""

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fi import hetu

from avain.catalogue.selectors import price_list
from avain.core import clock
from avain.core.money import round_money
from avain.organisations.models import Organiser
from avain.people.models import Client

from .models import ServiceUse, ServiceUseFile

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILE_MB = MAX_FILE_BYTES // (1024 * 1024)
MAX_QUANTITY = Decimal("100000000")
MAX_ECHOED_VALUE = 60

COLUMNS = {
    "service_code": "service_code",
    "palvelukoodi": "service_code",
    "date": "date",
    "päivä": "date",
    "paiva": "date",
    "quantity": "quantity",
    "määrä": "quantity",
    "maara": "quantity",
    "personal_identity_code": "personal_identity_code",
    "henkilötunnus": "personal_identity_code",
    "henkilotunnus": "personal_identity_code",
    "client_number": "client_number",
    "asiakasnumero": "client_number",
}
REQUIRED = ("service_code", "date", "quantity")

MESSAGES = {
    "file_empty": _("The file is empty."),
    "file_too_large": _("The file is larger than %(limit_mb)s MB. Split it into smaller files."),
    "csv_not_utf8": _("The CSV file is not in UTF-8. In Excel, save it as “CSV UTF-8 (comma delimited)”."),
    "csv_unreadable": _("Line %(line)s cannot be read as CSV: check its quotation marks. Nothing was imported."),
    "csv_missing_columns": _("These columns are missing: %(columns)s."),
    "csv_no_client_column": _(
        "Name the client in a column personal_identity_code (henkilötunnus) or client_number (asiakasnumero)."
    ),
    "csv_no_rows": _("The file has a header line but no lines of service use under it."),
    "missing_value": _("The column %(column)s is empty."),
    "no_client": _("The line names no client: give the personal identity code or the client number."),
    "invalid_identity_code": _("The personal identity code is not valid. Check the date, the sign and the last character."),
    "unknown_client": _("The organiser has no client with this personal identity code or client number."),
    "bad_date": _("“%(value)s” is not a date. Write dates as 2026-03-15 or 15.3.2026."),
    "bad_number": _("“%(value)s” is not a number. Write numbers like 2,5 or 2.5."),
    "quantity_not_positive": _("The quantity must be more than zero."),
    "too_many_decimals": _("The quantity “%(value)s” has more than two decimals."),
    "number_too_large": _("The quantity “%(value)s” is too large."),
    "unknown_service": _("The price list has no service with the code “%(code)s”."),
    "no_price": _("The service %(code)s has no price on %(date)s. Add the price to the price list and send the file again."),
}
UNKNOWN_PROBLEM = _("This line cannot be read: %(code)s")


class _Params(dict):
    def __missing__(self, key):
        return "?"


def problem_message(problem: dict) -> str:
    template = MESSAGES.get(problem.get("code"))
    if template is None:
        return str(UNKNOWN_PROBLEM) % {"code": problem.get("code")}
    return str(template) % _Params(problem.get("params") or {})


@dataclass
class Problem:
    line: int | None
    code: str
    params: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"line": self.line, "code": self.code, "params": self.params}


class FileRejected(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.code)
        self.problem = problem


def _echo(value: str) -> str:
    return value if len(value) <= MAX_ECHOED_VALUE else value[: MAX_ECHOED_VALUE - 1] + "…"


def _parse_date(value: str) -> dt.date | None:
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
        match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", value)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def _parse_number(value: str) -> Decimal | None:
    text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _read_table(data: bytes) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """The columns (our name → position) and the lines with their numbers in the file (the header is line 1)."""
    if not data.strip():
        raise FileRejected(Problem(None, "file_empty"))
    if len(data) > MAX_FILE_BYTES:
        raise FileRejected(Problem(None, "file_too_large", {"limit_mb": MAX_FILE_MB}))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRejected(Problem(None, "csv_not_utf8")) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line else "\t" if "\t" in first_line else ","
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for values in reader:
            rows.append((reader.line_num, values))
    except csv.Error:
        raise FileRejected(Problem(None, "csv_unreadable", {"line": reader.line_num})) from None
    header = rows[0][1] if rows else []
    columns: dict[str, int] = {}
    for position, name in enumerate(header):
        key = COLUMNS.get(name.strip().lower())
        if key and key not in columns:
            columns[key] = position
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise FileRejected(Problem(None, "csv_missing_columns", {"columns": ", ".join(missing)}))
    if "personal_identity_code" not in columns and "client_number" not in columns:
        raise FileRejected(Problem(None, "csv_no_client_column"))
    lines = [(number, values) for number, values in rows[1:] if any(v.strip() for v in values)]
    if not lines:
        raise FileRejected(Problem(None, "csv_no_rows"))
    return columns, lines


@dataclass
class _Line:
    number: int
    client: Client
    code: str
    used_on: dt.date
    quantity: Decimal


def _check_lines(organiser: Organiser, columns, lines) -> tuple[list[_Line], list[Problem]]:
    clients = Client.objects.filter(organiser=organiser)
    by_hetu = dict(clients.values_list("personal_identity_code", "pk"))
    client_ids = set(by_hetu.values())
    good, problems = [], []
    for number, values in lines:

        def cell(name, values=values):
            position = columns.get(name)
            return values[position].strip() if position is not None and position < len(values) else ""

        line_problems = []
        client_id = None
        identity, client_number, code = cell("personal_identity_code"), cell("client_number"), cell("service_code")
        if identity:
            try:
                identity = hetu.validate(identity)
            except StdnumValidationError:
                line_problems.append(Problem(number, "invalid_identity_code"))
            else:
                client_id = by_hetu.get(identity)
                if client_id is None:
                    line_problems.append(Problem(number, "unknown_client"))
        elif client_number:
            client_id = int(client_number) if client_number.isdigit() else None
            if client_id not in client_ids:
                line_problems.append(Problem(number, "unknown_client"))
                client_id = None
        else:
            line_problems.append(Problem(number, "no_client"))
        if not code:
            line_problems.append(Problem(number, "missing_value", {"column": "service_code"}))
        raw_date, raw_quantity = cell("date"), cell("quantity")
        used_on = _parse_date(raw_date) if raw_date else None
        if not raw_date:
            line_problems.append(Problem(number, "missing_value", {"column": "date"}))
        elif used_on is None:
            line_problems.append(Problem(number, "bad_date", {"value": _echo(raw_date)}))
        quantity = _parse_number(raw_quantity) if raw_quantity else None
        if not raw_quantity:
            line_problems.append(Problem(number, "missing_value", {"column": "quantity"}))
        elif quantity is None:
            line_problems.append(Problem(number, "bad_number", {"value": _echo(raw_quantity)}))
        elif quantity <= 0:
            line_problems.append(Problem(number, "quantity_not_positive"))
        elif quantity != quantity.quantize(Decimal("0.01")):
            line_problems.append(Problem(number, "too_many_decimals", {"value": _echo(raw_quantity)}))
        elif quantity >= MAX_QUANTITY:
            line_problems.append(Problem(number, "number_too_large", {"value": _echo(raw_quantity)}))
        if line_problems:
            problems.extend(line_problems)
        else:
            good.append(_Line(number, Client(pk=client_id), code, used_on, quantity))
    return good, problems


def _price_lines(organiser: Organiser, lines: list[_Line], source: ServiceUseFile):
    """Price each line from the price in force on its day; a line without a price is a problem, never zero."""
    entries = {entry.service.code: entry for entry in price_list(organiser.pk, clock.today())}
    rows, problems = [], []
    for line in lines:
        entry = entries.get(line.code)
        if entry is None:
            problems.append(Problem(line.number, "unknown_service", {"code": _echo(line.code)}))
            continue
        price = next(
            (p for p in entry.history if p.valid_from <= line.used_on and (p.valid_to is None or p.valid_to >= line.used_on)),
            None,
        )
        if price is None:
            problems.append(Problem(line.number, "no_price", {"code": line.code, "date": line.used_on.isoformat()}))
            continue
        rows.append(
            ServiceUse(
                organiser=organiser,
                client_id=line.client.pk,
                service=entry.service,
                used_on=line.used_on,
                quantity=line.quantity,
                unit_price=price.unit_price,
                amount=round_money(line.quantity * price.unit_price),
                source=source,
                line=line.number,
            )
        )
    return rows, problems


def _clean_filename(filename: str) -> str:
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    return name[:200] or "service-use.csv"


def import_service_use(*, organiser: Organiser, filename: str, data: bytes, uploaded_by) -> ServiceUseFile:
    """Import a CSV file of service use. The same bytes again return the first import with ``repeated`` True."""
    data = bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        existing = ServiceUseFile.objects.filter(organiser=organiser, sha256=digest).first()
        if existing is not None:
            existing.repeated = True
            return existing
        try:
            with transaction.atomic():
                source = ServiceUseFile.objects.create(
                    organiser=organiser,
                    filename=_clean_filename(filename),
                    sha256=digest,
                    size=len(data),
                    content=data if len(data) <= MAX_FILE_BYTES else b"",
                    uploaded_by=uploaded_by,
                    uploaded_at=clock.now(),
                )
        except IntegrityError:
            # The same bytes were being imported at the same moment; that import has committed by now.
            existing = ServiceUseFile.objects.get(organiser=organiser, sha256=digest)
            existing.repeated = True
            return existing
        try:
            columns, lines = _read_table(data)
        except FileRejected as rejected:
            source.rejected = True
            source.problems = [rejected.problem.as_json()]
            source.save(update_fields=["rejected", "problems"])
            source.repeated = False
            return source
        good, problems = _check_lines(organiser, columns, lines)
        rows, price_problems = _price_lines(organiser, good, source)
        ServiceUse.objects.bulk_create(rows)
        problems = sorted(problems + price_problems, key=lambda p: p.line or 0)
        source.lines_total = len(lines)
        source.lines_imported = len(rows)
        source.problems = [p.as_json() for p in problems]
        source.save(update_fields=["lines_total", "lines_imported", "problems"])
    source.repeated = False
    return source
