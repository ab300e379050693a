"""The provider's pages: its own agreements (with no more of the client than the first name and an initial), the
typed invoice whose lines are checked one by one, and its invoice list."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from avain.accounts import ledger
from avain.accounts.agreements import end_agreement
from avain.accounts.models import Agreement, Invoice, InvoiceLine, InvoiceSource, InvoiceStatus, SubAccount
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.testing import (
    account_of,
    case_active,
    db_snapshot,
    login_verified,
    make_agreement,
    make_client,
    make_organiser,
    make_provider,
    make_provider_contact,
    make_staff,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def setting():
    """A provider with an agreement on a client's budget: 10 visits at 40,00 €."""
    with frozen_at(dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)):
        organiser = make_organiser()
        case = case_active(client=make_client(organiser, first_name="Aino", last_name="Virtanen"), period=PERIOD)
    provider = make_provider(organiser, "Siisti Koti Oy")
    with frozen_at(IN_MARCH):
        agreement = make_agreement(account_of(case), provider=provider, unit_price="40.00", quantity="10")
    return case, provider, agreement


def _signed_in(http, provider):
    """A person acting for the provider, signed in with the second factor passed."""
    user = make_provider_contact(provider)
    TOTPDevice.objects.create(user=user, name="puhelin", confirmed=True)
    login_verified(http, user)
    return http


def _invoice(number="L-100", lines=()) -> dict:
    data = {"invoice_number": number, "invoice_date": "2025-03-31", "due_date": "2025-04-14"}
    for n, line in enumerate(lines, start=1):
        for name, value in line.items():
            data[f"line-{n}-{name}"] = value
    return data


def _post(http, data):
    with frozen_at(IN_MARCH):
        return http.post(reverse("provider_invoice_new"), data, HTTP_ACCEPT_LANGUAGE="en")


def _get(http, name):
    with frozen_at(IN_MARCH):
        return http.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en")


def test_the_provider_sees_its_agreements_with_the_clients_first_name_and_initial_only(client, setting):
    case, provider, agreement = setting
    with frozen_at(IN_MARCH):
        other = make_agreement(account_of(case_active(organiser=case.organiser, period=PERIOD)))  # another provider's
    page = _get(_signed_in(client, provider), "provider_agreements").content.decode()
    assert agreement.number in page and "Aino V." in page
    assert "Virtanen" not in page and case.client.personal_identity_code not in page
    assert other.number not in page


def test_a_typed_invoice_posts_the_good_lines_and_lists_each_failed_line_with_its_reason(client, setting):
    _, provider, agreement = setting
    sub = agreement.sub_account
    response = _post(
        _signed_in(client, provider),
        _invoice(
            lines=[
                {"agreement": agreement.number, "service_date": "2025-03-03", "quantity": "2"},  # agreed price, counted
                {"agreement": agreement.number, "service_date": "2025-03-10", "quantity": "1", "unit_price": "45.00"},
                {},  # left empty: skipped, keeps its number
                {"agreement": agreement.number, "service_date": "2025-03-17", "quantity": "1", "unit_price": "40.00",
                 "amount": "40.00"},
            ]
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Line 2: The price 45.00 € is more than the agreed 40.00 € per unit." in page
    assert "2 lines were received" in page
    invoice = Invoice.objects.get()
    assert (invoice.total, invoice.source, invoice.payee_iban) == (Decimal("120.00"), InvoiceSource.PORTAL, provider.iban)
    assert invoice.status == InvoiceStatus.AWAITING_ACCEPTANCE
    assert list(invoice.lines.values_list("line_number", "unit_price", "amount")) == [
        (1, Decimal("40.00"), Decimal("80.00")),
        (4, Decimal("40.00"), Decimal("40.00")),
    ]
    sub = SubAccount.objects.get(pk=sub.pk)
    agreement.refresh_from_db()
    assert (sub.committed, sub.spent) == (Decimal("280.00"), Decimal("120.00"))
    assert (agreement.used_amount, agreement.used_quantity) == (Decimal("120.00"), Decimal("3"))
    assert ledger.verify() == []

    listing = _get(client, "provider_invoices").content.decode()
    assert invoice.invoice_number in listing and "120.00" in listing
    assert "Waiting for the client&#x27;s acceptance" in listing or "Waiting for the client's acceptance" in listing


def test_another_providers_agreement_number_is_refused_as_unknown(client, setting):
    case, provider, _ = setting
    with frozen_at(IN_MARCH):
        theirs = make_agreement(account_of(case), line=1, provider=make_provider(case.organiser))
    http = _signed_in(client, provider)
    before = db_snapshot()
    response = _post(
        http,
        _invoice(lines=[{"agreement": theirs.number, "service_date": "2025-03-03", "quantity": "1", "unit_price": "10"}]),
    )
    assert response.status_code == 400
    assert f"Line 1: There is no agreement {theirs.number} with you. Check the agreement number." in response.content.decode()
    assert db_snapshot() == before


def test_the_form_offers_only_the_providers_agreements_in_force_with_their_prices(client, setting):
    case, provider, agreement = setting
    with frozen_at(IN_MARCH):
        ended = make_agreement(account_of(case), line=1, provider=provider, unit_price="12.50")
        end_agreement(agreement=ended, ended_by=ended.made_by)
        theirs = make_agreement(account_of(case), line=1, provider=make_provider(case.organiser))
    response = _get(_signed_in(client, provider), "provider_invoice_new")
    page = response.content.decode()
    assert f'<option value="{agreement.number}">' in page
    assert ended.number not in page and theirs.number not in page
    assert response.context["prices"] == {agreement.number: "40.00"}


def test_an_invoice_with_nothing_to_post_changes_nothing(client, setting):
    _, provider, agreement = setting
    http = _signed_in(client, provider)
    before = db_snapshot()
    no_lines = _post(http, _invoice())
    assert no_lines.status_code == 400 and "Fill in at least one line of the invoice." in no_lines.content.decode()
    half_line = _post(http, _invoice(lines=[{"agreement": agreement.number, "quantity": "1"}]))
    assert half_line.status_code == 400
    assert "Fill this in, or leave the whole line empty." in half_line.content.decode()
    no_number = _post(http, _invoice(number="", lines=[{"agreement": agreement.number, "service_date": "2025-03-03", "quantity": "1"}]))
    assert no_number.status_code == 400
    assert db_snapshot() == before


def test_the_same_invoice_number_twice_is_refused_on_every_line(client, setting):
    _, provider, agreement = setting
    http = _signed_in(client, provider)
    line = {"agreement": agreement.number, "service_date": "2025-03-03", "quantity": "1"}
    assert _post(http, _invoice(number="X-1", lines=[line])).status_code == 200
    before = db_snapshot()
    again = _post(http, _invoice(number="X-1", lines=[line, line]))
    assert again.status_code == 400
    page = again.content.decode()
    assert "Line 1: Invoice X-1 has already been sent." in page and "Line 2: Invoice X-1 has already been sent." in page
    assert db_snapshot() == before


def test_only_a_provider_reaches_the_provider_pages(client, setting):
    case, _, _ = setting
    names = ("provider_agreements", "provider_invoices", "provider_invoice_new")
    login_verified(client, make_staff(case.organiser, Role.SOCIAL_WORKER))
    for name in names:
        assert _get(client, name).status_code == 403
    client.force_login(make_client(case.organiser, login=True).user)
    assert all(_get(client, name).status_code in (302, 403) for name in names)


def test_a_provider_of_another_organiser_sees_none_of_these(client, setting):
    _, _, agreement = setting
    stranger = make_provider(make_organiser(), "Vieras Oy")
    http = _signed_in(client, stranger)
    assert agreement.number not in _get(http, "provider_agreements").content.decode()
    response = _post(http, _invoice(lines=[{"agreement": agreement.number, "service_date": "2025-03-03", "quantity": "1"}]))
    assert "There is no agreement" in response.content.decode()
    assert not InvoiceLine.objects.exists() and Agreement.objects.get().used_amount == 0


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_provider_pages_answer_in_each_language(client, setting, language):
    _, provider, agreement = setting
    http = _signed_in(client, provider)
    with frozen_at(IN_MARCH):
        for name in ("provider_agreements", "provider_invoices", "provider_invoice_new"):
            assert http.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language).status_code == 200
        price = "40,00" if language in ("fi", "sv") else "40.00"
        line = {"agreement": agreement.number, "service_date": "2025-03-03", "quantity": "1", "unit_price": price}
        response = http.post(reverse("provider_invoice_new"), _invoice(lines=[line, {**line, "quantity": "0"}]),
                             HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content.decode()
    assert Invoice.objects.get().total == Decimal("40.00")
    failed = response.context["failed"]
    assert [f["line"] for f in failed] == [2] and failed[0]["message"] in response.content.decode()


def test_a_providers_reads_of_client_names_are_in_the_clients_access_log(client):
    from avain.people.models import AccessLogEntry
    from avain.testing import account_of, case_active, make_agreement, make_provider

    account = account_of(case_active())
    provider = make_provider(account.organiser)
    make_agreement(account, provider=provider)
    _signed_in(client, provider)
    assert client.get(reverse("provider_agreements")).status_code == 200
    entry = AccessLogEntry.objects.get(client=account.client, actor_role="provider")
    assert (entry.what, entry.grounds) == (AccessLogEntry.What.AGREEMENT, AccessLogEntry.Grounds.AGREEMENT)
