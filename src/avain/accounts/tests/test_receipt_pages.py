"""The pages of receipts and invoice approval: who reaches them, what they show, and that each read of a client's
data by someone else is in the client's access log."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from avain.accounts.invoices import accept_invoice
from avain.accounts.models import BudgetAccount, Invoice, InvoiceSource, InvoiceStatus, SubAccount
from avain.accounts.posting import post_provider_invoices
from avain.accounts.receipts import claim_receipt
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.testing import (
    account_of,
    case_active,
    db_snapshot,
    invoice_claim,
    login_verified,
    make_agreement,
    make_assistant,
    make_client,
    make_organiser,
    make_provider_contact,
    make_staff,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(100)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(100)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def in_march():
    with frozen_at(IN_MARCH):
        yield


def active_case(organiser=None):
    organiser = organiser or make_organiser()
    return case_active(client=make_client(organiser, login=True), period=PERIOD)


@pytest.fixture
def case():
    return active_case()


def receipt_of(case, content: bytes = JPEG) -> Invoice:
    account = account_of(case)
    return claim_receipt(
        account=account,
        sub_account=SubAccount.objects.filter(account=account).order_by("pk").first(),
        purchase_date=dt.date(2025, 3, 20),
        amount=Decimal("24.90"),
        description="Uimahallin sarjakortti",
        payee_iban="FI2112345600000785",
        attachment=SimpleUploadedFile("Aino kuitti.jpg", content),
        claimed_by=case.client.user,
    )


def provider_invoice(case) -> Invoice:
    account = account_of(case)
    agreement = make_agreement(account, unit_price="40.00", quantity="10")
    result = post_provider_invoices(
        provider=agreement.provider,
        claims=[invoice_claim(agreement, (dt.date(2025, 3, 10), "3"))],
        source=InvoiceSource.PORTAL,
        recorded_by=agreement.made_by,
    )
    return result.invoices[0]


def fi(client, url, **kwargs):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="fi", **kwargs)


def log_count(client_record, **filters) -> int:
    return AccessLogEntry.objects.filter(client=client_record, what=AccessLogEntry.What.INVOICE, **filters).count()


# --- Claiming a receipt ---------------------------------------------------------------------------------------------


def test_the_receipt_page_shows_what_is_left_the_file_input_and_the_allowance(client, case):
    BudgetAccount.objects.filter(pk=account_of(case).pk).update(no_receipt_allowance=Decimal("50.00"))
    client.force_login(case.client.user)
    response = client.get(reverse("portal_receipt_new", args=[case.client_id]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Henkilökohtainen avustaja arkeen (1,800.00\N{NO-BREAK SPACE}€ left)" in html
    assert 'accept="image/jpeg,image/png,application/pdf"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "I have no receipt" in html
    assert "You have 50.00\N{NO-BREAK SPACE}€ of it left." in html


def test_a_client_claims_a_receipt_on_the_page(client, case):
    client.force_login(case.client.user)
    sub = SubAccount.objects.filter(account=account_of(case)).order_by("pk").first()
    response = client.post(
        reverse("portal_receipt_new", args=[case.client_id]),
        {
            "sub_account": sub.pk,
            "purchase_date": "2025-03-20",
            "amount": "24,90",
            "description": "Uimahallin sarjakortti",
            "payee_iban": "FI21 1234 5600 0007 85",
            "attachment": SimpleUploadedFile("kuitti.jpg", JPEG, content_type="image/jpeg"),
        },
        HTTP_ACCEPT_LANGUAGE="fi",
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal_invoices", args=[case.client_id])
    invoice = Invoice.objects.get(source=InvoiceSource.RECEIPT)
    assert (invoice.total, invoice.status, invoice.accepted_by) == (
        Decimal("24.90"), InvoiceStatus.AWAITING_APPROVAL, case.client.user
    )


def test_a_program_posing_as_a_photo_is_refused_on_the_page_and_nothing_is_kept(client, case, media):
    client.force_login(case.client.user)
    sub = SubAccount.objects.filter(account=account_of(case)).order_by("pk").first()
    before = db_snapshot()
    response = client.post(
        reverse("portal_receipt_new", args=[case.client_id]),
        {
            "sub_account": sub.pk,
            "purchase_date": "2025-03-20",
            "amount": "24,90",
            "description": "Kuitti",
            "payee_iban": "FI2112345600000785",
            "attachment": SimpleUploadedFile("kuitti.jpg", EXE, content_type="image/jpeg"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "The file is not a photo (JPEG or PNG) or a PDF." in response.content.decode()
    assert db_snapshot() == before
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_read_only_delegate_sees_the_page_but_cannot_claim(client, case):
    reader = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=reader, access="read")
    client.force_login(reader)
    url = reverse("portal_receipt_new", args=[case.client_id])
    response = fi(client, url)
    assert response.status_code == 200 and b'type="file"' not in response.content
    before = db_snapshot()
    assert client.post(url, {"amount": "1"}).status_code == 403
    assert db_snapshot() == before


# --- The client's invoices ------------------------------------------------------------------------------------------


def test_the_client_accepts_and_rejects_on_the_invoices_page(client, case):
    first, second = provider_invoice(case), provider_invoice(case)
    client.force_login(case.client.user)
    url = reverse("portal_invoices", args=[case.client_id])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for your acceptance (2)" in html and first.invoice_number in html
    assert client.post(url, {"invoice": first.pk, "action": "accept"}).status_code == 302
    assert client.post(url, {"invoice": first.pk, "action": "accept"}).status_code == 302  # a double click
    assert client.post(url, {"invoice": second.pk, "action": "reject", "reason": "En tilannut tätä."}).status_code == 302
    first, second = Invoice.objects.get(pk=first.pk), Invoice.objects.get(pk=second.pk)
    assert (first.status, first.accepted_by) == (InvoiceStatus.AWAITING_APPROVAL, case.client.user)
    assert (second.status, second.rejection_reason) == (InvoiceStatus.REJECTED, "En tilannut tätä.")
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for your acceptance (0)" in html and "En tilannut tätä." in html


def test_a_reject_without_a_reason_says_so_and_changes_nothing(client, case):
    invoice = provider_invoice(case)
    client.force_login(case.client.user)
    url = reverse("portal_invoices", args=[case.client_id])
    before = db_snapshot()
    response = client.post(url, {"invoice": invoice.pk, "action": "reject", "reason": ""}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Say why the invoice is rejected." in response.content.decode()
    assert db_snapshot() == before


def test_a_read_only_delegate_cannot_accept(client, case):
    invoice = provider_invoice(case)
    reader = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=reader, access="read")
    client.force_login(reader)
    url = reverse("portal_invoices", args=[case.client_id])
    response = fi(client, url)
    assert response.status_code == 200 and b'value="accept"' not in response.content
    assert client.post(url, {"invoice": invoice.pk, "action": "accept"}).status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.AWAITING_ACCEPTANCE
    assert log_count(case.client, actor=reader) == 1  # the GET; the refused POST read nothing


def test_another_clients_invoice_is_not_found_from_this_clients_page(client, case):
    other = provider_invoice(active_case(case.organiser))
    client.force_login(case.client.user)
    url = reverse("portal_invoices", args=[case.client_id])
    assert client.post(url, {"invoice": other.pk, "action": "accept"}).status_code == 404
    assert Invoice.objects.get(pk=other.pk).status == InvoiceStatus.AWAITING_ACCEPTANCE


def test_a_provider_reaches_no_clients_invoice_pages(client, case):
    invoice = provider_invoice(case)
    client.force_login(make_provider_contact(invoice.provider))
    for name in ("portal_invoices", "portal_receipt_new"):
        assert client.get(reverse(name, args=[case.client_id])).status_code == 404
    assert client.post(reverse("portal_invoices", args=[case.client_id]), {"invoice": invoice.pk, "action": "accept"}).status_code == 404
    assert client.get(reverse("invoice_approval")).status_code in (302, 403)


# --- The receipt's file ---------------------------------------------------------------------------------------------


def assert_download(response, content: bytes) -> None:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Aino" not in response["Content-Disposition"]
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == content


def test_the_client_and_a_delegate_download_the_file_and_the_delegates_read_is_logged(client, case):
    invoice = receipt_of(case)
    url = reverse("portal_receipt_file", args=[case.client_id, invoice.pk])
    client.force_login(case.client.user)
    assert_download(client.get(url), JPEG)
    assert log_count(case.client) == 0  # the client's own reads are not logged
    reader = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=reader, access="read")
    client.force_login(reader)
    assert_download(client.get(url), JPEG)
    assert log_count(case.client, actor=reader, grounds=AccessLogEntry.Grounds.DELEGATION) == 1


def test_the_file_is_served_only_to_the_right_people(client, case):
    invoice = receipt_of(case)
    other = active_case(case.organiser)
    other_receipt = receipt_of(other)
    client.force_login(other.client.user)
    assert client.get(reverse("portal_receipt_file", args=[case.client_id, invoice.pk])).status_code == 404
    assert client.get(reverse("portal_receipt_file", args=[other.client_id, invoice.pk])).status_code == 404
    client.force_login(case.client.user)
    assert client.get(reverse("portal_receipt_file", args=[case.client_id, other_receipt.pk])).status_code == 404
    # A provider's invoice has no receipt file.
    assert client.get(reverse("portal_receipt_file", args=[case.client_id, provider_invoice(case).pk])).status_code == 404


def test_staff_download_from_the_case_and_the_read_is_logged(client, case):
    invoice = receipt_of(case)
    url = reverse("case_receipt_file", args=[case.pk, invoice.pk])
    for role in (Role.SOCIAL_WORKER, Role.FINANCE, Role.APPROVER):
        staff = make_staff(case.organiser, role)
        login_verified(client, staff)
        assert_download(client.get(url), JPEG)
        assert log_count(case.client, actor=staff, actor_role=role) == 1
    other = active_case(case.organiser)
    assert client.get(reverse("case_receipt_file", args=[other.pk, invoice.pk])).status_code == 404
    login_verified(client, make_staff(make_organiser(), Role.SOCIAL_WORKER))
    assert client.get(url).status_code == 404
    login_verified(client, make_staff(case.organiser, Role.RESEARCHER))
    assert client.get(url).status_code == 403
    client.force_login(make_provider_contact(provider_invoice(case).provider))
    assert client.get(url).status_code in (302, 403)


# --- The approval queue ---------------------------------------------------------------------------------------------


def test_the_queue_shows_the_organisers_invoices_oldest_first_and_logs_each_client_shown(client, case):
    older = provider_invoice(case)
    accept_invoice(invoice=older, by=case.client.user)
    with frozen_at(IN_MARCH + dt.timedelta(hours=1)):
        newer = receipt_of(case)
    waiting_acceptance = provider_invoice(case)
    elsewhere = active_case()
    foreign = receipt_of(elsewhere)
    worker = make_staff(case.organiser, Role.SOCIAL_WORKER)
    login_verified(client, worker)
    response = client.get(reverse("invoice_approval"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Invoices waiting for approval (2)" in html
    assert html.index(f'name="invoice" value="{older.pk}"') < html.index(f'name="invoice" value="{newer.pk}"')
    assert f'name="invoice" value="{waiting_acceptance.pk}"' not in html
    assert case.client.full_name in html and older.provider.name in html
    assert reverse("case_account", args=[case.pk]) in html
    assert reverse("case_receipt_file", args=[case.pk, newer.pk]) in html
    assert elsewhere.client.full_name not in html and f'name="invoice" value="{foreign.pk}"' not in html
    assert log_count(case.client, actor=worker) == 1  # one entry for the client, however many invoices
    assert log_count(elsewhere.client) == 0


def test_approve_and_reject_from_the_queue(client, case):
    first, second = receipt_of(case), receipt_of(case)
    finance = make_staff(case.organiser, Role.FINANCE)
    login_verified(client, finance)
    url = reverse("invoice_approval")
    assert client.post(url, {"invoice": first.pk, "action": "approve"}).status_code == 302
    assert client.post(url, {"invoice": first.pk, "action": "approve"}).status_code == 302  # a double click
    response = client.post(url, {"invoice": second.pk, "action": "reject", "reason": ""}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Say why the invoice is rejected." in response.content.decode()
    assert client.post(url, {"invoice": second.pk, "action": "reject", "reason": "Kuitti ei näy."}).status_code == 302
    first, second = Invoice.objects.get(pk=first.pk), Invoice.objects.get(pk=second.pk)
    assert (first.status, first.approved_by) == (InvoiceStatus.APPROVED, finance)
    assert (second.status, second.rejected_by, second.rejection_reason) == (InvoiceStatus.REJECTED, finance, "Kuitti ei näy.")


def test_the_queue_is_for_social_workers_and_finance_of_the_organiser_only(client, case):
    invoice = receipt_of(case)
    url = reverse("invoice_approval")
    for role in (Role.APPROVER, Role.RESEARCHER, Role.ORGANISER_ADMIN):
        login_verified(client, make_staff(case.organiser, role))
        assert client.get(url).status_code == 403
        assert client.post(url, {"invoice": invoice.pk, "action": "approve"}).status_code == 403
    login_verified(client, make_staff(make_organiser(), Role.FINANCE))
    assert client.post(url, {"invoice": invoice.pk, "action": "approve"}).status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.AWAITING_APPROVAL
    assert log_count(case.client) == 0


def test_a_rejection_after_closing_says_the_money_went_back_to_the_organiser(client, case):
    from avain.accounts.funding import close_account

    for_client, for_staff, on_open = provider_invoice(case), provider_invoice(case), provider_invoice(case)
    url = reverse("portal_invoices", args=[case.client_id])
    client.force_login(case.client.user)
    response = client.post(url, {"invoice": on_open.pk, "action": "reject", "reason": "Ei tilattu."}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Its money is back on your budget." in response.content.decode()
    accept_invoice(invoice=for_staff, by=case.client.user)
    close_account(account=account_of(case), by=case.worker)

    response = client.post(url, {"invoice": for_client.pk, "action": "reject", "reason": "Ei tilattu."}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Its money went back to the organiser, because your budget has been closed" in html
    assert "back on your budget" not in html
    login_verified(client, make_staff(case.organiser, Role.FINANCE))
    response = client.post(
        reverse("invoice_approval"), {"invoice": for_staff.pk, "action": "reject", "reason": "Väärä summa."},
        follow=True, HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Its money went back to the organiser, because the client&#x27;s budget has been closed" in response.content.decode()
    assert all(sub.left == 0 for sub in SubAccount.objects.filter(account=account_of(case)))
