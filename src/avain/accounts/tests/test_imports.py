"""Importing providers' invoice files: Finvoice and CSV, line by line, once per file, and refusing files that
cannot be read without changing anything."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation
from lxml import etree

from avain.accounts import ledger
from avain.accounts.formats.finvoice import (
    InvoiceMessage,
    InvoiceRow,
    build_finvoice,
    build_finvoice_file,
    build_transmission_frame,
)
from avain.accounts.imports import (
    IMPORT_MESSAGES,
    MAX_FILE_BYTES,
    describe,
    example_csv,
    file_problems,
    import_invoice_file,
    line_problems,
    problem_message,
    process_import_file,
    read_csv,
)
from avain.accounts.models import (
    ImportFile,
    ImportKind,
    ImportStatus,
    Invoice,
    InvoiceLine,
    InvoiceSource,
    LedgerEntry,
)
from avain.core import clock
from avain.core.clock import frozen_at
from avain.core.money import money_sum, round_money
from avain.core.periods import Period
from avain.testing import (
    account_of,
    case_active,
    db_snapshot,
    make_agreement,
    make_provider,
    make_provider_contact,
    refused,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
CSV_HEADER = "invoice_number;invoice_date;due_date;agreement;service_date;quantity;unit_price;amount;description"


@pytest.fixture
def world():
    """An open budget account with two agreements with one provider (40 € and 25 € per unit), on two lines."""
    with frozen_at(dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)):
        account = account_of(case_active(period=PERIOD))
    with frozen_at(dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.UTC)):
        provider = make_provider(account.organiser)
        care = make_agreement(account, provider=provider, unit_price="40.00", quantity="10")
        trips = make_agreement(account, line=1, provider=provider, unit_price="25.00", quantity="8")
    return SimpleNamespace(
        account=account, provider=provider, care=care, trips=trips, user=make_provider_contact(provider)
    )


def finvoice_file(provider, rows, *, number="F-100", buyer_reference=None, business_id=None) -> bytes:
    """A Finvoice invoice from ``provider``; each row is (agreement number or None, service date or None,
    quantity, unit price)."""
    return build_finvoice(
        finvoice_invoice(provider, rows, number=number, buyer_reference=buyer_reference, business_id=business_id)
    )


def finvoice_invoice(provider, rows, *, number="F-100", buyer_reference=None, business_id=None) -> InvoiceMessage:
    """The invoice :func:`finvoice_file` writes."""
    invoice_rows = tuple(
        InvoiceRow(
            n,
            unit_price=Decimal(price),
            quantity=Decimal(quantity),
            article_name=f"Palvelu {n}",
            amount=round_money(Decimal(quantity) * Decimal(price)),
            delivery_date=date,
            buyer_reference=agreement,
        )
        for n, (agreement, date, quantity, price) in enumerate(rows, start=1)
    )
    return InvoiceMessage(
        seller_business_id=business_id or provider.business_id,
        seller_name=provider.name,
        seller_iban=provider.iban,
        buyer_name="Hyvinvointialue",
        invoice_number=number,
        invoice_date=dt.date(2025, 3, 28),
        due_date=dt.date(2025, 4, 11),
        total=money_sum(row.amount for row in invoice_rows),
        rows=invoice_rows,
        buyer_reference=buyer_reference,
    )


def edited(data: bytes, change) -> bytes:
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def send(world, data: bytes, filename: str = "invoice.xml") -> ImportFile:
    with frozen_at(IN_MARCH):
        return import_invoice_file(provider=world.provider, filename=filename, data=data, received_by=world.user)


def problems(import_file) -> list[tuple]:
    return [(p["line"], p["code"]) for p in import_file.problems]


def nothing_posted() -> bool:
    spending = LedgerEntry.objects.filter(invoice__isnull=False)
    return not (Invoice.objects.exists() or InvoiceLine.objects.exists() or spending.exists())


# --- Finvoice ------------------------------------------------------------------------------------------------------


def test_a_finvoice_invoice_posts_each_row_under_the_agreement_it_quotes(world):
    data = finvoice_file(
        world.provider,
        [
            (world.care.number, dt.date(2025, 3, 3), "2", "40.00"),
            (world.trips.number, dt.date(2025, 3, 4), "1", "25.00"),
            (world.care.number, dt.date(2025, 3, 10), "1.5", "40.00"),
        ],
    )

    import_file = send(world, data)

    assert (import_file.kind, import_file.status) == (ImportKind.FINVOICE, ImportStatus.PROCESSED)
    assert (import_file.lines_total, import_file.lines_posted, import_file.problems) == (3, 3, [])
    assert bytes(ImportFile.objects.get().content) == data
    invoice = Invoice.objects.get()
    assert (invoice.source, invoice.import_file_id, invoice.invoice_number, invoice.total) == (
        InvoiceSource.FINVOICE, import_file.pk, "F-100", Decimal("165.00"))
    assert list(invoice.lines.values_list("line_number", "agreement__number", "service_date", "amount")) == [
        (1, world.care.number, dt.date(2025, 3, 3), Decimal("80.00")),
        (2, world.trips.number, dt.date(2025, 3, 4), Decimal("25.00")),
        (3, world.care.number, dt.date(2025, 3, 10), Decimal("60.00")),
    ]
    world.care.refresh_from_db()
    assert (world.care.used_amount, world.care.used_quantity) == (Decimal("140.00"), Decimal("3.50"))
    assert ledger.verify() == []


def test_a_row_above_the_agreed_price_fails_alone_with_its_reason(world):
    data = finvoice_file(
        world.provider,
        [
            (world.care.number, dt.date(2025, 3, 3), "1", "40.00"),
            (world.care.number, dt.date(2025, 3, 4), "1", "45.00"),
            (world.trips.number, dt.date(2025, 3, 5), "2", "25.00"),
        ],
    )

    with translation.override("en"):
        import_file = send(world, data)
        assert [problem_message(p) for p in import_file.problems] == [
            "The price 45.00 € is more than the agreed 40.00 € per unit."
        ]

    assert (import_file.status, import_file.lines_total, import_file.lines_posted) == (ImportStatus.PROCESSED, 3, 2)
    assert problems(import_file) == [(2, "price_above_agreed")]
    assert list(InvoiceLine.objects.order_by("line_number").values_list("line_number", flat=True)) == [1, 3]
    assert ledger.verify() == []


def test_the_same_finvoice_file_twice_is_posted_once(world):
    data = finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 3), "2", "40.00")])
    first = send(world, data, "march.xml")
    before = db_snapshot()

    again = send(world, data, "march-again.xml")

    assert again.pk == first.pk and again.repeated and not first.repeated
    assert db_snapshot() == before
    assert Invoice.objects.count() == 1


def test_the_invoice_level_agreement_number_serves_rows_without_their_own(world):
    data = finvoice_file(
        world.provider,
        [(None, dt.date(2025, 3, 3), "1", "40.00"), (world.trips.number, dt.date(2025, 3, 4), "1", "25.00")],
        buyer_reference=world.care.number,
    )

    import_file = send(world, data)

    assert import_file.problems == []
    assert list(InvoiceLine.objects.order_by("line_number").values_list("agreement_id", flat=True)) == [
        world.care.pk, world.trips.pk]


def test_a_row_without_an_agreement_number_or_a_date_fails_with_its_reason(world):
    data = finvoice_file(
        world.provider,
        [
            (None, dt.date(2025, 3, 3), "1", "40.00"),
            (world.care.number, None, "1", "40.00"),
            (world.care.number, dt.date(2025, 3, 5), "1", "40.00"),
        ],
    )

    with translation.override("en"):
        import_file = send(world, data)
        messages = [problem_message(p) for p in import_file.problems]

    assert problems(import_file) == [(1, "no_agreement_number"), (2, "no_service_date")]
    assert "RowBuyerReferenceIdentifier" in messages[0] and "RowDeliveryDate" in messages[1]
    assert import_file.lines_posted == 1


def test_the_invoices_delivery_date_serves_rows_without_a_date_of_their_own(world):
    data = finvoice_file(world.provider, [(world.care.number, None, "1", "40.00")])

    def add_delivery_date(root):
        details = etree.Element("DeliveryDetails")
        etree.SubElement(details, "DeliveryDate", Format="CCYYMMDD").text = "20250312"
        root.find("InvoiceDetails").addprevious(details)

    import_file = send(world, edited(data, add_delivery_date))

    assert import_file.problems == []
    assert InvoiceLine.objects.get().service_date == dt.date(2025, 3, 12)


def test_a_row_the_reader_cannot_read_fails_alone_with_the_readers_reason(world):
    data = finvoice_file(
        world.provider,
        [(world.care.number, dt.date(2025, 3, 3), "1", "40.00"), (world.care.number, dt.date(2025, 3, 4), "1", "40.00")],
    )

    def drop_price(root):
        row = root.findall("InvoiceRow")[1]
        row.remove(row.find("UnitPriceAmount"))

    with translation.override("en"):
        import_file = send(world, edited(data, drop_price))
        assert problem_message(import_file.problems[0]) == "The row has no unit price (UnitPriceAmount)."

    assert problems(import_file) == [(2, "row_missing_price")]
    assert (import_file.status, import_file.lines_posted) == (ImportStatus.PROCESSED, 1)


def test_a_unit_price_finer_than_a_cent_fails_the_row_instead_of_the_file(world):
    data = finvoice_file(
        world.provider,
        [(world.care.number, dt.date(2025, 3, 3), "2", "39.125"), (world.care.number, dt.date(2025, 3, 4), "1", "40.00")],
    )

    import_file = send(world, data)

    assert problems(import_file) == [(1, "too_many_decimals")]
    assert import_file.problems[0]["params"] == {"field": "UnitPriceAmount", "value": "39.125"}
    assert import_file.lines_posted == 1


def test_an_invoice_from_another_business_is_rejected_and_nothing_is_posted(world):
    other = make_provider(world.account.organiser)
    data = finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00")],
                         business_id=other.business_id)

    with translation.override("en"):
        import_file = send(world, data)
        message = problem_message(import_file.problems[0])

    assert import_file.status == ImportStatus.REJECTED
    assert problems(import_file) == [(None, "seller_not_you")]
    assert other.business_id in message and world.provider.business_id in message
    assert nothing_posted()


def test_an_error_in_the_invoices_own_details_rejects_the_file_with_every_reason(world):
    data = finvoice_file(
        world.provider,
        [(world.care.number, dt.date(2025, 3, 3), "1", "40.00"), (world.care.number, dt.date(2025, 3, 4), "1", "40.00")],
    )

    def break_invoice(root):
        root.find("EpiDetails/EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiAccountID").text = "FI0012345600000000"
        row = root.findall("InvoiceRow")[1]
        row.remove(row.find("DeliveredQuantity"))

    import_file = send(world, edited(data, break_invoice))

    assert import_file.status == ImportStatus.REJECTED
    assert problems(import_file) == [(None, "invalid_iban"), (2, "row_missing_quantity")]
    assert import_file.lines_total == 2 and import_file.lines_posted == 0
    assert nothing_posted()


# --- Finvoice files of several invoices ----------------------------------------------------------------------------


def transmission(provider, *documents: bytes) -> bytes:
    """A transmission file of Finvoice documents, each behind its own SOAP envelope, as billing software sends them
    (for documents edited or broken by hand; :func:`build_finvoice_file` writes one of well-formed invoices)."""
    return b"".join(
        build_transmission_frame(f"M-{n}", provider.business_id) + document for n, document in enumerate(documents, 1)
    )


def invoice_problems(import_file) -> list[tuple]:
    """(invoice number, its position in the file, line, code) of each stored problem."""
    return [(p.get("invoice"), p.get("invoice_position"), p["line"], p["code"]) for p in import_file.problems]


def three_invoices(world) -> bytes:
    """F-201 right in every row; F-202 with an account that is not an IBAN (the invoice cannot be paid); F-203 with a
    row the reader cannot read (2, no price) and a row above the agreed price (3)."""
    good = finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 3), "2", "40.00"),
                                          (world.trips.number, dt.date(2025, 3, 4), "1", "25.00")], number="F-201")

    def break_account(root):
        root.find("EpiDetails/EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiAccountID").text = "FI0012345600000000"

    unpayable = edited(
        finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 5), "1", "40.00"),
                                       (world.trips.number, dt.date(2025, 3, 5), "1", "25.00")], number="F-202"),
        break_account,
    )

    def drop_price(root):
        row = root.findall("InvoiceRow")[1]
        row.remove(row.find("UnitPriceAmount"))

    partly = edited(
        finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 6), "1", "40.00"),
                                       (world.care.number, dt.date(2025, 3, 7), "1", "40.00"),
                                       (world.trips.number, dt.date(2025, 3, 7), "1", "30.00")], number="F-203"),
        drop_price,
    )
    return transmission(world.provider, good, unpayable, partly)


def test_a_file_of_three_invoices_posts_exactly_the_good_lines_and_names_the_invoice_of_every_problem(world):
    import_file = send(world, three_invoices(world), "batch.xml")

    assert (import_file.kind, import_file.status) == (ImportKind.FINVOICE, ImportStatus.PROCESSED)
    assert (import_file.lines_total, import_file.lines_posted) == (7, 3)
    assert invoice_problems(import_file) == [
        ("F-202", 2, None, "invalid_iban"),
        ("F-203", 3, 2, "row_missing_price"),
        ("F-203", 3, 3, "price_above_agreed"),
    ]
    posted = {
        invoice.invoice_number: list(invoice.lines.order_by("line_number").values_list("line_number", "amount"))
        for invoice in Invoice.objects.all()
    }
    # Each invoice keeps its own row numbers; the refused invoice posts nothing, the bad rows nothing.
    assert posted == {"F-201": [(1, Decimal("80.00")), (2, Decimal("25.00"))], "F-203": [(1, Decimal("40.00"))]}
    assert set(Invoice.objects.values_list("import_file_id", "source").distinct()) == {
        (import_file.pk, InvoiceSource.FINVOICE)}
    world.care.refresh_from_db()
    world.trips.refresh_from_db()
    assert (world.care.used_amount, world.trips.used_amount) == (Decimal("120.00"), Decimal("25.00"))
    assert ledger.verify() == []

    with translation.override("en"):
        assert file_problems(import_file) == [
            "Invoice F-202 (no. 2 in the file): The bank account “FI0012345600000000” is not a valid IBAN."]
        assert describe(line_problems(import_file)) == [
            (2, "Invoice F-203 (no. 3 in the file): The row has no unit price (UnitPriceAmount)."),
            (3, "Invoice F-203 (no. 3 in the file): The price 30.00 € is more than the agreed 25.00 € per unit."),
        ]


def test_refusals_of_posting_on_the_same_row_number_of_different_invoices_name_each_its_own_invoice(world):
    invoices = [
        finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00"),
                                          ("NO-SUCH", dt.date(2025, 3, 3), "1", "40.00")], number="F-301"),
        finvoice_invoice(world.provider, [("NO-SUCH", dt.date(2025, 3, 3), "1", "40.00"),
                                          (world.trips.number, dt.date(2025, 3, 4), "1", "25.00")], number="F-302"),
        finvoice_invoice(world.provider, [(world.trips.number, dt.date(2025, 3, 5), "1", "99.00")], number="F-303"),
    ]

    import_file = send(world, build_finvoice_file(invoices), "batch.xml")

    assert invoice_problems(import_file) == [
        ("F-301", 1, 2, "unknown_agreement"),
        ("F-302", 2, 1, "unknown_agreement"),
        ("F-303", 3, 1, "price_above_agreed"),
    ]
    posted = {
        invoice.invoice_number: list(invoice.lines.values_list("line_number", flat=True))
        for invoice in Invoice.objects.all()
    }
    assert posted == {"F-301": [1], "F-302": [2]}
    assert ledger.verify() == []


def test_a_file_of_several_invoices_sent_again_posts_nothing_the_second_time(world):
    data = three_invoices(world)
    first = send(world, data, "batch.xml")
    before = db_snapshot()

    again = send(world, data, "batch-again.xml")

    assert again.pk == first.pk and again.repeated
    assert db_snapshot() == before

    # The same invoices written again (other envelopes, another order: other bytes) are each refused as sent before.
    good_ones = [
        finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 6), "1", "40.00")], number="F-203"),
        finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 3), "2", "40.00"),
                                          (world.trips.number, dt.date(2025, 3, 4), "1", "25.00")], number="F-201"),
    ]
    before = db_snapshot()

    rewritten = send(world, build_finvoice_file(good_ones), "batch-rewritten.xml")

    assert rewritten.pk != first.pk and rewritten.status == ImportStatus.PROCESSED
    assert invoice_problems(rewritten) == [
        ("F-203", 1, 1, "duplicate_invoice"),
        ("F-201", 2, 1, "duplicate_invoice"),
        ("F-201", 2, 2, "duplicate_invoice"),
    ]
    assert rewritten.lines_posted == 0
    after = db_snapshot()
    after.pop("accounts.ImportFile"), before.pop("accounts.ImportFile")
    assert after == before
    assert Invoice.objects.count() == 2


def test_the_second_invoice_of_a_file_with_the_same_number_is_refused_as_a_whole(world):
    data = build_finvoice_file([
        finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00")], number="F-301"),
        finvoice_invoice(world.provider, [(world.trips.number, dt.date(2025, 3, 4), "1", "25.00")], number="F-301"),
        finvoice_invoice(world.provider, [(world.trips.number, dt.date(2025, 3, 5), "2", "25.00")], number="F-302"),
    ])

    with translation.override("en"):
        import_file = send(world, data, "batch.xml")
        assert file_problems(import_file) == [
            "Invoice F-301 (no. 2 in the file): Invoice F-301 appears twice in what was sent. Send each invoice once."]

    assert import_file.status == ImportStatus.PROCESSED
    assert invoice_problems(import_file) == [("F-301", 2, None, "repeated_in_file")]
    assert (import_file.lines_total, import_file.lines_posted) == (3, 2)
    assert sorted(InvoiceLine.objects.values_list("invoice__invoice_number", "agreement_id", "amount")) == [
        ("F-301", world.care.pk, Decimal("40.00")), ("F-302", world.trips.pk, Decimal("50.00"))]
    assert ledger.verify() == []


def test_an_invoice_of_another_seller_is_refused_and_the_sellers_own_invoices_are_posted(world):
    other = make_provider(world.account.organiser)
    data = build_finvoice_file([
        finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00")], number="F-401"),
        finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 4), "1", "40.00")], number="X-9",
                         business_id=other.business_id),
        finvoice_invoice(world.provider, [(world.trips.number, dt.date(2025, 3, 5), "1", "25.00")], number="F-402"),
    ])

    with translation.override("en"):
        import_file = send(world, data, "batch.xml")
        message = file_problems(import_file)[0]

    assert invoice_problems(import_file) == [("X-9", 2, None, "seller_not_you")]
    assert message.startswith("Invoice X-9 (no. 2 in the file): ") and other.business_id in message
    assert sorted(Invoice.objects.values_list("invoice_number", flat=True)) == ["F-401", "F-402"]
    assert import_file.lines_posted == 2


def test_a_file_where_no_invoice_can_be_paid_is_rejected_with_the_reasons_of_each(world):
    other = make_provider(world.account.organiser)
    data = build_finvoice_file([
        finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00")], number="X-1",
                         business_id=other.business_id),
        finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 4), "1", "40.00")], number="X-2",
                         business_id=other.business_id),
    ])

    import_file = send(world, data, "batch.xml")

    assert import_file.status == ImportStatus.REJECTED
    assert invoice_problems(import_file) == [("X-1", 1, None, "seller_not_you"), ("X-2", 2, None, "seller_not_you")]
    assert (import_file.lines_total, import_file.lines_posted) == (2, 0)
    assert nothing_posted()


def _with_doctype(doctype: bytes):
    """A document with ``doctype`` put between its XML declaration and its root."""
    def change(document: bytes) -> bytes:
        declaration, rest = document.split(b"?>", 1)
        return declaration + b"?>\n" + doctype + rest
    return change


HOSTILE_MESSAGES = {
    "external entity": _with_doctype(b'<!DOCTYPE Finvoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'),
    "billion laughs": _with_doctype(
        b'<!DOCTYPE Finvoice [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'),
    "DTD": _with_doctype(b'<!DOCTYPE Finvoice SYSTEM "http://example.invalid/finvoice.dtd">'),
}


@pytest.mark.parametrize("case", HOSTILE_MESSAGES, ids=list(HOSTILE_MESSAGES))
@pytest.mark.parametrize("where", ["invoice", "envelope"])
def test_hostile_xml_in_the_second_message_rejects_the_whole_file(world, case, where):
    documents = [
        finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00")], number=f"F-50{n}")
        for n in (1, 2, 3)
    ]
    frames = [build_transmission_frame(f"M-{n}", world.provider.business_id) for n in (1, 2, 3)]
    if where == "invoice":
        documents[1] = HOSTILE_MESSAGES[case](documents[1])
    else:
        frames[1] = HOSTILE_MESSAGES[case](frames[1])
    data = b"".join(frame + document for frame, document in zip(frames, documents, strict=True))
    before = db_snapshot()

    with translation.override("en"):
        import_file = send(world, data, "batch.xml")
        # A hostile message is never read further, so not even its number: it is named by its place in the file.
        assert file_problems(import_file) == [
            "Invoice no. 2 in the file (its number cannot be read): The file declares a DTD or entities. For safety, "
            "invoice files with them are not accepted. Send the invoice without them."
        ]

    assert import_file.status == ImportStatus.REJECTED
    assert [(p["invoice_position"], p["line"], p["code"]) for p in import_file.problems] == [(2, None, "xml_unsafe")]
    after = db_snapshot()
    after.pop("accounts.ImportFile"), before.pop("accounts.ImportFile")
    assert after == before and nothing_posted()


def _old_version(world) -> bytes:
    return b'<?xml version="1.0"?>\n<Finvoice Version="2.01"><InvoiceDetails><InvoiceNumber>F-602</InvoiceNumber>' \
        b"</InvoiceDetails></Finvoice>\n"


def _cut_short(world) -> bytes:
    data = finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 4), "1", "40.00")], number="F-602")
    return data[: len(data) // 2]


def _namespaced(world) -> bytes:
    data = finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 4), "1", "40.00")], number="F-602")
    return data.replace(b'<Finvoice Version="3.0">', b'<Finvoice xmlns="urn:example" Version="3.0">')


UNREADABLE_MESSAGES = {
    "an old Finvoice": (_old_version, "unsupported_version", "F-602"),
    "cut short": (_cut_short, "not_xml", None),
    "another XML message": (_namespaced, "not_finvoice", None),
}


@pytest.mark.parametrize("case", UNREADABLE_MESSAGES, ids=list(UNREADABLE_MESSAGES))
def test_a_message_that_is_not_finvoice_3_0_is_refused_with_its_reason_and_the_others_are_posted(world, case):
    make_document, code, number = UNREADABLE_MESSAGES[case]
    data = transmission(
        world.provider,
        finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00")], number="F-601"),
        make_document(world),
        finvoice_file(world.provider, [(world.trips.number, dt.date(2025, 3, 5), "1", "25.00")], number="F-603"),
    )

    with translation.override("en"):
        import_file = send(world, data, "batch.xml")
        message = file_problems(import_file)[0]
        expected = str(IMPORT_MESSAGES[code]) % import_file.problems[0]["params"]

    assert import_file.status == ImportStatus.PROCESSED
    assert invoice_problems(import_file) == [(number, 2, None, code)]
    assert message.endswith(": " + expected) and "?" not in message
    assert sorted(Invoice.objects.values_list("invoice_number", flat=True)) == ["F-601", "F-603"]


def test_the_size_limit_applies_to_the_whole_file_of_several_invoices(world):
    one = finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00")], number="F-701")
    two = finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 4), "1", "40.00")], number="F-702")
    first, second = build_finvoice_file([one]), build_finvoice_file([two])
    data = first + b" " * (MAX_FILE_BYTES - len(first) - len(second) + 1) + second

    import_file = send(world, data, "batch.xml")

    assert (import_file.status, problems(import_file)) == (ImportStatus.REJECTED, [(None, "file_too_large")])
    assert nothing_posted()


def test_a_file_of_one_invoice_behind_its_envelope_reports_as_a_file_of_one(world):
    other = make_provider(world.account.organiser)
    data = build_finvoice_file([
        finvoice_invoice(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00")],
                         business_id=other.business_id)
    ])

    import_file = send(world, data)

    assert import_file.status == ImportStatus.REJECTED
    assert import_file.problems == [{"line": None, "code": "seller_not_you",
                                     "params": {"found": other.business_id, "expected": world.provider.business_id}}]


# --- CSV -----------------------------------------------------------------------------------------------------------


def csv_file(*lines: str, header: str = CSV_HEADER, bom: bool = True) -> bytes:
    return ("\ufeff" if bom else "").encode() + ("\r\n".join((header, *lines)) + "\r\n").encode("utf-8")


def test_a_csv_file_posts_its_lines_as_invoices_grouped_by_number(world):
    care, trips = world.care.number, world.trips.number
    data = csv_file(
        f"K-1;28.3.2025;11.4.2025;{care};3.3.2025;2;40,00;80,00;Kotiapu",
        f"K-1;28.3.2025;11.4.2025;{trips};2025-03-04;1;25.00;25.00;Kuljetus",
        f"K-2;2025-03-28;2025-04-11;{care};10.3.2025;1,5;40;60;",
    )

    import_file = send(world, data, "lines.csv")

    assert (import_file.kind, import_file.status, import_file.problems) == (ImportKind.CSV, ImportStatus.PROCESSED, [])
    assert (import_file.lines_total, import_file.lines_posted) == (3, 3)
    assert list(Invoice.objects.order_by("invoice_number").values_list("invoice_number", "source", "total")) == [
        ("K-1", InvoiceSource.CSV, Decimal("105.00")),
        ("K-2", InvoiceSource.CSV, Decimal("60.00")),
    ]
    # Line numbers are the file's own lines: the header is line 1.
    assert list(InvoiceLine.objects.order_by("line_number").values_list("line_number", "description")) == [
        (2, "Kotiapu"), (3, "Kuljetus"), (4, "")]
    assert ledger.verify() == []


def test_bad_csv_lines_fail_one_by_one_and_the_good_lines_post(world):
    care = world.care.number
    data = csv_file(
        f"K-1;28.3.2025;11.4.2025;{care};3.3.2025;1;40,00;40,00;hyvä",
        f"K-1;28.3.2025;11.4.2025;{care};31.2.2025;1;40,00;40,00;päivä ei ole olemassa",
        f"K-1;28.3.2025;11.4.2025;{care};4.3.2025;yksi;40,00;40,00;",
        f"K-1;28.3.2025;11.4.2025;;5.3.2025;1;40,00;40,00;",
        "",
        f"K-1;28.3.2025;11.4.2025;HB-EIOLEMASSA;6.3.2025;1;40,00;40,00;",
        f"K-1;28.3.2025;11.4.2025;{care};7.3.2025;1;45,00;45,00;",
        f"K-1;29.3.2025;11.4.2025;{care};8.3.2025;1;40,00;40,00;eri päivä",
        f"K-2;28.3.2025;11.4.2025;{care};9.3.2025;1;40,005;40,01;",
        f"K-2;28.3.2025;11.4.2025;{care};10.3.2025;1;40,00;40,00;hyvä",
    )

    with translation.override("en"):
        import_file = send(world, data, "lines.csv")
        messages = dict((p["line"], problem_message(p)) for p in import_file.problems)

    assert problems(import_file) == [
        (3, "csv_bad_date"),
        (4, "csv_bad_number"),
        (5, "csv_missing_value"),
        (7, "unknown_agreement"),
        (8, "price_above_agreed"),
        (9, "csv_invoice_details_differ"),
        (10, "too_many_decimals"),
    ]
    assert messages[3] == "service_date “31.2.2025” is not a date. Write dates as 2026-03-15 or 15.3.2026."
    assert messages[4] == "quantity “yksi” is not a number. Write numbers like 12,50 or 12.50."
    assert messages[5] == "The column agreement is empty."
    assert messages[9].startswith("The lines of invoice K-1 do not agree")
    assert (import_file.lines_total, import_file.lines_posted) == (9, 2)  # the empty line 6 is not a line
    assert sorted(InvoiceLine.objects.values_list("line_number", flat=True)) == [2, 11]
    assert ledger.verify() == []


def test_a_comma_separated_csv_with_quoted_decimals_and_any_case_header_is_read(world):
    header = CSV_HEADER.replace(";", ",").upper() + ",PAYEE_IBAN,Reference"
    data = csv_file(
        f'K-1,2025-03-28,2025-04-11,{world.care.number},2025-03-03,"1,5","40,00","60,00",Kotiapu,'
        f"{world.provider.iban},RF18539007547034",
        header=header,
        bom=False,
    )

    import_file = send(world, data, "lines.csv")

    assert import_file.problems == []
    invoice = Invoice.objects.get()
    assert (invoice.total, invoice.reference) == (Decimal("60.00"), "RF18539007547034")


def test_a_csv_line_with_another_account_than_the_registered_one_fails(world):
    # An account at a bank none of the test providers' generated accounts is at.
    data = csv_file(
        f"K-1;28.3.2025;11.4.2025;{world.care.number};3.3.2025;1;40,00;40,00;;FI1410093000123458;",
        header=CSV_HEADER + ";payee_iban;reference",
    )

    import_file = send(world, data, "lines.csv")

    assert problems(import_file) == [(2, "iban_not_agreed")]
    assert nothing_posted()


def test_the_example_csv_offered_to_providers_is_a_valid_file():
    read = read_csv(example_csv(), SimpleNamespace(iban="FI2112345600000785"))
    assert (read.lines_total, read.problems) == (3, [])
    assert [(claim.invoice_number, len(claim.lines)) for claim in read.claims] == [("2026-101", 2), ("2026-102", 1)]


# --- Files that cannot be read -------------------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Finvoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Finvoice Version="3.0"><InvoiceDetails><InvoiceNumber>&secret;</InvoiceNumber></InvoiceDetails></Finvoice>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Finvoice Version="3.0">&lol3;</Finvoice>"""
DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE Finvoice SYSTEM "http://example.invalid/finvoice.dtd">
<Finvoice Version="3.0"/>"""


def _truncated(world) -> bytes:
    data = finvoice_file(world.provider, [(world.care.number, dt.date(2025, 3, 3), "1", "40.00")])
    return data[: len(data) // 2]


REJECTED_FILES = {
    "external entity": (lambda world: XXE, ImportKind.FINVOICE, "xml_unsafe"),
    "billion laughs": (lambda world: BILLION_LAUGHS, ImportKind.FINVOICE, "xml_unsafe"),
    "DTD": (lambda world: DTD_ONLY, ImportKind.FINVOICE, "xml_unsafe"),
    "truncated XML": (_truncated, ImportKind.FINVOICE, "not_xml"),
    "another XML message": (lambda world: b"<Document><Foo/></Document>", ImportKind.FINVOICE, "not_finvoice"),
    "an old Finvoice": (lambda world: b'<Finvoice Version="2.01"/>', ImportKind.FINVOICE, "unsupported_version"),
    "CSV not in UTF-8": (
        lambda world: (CSV_HEADER + "\nK-1;28.3.2025;11.4.2025;HB-1;3.3.2025;1;40;40;Kotiapu ja siivous äö\n").encode(
            "cp1252"),
        ImportKind.CSV,
        "csv_not_utf8",
    ),
    "binary junk": (lambda world: bytes(range(1, 256)) * 40, ImportKind.CSV, "file_not_invoice"),
    "binary with NUL bytes": (lambda world: b"a;b\n\x00\x01\x02", ImportKind.CSV, "file_not_invoice"),
    "a spreadsheet": (lambda world: b"PK\x03\x04" + b"\x14\x00" * 100, ImportKind.CSV, "file_not_invoice"),
    "oversized": (lambda world: csv_file() + b"x" * MAX_FILE_BYTES, ImportKind.CSV, "file_too_large"),
    "CSV without a header": (
        lambda world: f"K-1;28.3.2025;11.4.2025;{world.care.number};3.3.2025;1;40;40;x\n".encode(),
        ImportKind.CSV,
        "csv_no_header",
    ),
    "CSV with a header only": (lambda world: csv_file(), ImportKind.CSV, "csv_no_rows"),
    "CSV with a column missing": (
        lambda world: csv_file("K-1;28.3.2025;11.4.2025;HB-1;3.3.2025;1;40", header=CSV_HEADER.rsplit(";", 2)[0]),
        ImportKind.CSV,
        "csv_missing_columns",
    ),
    "CSV with an unclosed quotation mark": (
        lambda world: csv_file(f'K-1;28.3.2025;11.4.2025;{world.care.number};3.3.2025;1;40;40;"Kotiapu',
                               "K-2;28.3.2025;11.4.2025;HB-1;3.3.2025;1;40;40;x"),
        ImportKind.CSV,
        "csv_unreadable",
    ),
    "an empty file": (lambda world: b"", ImportKind.CSV, "file_empty"),
    "white space only": (lambda world: b" \r\n\t\n", ImportKind.CSV, "file_empty"),
}


@pytest.mark.parametrize("case", REJECTED_FILES, ids=list(REJECTED_FILES))
def test_a_file_that_cannot_be_read_is_rejected_with_its_reason_and_posts_nothing(world, case):
    make_data, kind, code = REJECTED_FILES[case]
    data = make_data(world)
    before = db_snapshot()

    with translation.override("en"):
        import_file = send(world, data, "upload")
        message = problem_message(import_file.problems[0])
        expected = str(IMPORT_MESSAGES[code]) % import_file.problems[0]["params"]

    assert (import_file.kind, import_file.status) == (kind, ImportStatus.REJECTED)
    assert [p["code"] for p in import_file.problems if p["line"] is None] == [code]
    assert message == expected and "?" not in message
    assert import_file.lines_posted == 0
    after = db_snapshot()
    recorded = after.pop("accounts.ImportFile")
    before.pop("accounts.ImportFile")
    assert after == before  # no invoice, line, entry or total changed
    assert len(recorded) == 1
    # The rejected file is kept (for the sender to see), except a file over the limit, which is not stored.
    assert bytes(ImportFile.objects.get().content) == (b"" if code == "file_too_large" else data)


def test_a_csv_with_unknown_and_repeated_columns_names_them(world):
    data = csv_file("K-1;1.3.2025", header="invoice_number;amout;Invoice_Number")

    import_file = send(world, data, "lines.csv")

    assert import_file.problems == [
        {"line": None, "code": "csv_unknown_columns", "params": {"columns": "amout"}},
        {"line": None, "code": "csv_duplicate_columns", "params": {"columns": "invoice_number"}},
        {"line": None, "code": "csv_missing_columns",
         "params": {"columns": "invoice_date, due_date, agreement, service_date, quantity, unit_price, amount"}},
    ]


def test_every_code_of_the_finvoice_reader_has_a_plain_message():
    reader_codes = (
        "file_empty file_too_large not_xml xml_unsafe not_finvoice unsupported_version schema "
        "missing_seller_business_id invalid_business_id missing_seller_name missing_buyer_name missing_seller_iban "
        "invalid_iban invalid_bic missing_invoice_number missing_invoice_date missing_due_date invalid_date "
        "invalid_reference missing_total missing_currency invalid_amount invalid_number currency_mismatch no_rows "
        "total_mismatch row_schema row_missing_price row_missing_quantity row_missing_amount row_invalid_number "
        "row_invalid_amount row_invalid_date row_currency_mismatch row_amount_mismatch row_dates_reversed row_sub_rows"
    ).split()
    assert [code for code in reader_codes if code not in IMPORT_MESSAGES] == []
    with translation.override("en"):
        assert problem_message({"line": 4, "code": "row_something_new", "params": {"x": 1}}) == (
            "This row cannot be read: row_something_new")
        assert problem_message({"line": None, "code": "something_new", "params": {}}) == (
            "The file cannot be read: something_new")
        # A message whose parameter is missing still shows, with a question mark.
        assert problem_message({"line": 2, "code": "csv_bad_date", "params": {}}) == (
            "? “?” is not a date. Write dates as 2026-03-15 or 15.3.2026.")


# --- Once per file, and the rare cases -------------------------------------------------------------------------------


def test_the_same_bytes_from_another_provider_are_refused_and_change_nothing(world):
    data = csv_file(f"K-1;28.3.2025;11.4.2025;{world.care.number};3.3.2025;1;40;40;x")
    send(world, data, "lines.csv")
    other = make_provider(world.account.organiser)

    with frozen_at(IN_MARCH):
        refused("file_sent_by_other", import_invoice_file, provider=other, filename="lines.csv", data=data,
                received_by=make_provider_contact(other))


def test_a_file_left_received_by_another_path_is_processed_when_it_is_met(world):
    data = csv_file(f"K-1;28.3.2025;11.4.2025;{world.care.number};3.3.2025;1;40;40;x")
    import hashlib

    with frozen_at(IN_MARCH):
        left = ImportFile.objects.create(
            organiser=world.provider.organiser, provider=world.provider, kind=ImportKind.CSV, filename="inbox.csv",
            sha256=hashlib.sha256(data).hexdigest(), size=len(data), content=data, received_by=world.user,
            received_at=clock.now(),
        )
        import_file = import_invoice_file(provider=world.provider, filename="x.csv", data=data, received_by=world.user)

    assert import_file.pk == left.pk and not import_file.repeated
    assert (import_file.status, import_file.lines_posted) == (ImportStatus.PROCESSED, 1)
    before = db_snapshot()
    with frozen_at(IN_MARCH):
        assert process_import_file(left, by=world.user).status == ImportStatus.PROCESSED
    assert db_snapshot() == before


def test_a_file_rejected_for_its_content_is_not_read_again_when_sent_again(world):
    first = send(world, b"", "empty.csv")
    assert send(world, b"", "empty.csv").pk == first.pk
    assert ImportFile.objects.count() == 1
