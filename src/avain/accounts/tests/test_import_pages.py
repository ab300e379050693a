"""The provider's invoice-file pages: sending a file, the result with every failed line and its reason, the list of
files sent, the example CSV; each provider sees only its own files."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from avain.accounts.formats.finvoice import InvoiceMessage, InvoiceRow, build_finvoice_file
from avain.accounts.imports import MAX_FILE_BYTES, example_csv
from avain.accounts.models import ImportFile, ImportStatus, Invoice
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.testing import (
    account_of,
    case_active,
    db_snapshot,
    login_verified,
    make_agreement,
    make_provider,
    make_provider_contact,
    make_staff,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
HEADER = "invoice_number;invoice_date;due_date;agreement;service_date;quantity;unit_price;amount;description"


@pytest.fixture
def agreement():
    with frozen_at(dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)):
        account = account_of(case_active(period=PERIOD))
    with frozen_at(dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.UTC)):
        return make_agreement(account, provider=make_provider(account.organiser), unit_price="40.00", quantity="10")


def signed_in(client, provider):
    user = make_provider_contact(provider)
    TOTPDevice.objects.create(user=user, name="puhelin", confirmed=True)
    login_verified(client, user)
    return user


def lines_csv(agreement) -> bytes:
    return "\r\n".join([
        HEADER,
        f"K-1;28.3.2025;11.4.2025;{agreement.number};3.3.2025;2;40,00;80,00;Kotiapu",
        f"K-1;28.3.2025;11.4.2025;{agreement.number};4.3.2025;1;<script>x</script>;40,00;",
        f"K-1;28.3.2025;11.4.2025;{agreement.number};5.3.2025;1;45,00;45,00;",
        "",
    ]).encode()


def upload(client, data: bytes, name: str = "lines.csv"):
    with frozen_at(IN_MARCH):
        return client.post(
            reverse("provider_invoice_upload"),
            {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
            HTTP_ACCEPT_LANGUAGE="en",
        )


def get(client, url):
    with frozen_at(IN_MARCH):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_provider_sends_a_csv_file_and_sees_which_lines_failed_and_why(client, agreement):
    signed_in(client, agreement.provider)
    page = text(get(client, reverse("provider_invoice_upload")))
    assert 'accept=".xml,.csv' in page and reverse("provider_invoice_csv_example") in page

    response = upload(client, lines_csv(agreement))

    import_file = ImportFile.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("provider_import", args=[import_file.pk])
    assert (import_file.status, import_file.lines_total, import_file.lines_posted) == (ImportStatus.PROCESSED, 3, 1)
    page = text(get(client, response["Location"]))
    assert "Lines read</span><span class=\"value\">3<" in page
    assert "Lines recorded</span><span class=\"value\">1<" in page
    assert "Lines failed</span><span class=\"value\">2<" in page
    # The sender's own text is echoed escaped, never as markup.
    assert "<td class=\"num\">3</td><td>unit_price “&lt;script&gt;x&lt;/script&gt;” is not a number." in page
    assert "<td class=\"num\">4</td><td>The price 45.00 € is more than the agreed 40.00 € per unit.</td>" in page
    assert "<script>x</script>" not in page
    assert "K-1" in page  # the invoice recorded from the good line

    listing = text(get(client, reverse("provider_imports")))
    assert "lines.csv" in listing and reverse("provider_import", args=[import_file.pk]) in listing


def test_sending_the_same_file_again_shows_the_first_result_and_records_nothing(client, agreement):
    signed_in(client, agreement.provider)
    first = upload(client, lines_csv(agreement))
    before = db_snapshot()

    again = upload(client, lines_csv(agreement), "again.csv")

    assert again["Location"] == first["Location"]
    assert db_snapshot() == before
    assert "You have sent this file before." in text(get(client, again["Location"]))


def test_a_rejected_file_shows_its_reason_and_records_no_invoice(client, agreement):
    signed_in(client, agreement.provider)

    response = upload(client, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Finvoice Version="3.0"/>', "bad.xml")

    page = text(get(client, response["Location"]))
    assert "The file was not accepted. Nothing in it was recorded." in page
    assert "The file declares a DTD or entities." in page
    assert not Invoice.objects.exists()


def test_a_file_over_the_limit_is_refused_by_the_form_before_it_is_read(client, agreement):
    signed_in(client, agreement.provider)
    before = db_snapshot()

    response = upload(client, HEADER.encode() + b"\n" + b"x" * MAX_FILE_BYTES)

    assert response.status_code == 200
    assert "The file is larger than 20 MB." in text(response)
    assert db_snapshot() == before


def test_the_example_csv_downloads_as_a_file(client, agreement):
    signed_in(client, agreement.provider)

    response = get(client, reverse("provider_invoice_csv_example"))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content == example_csv()


def test_a_provider_sees_only_its_own_files_and_others_get_no_provider_pages(client, agreement):
    signed_in(client, agreement.provider)
    upload(client, lines_csv(agreement))
    import_file = ImportFile.objects.get()
    detail = reverse("provider_import", args=[import_file.pk])

    other = make_provider(agreement.organiser)
    client.logout()
    signed_in(client, other)
    assert get(client, detail).status_code == 404
    assert "lines.csv" not in text(get(client, reverse("provider_imports")))

    client.logout()
    staff = make_staff(agreement.organiser, role=Role.SOCIAL_WORKER)
    login_verified(client, staff)
    for url in (detail, reverse("provider_imports"), reverse("provider_invoice_upload")):
        assert get(client, url).status_code == 403

    client.logout()
    assert get(client, detail).status_code == 302  # to the sign-in page


def several_invoices(agreement, *, other_seller: str) -> bytes:
    """A transmission file of three invoices: F-1 right, F-2 from another seller, F-3 with a row above the agreed
    price (its row 2)."""
    provider = agreement.provider

    def invoice(number, prices, business_id=None):
        rows = tuple(
            InvoiceRow(n, unit_price=Decimal(price), quantity=Decimal(1), amount=Decimal(price),
                       delivery_date=dt.date(2025, 3, 3), buyer_reference=agreement.number)
            for n, price in enumerate(prices, start=1)
        )
        return InvoiceMessage(
            seller_business_id=business_id or provider.business_id, seller_name=provider.name,
            seller_iban=provider.iban, buyer_name="Hyvinvointialue", invoice_number=number,
            invoice_date=dt.date(2025, 3, 28), due_date=dt.date(2025, 4, 11),
            total=sum((row.amount for row in rows), Decimal("0.00")), rows=rows,
        )

    return build_finvoice_file([
        invoice("F-1", ["40.00"]),
        invoice("F-2", ["40.00"], business_id=other_seller),
        invoice("F-3", ["40.00", "45.00"]),
    ])


def test_the_result_of_a_file_of_several_invoices_names_the_invoice_of_each_problem(client, agreement):
    signed_in(client, agreement.provider)
    other = make_provider(agreement.organiser)

    response = upload(client, several_invoices(agreement, other_seller=other.business_id), "batch.xml")

    import_file = ImportFile.objects.get()
    assert (import_file.status, import_file.lines_total, import_file.lines_posted) == (ImportStatus.PROCESSED, 4, 2)
    page = text(get(client, response["Location"]))
    assert "Lines recorded</span><span class=\"value\">2<" in page
    assert "Lines failed</span><span class=\"value\">1<" in page
    assert "Invoices not accepted</span><span class=\"value\">1<" in page
    assert "<caption>Invoices and lines that failed</caption>" in page
    assert (
        "<td>Invoice F-2 (no. 2 in the file)</td><td class=\"num\">whole invoice</td>"
        f"<td>The invoice is from business ID {other.business_id}, but you send invoices for "
        f"{agreement.provider.business_id}. Send only your own invoices.</td>"
    ) in page
    assert (
        "<td>Invoice F-3 (no. 3 in the file)</td><td class=\"num\">2</td>"
        "<td>The price 45.00 € is more than the agreed 40.00 € per unit.</td>"
    ) in page
    assert sorted(Invoice.objects.values_list("invoice_number", flat=True)) == ["F-1", "F-3"]


def test_a_rejected_file_of_several_invoices_names_the_message_at_fault(client, agreement):
    signed_in(client, agreement.provider)
    data = several_invoices(agreement, other_seller=agreement.provider.business_id)
    second = data.index(b"<SOAP-ENV:Envelope", data.index(b"</Finvoice>"))
    hostile = data[:second] + b'<!DOCTYPE x [<!ENTITY a "b">]>\n' + data[second:]

    response = upload(client, hostile, "batch.xml")

    page = text(get(client, response["Location"]))
    assert "The file was not accepted. Nothing in it was recorded." in page
    assert (
        "<td>Invoice no. 2 in the file (its number cannot be read)</td><td class=\"num\">whole invoice</td>"
        "<td>The file declares a DTD or entities." in page
    )
    assert not Invoice.objects.exists()
