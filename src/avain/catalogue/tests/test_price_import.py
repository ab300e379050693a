"""Importing a price list from XLSX or CSV: all or nothing, every bad row named, the same file twice changes nothing."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from avain.catalogue.models import Service, ServiceCategory, ServicePrice, ServiceUnit
from avain.catalogue.price_file import MAX_FILE_BYTES
from avain.catalogue.price_import import ChangeKind
from avain.catalogue.services import add_price_change, import_price_list, preview_price_list
from avain.organisations.models import Role
from avain.testing import add_price, db_snapshot, make_organiser, make_service, make_staff

from .files import FINNISH_HEADER, GOOD_ROWS, HEADER, csv_bytes, row, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser():
    return make_organiser("hinnasto")


@pytest.fixture
def finance(organiser):
    return make_staff(organiser, Role.FINANCE)


def prices_of(organiser, code):
    return list(
        ServicePrice.objects.filter(organiser=organiser, service__code=code)
        .order_by("valid_from")
        .values_list("unit_price", "vat_rate", "valid_from", "valid_to")
    )


def errors_of(preview):
    return [(e.row, e.column, e.code) for e in preview.errors]


# --- A good file, and the same file again ------------------------------------------------------------------------


def test_a_good_xlsx_file_imports_every_row(organiser, finance):
    content = xlsx(GOOD_ROWS)

    preview = preview_price_list(organiser, content, "hinnasto.xlsx")
    assert preview.is_valid and preview.can_import
    assert [s.code for s in preview.new_services] == ["KOTIP", "PERHE", "KULJ", "TUKIH"]
    assert len(preview.additions) == 4 and not preview.changes and not preview.unchanged

    result = import_price_list(organiser, content, "hinnasto.xlsx", finance)

    assert result.changed
    home_help = Service.objects.get(organiser=organiser, code="KOTIP")
    assert (home_help.name_fi, home_help.name_sv, home_help.name_en) == ("Kotipalvelu", "Hemservice", "Home help")
    assert home_help.category == ServiceCategory.HOME_HELP
    assert home_help.unit == ServiceUnit.HOUR
    assert home_help.legal_basis == "Sosiaalihuoltolaki 19 §"
    assert prices_of(organiser, "KOTIP") == [(Decimal("45.00"), Decimal("0.00"), dt.date(2026, 1, 1), None)]
    assert prices_of(organiser, "KULJ") == [(Decimal("1.45"), Decimal("10.00"), dt.date(2026, 1, 1), None)]
    assert prices_of(organiser, "TUKIH") == [(Decimal("28.00"), Decimal("0.00"), dt.date(2026, 1, 1), dt.date(2026, 12, 31))]
    assert Service.objects.get(organiser=organiser, code="KULJ").unit == ServiceUnit.KM


def test_importing_the_same_file_a_second_time_changes_nothing_and_the_preview_says_so(organiser, finance):
    price_change = row("KOTIP", 47.5, dt.date(2026, 7, 1), name_fi="Kotipalvelu", name_sv="Hemservice", name_en="Home help")
    content = xlsx([*GOOD_ROWS, price_change])
    assert import_price_list(organiser, content, "hinnasto.xlsx", finance).changed
    before = db_snapshot()

    preview = preview_price_list(organiser, content, "hinnasto.xlsx")
    assert preview.is_valid
    assert not preview.changes_anything and not preview.can_import
    assert len(preview.unchanged) == 5
    result = import_price_list(organiser, content, "hinnasto.xlsx", finance)

    assert not result.changed
    assert db_snapshot() == before


def test_a_csv_file_imports_like_the_xlsx_file(organiser, finance):
    import_price_list(organiser, csv_bytes(GOOD_ROWS), "hinnasto.csv", finance)
    from_csv = {code: prices_of(organiser, code) for code in ("KOTIP", "PERHE", "KULJ", "TUKIH")}

    other = make_organiser("toinen")
    import_price_list(other, xlsx(GOOD_ROWS), "hinnasto.xlsx", make_staff(other, Role.FINANCE))

    assert from_csv == {code: prices_of(other, code) for code in from_csv}
    # and the CSV again changes nothing
    assert not preview_price_list(organiser, csv_bytes(GOOD_ROWS), "hinnasto.csv").changes_anything


# --- Bad rows -------------------------------------------------------------------------------------------------


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row_and_the_reason(organiser, finance):
    rows = [*GOOD_ROWS[:2], row("VERTA", -15.0, category="peer_support", unit="visit"), *GOOD_ROWS[2:]]
    content = xlsx(rows)
    before = db_snapshot()

    preview = preview_price_list(organiser, content, "hinnasto.xlsx")
    assert errors_of(preview) == [(4, "unit_price", "price_negative")]  # header is row 1, so the third row is row 4
    assert not preview.can_import

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        import_price_list(organiser, content, "hinnasto.xlsx", finance)
    assert refused.value.messages == ["Row 4, column “unit_price”: The price cannot be negative."]
    assert db_snapshot() == before


BAD_CELLS = [
    # (column, value, the error's code)
    ("code", "", "required"),
    ("code", "X" * 21, "too_long"),
    ("name_sv", None, "required"),
    ("category", "astrology", "unknown_category"),
    ("unit", "fortnight", "unknown_unit"),
    ("unit_price", "abc", "price_not_a_number"),
    ("unit_price", "1.234,50", "price_not_a_number"),
    ("unit_price", None, "required"),
    ("unit_price", -1, "price_negative"),
    ("unit_price", 45.555, "price_too_precise"),
    ("unit_price", "45,555", "price_too_precise"),
    ("vat_rate", 125, "vat_rate_invalid"),
    ("vat_rate", "ei", "vat_rate_invalid"),
    ("valid_from", None, "required"),
    ("valid_from", "31.2.2026", "not_a_date"),
    ("valid_from", "2026/01/01", "not_a_date"),
    ("valid_from", "1.1.1026", "date_year"),
    ("valid_to", dt.date(2025, 12, 31), "valid_to_before_valid_from"),
]


@pytest.mark.parametrize(("column", "value", "code"), BAD_CELLS)
def test_each_kind_of_bad_cell_is_reported_with_its_row_and_column(organiser, column, value, code):
    bad = list(row("VERTA", 15.0, category="peer_support", unit="visit"))
    bad[HEADER.index(column)] = value
    for content, name in ((xlsx([GOOD_ROWS[0], bad]), "h.xlsx"), (csv_bytes([GOOD_ROWS[0], bad]), "h.csv")):
        preview = preview_price_list(organiser, content, name)
        assert errors_of(preview) == [(3, column, code)], name
        assert all(e.message for e in preview.errors)


def test_every_bad_row_is_reported_not_only_the_first(organiser):
    rows = [
        row("A", 10.0),
        row("B", "kymmenen"),
        row("C", 10.0, unit="vuosi"),
        row("D", 10.0),
        row("E", 10.0, valid_from="huomenna", category="muu"),
    ]
    preview = preview_price_list(organiser, xlsx(rows), "h.xlsx")
    assert errors_of(preview) == [
        (3, "unit_price", "price_not_a_number"),
        (4, "unit", "unknown_unit"),
        (6, "valid_from", "not_a_date"),
    ]
    assert [a.row.code for a in preview.additions] == ["A", "D"]


def test_the_reason_is_in_the_users_language(organiser):
    content = xlsx([row("A", 10.0, unit="fortnight")])
    with translation.override("fi"):
        finnish = preview_price_list(organiser, content, "h.xlsx").errors[0].message
    with translation.override("en"):
        english = preview_price_list(organiser, content, "h.xlsx").errors[0].message
    assert "fortnight" in finnish and "fortnight" in english
    assert finnish != english
    assert "tunti" in finnish and "hour" in english  # the units one may use


def test_the_same_service_and_start_date_twice_in_the_file_is_refused(organiser):
    preview = preview_price_list(organiser, xlsx([row("A", 10.0), row("B", 5.0), row("A", 11.0)]), "h.xlsx")
    assert errors_of(preview) == [(4, "valid_from", "duplicate_row")]
    with translation.override("en"):
        assert "Row 2" in preview_price_list(organiser, xlsx([row("A", 10.0), row("A", 11.0)]), "h.xlsx").errors[0].message


def test_rows_of_the_file_that_overlap_each_other_are_refused(organiser):
    rows = [row("A", 10.0, dt.date(2026, 1, 1), dt.date(2026, 12, 31)), row("A", 11.0, dt.date(2026, 7, 1))]
    preview = preview_price_list(organiser, xlsx(rows), "h.xlsx")
    assert errors_of(preview) == [(3, "valid_from", "overlaps_row")]


def test_rows_of_one_service_in_the_file_must_agree_on_the_service(organiser):
    rows = [row("A", 10.0, dt.date(2026, 1, 1)), row("A", 11.0, dt.date(2026, 7, 1), unit="visit")]
    assert errors_of(preview_price_list(organiser, xlsx(rows), "h.xlsx")) == [(3, "unit", "service_details_differ")]


# --- How rows relate to existing prices --------------------------------------------------------------------------


def test_a_later_price_closes_the_open_price_the_day_before(organiser, finance):
    make_service(organiser, "KOTIP", unit_price="45.00", valid_from=dt.date(2026, 1, 1))
    content = xlsx([row("KOTIP", 47.5, dt.date(2026, 7, 1))])

    preview = preview_price_list(organiser, content, "h.xlsx")
    (change,) = preview.changes
    assert change.kind == ChangeKind.NEW_PRICE
    assert (change.old.unit_price, change.row.unit_price, change.row.valid_from) == (
        Decimal("45.00"),
        Decimal("47.50"),
        dt.date(2026, 7, 1),
    )
    assert change.old_price_ends == dt.date(2026, 6, 30)
    assert not preview.additions

    import_price_list(organiser, content, "h.xlsx", finance)
    assert prices_of(organiser, "KOTIP") == [
        (Decimal("45.00"), Decimal("0.00"), dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        (Decimal("47.50"), Decimal("0.00"), dt.date(2026, 7, 1), None),
    ]
    assert not preview_price_list(organiser, content, "h.xlsx").changes_anything


def test_a_row_with_the_start_date_of_an_existing_price_corrects_it(organiser, finance):
    make_service(organiser, "KOTIP", unit_price="45.00", valid_from=dt.date(2026, 1, 1))
    content = xlsx([row("KOTIP", 46.0, dt.date(2026, 1, 1), dt.date(2026, 12, 31), vat_rate=14)])

    (change,) = preview_price_list(organiser, content, "h.xlsx").changes
    assert change.kind == ChangeKind.CORRECTION
    import_price_list(organiser, content, "h.xlsx", finance)

    assert prices_of(organiser, "KOTIP") == [(Decimal("46.00"), Decimal("14.00"), dt.date(2026, 1, 1), dt.date(2026, 12, 31))]
    assert ServicePrice.objects.filter(organiser=organiser).count() == 1


def test_open_rows_of_one_service_read_as_a_history_of_price_changes(organiser, finance):
    make_service(organiser, "KOTIP", unit_price="45.00", valid_from=dt.date(2026, 1, 1))
    content = xlsx([row("KOTIP", 45.0, dt.date(2026, 1, 1)), row("KOTIP", 47.5, dt.date(2026, 7, 1))])

    preview = preview_price_list(organiser, content, "h.xlsx")
    assert preview.is_valid
    assert [c.kind for c in preview.changes] == [ChangeKind.CORRECTION]  # the open price gets its end date
    assert [a.row.valid_from for a in preview.additions] == [dt.date(2026, 7, 1)]

    import_price_list(organiser, content, "h.xlsx", finance)
    assert prices_of(organiser, "KOTIP") == [
        (Decimal("45.00"), Decimal("0.00"), dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        (Decimal("47.50"), Decimal("0.00"), dt.date(2026, 7, 1), None),
    ]
    assert not preview_price_list(organiser, content, "h.xlsx").changes_anything


def test_a_row_overlapping_an_existing_price_the_file_does_not_replace_is_refused(organiser, finance):
    make_service(organiser, "KOTIP", unit_price="45.00", valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    content = xlsx([row("KOTIP", 47.5, dt.date(2026, 7, 1))])
    before = db_snapshot()

    preview = preview_price_list(organiser, content, "h.xlsx")
    assert errors_of(preview) == [(2, "valid_from", "overlaps_existing")]
    with pytest.raises(ValidationError):
        import_price_list(organiser, content, "h.xlsx", finance)
    assert db_snapshot() == before


def test_an_open_row_before_an_existing_price_is_refused(organiser):
    make_service(organiser, "KOTIP", unit_price="45.00", valid_from=dt.date(2026, 1, 1))
    preview = preview_price_list(organiser, xlsx([row("KOTIP", 40.0, dt.date(2025, 1, 1))]), "h.xlsx")
    assert errors_of(preview) == [(2, "valid_from", "overlaps_existing")]
    fits = xlsx([row("KOTIP", 40.0, dt.date(2025, 1, 1), dt.date(2025, 12, 31))])
    assert preview_price_list(organiser, fits, "h.xlsx").can_import


def test_service_details_follow_the_file_but_the_unit_never_changes(organiser, finance):
    make_service(organiser, "KOTIP", unit_price="45.00", valid_from=dt.date(2026, 1, 1), name="Vanha nimi")
    renamed = xlsx([row("KOTIP", 45.0, dt.date(2026, 1, 1), name_fi="Kotipalvelu")])
    preview = preview_price_list(organiser, renamed, "h.xlsx")
    (change,) = preview.service_changes
    assert {d.field for d in change.details} == {"name_fi", "category", "legal_basis"}
    assert preview.unchanged and preview.can_import
    import_price_list(organiser, renamed, "h.xlsx", finance)
    service = Service.objects.get(organiser=organiser, code="KOTIP")
    assert (service.name_fi, service.category) == ("Kotipalvelu", ServiceCategory.HOME_HELP)

    per_visit = xlsx([row("KOTIP", 45.0, dt.date(2026, 1, 1), name_fi="Kotipalvelu", unit="visit")])
    assert errors_of(preview_price_list(organiser, per_visit, "h.xlsx")) == [(2, "unit", "unit_changed")]


def test_prices_not_in_the_file_stay_as_they_are(organiser, finance):
    make_service(organiser, "VANHA", unit_price="10.00", valid_from=dt.date(2025, 1, 1))
    import_price_list(organiser, xlsx(GOOD_ROWS), "h.xlsx", finance)
    assert prices_of(organiser, "VANHA") == [(Decimal("10.00"), Decimal("0.00"), dt.date(2025, 1, 1), None)]


def test_another_organisers_price_list_is_never_read_or_changed(organiser, finance):
    other = make_organiser("toinen")
    make_service(other, "KOTIP", unit_price="99.00", valid_from=dt.date(2026, 1, 1), unit="visit")
    theirs = (list(Service.objects.filter(organiser=other).values()), prices_of(other, "KOTIP"))

    preview = preview_price_list(organiser, xlsx(GOOD_ROWS), "h.xlsx")
    assert preview.is_valid and preview.new_services[0].code == "KOTIP"  # new here, whatever the other one has
    import_price_list(organiser, xlsx(GOOD_ROWS), "h.xlsx", finance)

    assert (list(Service.objects.filter(organiser=other).values()), prices_of(other, "KOTIP")) == theirs
    assert prices_of(organiser, "KOTIP") == [(Decimal("45.00"), Decimal("0.00"), dt.date(2026, 1, 1), None)]


def test_a_confirmation_refuses_an_outdated_preview(organiser, finance):
    service = make_service(organiser, "KOTIP", unit_price="45.00", valid_from=dt.date(2026, 1, 1))
    content = xlsx([row("KOTIP", 47.5, dt.date(2026, 7, 1))])
    preview = preview_price_list(organiser, content, "h.xlsx")
    add_price_change(service=service, unit_price=Decimal("46.00"), valid_from=dt.date(2026, 3, 1))
    before = db_snapshot()

    with pytest.raises(ValidationError) as refused:
        import_price_list(organiser, content, "h.xlsx", finance, expected_fingerprint=preview.fingerprint)
    assert refused.value.error_list[0].code == "preview_outdated"
    assert db_snapshot() == before


# --- Finnish formats ------------------------------------------------------------------------------------------


def test_finnish_decimal_comma_dates_and_headers_parse(organiser, finance):
    rows = [
        ("KOTIP", "Kotipalvelu", "Hemservice", "Home help", "Kotipalvelu", "tunti", "45,50", "0", "SHL 19 §", "1.1.2026", ""),
        ("KULJ", "Kuljetus", "Färdtjänst", "Transport", "kuljetus", "km", "1 234,05 €", "25,5 %", "", "01.07.2026", "31.12.2026"),
    ]
    for content, name in (
        (csv_bytes(rows, FINNISH_HEADER), "hinnasto.csv"),
        (xlsx(rows, FINNISH_HEADER), "hinnasto.xlsx"),  # the same values typed into cells as text
    ):
        preview = preview_price_list(organiser, content, name)
        assert preview.is_valid, preview.errors
        first, second = (a.row for a in preview.additions)
        assert (first.unit_price, first.valid_from, first.valid_to, first.unit) == (
            Decimal("45.50"),
            dt.date(2026, 1, 1),
            None,
            ServiceUnit.HOUR,
        )
        assert (second.unit_price, second.vat_rate, second.valid_from, second.valid_to, second.category) == (
            Decimal("1234.05"),
            Decimal("25.50"),
            dt.date(2026, 7, 1),
            dt.date(2026, 12, 31),
            ServiceCategory.TRANSPORT,
        )
    import_price_list(organiser, csv_bytes(rows, FINNISH_HEADER), "hinnasto.csv", finance)
    assert prices_of(organiser, "KOTIP") == [(Decimal("45.50"), Decimal("0.00"), dt.date(2026, 1, 1), None)]


def test_csv_with_commas_and_without_a_byte_order_mark(organiser):
    content = csv_bytes([row("A", 45.5)], delimiter=",", bom=False)
    assert b'"45,5"' in content  # a decimal comma is quoted in a comma-separated file
    (addition,) = preview_price_list(organiser, content, "h.csv").additions
    assert addition.row.unit_price == Decimal("45.50")


def test_xlsx_date_cells_numbers_and_percent_cells(organiser):
    rows = [row("A", 12.3, dt.datetime(2026, 2, 1), dt.date(2026, 2, 28), vat_rate=0.255), row("B", 7, dt.date(2026, 2, 1))]
    preview = preview_price_list(organiser, xlsx(rows, percent_columns=[HEADER.index("vat_rate") + 1]), "h.xlsx")
    assert preview.is_valid, preview.errors
    first, second = (a.row for a in preview.additions)
    assert (first.unit_price, first.vat_rate, first.valid_from, first.valid_to) == (
        Decimal("12.30"),
        Decimal("25.50"),
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )
    assert (second.unit_price, second.vat_rate) == (Decimal("7.00"), Decimal("0.00"))


def test_row_numbers_are_the_spreadsheets_even_with_empty_rows(organiser):
    rows = [row("A", 10.0), (None,) * len(HEADER), row("B", -1.0)]
    assert errors_of(preview_price_list(organiser, xlsx(rows), "h.xlsx")) == [(4, "unit_price", "price_negative")]
    assert errors_of(preview_price_list(organiser, csv_bytes(rows), "h.csv")) == [(4, "unit_price", "price_negative")]


def test_unknown_columns_are_ignored_and_shown(organiser):
    header = (*HEADER, "Huomautus")
    preview = preview_price_list(organiser, xlsx([(*row("A", 10.0), "vain kesällä")], header), "h.xlsx")
    assert preview.is_valid
    assert preview.ignored_columns == ("Huomautus",)


# --- Bad files ------------------------------------------------------------------------------------------------


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


BAD_FILES = [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "kuva.png", "file_not_spreadsheet"),
    (b"this is not a spreadsheet at all", "hinnasto.xlsx", "file_not_xlsx"),
    (_zip_without_workbook(), "hinnasto.xlsx", "file_not_spreadsheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "hinnasto.xls", "file_old_excel"),
    (b"", "hinnasto.xlsx", "file_empty"),
    (b"\n\r\n  \n", "hinnasto.csv", "file_empty"),
    (xlsx([]), "hinnasto.xlsx", "file_no_rows"),
    (csv_bytes([row()], header=HEADER[:5]), "hinnasto.csv", "missing_columns"),
    (xlsx([row()], header=("code", "koodi", *HEADER[1:])), "hinnasto.xlsx", "duplicate_column"),
    ("koodi;hinta\nA;10\n".encode("latin-1") + "ä".encode("latin-1"), "hinnasto.csv", "file_not_utf8"),
    (b"x" * (MAX_FILE_BYTES + 1), "hinnasto.csv", "file_too_large"),
]


@pytest.mark.parametrize(("content", "filename", "code"), BAD_FILES, ids=[c for _content, _name, c in BAD_FILES])
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(organiser, finance, content, filename, code):
    before = db_snapshot()
    with pytest.raises(ValidationError) as refused:
        preview_price_list(organiser, content, filename)
    assert refused.value.error_list[0].code == code
    assert refused.value.messages[0]
    with pytest.raises(ValidationError):
        import_price_list(organiser, content, filename, finance)
    assert db_snapshot() == before


def test_the_missing_columns_are_named(organiser):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        preview_price_list(organiser, csv_bytes([row()], header=HEADER[:5]), "h.csv")
    assert "unit_price (yksikköhinta)" in refused.value.messages[0]
    assert "valid_from (voimassa_alkaen)" in refused.value.messages[0]
    assert "name_fi (" not in refused.value.messages[0]


def test_a_spreadsheet_that_unpacks_to_a_huge_file_is_refused(organiser):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (60 * 1024 * 1024))
    content = buffer.getvalue()
    assert len(content) < MAX_FILE_BYTES
    with pytest.raises(ValidationError) as refused:
        preview_price_list(organiser, content, "h.xlsx")
    assert refused.value.error_list[0].code == "file_too_large_unpacked"


def test_existing_prices_of_the_test_factories_are_read_too(organiser):
    service = make_service(organiser, "KOTIP", unit_price=None)
    add_price(service, "45.00", dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    add_price(service, "47.50", dt.date(2026, 7, 1))
    content = xlsx([row("KOTIP", 45.0, dt.date(2026, 1, 1), dt.date(2026, 6, 30)), row("KOTIP", 47.5, dt.date(2026, 7, 1))])
    preview = preview_price_list(organiser, content, "h.xlsx")
    assert len(preview.unchanged) == 2


def _import_queries(organiser, finance, count: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_service(organiser, f"OLD{count}", unit_price="1.00", valid_from=dt.date(2026, 1, 1))
    rows = [row(f"S{count}-{n}", 10.0 + n) for n in range(count)]
    rows.append(row(f"OLD{count}", 2.0, dt.date(2026, 7, 1), name_fi=f"Palvelu OLD{count}", category="other", legal_basis=""))
    with CaptureQueriesContext(connection) as queries:
        import_price_list(organiser, xlsx(rows), "h.xlsx", finance)
    return len(queries)


def test_the_import_is_set_based_the_number_of_queries_does_not_grow_with_rows(organiser, finance):
    assert _import_queries(organiser, finance, 3) == _import_queries(organiser, finance, 60)
