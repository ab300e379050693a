"""The payment pages: finance makes a batch, exports its file, reads the bank's notification; the organiser's
administrator sets the paying account. Nobody else gets in, and another organiser's batches are not found."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from avain.accounts.formats.camt054 import build_camt054
from avain.accounts.formats.pain001 import control_totals, parse_pain001
from avain.accounts.models import (
    BatchStatus,
    ImportFile,
    ImportStatus,
    Invoice,
    InvoiceStatus,
    PayerAccount,
    PaymentBatch,
    PaymentStatus,
)
from avain.accounts.tests.test_payments import (
    IN_MARCH,
    ON_PAY_DAY,
    PAY_DAY,
    PAYER,
    REFERENCE,
    approved_invoices_world,
    bank_notification,
    claim,
    exported,
    new_batch,
    post_invoices,
)
from avain.accounts.payments import create_batch, set_payer_account
from avain.core.clock import frozen_at
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.testing import db_snapshot, login_verified, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    organiser, account, finance = approved_invoices_world()
    a, b = post_invoices(
        account,
        claim("A-1", ("first", 2), ("second", 1), reference=REFERENCE),
        claim("B-2", ("first", 3)),
    )
    set_payer_account(organiser=organiser, by=finance, **PAYER)
    return organiser, account, finance, a, b


def signed_in(client, user):
    login_verified(client, user)
    return client


def upload(data: bytes, name="camt054.xml"):
    return {"file": SimpleUploadedFile(name, data, content_type="application/xml")}


def batch_urls(batch):
    return [
        ("get", reverse("payment_batch", args=[batch.pk])),
        ("post", reverse("payment_batch_export", args=[batch.pk])),
        ("post", reverse("payment_batch_cancel", args=[batch.pk])),
        ("post", reverse("payment_batch_date", args=[batch.pk])),
        ("get", reverse("payment_batch_file", args=[batch.pk])),
    ]


# --- Who gets in ---------------------------------------------------------------------------------------------------


def test_only_finance_gets_the_payment_pages(world, client):
    organiser, account, finance, a, b = world
    batch = new_batch(organiser, finance)
    pages = [("get", reverse("payments")), ("post", reverse("payment_batch_create")),
             ("get", reverse("payment_notifications")), *batch_urls(batch)]

    for role in (Role.SOCIAL_WORKER, Role.APPROVER, Role.ORGANISER_ADMIN, Role.RESEARCHER):
        signed_in(client, make_staff(organiser, role))
        for method, url in pages:
            assert getattr(client, method)(url).status_code == 403, (role, url)
    client.logout()
    assert client.get(reverse("payments")).status_code == 302
    assert PaymentBatch.objects.get(pk=batch.pk).status == BatchStatus.DRAFT


def test_finance_of_another_organiser_finds_no_batch_and_no_notification(world, client):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    with frozen_at(ON_PAY_DAY):
        signed_in(client, finance).post(reverse("payment_notifications"), upload(bank_notification(batch)))
    record = ImportFile.objects.get()
    other_organiser, _account, other_finance = approved_invoices_world()
    signed_in(client, other_finance)
    before = db_snapshot()

    for method, url in [*batch_urls(batch), ("get", reverse("payment_notification", args=[record.pk]))]:
        assert getattr(client, method)(url).status_code == 404, url
    page = client.get(reverse("payments"))
    assert batch.message_id not in page.content.decode()
    assert db_snapshot() == before


def test_only_the_organisers_administrator_sets_the_payer_account(world, client):
    organiser, account, finance, a, b = world
    url = reverse("payer_account")
    signed_in(client, finance)
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "X", "iban": PAYER["iban"], "bic": "OKOYFIHH"}).status_code == 403

    signed_in(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    page = client.post(url, {"name": "Hyvinvointialue", "iban": "FI42 5000 1510 0000 24", "bic": "OKOY"},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    text = page.content.decode()
    assert "is not a valid IBAN account number" in text and "is not a valid BIC" in text
    assert PayerAccount.objects.get(organiser=organiser).iban == PAYER["iban"]

    page = client.post(url, {"name": "Itä-Uusimaa", "iban": "FI21 1234 5600 0007 85", "bic": "NDEAFIHH"})
    assert page.status_code == 302
    payer = PayerAccount.objects.get(organiser=organiser)
    assert (payer.name, payer.iban, payer.bic) == ("Itä-Uusimaa", "FI2112345600000785", "NDEAFIHH")
    assert "FI2112345600000785" in client.get(url).content.decode()


# --- The happy path ------------------------------------------------------------------------------------------------


def test_finance_pays_the_waiting_invoices_in_a_few_clicks(world, client):
    organiser, account, finance, a, b = world
    signed_in(client, finance)
    with frozen_at(IN_MARCH):
        overview = client.get(reverse("payments"), HTTP_ACCEPT_LANGUAGE="en")
        assert overview.status_code == 200
        text = overview.content.decode()
        assert '<span class="value" data-testid="waiting-count">2</span>' in text
        assert "290.00" in text

        response = client.post(reverse("payment_batch_create"), {"execution_date": PAY_DAY.isoformat()})
        batch = PaymentBatch.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse("payment_batch", args=[batch.pk])
        assert Invoice.objects.get(pk=a.pk).status == InvoiceStatus.IN_PAYMENT

        detail = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "A-1" in detail and "B-2" in detail and "290.00" in detail and "Cancel the batch" in detail

        client.post(reverse("payment_batch_export", args=[batch.pk]))
        detail = client.get(reverse("payment_batch", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Download the payment file" in detail and "Cancel the batch" not in detail

        download = client.get(reverse("payment_batch_file", args=[batch.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/xml"
    assert f'filename="{batch.message_id}.xml"' in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    data = b"".join(download.streaming_content) if download.streaming else download.content
    assert control_totals(data) == (2, Decimal("290.00"))

    batch.refresh_from_db()
    with frozen_at(ON_PAY_DAY):
        response = client.post(reverse("payment_notifications"), upload(bank_notification(batch)))
        record = ImportFile.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("payment_notification", args=[record.pk])
        result = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert record.status == ImportStatus.PROCESSED
    assert "Marked paid" in result and "A-1" in result and "B-2" in result
    assert "Nothing: every transaction was matched." in result
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.PAID}

    # The same file again shows the first result and changes nothing.
    before = db_snapshot()
    with frozen_at(ON_PAY_DAY + dt.timedelta(hours=1)):
        again = client.post(reverse("payment_notifications"), upload(bank_notification(batch), "again.xml"),
                            HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "was already read" in again.content.decode()
    assert again.redirect_chain[-1][0] == reverse("payment_notification", args=[record.pk])
    assert db_snapshot() == before


def test_a_draft_batch_is_cancelled_from_its_page_and_an_exported_one_is_not(world, client):
    organiser, account, finance, a, b = world
    signed_in(client, finance)
    draft = new_batch(organiser, finance)
    with frozen_at(IN_MARCH):
        client.post(reverse("payment_batch_cancel", args=[draft.pk]))
    assert PaymentBatch.objects.get(pk=draft.pk).status == BatchStatus.CANCELLED
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.APPROVED}

    sent = exported(organiser, finance)
    with frozen_at(IN_MARCH):
        page = client.post(reverse("payment_batch_cancel", args=[sent.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "can no longer be cancelled" in page.content.decode()
    assert PaymentBatch.objects.get(pk=sent.pk).status == BatchStatus.EXPORTED
    assert not sent.payments.exclude(status=PaymentStatus.PENDING).exists()


def test_a_draft_batch_moves_to_another_payment_date_and_an_exported_one_does_not(world, client):
    organiser, account, finance, a, b = world
    signed_in(client, finance)
    draft = new_batch(organiser, finance)
    url = reverse("payment_batch_date", args=[draft.pk])
    later = PAY_DAY + dt.timedelta(days=7)
    with frozen_at(IN_MARCH):
        page = client.post(url, {"execution_date": later.isoformat()}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
        assert "The payment date is now" in page.content.decode()
        assert PaymentBatch.objects.get(pk=draft.pk).execution_date == later
        before = db_snapshot()
        for value, message in (("2025-03-01", "has passed"), ("31.2.2025", "Enter a valid date")):
            page = client.post(url, {"execution_date": value}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
            assert message in page.content.decode()
        assert db_snapshot() == before
        export = client.post(reverse("payment_batch_export", args=[draft.pk]))
        assert export.status_code == 302
        page = client.post(url, {"execution_date": PAY_DAY.isoformat()}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "can no longer be changed here" in page.content.decode()
    draft.refresh_from_db()
    assert draft.execution_date == later
    # The bank is told the date the batch has when its file is made.
    assert parse_pain001(bytes(draft.pain001)).execution_date == later


def test_a_batch_with_a_past_date_or_nothing_to_pay_is_refused_on_the_page(world, client):
    organiser, account, finance, a, b = world
    signed_in(client, finance)
    with frozen_at(IN_MARCH):
        page = client.post(reverse("payment_batch_create"), {"execution_date": "2025-03-01"}, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 400 and "has passed" in page.content.decode()
        new_batch(organiser, finance)
        page = client.post(reverse("payment_batch_create"), {"execution_date": PAY_DAY.isoformat()},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400 and "no approved invoices waiting" in page.content.decode()
    assert PaymentBatch.objects.count() == 1


def test_finance_chooses_the_invoices_of_a_batch_on_the_page(world, client):
    organiser, account, finance, a, b = world
    signed_in(client, finance)
    with frozen_at(IN_MARCH):
        text = client.get(reverse("payments"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        listed = text[text.index('data-testid="waiting-invoices"'):]
        for invoice in (a, b):  # every waiting invoice is listed, ticked
            assert f'name="chosen-invoices" value="{invoice.pk}" id="chosen-invoice-{invoice.pk}" checked>' in listed
        response = client.post(reverse("payment_batch_create"), {
            "mode": "chosen", "chosen-execution_date": PAY_DAY.isoformat(), "chosen-invoices": [b.pk],
        })
    batch = PaymentBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payment_batch", args=[batch.pk])
    assert list(batch.payments.values_list("invoice_id", flat=True)) == [b.pk]
    assert Invoice.objects.get(pk=a.pk).status == InvoiceStatus.APPROVED  # left for a later batch
    assert Invoice.objects.get(pk=b.pk).status == InvoiceStatus.IN_PAYMENT


def test_a_batch_of_no_chosen_invoice_or_of_one_no_longer_waiting_is_refused(world, client):
    organiser, account, finance, a, b = world
    signed_in(client, finance)
    before = db_snapshot()
    with frozen_at(IN_MARCH):
        page = client.post(reverse("payment_batch_create"), {
            "mode": "chosen", "chosen-execution_date": PAY_DAY.isoformat(),
        }, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 400 and "Choose at least one invoice to pay." in page.content.decode()
        assert db_snapshot() == before
        # Meanwhile A-1 went into another batch: a list sent from an older page is refused as a whole.
        other = create_batch(organiser=organiser, execution_date=PAY_DAY, created_by=finance, invoice_ids=[a.pk])
        page = client.post(reverse("payment_batch_create"), {
            "mode": "chosen", "chosen-execution_date": PAY_DAY.isoformat(), "chosen-invoices": [a.pk, b.pk],
        }, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400 and "is not one of the available choices" in page.content.decode()
    assert list(PaymentBatch.objects.values_list("pk", flat=True)) == [other.pk]
    assert Invoice.objects.get(pk=b.pk).status == InvoiceStatus.APPROVED


def test_a_receipt_waiting_for_payment_is_logged_when_the_list_shows_its_payee(world, client):
    organiser, account, finance, a, b = world
    Invoice.objects.filter(pk=b.pk).update(source="receipt", provider=None)
    signed_in(client, finance)
    with frozen_at(IN_MARCH):
        client.get(reverse("payments"))
    entry = AccessLogEntry.objects.get()
    assert (entry.client_id, entry.actor_id, entry.what) == (account.client_id, finance.pk, AccessLogEntry.What.INVOICE)


def test_export_without_a_payer_account_says_who_sets_it(world, client):
    organiser, account, finance, a, b = world
    PayerAccount.objects.all().delete()
    batch = new_batch(organiser, finance)
    signed_in(client, finance)
    with frozen_at(IN_MARCH):
        page = client.post(reverse("payment_batch_export", args=[batch.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "administrator" in page.content.decode()
    assert PaymentBatch.objects.get(pk=batch.pk).status == BatchStatus.DRAFT
    assert client.get(reverse("payment_batch_file", args=[batch.pk])).status_code == 404


def test_a_broken_file_is_shown_as_not_read_with_its_reason(world, client):
    organiser, account, finance, a, b = world
    signed_in(client, finance)
    with frozen_at(ON_PAY_DAY):
        page = client.post(reverse("payment_notifications"), upload(b"<Document><broken>", "pankki.xml"),
                           follow=True, HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "The file was not read" in text and "The file is not readable XML." in text
    assert ImportFile.objects.get().status == ImportStatus.REJECTED


def test_a_return_is_listed_per_entry_with_its_reason(world, client):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    returned = batch.payments.get(invoice=b)
    signed_in(client, finance)
    with frozen_at(ON_PAY_DAY):
        page = client.post(reverse("payment_notifications"),
                           upload(bank_notification(batch, returns={returned.end_to_end_id: "AC04"})),
                           follow=True, HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Returned by the bank" in text
    assert "the account is closed (AC04)" in text and "B-2" in text
    assert Invoice.objects.get(pk=b.pk).status == InvoiceStatus.APPROVED


def test_without_a_file_the_upload_asks_for_one(world, client):
    signed_in(client, world[2])
    page = client.post(reverse("payment_notifications"), {}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400 and "error-summary" in page.content.decode()
    assert not ImportFile.objects.exists()


def test_viewing_payments_to_providers_writes_no_access_log(world, client):
    organiser, account, finance, a, b = world
    batch = new_batch(organiser, finance)
    signed_in(client, finance)
    client.get(reverse("payment_batch", args=[batch.pk]))
    assert not AccessLogEntry.objects.exists()


def test_a_receipt_paid_to_the_client_is_logged_in_the_clients_access_log(world, client):
    organiser, account, finance, a, b = world
    # A client's receipt is paid to the client: the payee shown is the client.
    Invoice.objects.filter(pk=b.pk).update(source="receipt", provider=None)
    batch = new_batch(organiser, finance)
    signed_in(client, finance)
    client.get(reverse("payment_batch", args=[batch.pk]))
    entry = AccessLogEntry.objects.get()
    assert (entry.client_id, entry.actor_id, entry.what, entry.actor_role) == (
        account.client_id, finance.pk, AccessLogEntry.What.INVOICE, Role.FINANCE)


# --- In a real browser -----------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_pays_through_the_pages_in_a_browser(live_server, new_page, assert_accessible, sign_in, tmp_path):
    """The live server runs on the real clock: the invoices are for services given today."""
    from playwright.sync_api import expect

    from avain.accounts.models import FundingRule
    from avain.accounts.posting import post_provider_invoices
    from avain.core import clock
    from avain.testing import TEST_PASSWORD, account_of, case_active, invoice_claim, make_agreement, make_organiser

    organiser = make_organiser(name="Maksujen hyvinvointialue")
    FundingRule.objects.create(organiser=organiser, client_acceptance=False, staff_approval=False)
    account = account_of(case_active(organiser=organiser))
    agreement = make_agreement(account, unit_price="50.00", quantity="10")
    post_provider_invoices(provider=agreement.provider, claims=[invoice_claim(agreement, (clock.today(), "2"))],
                           source="portal", recorded_by=agreement.made_by)
    finance = make_staff(organiser, Role.FINANCE, "fiona.finance", password=TEST_PASSWORD)
    admin = make_staff(organiser, Role.ORGANISER_ADMIN, "anna.admin", password=TEST_PASSWORD)

    page = new_page("en")
    sign_in(page, admin)
    page.goto(f"{live_server.url}/payments/payer-account/")
    assert_accessible(page)
    page.get_by_label("Account number (IBAN)").fill("FI42 5000 1510 0000 23")
    page.get_by_label("BIC of the bank").fill("OKOYFIHH")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The bank account for payments is saved.")).to_be_visible()

    page = new_page("en")
    sign_in(page, finance)
    page.goto(f"{live_server.url}/payments/")
    expect(page.get_by_test_id("waiting-count")).to_have_text("1")
    assert_accessible(page)
    page.get_by_text("Choose the invoices to pay").click()  # the list to choose from, checked open too
    expect(page.get_by_role("checkbox")).to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Make a batch", exact=True).click()
    expect(page.get_by_test_id("batch-status")).to_have_text("Being prepared")
    assert_accessible(page)
    page.get_by_role("button", name="Make the payment file").click()
    expect(page.get_by_role("link", name="Download the payment file (pain.001)")).to_be_visible()
    assert_accessible(page)

    batch = PaymentBatch.objects.get()
    notification = tmp_path / "camt054.xml"
    received = parse_pain001(bytes(batch.pain001))
    notification.write_bytes(build_camt054(received, message_id="NTF-B", created_at=clock.now().replace(tzinfo=None),
                                           booking_date=clock.today()))
    page.goto(f"{live_server.url}/payments/notifications/")
    assert_accessible(page)
    page.get_by_label("The bank's notification (camt.054 file)").set_input_files(str(notification))
    page.get_by_role("button", name="Read the file").click()
    expect(page.get_by_test_id("notification-status")).to_have_text("Processed")
    expect(page.get_by_role("table", name="Marked paid")).to_contain_text("100.00")
    assert_accessible(page)
    assert Invoice.objects.get().status == InvoiceStatus.PAID


def notices_table(html: str) -> list[list[str]]:
    """The rows of the batch page's table of the bank's notifications, as text."""
    import re
    from html import unescape

    table = html[html.index('data-testid="notices"'):]
    table = table[: table.index("</table>")]
    body = table[table.index("<tbody>"):]
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_batch_page_lists_every_notification_of_its_payments_in_order(world, client):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    payment_a = batch.payments.get(invoice=a)
    signed_in(client, finance)
    page = client.get(reverse("payment_batch", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert notices_table(page) == [["No notification of the bank about these payments has been read yet."]]

    with frozen_at(ON_PAY_DAY):
        client.post(reverse("payment_notifications"), upload(bank_notification(batch, message_id="N-1"), "booked.xml"))
    with frozen_at(ON_PAY_DAY + dt.timedelta(days=1)):
        client.post(
            reverse("payment_notifications"),
            upload(bank_notification(batch, message_id="N-2", returns={payment_a.end_to_end_id: "AC04"}), "returned.xml"),
        )
    booked = ImportFile.objects.get(filename="booked.xml")
    with frozen_at(ON_PAY_DAY + dt.timedelta(days=2)):
        page = client.get(reverse("payment_batch", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        first_file = client.get(reverse("payment_notification", args=[booked.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = notices_table(page)
    assert [(row[1], row[3], row[6]) for row in rows] == [
        ("booked.xml", "A-1", "Marked paid"),
        ("booked.xml", "B-2", "Marked paid"),
        ("returned.xml", "A-1", "Already paid: nothing changed"),
        ("returned.xml", "B-2", "Already paid: nothing changed"),
        ("returned.xml", "A-1", "Returned by the bank (AC04)"),
    ]
    assert rows[0][5] == "140.00\N{NO-BREAK SPACE}€" and rows[0][4] == "04/01/2025"
    assert reverse("payment_notification", args=[booked.pk]) in page
    # The first file still shows what it did, though a later file returned one of its payments.
    marked_paid = first_file[first_file.index("Marked paid"):first_file.index("What needs a look")]
    assert "A-1" in marked_paid and "B-2" in marked_paid
    assert "Returned by the bank" not in first_file
