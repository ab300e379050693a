"""Reading a price-list file, XLSX or CSV, into a plain table of cells with the row numbers a person sees.

This module knows file formats only; what the columns mean is :mod:`avain.catalogue.price_import`'s business.
Everything that makes the file unreadable as a whole (too large, not a spreadsheet, empty, too many rows) is a
``ValidationError`` with a translated message and a ``code``; nothing here touches the database.

* XLSX is read with openpyxl in read-only mode with cached formula results (``data_only``); with ``defusedxml``
  installed openpyxl parses the XML through it, so entity tricks ("XML bombs") are refused. Before openpyxl sees the
  file, the ZIP directory is checked: a file that unpacks to more than :data:`MAX_UNPACKED_BYTES` is refused.
  The first worksheet is read.
* CSV is UTF-8, with or without a byte-order mark, separated by ``;`` (what Finnish Excel writes) or ``,``
  (or a tab), chosen from the header line.
* Row numbers are the spreadsheet's own: the first row is row 1 (normally the header). Empty rows are skipped
  but keep their numbers counted, so row 7 in an error is row 7 in Excel.
* Numbers from XLSX arrive as floats; they are turned into ``Decimal`` from their shortest text form
  (``45.5`` → ``Decimal("45.5")``), which is the number the person typed. No float reaches the money code.
"""

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_DATA_ROWS = 5000
MAX_COLUMNS = 50

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv", ".txt"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc) format

CellValue = str | int | Decimal | dt.date | dt.datetime | dt.time | bool | None


@dataclass(frozen=True)
class Cell:
    value: CellValue
    percent: bool = False  # an XLSX number shown as a percentage: 0.255 means 25.5 %

    @property
    def is_empty(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass(frozen=True)
class Table:
    """The header row and the data rows of one sheet; each data row with its spreadsheet row number."""

    header_row: int
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Cell, ...]], ...]


def _refuse(message: str, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def read_table(content: bytes, filename: str) -> Table:
    """The table in an XLSX or CSV file. Raises ``ValidationError`` when the file cannot be read as a price list."""
    if len(content) > MAX_FILE_BYTES:
        raise _refuse(
            _("The file is too large: a price list can be at most %(limit)s MB."),
            "file_too_large",
            limit=MAX_FILE_BYTES // (1024 * 1024),
        )
    if not content.strip():
        raise _refuse(_("The file is empty."), "file_empty")
    suffix = PurePath(filename or "").suffix.lower()
    if content.startswith(OLE_MAGIC) or suffix == ".xls":
        raise _refuse(
            _("This is an old Excel file (.xls). Save it in Excel as “Excel workbook (.xlsx)” and try again."),
            "file_old_excel",
        )
    if content.startswith(ZIP_MAGIC):
        return _read_xlsx(content)
    if suffix in XLSX_SUFFIXES:
        raise _refuse(_("The file is not a valid XLSX spreadsheet. Check that you chose the right file."), "file_not_xlsx")
    if suffix and suffix not in CSV_SUFFIXES:
        raise _refuse(_("Choose an XLSX or CSV file. This file is not a spreadsheet."), "file_not_spreadsheet")
    return _read_csv(content)


def _not_a_spreadsheet() -> ValidationError:
    return _refuse(_("Choose an XLSX or CSV file. This file is not a spreadsheet."), "file_not_spreadsheet")


def _check_zip(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _not_a_spreadsheet() from error
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise _refuse(
            _("The spreadsheet is too large when unpacked. Remove extra sheets, pictures and empty rows."),
            "file_too_large_unpacked",
        )
    if not any(member.filename == "xl/workbook.xml" for member in members):
        raise _not_a_spreadsheet()


def _xlsx_value(cell) -> Cell:
    value = cell.value
    if isinstance(value, float):
        value = Decimal(repr(value))
    elif isinstance(value, str):
        value = value.strip()
    number_format = getattr(cell, "number_format", None) or ""
    return Cell(value, percent=isinstance(value, (int, Decimal)) and "%" in number_format)


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_zip(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as error:
        raise _not_a_spreadsheet() from error
    except Exception as error:  # defusedxml refusals and other parse errors of a broken or hostile file
        raise _refuse(
            _("The spreadsheet could not be read. Save it again in Excel as an XLSX workbook and try again."),
            "file_unreadable",
        ) from error
    try:
        if not workbook.worksheets:
            raise _refuse(_("The file is empty."), "file_empty")
        sheet = workbook.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            cells = tuple(_xlsx_value(cell) for cell in row)
            if any(not c.is_empty for c in cells):
                rows.append((number, cells))
                if len(rows) > MAX_DATA_ROWS + 1:
                    raise _too_many_rows()
    except ValidationError:
        raise
    except Exception as error:
        raise _refuse(
            _("The spreadsheet could not be read. Save it again in Excel as an XLSX workbook and try again."),
            "file_unreadable",
        ) from error
    finally:
        workbook.close()
    return _table(rows)


def _too_many_rows() -> ValidationError:
    return _refuse(
        _("The file has too many rows: a price list can have at most %(limit)s rows."), "file_too_many_rows", limit=MAX_DATA_ROWS
    )


def _read_csv(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _refuse(
            _("The CSV file is not in UTF-8. In Excel, save it as “CSV UTF-8 (comma delimited)”."), "file_not_utf8"
        ) from error
    if "\x00" in text:
        raise _not_a_spreadsheet()
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if ";" in first_line else "\t" if "\t" in first_line else ","
    rows = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if any(v.strip() for v in values):
                rows.append((number, tuple(Cell(v.strip()) for v in values[:MAX_COLUMNS])))
                if len(rows) > MAX_DATA_ROWS + 1:
                    raise _too_many_rows()
    except csv.Error as error:
        raise _refuse(_("The CSV file could not be read: %(reason)s"), "file_bad_csv", reason=str(error)) from error
    return _table(rows)


def _table(filled: list[tuple[int, tuple[Cell, ...]]]) -> Table:
    """``filled``: the rows that have something in them, with their numbers."""
    if not filled:
        raise _refuse(_("The file is empty."), "file_empty")
    header_row, header_cells = filled[0]
    header = tuple("" if c.is_empty else str(c.value).strip() for c in header_cells)
    data = tuple(filled[1:])
    if not data:
        raise _refuse(_("The file has no price rows under the header row."), "file_no_rows")
    if len(data) > MAX_DATA_ROWS:
        raise _too_many_rows()
    return Table(header_row=header_row, header=header, rows=data)
