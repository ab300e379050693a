"""What a price-list file says, and what importing it would change: pure functions over immutable values.

Nothing here reads or writes the database. :mod:`avain.catalogue.services` reads the file
(:mod:`avain.catalogue.price_file`), loads the organiser's existing services and prices as
:class:`ExistingService` values, and calls :func:`parse_rows` and :func:`plan_import`; the preview the person
checks and the import that follows are computed by the same functions from the same inputs.

How a row relates to the existing price list (also in ``docs/price-lists.md``):

* A row is one price of one service: the service ``code`` and its price from ``valid_from`` to ``valid_to``
  (inclusive; empty = until further notice). The service is matched by its code within the organiser.
* **Same code and same start date as an existing price**: the row *is* that price. If the unit price, the VAT
  rate or the end date differ, the price is corrected in place; otherwise it is unchanged.
* **A later start date than the service's open-ended price**: a price change. The open price is closed the day
  before the earliest such row starts, and the row's price is added.
* **Several rows of one service**: a row without an end date ends the day before the next row of that service
  starts, so a list of prices with start dates only reads as a history of price changes.
* **Anything else that would overlap an existing price** the file does not replace is refused: the file has to
  say how that price ends (a row with its start date and an end date). A price with an end date is never
  shortened by an import, and no price or service is ever deleted: prices not in the file stay as they are.
* **The service's details** (names, category, legal basis) are taken from the file; every row of one code must
  give the same details. The **unit** of an existing service never changes (its prices and the budgets computed
  from them are per that unit): give the service a new code instead.
* Rows of one file may not overlap each other, and one code may have one row per start date.
* One bad row stops the whole import: the preview lists every bad row with its row number, column and reason.
* Importing the same file twice changes nothing the second time: every row then matches its price exactly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import formats, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from avain.core.money import CENT, MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

from .models import VAT_RATE_MAX, ServiceCategory, ServiceUnit
from .price_file import Cell, Table

MAX_CODE = 20
MAX_NAME = 200
MAX_LEGAL_BASIS = 200
YEARS = range(2000, 2100)
PRICE_LIMIT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)
ONE_DAY = dt.timedelta(days=1)


# --- Columns ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # the English header, also the key
    finnish: str  # the Finnish header shown in messages and the docs
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("code", "koodi", True, ("palvelukoodi", "tuotekoodi", "service_code", "kod", "tjänstekod")),
    Column("name_fi", "nimi_fi", True, ("nimi", "nimi_suomeksi", "palvelun_nimi", "palvelu", "namn_fi")),
    Column("name_sv", "nimi_sv", True, ("nimi_ruotsiksi", "namn_sv", "namn")),
    Column("name_en", "nimi_en", True, ("nimi_englanniksi", "namn_en")),
    Column("category", "luokka", True, ("palveluluokka", "kategoria", "palveluryhmä", "kategori")),
    Column("unit", "yksikkö", True, ("laskutusyksikkö", "enhet")),
    Column("unit_price", "yksikköhinta", True, ("hinta", "á_hinta", "a_hinta", "price", "pris", "enhetspris")),
    Column("vat_rate", "alv", False, ("alv_prosentti", "alv_kanta", "arvonlisävero", "vat", "moms")),
    Column("legal_basis", "lakiperuste", False, ("säädösperuste", "laki", "lagrum", "rättslig_grund")),
    Column("valid_from", "voimassa_alkaen", True, ("alkaen", "alkupäivä", "voimaan", "giltig_från", "from")),
    Column("valid_to", "voimassa_asti", False, ("asti", "saakka", "loppupäivä", "päättyy", "giltig_till", "to")),
)


def header_key(text: str) -> str:
    """``"Yksikköhinta (€)"`` → ``"yksikköhinta"``, ``"ALV %"`` → ``"alv"``, ``"Voimassa alkaen"`` → ``"voimassa_alkaen"``."""
    return re.sub(r"\W+", "_", text.strip().lower()).strip("_")


HEADER_ALIASES: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.name, _column.finnish, *_column.aliases):
        HEADER_ALIASES[header_key(_alias)] = _column.name


# --- Values: what the rows say, the errors, and the existing price list --------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A reason the file cannot be imported: the row as numbered in the spreadsheet, its column header as written."""

    row: int
    column: str
    message: str
    code: str


@dataclass(frozen=True)
class PriceRow:
    """A valid row: one price of one service."""

    row: int
    code: str
    name_fi: str
    name_sv: str
    name_en: str
    category: str
    unit: str
    legal_basis: str
    unit_price: Decimal
    vat_rate: Decimal
    valid_from: dt.date
    valid_to: dt.date | None

    @property
    def name(self) -> str:
        language = (translation.get_language() or "fi")[:2]
        return {"sv": self.name_sv, "en": self.name_en}.get(language, self.name_fi)

    @property
    def unit_label(self) -> str:
        return str(ServiceUnit(self.unit).label)

    @property
    def category_label(self) -> str:
        return str(ServiceCategory(self.category).label)


@dataclass(frozen=True)
class ExistingPrice:
    id: int
    unit_price: Decimal
    vat_rate: Decimal
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class ExistingService:
    id: int
    code: str
    name_fi: str
    name_sv: str
    name_en: str
    category: str
    unit: str
    legal_basis: str
    prices: tuple[ExistingPrice, ...] = ()


@dataclass(frozen=True)
class ParsedFile:
    rows: tuple[PriceRow, ...]
    errors: tuple[RowError, ...]
    headers: Mapping[str, str]  # column name → the header as written in the file
    ignored_columns: tuple[str, ...]
    rows_read: int


@dataclass(frozen=True)
class PriceAddition:
    """A new price, for a service that has no open price before it (or a service new to the price list)."""

    row: PriceRow
    new_service: bool


class ChangeKind:
    NEW_PRICE = "new_price"  # a later price: the open price is closed the day before
    CORRECTION = "correction"  # the same start date: the price's values are corrected


@dataclass(frozen=True)
class PriceChange:
    row: PriceRow
    old: ExistingPrice
    kind: str

    @property
    def is_new_price(self) -> bool:
        return self.kind == ChangeKind.NEW_PRICE

    @property
    def old_price_ends(self) -> dt.date | None:
        """When the old price ends after the import."""
        return self.row.valid_from - ONE_DAY if self.is_new_price else self.row.valid_to


@dataclass(frozen=True)
class DetailChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class ServiceChange:
    """New names, category or legal basis for an existing service."""

    source: PriceRow  # the service's first row in the file, which gives its details
    service_id: int
    code: str
    details: tuple[DetailChange, ...]

    @property
    def row(self) -> int:
        return self.source.row


@dataclass(frozen=True)
class ImportPlan:
    new_services: tuple[PriceRow, ...] = ()
    service_changes: tuple[ServiceChange, ...] = ()
    additions: tuple[PriceAddition, ...] = ()
    changes: tuple[PriceChange, ...] = ()
    unchanged: tuple[PriceRow, ...] = ()
    errors: tuple[RowError, ...] = field(default=())


# --- Reading the rows ------------------------------------------------------------------------------------------


def _date_text(day: dt.date | None) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else _("until further notice")


def _column_label(column: Column) -> str:
    return f"{column.name} ({column.finnish})"


def map_columns(header: Sequence[str]) -> tuple[dict[str, int], dict[str, str], tuple[str, ...]]:
    """The position and the written header of each known column, and the headers that are not price-list columns.

    Raises ``ValidationError`` for a missing required column or two columns that mean the same thing.
    """
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for position, text in enumerate(header):
        if not text:
            continue
        name = HEADER_ALIASES.get(header_key(text))
        if name is None:
            ignored.append(text)
            continue
        if name in positions:
            raise ValidationError(
                _("Two columns mean the same thing: “%(first)s” and “%(second)s”. Remove one of them."),
                code="duplicate_column",
                params={"first": headers[name], "second": text},
            )
        positions[name] = position
        headers[name] = text
    missing = [_column_label(c) for c in COLUMNS if c.required and c.name not in positions]
    if missing:
        raise ValidationError(
            _(
                "The file has no column for: %(columns)s. The first row must name the columns, for example "
                "code, name_fi, name_sv, name_en, category, unit, unit_price, valid_from."
            ),
            code="missing_columns",
            params={"columns": ", ".join(missing)},
        )
    return positions, headers, tuple(ignored)


def _choice_lookup(choices, extra: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Every accepted way to write a choice: its value, its label in each language, and common abbreviations."""
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        lookup[_choice_key(value)] = value
        for language in ("fi", "sv", "en"):
            with translation.override(language):
                lookup[_choice_key(str(label))] = value
    for value, words in extra.items():
        for word in words:
            lookup[_choice_key(word)] = value
    return lookup


def _choice_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower()).strip(" .")


UNIT_WORDS = {
    ServiceUnit.HOUR: ("h", "t", "tunti", "tuntia", "timme", "timmar", "hours"),
    ServiceUnit.VISIT: ("käynti", "käyntiä", "kerta", "krt", "besök", "visits"),
    ServiceUnit.DAY: ("pv", "vrk", "päivä", "vuorokausi", "dygn", "dag", "days"),
    ServiceUnit.MONTH: ("kk", "kuukausi", "mån", "månad", "months"),
    ServiceUnit.PIECE: ("kpl", "kappale", "suorite", "st", "styck", "pcs", "pieces"),
    ServiceUnit.KM: ("kilometri", "kilometer", "kilometres", "kilometers"),
}
CATEGORY_WORDS = {
    ServiceCategory.HOME_HELP: ("kotipalvelu", "hemservice"),
    ServiceCategory.FAMILY_WORK: ("perhetyö", "familjearbete"),
    ServiceCategory.SUPPORT_PERSON: ("tukihenkilö", "tukihenkilötoiminta", "stödperson"),
    ServiceCategory.PERSONAL_ASSISTANCE: ("henkilökohtainen apu", "personlig assistans"),
    ServiceCategory.HOUSING_SUPPORT: ("asumisen tuki", "asumisen ohjaus", "boendestöd"),
    ServiceCategory.DAY_ACTIVITY: ("päivätoiminta", "dagverksamhet"),
    ServiceCategory.TRANSPORT: ("kuljetus", "kuljetuspalvelu", "färdtjänst"),
    ServiceCategory.PEER_SUPPORT: ("vertaistuki", "kamratstöd"),
    ServiceCategory.REHABILITATION: ("kuntoutus", "rehabilitering"),
    ServiceCategory.OTHER: ("muu", "muut", "annat", "övrigt"),
}


class _RowReader:
    """Reads the cells of one row; collects every problem of the row instead of stopping at the first."""

    def __init__(self, number: int, cells: Sequence[Cell], positions: Mapping[str, int], headers: Mapping[str, str]):
        self.row_number = number
        self.cells = cells
        self.positions = positions
        self.headers = headers
        self.errors: list[RowError] = []

    def error(self, column: str, message: str, code: str) -> None:
        self.errors.append(RowError(self.row_number, self.headers.get(column, column), message, code))

    def cell(self, column: str) -> Cell:
        position = self.positions.get(column)
        if position is None or position >= len(self.cells):
            return Cell(None)
        return self.cells[position]

    def raw(self, column: str) -> str:
        value = self.cell(column).value
        if value is None:
            return ""
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return str(int(value))
        return str(value).strip()

    def text(self, column: str, *, required: bool, limit: int) -> str:
        value = self.raw(column)
        if not value and required:
            self.error(column, _("This is required."), "required")
        elif len(value) > limit:
            self.error(column, _("This is too long: at most %(limit)s characters.") % {"limit": limit}, "too_long")
        return value

    def choice(self, column: str, lookup: Mapping[str, str], choices) -> str:
        value = self.raw(column)
        if not value:
            self.error(column, _("This is required."), "required")
            return ""
        found = lookup.get(_choice_key(value))
        if found is None:
            self.error(
                column,
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(str(label) for label in choices.labels)},
                f"unknown_{column}",
            )
            return ""
        return found

    def number(self, column: str) -> Decimal | None:
        """A Decimal from a number cell or from text such as ``45,50``, ``1 234,50 €`` or ``45.5``; None if empty."""
        cell = self.cell(column)
        value = cell.value
        if cell.is_empty:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise ValueError
        if isinstance(value, str):
            text = re.sub(r"[\s\u00a0\u202f]+", "", value).removesuffix("€").removesuffix("%")
            if not re.fullmatch(r"[+-]?\d+(?:[.,]\d+)?", text):
                raise ValueError
            value = text.replace(",", ".")
        try:
            number = Decimal(value)
        except InvalidOperation as error:
            raise ValueError from error
        if cell.percent:
            number = number * 100
        return number

    def price(self) -> Decimal | None:
        column = "unit_price"
        try:
            amount = self.number(column)
        except ValueError:
            self.error(
                column,
                _("“%(value)s” is not a price. Write it in euros, for example 45,50.") % {"value": self.raw(column)},
                "price_not_a_number",
            )
            return None
        if amount is None:
            self.error(column, _("This is required."), "required")
        elif amount < 0:
            self.error(column, _("The price cannot be negative."), "price_negative")
        elif amount != amount.quantize(CENT):
            self.error(column, _("Give the price in euros and cents: at most two decimals."), "price_too_precise")
        elif amount >= PRICE_LIMIT:
            self.error(column, _("The price is too large."), "price_too_large")
        else:
            return amount.quantize(CENT)
        return None

    def vat_rate(self) -> Decimal | None:
        column = "vat_rate"
        try:
            rate = self.number(column)
        except ValueError:
            rate = Decimal(-1)
        if rate is None:
            return Decimal(0)  # social services are mostly exempt from VAT
        if not 0 <= rate <= VAT_RATE_MAX or rate != rate.quantize(CENT):
            self.error(
                column,
                _("“%(value)s” is not a VAT rate. Give it in percent from 0 to 100, for example 0, 10, 14 or 25,5.")
                % {"value": self.raw(column)},
                "vat_rate_invalid",
            )
            return None
        return rate.quantize(CENT)

    def date(self, column: str, *, required: bool) -> dt.date | None:
        cell = self.cell(column)
        value = cell.value
        if cell.is_empty:
            if required:
                self.error(column, _("This is required."), "required")
            return None
        day = None
        if isinstance(value, dt.datetime):
            day = value.date() if value.time() == dt.time(0) else None
        elif isinstance(value, dt.date):
            day = value
        elif isinstance(value, str):
            day = _parse_date(value.strip())
        if day is None:
            self.error(
                column,
                _("“%(value)s” is not a date. Write it like 1.1.2026 or 2026-01-01.") % {"value": self.raw(column)},
                "not_a_date",
            )
        elif day.year not in YEARS:
            self.error(column, _("Check the year of %(date)s.") % {"date": _date_text(day)}, "date_year")
            return None
        return day


def _parse_date(text: str) -> dt.date | None:
    finnish = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    try:
        if finnish:
            return dt.date(int(finnish[3]), int(finnish[2]), int(finnish[1]))
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
    except ValueError:
        return None
    return None


def parse_rows(table: Table) -> ParsedFile:
    """Every row of the table as a :class:`PriceRow`, or the reasons it is not one. Raises for a bad header."""
    positions, headers, ignored = map_columns(table.header)
    units = _choice_lookup(ServiceUnit, UNIT_WORDS)
    categories = _choice_lookup(ServiceCategory, CATEGORY_WORDS)
    rows: list[PriceRow] = []
    errors: list[RowError] = []
    for number, cells in table.rows:
        reader = _RowReader(number, cells, positions, headers)
        code = reader.text("code", required=True, limit=MAX_CODE)
        names = [reader.text(f"name_{lang}", required=True, limit=MAX_NAME) for lang in ("fi", "sv", "en")]
        category = reader.choice("category", categories, ServiceCategory)
        unit = reader.choice("unit", units, ServiceUnit)
        legal_basis = reader.text("legal_basis", required=False, limit=MAX_LEGAL_BASIS)
        unit_price = reader.price()
        vat_rate = reader.vat_rate()
        valid_from = reader.date("valid_from", required=True)
        valid_to = reader.date("valid_to", required=False)
        if valid_from and valid_to and valid_to < valid_from:
            reader.error("valid_to", _("The price cannot end before it starts."), "valid_to_before_valid_from")
        if reader.errors:
            errors.extend(reader.errors)
            continue
        rows.append(
            PriceRow(number, code, *names, category, unit, legal_basis, unit_price, vat_rate, valid_from, valid_to)
        )
    return ParsedFile(tuple(rows), tuple(errors), headers, ignored, len(table.rows))


# --- Planning the import ---------------------------------------------------------------------------------------

DETAIL_FIELDS = {
    "name_fi": gettext_lazy("name in Finnish"),
    "name_sv": gettext_lazy("name in Swedish"),
    "name_en": gettext_lazy("name in English"),
    "category": gettext_lazy("category"),
    "legal_basis": gettext_lazy("legal basis"),
}


def _detail_text(name: str, value: str) -> str:
    if name == "category":
        return capfirst(str(ServiceCategory(value).label)) if value in ServiceCategory.values else value
    return value


@dataclass(frozen=True)
class _Span:
    """One price in the price list as it would be after the import: a row of the file, or an existing price."""

    start: dt.date
    end: dt.date | None
    row: PriceRow | None = None
    existing: ExistingPrice | None = None

    @property
    def last_day(self) -> dt.date:
        return self.end or dt.date.max


def _overlap_errors(spans: list[_Span], headers: Mapping[str, str], code: str) -> list[RowError]:
    errors = []
    reach: _Span | None = None
    column = headers.get("valid_from", "valid_from")
    for span in sorted(spans, key=lambda s: (s.start, s.row.row if s.row else 0)):
        if reach is not None and span.start <= reach.last_day:
            row, other = (span, reach) if span.row is not None else (reach, span)
            if row.row is not None:
                if other.row is not None:
                    message = _("The price overlaps row %(other)s: a service has one price a day.") % {
                        "other": other.row.row
                    }
                    errors.append(RowError(row.row.row, column, message, "overlaps_row"))
                else:
                    message = _(
                        "The price overlaps the existing price of %(code)s from %(start)s to %(end)s, which this file "
                        "does not replace. Add a row for that price with its start date and an end date."
                    ) % {"code": code, "start": _date_text(other.existing.valid_from), "end": _date_text(other.end)}
                    errors.append(RowError(row.row.row, column, message, "overlaps_existing"))
        if reach is None or span.last_day > reach.last_day:
            reach = span
    return errors


def _plan_service(
    code: str, rows: list[PriceRow], existing: ExistingService | None, headers: Mapping[str, str]
) -> ImportPlan:
    errors: list[RowError] = []
    first = rows[0]
    for row in rows[1:]:
        for name in ("name_fi", "name_sv", "name_en", "category", "unit", "legal_basis"):
            if getattr(row, name) != getattr(first, name):
                message = _("Row %(other)s gives service %(code)s different details in this column.") % {
                    "other": first.row,
                    "code": code,
                }
                errors.append(RowError(row.row, headers.get(name, name), message, "service_details_differ"))

    service_changes: tuple[ServiceChange, ...] = ()
    if existing is not None:
        if existing.unit != first.unit:
            message = _(
                "Service %(code)s is priced per %(old)s. The unit of a service cannot change: give the service a new code."
            ) % {"code": code, "old": ServiceUnit(existing.unit).label}
            errors.append(RowError(first.row, headers["unit"], message, "unit_changed"))
        details = tuple(
            DetailChange(name, str(label), _detail_text(name, getattr(existing, name)), _detail_text(name, getattr(first, name)))
            for name, label in DETAIL_FIELDS.items()
            if getattr(existing, name) != getattr(first, name)
        )
        if details:
            service_changes = (ServiceChange(first, existing.id, code, details),)

    # One row per start date.
    by_start: dict[dt.date, PriceRow] = {}
    distinct: list[PriceRow] = []
    for row in rows:
        if row.valid_from in by_start:
            message = _("Row %(other)s already gives service %(code)s a price from %(date)s.") % {
                "other": by_start[row.valid_from].row,
                "code": code,
                "date": _date_text(row.valid_from),
            }
            errors.append(RowError(row.row, headers["valid_from"], message, "duplicate_row"))
        else:
            by_start[row.valid_from] = row
            distinct.append(row)
    # An open-ended row ends the day before the next row of the same service starts.
    starts = sorted(by_start)
    for start, following in itertools.pairwise(starts):
        if by_start[start].valid_to is None:
            by_start[start] = replace(by_start[start], valid_to=following - ONE_DAY)
    distinct = [by_start[row.valid_from] for row in distinct]

    prices = {p.valid_from: p for p in existing.prices} if existing else {}
    additions: list[PriceAddition] = []
    changes: list[PriceChange] = []
    unchanged: list[PriceRow] = []
    inserts: list[PriceRow] = []
    for row in distinct:
        old = prices.get(row.valid_from)
        if old is None:
            inserts.append(row)
        elif (old.unit_price, old.vat_rate, old.valid_to) == (row.unit_price, row.vat_rate, row.valid_to):
            unchanged.append(row)
        else:
            changes.append(PriceChange(row, old, ChangeKind.CORRECTION))

    spans = [_Span(row.valid_from, row.valid_to, row=row) for row in distinct]
    closing: dict[int, PriceRow] = {}
    for old in existing.prices if existing else ():
        if old.valid_from in by_start:
            continue  # replaced by its row
        end = old.valid_to
        if end is None:
            later = [row for row in inserts if row.valid_from > old.valid_from]
            if later:
                successor = min(later, key=lambda r: r.valid_from)
                closing[successor.row] = successor
                changes.append(PriceChange(successor, old, ChangeKind.NEW_PRICE))
                end = successor.valid_from - ONE_DAY
        spans.append(_Span(old.valid_from, end, existing=old))
    for row in inserts:
        if row.row not in closing:
            additions.append(PriceAddition(row, new_service=existing is None))
    errors.extend(_overlap_errors(spans, headers, code))

    return ImportPlan(
        new_services=(first,) if existing is None else (),
        service_changes=service_changes,
        additions=tuple(additions),
        changes=tuple(changes),
        unchanged=tuple(unchanged),
        errors=tuple(errors),
    )


def plan_import(parsed: ParsedFile, existing: Mapping[str, ExistingService]) -> ImportPlan:
    """What importing the parsed rows would do to the existing price list (services by code). Pure."""
    by_code: dict[str, list[PriceRow]] = defaultdict(list)
    for row in parsed.rows:
        by_code[row.code].append(row)
    plans = [_plan_service(code, rows, existing.get(code), parsed.headers) for code, rows in by_code.items()]
    errors = sorted((*parsed.errors, *(e for p in plans for e in p.errors)), key=lambda e: e.row)
    bad_rows = {e.row for e in errors}
    return ImportPlan(
        new_services=tuple(r for p in plans for r in p.new_services),
        service_changes=tuple(c for p in plans for c in p.service_changes),
        additions=tuple(a for p in plans for a in p.additions if a.row.row not in bad_rows),
        changes=tuple(c for p in plans for c in p.changes if c.row.row not in bad_rows),
        unchanged=tuple(r for p in plans for r in p.unchanged if r.row not in bad_rows),
        errors=tuple(errors),
    )


def fingerprint(plan: ImportPlan) -> str:
    """A digest of what the plan would write, so a confirmation can insist on exactly what was previewed."""

    def row(r: PriceRow) -> list:
        return [r.code, str(r.unit_price), str(r.vat_rate), r.valid_from.isoformat(), str(r.valid_to)]

    def service(r: PriceRow) -> list:
        return [r.code, r.name_fi, r.name_sv, r.name_en, r.category, r.unit, r.legal_basis]

    content = {
        "new_services": [service(r) for r in plan.new_services],
        "service_changes": [[c.service_id, [[d.field, d.new] for d in c.details]] for c in plan.service_changes],
        "additions": [row(a.row) for a in plan.additions],
        "changes": [[c.kind, c.old.id, str(c.old.unit_price), str(c.old.valid_to), *row(c.row)] for c in plan.changes],
        "errors": len(plan.errors),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
