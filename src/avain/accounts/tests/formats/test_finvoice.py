"""Finvoice 3.0: reading, per-row errors, safety, and the build/parse round trip."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from avain.accounts.formats.errors import BuildError
from avain.accounts.formats.finvoice import (
    FinvoiceMessage,
    InvoiceMessage,
    InvoiceRow,
    build_finvoice,
    build_finvoice_file,
    parse_finvoice,
    parse_finvoice_file,
)
from avain.accounts.formats.safexml import is_valid
from avain.accounts.tests.formats.strategies import invoices

SAMPLE = Path(__file__).parent / "data" / "finvoice_3_0_sample.xml"


def sample_message() -> bytes:
    """The sample without its SOAP transmission frame, to edit with lxml."""
    return SAMPLE.read_bytes().split(b"</SOAP-ENV:Envelope>", 1)[1].strip()


def an_invoice(**changes) -> InvoiceMessage:
    values = dict(
        seller_business_id="2617416-4",
        seller_name="Kotiapu Sinivuokko Oy",
        seller_iban="FI2112345600000785",
        seller_bic="NDEAFIHH",
        buyer_name="Keski-Suomen hyvinvointialue",
        invoice_number="2025-17",
        invoice_date=dt.date(2025, 3, 1),
        due_date=dt.date(2025, 3, 15),
        reference="20250018",
        total=Decimal("190.00"),
        rows=(
            InvoiceRow(1, unit_price=Decimal("40.00"), quantity=Decimal("2.5"), unit_code="h", article_name="Kotihoito",
                       vat_rate=Decimal("0"), amount=Decimal("100.00"), amount_vat_excluded=Decimal("100.00"),
                       delivery_date=dt.date(2025, 2, 3), free_text=("Asiakas HB-42",)),
            InvoiceRow(2, unit_price=Decimal("30.00"), quantity=Decimal("2"), article_name="Saattaja",
                       amount=Decimal("60.00"), start_date=dt.date(2025, 2, 10), end_date=dt.date(2025, 2, 11)),
            InvoiceRow(3, unit_price=Decimal("30.00"), quantity=Decimal("1"), article_name="Kuljetus",
                       amount=Decimal("30.00")),
        ),
    )
    values.update(changes)
    return InvoiceMessage(**values)


def edited(data: bytes, change) -> bytes:
    """The file with ``change(root)`` applied, as a sender's software might have written it."""
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def row(root, number: int):
    return root.findall("InvoiceRow")[number - 1]


def codes(result) -> list[tuple[int | None, str]]:
    return [(error.row, error.code) for error in result.errors]


# --- reading a real-looking file ---------------------------------------------------------------------------------


def test_a_hand_written_iso_8859_15_file_with_a_transmission_frame_is_read_in_full():
    result = parse_finvoice(SAMPLE.read_bytes())

    assert result.errors == ()
    invoice = result.invoice
    assert invoice.seller_business_id == "2617416-4"
    assert invoice.seller_name == "Kotiapu Sinivuokko Oy"
    assert invoice.seller_iban == "FI2112345600000785"  # the IBAN account, not the BBAN listed before it
    assert invoice.seller_bic == "NDEAFIHH"
    assert invoice.buyer_name == "Keski-Suomen hyvinvointialue"
    assert invoice.buyer_identifier == "1572860-0"
    assert invoice.buyer_reference == "HB-2025-0042"
    assert (invoice.invoice_number, invoice.invoice_date, invoice.due_date) == (
        "4471", dt.date(2025, 3, 1), dt.date(2025, 3, 15))
    assert invoice.reference == "20250018"
    assert (invoice.total, invoice.currency) == (Decimal("350.70"), "EUR")
    first, second, third = invoice.rows
    assert (first.article_id, first.article_name, first.quantity, first.unit_code) == (
        "KOTI-H", "Kotihoito, arki", Decimal("6.5"), "h")
    assert (first.unit_price, first.amount, first.vat_rate) == (Decimal("39.00"), Decimal("253.50"), Decimal("0"))
    assert (first.start_date, first.end_date, first.service_date) == (
        dt.date(2025, 2, 3), dt.date(2025, 2, 14), dt.date(2025, 2, 3))
    assert first.free_text == ("Asiakas HB-2025-0042",)
    assert second.delivery_date == dt.date(2025, 2, 20)
    assert (third.vat_rate, third.amount_vat_excluded, third.total) == (
        Decimal("24"), Decimal("30.00"), Decimal("37.20"))
    assert [r.number for r in invoice.rows] == [1, 2, 3]


def test_amounts_are_decimals_never_floats():
    invoice = parse_finvoice(SAMPLE.read_bytes()).invoice
    numbers = [invoice.total] + [value for r in invoice.rows for value in (r.unit_price, r.quantity, r.amount)]
    assert all(type(value) is Decimal for value in numbers)


def test_the_business_id_comes_from_the_vat_number_when_the_party_identifier_is_missing():
    def drop_identifier(root):
        party = root.find("SellerPartyDetails")
        party.remove(party.find("SellerPartyIdentifier"))

    result = parse_finvoice(edited(sample_message(), drop_identifier))

    assert result.errors == ()
    assert result.invoice.seller_business_id == "2617416-4"


@pytest.mark.parametrize("identifier", ["003726174164", "0037 2617 4164 001", "FI26174164"])
def test_an_e_invoice_address_or_vat_number_as_party_identifier_gives_the_business_id(identifier):
    def set_identifier(root):
        root.find("SellerPartyDetails/SellerPartyIdentifier").text = identifier
        party = root.find("SellerPartyDetails")
        party.remove(party.find("SellerOrganisationTaxCode"))

    result = parse_finvoice(edited(sample_message(), set_identifier))

    assert result.errors == ()
    assert result.invoice.seller_business_id == "2617416-4"


def test_a_decimal_point_reads_the_same_as_the_standard_comma():
    def points(root):
        for elem in root.iter("UnitPriceAmount", "RowAmount", "DeliveredQuantity", "InvoiceTotalVatIncludedAmount"):
            elem.text = elem.text.replace(",", ".")

    comma = parse_finvoice(SAMPLE.read_bytes())
    point = parse_finvoice(edited(sample_message(), points))

    assert point.errors == ()
    assert point.invoice == comma.invoice


# --- one bad row never sinks the good ones -----------------------------------------------------------------------


def test_a_row_without_a_price_fails_alone_and_the_other_rows_are_kept():
    def drop_price(root):
        row(root, 2).remove(row(root, 2).find("UnitPriceAmount"))

    result = parse_finvoice(edited(build_finvoice(an_invoice()), drop_price))

    assert codes(result) == [(2, "row_missing_price")]
    assert result.failed_rows == (2,)
    assert result.errors[0].field == "UnitPriceAmount"
    assert result.invoice is not None
    assert [r.number for r in result.invoice.rows] == [1, 3]
    assert result.invoice.rows[1].article_name == "Kuljetus"
    assert not result.ok


def set_text(number, tag, text):
    def change(root):
        elem = row(root, number).find(tag)
        elem.text = text

    return change


def remove(number, *tags):
    def change(root):
        for tag in tags:
            row(root, number).remove(row(root, number).find(tag))

    return change


def set_quantity_to_three(root):
    row(root, 1).find("DeliveredQuantity").text = "3"


def swap_dates(root):
    row(root, 2).find("StartDate").text = "20250212"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (remove(1, "DeliveredQuantity"), [(1, "row_missing_quantity")]),
        (set_text(1, "DeliveredQuantity", "kaksi"), [(1, "row_invalid_number")]),
        (remove(3, "RowAmount"), [(3, "row_missing_amount")]),
        (set_text(3, "RowAmount", "30,005"), [(3, "row_invalid_amount")]),
        (set_text(3, "RowAmount", "abc"), [(3, "row_invalid_number")]),
        (set_quantity_to_three, [(1, "row_amount_mismatch")]),
        (swap_dates, [(2, "row_dates_reversed")]),
        (set_text(2, "StartDate", "20250231"), [(2, "row_invalid_date")]),
        (set_text(1, "RowVatRatePercent", "24 %"), [(1, "row_invalid_number")]),
        (set_text(1, "ArticleName", "x" * 101), [(1, "row_schema")]),
    ],
)
def test_each_row_problem_has_its_own_code_and_only_that_row_fails(change, expected):
    result = parse_finvoice(edited(build_finvoice(an_invoice()), change))

    assert codes(result) == expected
    failed = expected[0][0]
    assert result.invoice is not None
    assert [r.number for r in result.invoice.rows] == [n for n in (1, 2, 3) if n != failed]


def test_every_bad_row_is_reported_not_just_the_first():
    def break_two(root):
        remove(1, "UnitPriceAmount")(root)
        set_text(3, "DeliveredQuantity", "?")(root)

    result = parse_finvoice(edited(build_finvoice(an_invoice()), break_two))

    assert codes(result) == [(1, "row_missing_price"), (3, "row_invalid_number")]
    assert [r.number for r in result.invoice.rows] == [2]


def test_a_row_in_another_currency_fails_alone():
    result = parse_finvoice(
        edited(build_finvoice(an_invoice()), lambda root: row(root, 3).find("RowAmount").set(
            "AmountCurrencyIdentifier", "SEK"))
    )

    assert codes(result) == [(3, "row_currency_mismatch")]


# --- problems with the invoice itself ----------------------------------------------------------------------------


def set_path(path, text):
    def change(root):
        root.find(path).text = text

    return change


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (set_path("SellerPartyDetails/SellerPartyIdentifier", "1234567-8"), "invalid_business_id",
         "SellerPartyIdentifier"),
        (set_path("SellerInformationDetails/SellerAccountDetails/SellerAccountID", "FI2112345600000786"),
         "invalid_iban", "SellerAccountID"),
        (set_path("SellerInformationDetails/SellerAccountDetails/SellerBic", "NDEAXXHH"), "invalid_bic", "SellerBic"),
        (set_path("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier", "20250019"),
         "invalid_reference", "EpiRemittanceInfoIdentifier"),
        (set_path("InvoiceDetails/InvoiceDate", "20251301"), "invalid_date", "InvoiceDate"),
        (set_path("InvoiceDetails/InvoiceTotalVatIncludedAmount", "191,00"), "total_mismatch",
         "InvoiceTotalVatIncludedAmount"),
    ],
)
def test_a_problem_in_the_invoice_details_leaves_no_invoice_but_names_the_field(change, code, field):
    result = parse_finvoice(edited(build_finvoice(an_invoice()), change))

    assert result.invoice is None
    assert [(e.row, e.code, e.field) for e in result.errors] == [(None, code, field)]


def test_a_missing_invoice_number_is_reported_once_in_words_not_as_a_schema_message():
    def drop(root):
        details = root.find("InvoiceDetails")
        details.remove(details.find("InvoiceNumber"))

    result = parse_finvoice(edited(build_finvoice(an_invoice()), drop))

    assert codes(result) == [(None, "missing_invoice_number")]


def test_rows_are_still_checked_when_the_invoice_details_are_wrong():
    def break_both(root):
        root.find("SellerPartyDetails/SellerPartyIdentifier").text = "nope"
        root.find("SellerPartyDetails/SellerOrganisationTaxCode").text = "FI26174165"
        remove(2, "UnitPriceAmount")(root)

    result = parse_finvoice(edited(build_finvoice(an_invoice()), break_both))

    assert result.invoice is None
    assert codes(result) == [(None, "invalid_business_id"), (2, "row_missing_price")]


def test_schema_errors_outside_rows_belong_to_the_invoice():
    def spaced_iban(root):
        root.find("EpiDetails/EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiAccountID").text = "FI21 1234 5600 0007 85"

    result = parse_finvoice(edited(build_finvoice(an_invoice()), spaced_iban))

    assert codes(result) == [(None, "schema")]
    assert result.errors[0].field == "EpiAccountID"
    assert result.invoice is None


def test_an_invoice_without_rows_is_refused():
    def drop_rows(root):
        for elem in root.findall("InvoiceRow"):
            root.remove(elem)

    result = parse_finvoice(edited(build_finvoice(an_invoice()), drop_rows))

    assert result.invoice is None
    assert (None, "no_rows") in codes(result)


# --- files that are not Finvoice, or not safe --------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Finvoice [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<Finvoice Version="3.0"><SellerPartyDetails><SellerOrganisationName>&d;</SellerOrganisationName></SellerPartyDetails>
</Finvoice>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Finvoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Finvoice Version="3.0"><SellerPartyDetails><SellerOrganisationName>&secret;</SellerOrganisationName>
</SellerPartyDetails></Finvoice>"""


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "file_empty"),
        (b"Laskunumero;Summa\n1;100,00\n", "not_xml"),
        (b"<Finvoice Version='3.0'><InvoiceRow></Finvoice>", "not_xml"),
        (b"<?xml version='1.0'?><Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>",
         "not_finvoice"),
        (BILLION_LAUGHS, "xml_unsafe"),
        (EXTERNAL_ENTITY, "xml_unsafe"),
    ],
)
def test_a_file_that_is_not_a_finvoice_message_gives_one_file_level_error(data, code):
    result = parse_finvoice(data)

    assert result.invoice is None
    assert codes(result) == [(None, code)]


def test_another_finvoice_version_is_refused_with_its_version_named():
    result = parse_finvoice(SAMPLE.read_bytes().replace(b'Version="3.0"', b'Version="2.01"'))

    assert codes(result) == [(None, "unsupported_version")]
    assert result.errors[0].params == {"version": "2.01"}


# --- building ----------------------------------------------------------------------------------------------------


def test_a_built_invoice_validates_against_the_finvoice_schema_and_reads_back_unchanged():
    invoice = an_invoice()
    data = build_finvoice(invoice)

    assert is_valid(data, "Finvoice3.0.xsd")
    assert parse_finvoice(data).invoice == invoice


def test_an_invoice_without_a_bic_keeps_its_account_in_the_payment_details():
    invoice = an_invoice(seller_bic=None)
    data = build_finvoice(invoice)

    assert b"<SellerAccountDetails>" not in data
    assert parse_finvoice(data).invoice == invoice


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"seller_iban": "FI2112345600000786"}, "invalid_iban"),
        ({"total": Decimal("1.00")}, "total_mismatch"),
        ({"total": Decimal("190.001")}, "invalid_text"),
        ({"reference": "12345"}, "invalid_reference"),
        ({"seller_name": "X"}, "schema"),
    ],
)
def test_build_refuses_what_it_could_not_read_back(changes, code):
    with pytest.raises(BuildError) as refused:
        build_finvoice(an_invoice(**changes))

    assert code in refused.value.codes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices())
def test_parse_of_build_gives_back_the_same_invoice(invoice):
    data = build_finvoice(invoice)

    result = parse_finvoice(data)

    assert result.errors == ()
    assert result.invoice == invoice


# --- files of several invoices (transmission files) ------------------------------------------------------------


def renumbered(data: bytes, number: str) -> bytes:
    return data.replace(b"<InvoiceNumber>4471</InvoiceNumber>", f"<InvoiceNumber>{number}</InvoiceNumber>".encode())


def summary(messages) -> list[tuple]:
    return [(m.position, m.result.invoice_number, [e.code for e in m.result.errors]) for m in messages]


def test_a_transmission_file_is_read_message_by_message_each_in_its_own_encoding():
    sample = SAMPLE.read_bytes()
    data = sample + b"\r\n" + renumbered(sample, "4472") + renumbered(sample, "4473")

    messages = parse_finvoice_file(data)

    assert summary(messages) == [(1, "4471", []), (2, "4472", []), (3, "4473", [])]
    assert [m.result.invoice.seller_name for m in messages] == ["Kotiapu Sinivuokko Oy"] * 3
    assert all(m.result.invoice.rows == parse_finvoice(sample).invoice.rows for m in messages)
    assert all(m.document.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>') for m in messages)
    assert b"Envelope" not in messages[1].document


def test_messages_without_a_declaration_of_their_own_are_read_in_the_files_encoding():
    sample = SAMPLE.read_bytes()
    declaration = b'<?xml version="1.0" encoding="ISO-8859-15"?>'
    bare = declaration + sample.replace(declaration, b"")  # one declaration, at the top of the file
    data = bare + renumbered(sample.replace(declaration, b""), "4472")

    messages = parse_finvoice_file(data)

    assert summary(messages) == [(1, "4471", []), (2, "4472", [])]
    street = etree.fromstring(messages[1].document).findtext("SellerPartyDetails/SellerPostalAddressDetails/"
                                                              "SellerStreetName")
    assert street == "Hämeenkatu 12 B"


def test_a_message_cut_short_loses_only_itself():
    sample = SAMPLE.read_bytes()
    cut = renumbered(sample, "4472")
    data = sample + cut[: cut.index(b"</InvoiceDetails>")] + renumbered(sample, "4473")

    assert summary(parse_finvoice_file(data)) == [(1, "4471", []), (2, None, ["not_xml"]), (3, "4473", [])]


def test_a_file_of_one_message_is_read_exactly_as_parse_finvoice_reads_it():
    for data in (SAMPLE.read_bytes(), sample_message(), b"<Finvoice", b"", b"<Document/>"):
        assert parse_finvoice_file(data) == (FinvoiceMessage(1, parse_finvoice(data), data),)


def test_a_dtd_or_an_entity_anywhere_is_reported_for_the_message_it_is_in():
    sample = SAMPLE.read_bytes()
    hostile_frame = renumbered(sample, "4472").replace(
        b"<SOAP-ENV:Envelope", b'<!DOCTYPE x [<!ENTITY a "b">]>\n<SOAP-ENV:Envelope', 1)
    hostile_invoice = renumbered(sample, "4473").replace(
        b"<Finvoice ", b'<!DOCTYPE Finvoice SYSTEM "http://example.invalid/x.dtd">\n<Finvoice ', 1)

    messages = parse_finvoice_file(sample + hostile_frame + hostile_invoice + sample)

    assert summary(messages) == [
        (1, "4471", []), (2, None, ["xml_unsafe"]), (3, None, ["xml_unsafe"]), (4, "4471", [])]


def test_a_broken_envelope_makes_its_message_unreadable():
    sample = SAMPLE.read_bytes()
    broken = renumbered(sample, "4472").replace(b"</SOAP-ENV:Header>", b"", 1)

    assert summary(parse_finvoice_file(sample + broken)) == [(1, "4471", []), (2, None, ["not_xml"])]


def test_build_finvoice_file_refuses_what_it_could_not_read_back():
    with pytest.raises(BuildError) as refused:
        build_finvoice_file([an_invoice(), an_invoice(seller_iban="FI0012345600000000")])

    assert refused.value.codes == {"invalid_iban"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(invoices(), min_size=2, max_size=4))
def test_parse_of_a_built_transmission_file_gives_back_every_invoice_in_order(invoices_sent):
    data = build_finvoice_file(invoices_sent)

    messages = parse_finvoice_file(data)

    assert [m.position for m in messages] == list(range(1, len(invoices_sent) + 1))
    assert [m.result.errors for m in messages] == [()] * len(invoices_sent)
    assert [m.result.invoice for m in messages] == list(invoices_sent)


def test_messages_without_envelopes_and_a_byte_order_mark_are_read_too():
    first, second = build_finvoice(an_invoice()), build_finvoice(an_invoice(invoice_number="2025-18"))

    for data in (b"\xef\xbb\xbf" + first + second, first.split(b"?>", 1)[1] + second):
        assert summary(parse_finvoice_file(data)) == [(1, "2025-17", []), (2, "2025-18", [])]
