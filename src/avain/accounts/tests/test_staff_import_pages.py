"""Finance imports an invoice file that a provider sent another way (an e-invoice operator's delivery, an e-mail):
the provider's own checks against the provider chosen, the file's page with every failed line, the list of every
provider's files, and each client whose invoices or agreements the page shows logged. No one else gets in."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from avain.accounts.formats.finvoice import InvoiceMessage, InvoiceRow, build_finvoice
from avain.accounts.models import ImportFile, ImportStatus, Invoice
from avain.catalogue.models import RegistrationStatus
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.testing import (
    account_of,
    case_active,
    db_snapshot,
    login_verified,
    make_agreement,
    make_organiser,
    make_provider,
    make_provider_contact,
    make_staff,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
HEADER = "invoice_number;invoice_date;due_date;agreement;service_date;quantity;unit_price;amount;description"


def agreement_of_new_client(organiser, provider):
    with frozen_at(dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)):
        account = account_of(case_active(organiser=organiser, period=PERIOD))
    with frozen_at(dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.UTC)):
        return make_agreement(account, provider=provider, unit_price="40.00", quantity="10")


@pytest.fixture
def agreements():
    """Two clients' agreements with one provider, and the organiser's finance signed in."""
    organiser = make_organiser()
    provider = make_provider(organiser, "Kotiapu Oy")
    return agreement_of_new_client(organiser, provider), agreement_of_new_client(organiser, provider)


@pytest.fixture
def finance(client, agreements):
    user = make_staff(agreements[0].organiser, Role.FINANCE)
    login_verified(client, user)
    return user


def lines_csv(first, second) -> bytes:
    """Invoice K-1 for the first client with one line right and one above the agreed price; K-2 for the second client,
    right."""
    return "\r\n".join([
        HEADER,
        f"K-1;28.3.2025;11.4.2025;{first.number};3.3.2025;2;40,00;80,00;Kotiapu",
        f"K-1;28.3.2025;11.4.2025;{first.number};4.3.2025;1;45,00;45,00;",
        f"K-2;28.3.2025;11.4.2025;{second.number};5.3.2025;1;40,00;40,00;",
        "",
    ]).encode()


def send(client, provider_id, data: bytes, name: str = "lines.csv", language: str = "en"):
    with frozen_at(IN_MARCH):
        return client.post(
            reverse("staff_invoice_files"),
            {"provider": provider_id, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
            HTTP_ACCEPT_LANGUAGE=language,
        )


def get(client, url, language: str = "en"):
    with frozen_at(IN_MARCH):
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def logged(what=AccessLogEntry.What.INVOICE):
    return sorted(AccessLogEntry.objects.filter(what=what).values_list("client_id", "actor_id", "actor_role"))


def test_finance_imports_a_providers_csv_and_sees_what_failed_and_who_sent_it(client, agreements, finance):
    first, second = agreements
    provider = first.provider

    response = send(client, provider.pk, lines_csv(first, second))

    import_file = ImportFile.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("staff_invoice_file", args=[import_file.pk])
    assert (import_file.provider, import_file.received_by, import_file.status) == (provider, finance, ImportStatus.PROCESSED)
    assert (import_file.lines_total, import_file.lines_posted) == (3, 2)
    assert sorted(Invoice.objects.values_list("invoice_number", "total")) == [
        ("K-1", Decimal("80.00")), ("K-2", Decimal("40.00"))
    ]
    assert not AccessLogEntry.objects.exists()  # importing shows no client's data

    page = text(get(client, response["Location"]))
    assert f"From Kotiapu Oy, received by {finance.get_full_name()}" in page
    assert "Lines recorded</span><span class=\"value\">2<" in page
    assert '<td class="num">3</td><td>The price 45.00 € is more than the agreed 40.00 € per unit.</td>' in page
    assert f'href="{reverse("staff_invoice_files")}"' in page
    # The page shows both clients' invoices: each read is logged once, as finance's.
    clients = sorted([first.account.client_id, second.account.client_id])
    assert logged() == [(pk, finance.pk, Role.FINANCE) for pk in clients]

    listing = text(get(client, reverse("staff_invoice_files")))
    assert (
        f'<td>Kotiapu Oy</td> <td><a href="{reverse("staff_invoice_file", args=[import_file.pk])}">lines.csv</a></td>'
    ) in listing
    assert f"<td>{finance.get_full_name()}</td>" in listing
    assert len(logged()) == 2  # the list names no client


def test_a_client_whose_agreement_a_failed_line_names_is_logged_though_nothing_was_posted_for_them(
    client, agreements, finance
):
    first, second = agreements
    data = "\r\n".join([
        HEADER,
        f"K-1;28.3.2025;11.4.2025;{first.number};3.3.2025;1;40,00;40,00;",
        f"K-2;28.3.2025;11.4.2025;{second.number};3.3.2025;20;40,00;800,00;",  # over the agreement's 10 units
        "",
    ]).encode()

    response = send(client, first.provider.pk, data)
    page = text(get(client, response["Location"]))

    assert f"<td>Agreement {second.number} has 10 units left; the line has 20.</td>" in page
    assert Invoice.objects.get().account == first.account
    assert [client_id for client_id, _actor, _role in logged()] == sorted(
        [first.account.client_id, second.account.client_id]
    )


def test_a_finvoice_invoice_of_another_business_id_than_the_chosen_provider_is_refused(client, agreements, finance):
    first, _second = agreements
    other = make_provider(first.organiser, "Toinen Oy")
    row = InvoiceRow(1, unit_price=Decimal("40.00"), quantity=Decimal(1), amount=Decimal("40.00"),
                     delivery_date=dt.date(2025, 3, 3), buyer_reference=first.number)
    data = build_finvoice(InvoiceMessage(
        seller_business_id=first.provider.business_id, seller_name=first.provider.name, seller_iban=first.provider.iban,
        buyer_name="Hyvinvointialue", invoice_number="F-1", invoice_date=dt.date(2025, 3, 28),
        due_date=dt.date(2025, 4, 11), total=Decimal("40.00"), rows=(row,),
    ))  # fmt: skip

    response = send(client, other.pk, data, "invoice.xml")

    import_file = ImportFile.objects.get()
    assert (import_file.provider, import_file.lines_posted) == (other, 0)
    assert not Invoice.objects.exists()
    page = text(get(client, response["Location"]))
    assert f"The invoice is from business ID {first.provider.business_id}" in page

    response = send(client, first.provider.pk, data, "invoice.xml")  # the same bytes, now for the right provider
    assert response.status_code == 200
    assert "This file has already been sent from another provider" in text(response)
    assert ImportFile.objects.count() == 1 and not Invoice.objects.exists()


def test_the_same_file_again_posts_nothing_and_says_so(client, agreements, finance):
    first, second = agreements
    send(client, first.provider.pk, lines_csv(first, second))
    before = db_snapshot("accounts")

    response = send(client, first.provider.pk, lines_csv(first, second), "again.csv")

    assert db_snapshot("accounts") == before
    page = text(get(client, response["Location"]))
    assert "This file has been imported before. Nothing was posted again" in page


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_bad_input_is_refused_in_the_readers_language_and_changes_nothing(client, agreements, finance, language):
    first, second = agreements
    stranger = make_provider(make_organiser(), "Vieras Oy")  # another organiser's
    pending = make_provider(first.organiser, "Odottava Oy")
    pending.status = RegistrationStatus.PENDING  # registered itself, not yet approved
    pending.save(update_fields=["status"])
    with translation.override(language):
        not_a_choice = escape(str(forms.ModelChoiceField.default_error_messages["invalid_choice"]))
        required = escape(str(forms.Field.default_error_messages["required"]))
        empty = escape(str(forms.FileField.default_error_messages["empty"]))
    before = db_snapshot()

    for provider_id, message in ((stranger.pk, not_a_choice), (pending.pk, not_a_choice), ("", required)):
        response = send(client, provider_id, lines_csv(first, second), language=language)
        assert response.status_code == 200 and message in response.content.decode()
    response = send(client, first.provider.pk, b"", language=language)
    assert response.status_code == 200 and empty in response.content.decode()
    assert db_snapshot() == before


def test_only_the_organisers_finance_gets_in(client, agreements, finance):
    first, second = agreements
    send(client, first.provider.pk, lines_csv(first, second))
    detail = reverse("staff_invoice_file", args=[ImportFile.objects.get().pk])

    for role in (Role.SOCIAL_WORKER, Role.APPROVER, Role.RESEARCHER):
        login_verified(client, make_staff(first.organiser, role))
        assert get(client, reverse("staff_invoice_files")).status_code == 403
        assert get(client, detail).status_code == 403
    login_verified(client, make_staff(make_organiser(), Role.FINANCE))
    assert get(client, detail).status_code == 404
    client.force_login(make_provider_contact(first.provider))
    assert get(client, reverse("staff_invoice_files")).status_code in (302, 403)
    assert len(logged()) == 0


# --- In a real browser -----------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_imports_a_file_through_the_pages_in_a_browser(live_server, new_page, assert_accessible, sign_in, tmp_path):
    """The live server runs on the real clock: the lines are for services given today."""
    from playwright.sync_api import expect

    from avain.core import clock
    from avain.testing import TEST_PASSWORD

    organiser = make_organiser(name="Laskujen hyvinvointialue")
    provider = make_provider(organiser, "Kotiapu Oy")
    account = account_of(case_active(organiser=organiser))
    agreement = make_agreement(account, provider=provider, unit_price="40.00", quantity="10")
    finance = make_staff(organiser, Role.FINANCE, "fiona.finance", password=TEST_PASSWORD)
    today = clock.today().strftime("%d.%m.%Y")
    file = tmp_path / "toimitus.csv"
    file.write_text("\r\n".join([
        HEADER,
        f"K-1;{today};{today};{agreement.number};{today};2;40,00;80,00;Kotiapu",
        f"K-1;{today};{today};{agreement.number};{today};1;45,00;45,00;",
        "",
    ]))  # fmt: skip

    page = new_page("en")
    sign_in(page, finance)
    page.get_by_role("link", name="Invoice files").click()
    expect(page.get_by_role("table", name="Invoice files of every provider, newest first")).to_contain_text(
        "No invoice files have been received yet."
    )
    assert_accessible(page)
    page.get_by_role("button", name="Import the file").click()  # nothing chosen
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Provider").select_option(label="Kotiapu Oy")
    page.get_by_label("Invoice file").set_input_files(str(file))
    page.get_by_role("button", name="Import the file").click()
    expect(page.get_by_test_id("sender")).to_have_text(f"From Kotiapu Oy, received by {finance.get_full_name()}")
    expect(page.get_by_role("table", name="Lines that failed")).to_contain_text(
        "The price 45.00 € is more than the agreed 40.00 € per unit."
    )
    assert_accessible(page)
    page.get_by_role("link", name="Import another file").click()
    expect(page.get_by_role("table", name="Invoice files of every provider, newest first")).to_contain_text("toimitus.csv")
    assert_accessible(page)
    assert Invoice.objects.get().total == Decimal("80.00")
