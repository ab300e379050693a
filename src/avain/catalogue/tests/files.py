"""Real price-list files for the tests: XLSX written with openpyxl and CSV bytes as Excel writes them."""

import csv
import datetime as dt
import io

from openpyxl import Workbook

HEADER = (
    "code",
    "name_fi",
    "name_sv",
    "name_en",
    "category",
    "unit",
    "unit_price",
    "vat_rate",
    "legal_basis",
    "valid_from",
    "valid_to",
)
FINNISH_HEADER = (
    "Koodi",
    "Nimi_fi",
    "Nimi_sv",
    "Nimi_en",
    "Luokka",
    "Yksikkö",
    "Yksikköhinta",
    "ALV %",
    "Lakiperuste",
    "Voimassa alkaen",
    "Voimassa asti",
)


def row(
    code="KOTIP",
    unit_price=45.0,
    valid_from=dt.date(2026, 1, 1),
    valid_to=None,
    *,
    name_fi=None,
    name_sv=None,
    name_en=None,
    category="home_help",
    unit="hour",
    vat_rate=0,
    legal_basis="Sosiaalihuoltolaki 19 §",
):
    """One price row in :data:`HEADER` order; XLSX cells get the Python values (floats and dates as Excel has them)."""
    return (
        code,
        name_fi or f"Palvelu {code}",
        name_sv or f"Tjänst {code}",
        name_en or f"Service {code}",
        category,
        unit,
        unit_price,
        vat_rate,
        legal_basis,
        valid_from,
        valid_to,
    )


GOOD_ROWS = (
    row("KOTIP", 45.0, dt.date(2026, 1, 1), name_fi="Kotipalvelu", name_sv="Hemservice", name_en="Home help"),
    row("PERHE", 62.5, dt.date(2026, 1, 1), category="family_work", name_fi="Perhetyö"),
    row("KULJ", 1.45, dt.date(2026, 1, 1), category="transport", unit="km", vat_rate=10, legal_basis=""),
    row("TUKIH", 28.0, dt.date(2026, 1, 1), dt.date(2026, 12, 31), category="support_person"),
)


def xlsx(rows, header=HEADER, *, percent_columns=()) -> bytes:
    """An XLSX workbook with ``header`` in the first row and ``rows`` below it; dates shown as d.m.yyyy."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Hinnasto"
    sheet.append(list(header))
    for values in rows:
        sheet.append(list(values))
    for column in percent_columns:
        for cells in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            for cell in cells:
                cell.number_format = "0.0%"
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, dt.date):
                cell.number_format = "d.m.yyyy"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value.day}.{value.month}.{value.year}"
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return str(value)


def csv_bytes(rows, header=HEADER, *, delimiter=";", bom=True) -> bytes:
    """CSV as Finnish Excel saves "CSV UTF-8": ``;`` between cells, decimal comma, d.m.yyyy dates, a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow([_csv_text(v) for v in values])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")
