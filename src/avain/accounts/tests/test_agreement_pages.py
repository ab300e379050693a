"""The agreement pages of the client's portal and of the worker's case: making an agreement commits its cap on the
plan line, a refused one changes nothing, ending one releases what was not used, and only the client, a delegate
with edit access and the client's own social worker can write."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from avain.accounts import ledger
from avain.accounts.models import Agreement, AgreementStatus, InvoiceSource, SubAccount
from avain.accounts.posting import post_provider_invoices
from avain.accounts.services import grant_budget
from avain.catalogue.models import RegistrationStatus
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.planning.services import PlanLineEntry, review_plan, save_plan_draft, submit_plan
from avain.testing import (
    account_of,
    approve_forwarded,
    case_active,
    case_in_planning,
    current_plan,
    db_snapshot,
    default_answers,
    invoice_claim,
    login_verified,
    make_agreement,
    make_assistant,
    make_client,
    make_organiser,
    make_product,
    make_provider,
    make_staff,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OPENED = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def case():
    with frozen_at(OPENED):
        organiser = make_organiser()
        return case_active(client=make_client(organiser, login=True), period=PERIOD)


def _first_sub(case) -> SubAccount:
    return account_of(case).sub_accounts.order_by("pk").first()


def _form(sub, provider, **changes) -> dict:
    data = {
        "sub_account": sub.pk,
        "provider": provider.pk,
        "service": "Siivous joka toinen viikko",
        "unit": "hour",
        "unit_price": "40.00",
        "quantity": "10",
        "amount": "",
        "valid_from": "2025-04-01",
        "valid_until": "2025-12-31",
    }
    data.update(changes)
    return data


def _post(http, url, data):
    with frozen_at(IN_MARCH):
        return http.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def _get(http, url):
    with frozen_at(IN_MARCH):
        return http.get(url, HTTP_ACCEPT_LANGUAGE="en")


def test_the_client_makes_an_agreement_that_commits_exactly_its_cap_and_sees_its_number(client, case):
    sub = _first_sub(case)
    provider = make_provider(case.organiser, "Siisti Koti Oy")
    client.force_login(case.client.user)
    response = _post(client, reverse("portal_agreement_new", args=[case.client_id]), _form(sub, provider))
    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal_agreements", args=[case.client_id]) + f"?made={agreement.number}"
    assert (agreement.cap, agreement.provider, agreement.made_by) == (Decimal("400.00"), provider, case.client.user)
    sub.refresh_from_db()
    assert (sub.granted, sub.committed, sub.spent, sub.left) == (
        Decimal("1800.00"), Decimal("400.00"), Decimal("0.00"), Decimal("1400.00")
    )
    assert ledger.verify() == []

    page = _get(client, response["Location"]).content.decode()
    assert "Give this number to the provider." in page
    assert page.count(agreement.number) >= 2  # in the notice and in the list
    assert "Siisti Koti Oy" in page and "Siivous joka toinen viikko" in page


def test_an_agreement_for_an_amount_commits_that_amount(client, case):
    sub = _first_sub(case)
    client.force_login(case.client.user)
    _post(
        client,
        reverse("portal_agreement_new", args=[case.client_id]),
        _form(sub, make_provider(case.organiser), unit="", quantity="", amount="250.50"),
    )
    sub.refresh_from_db()
    assert Agreement.objects.get().cap == sub.committed == Decimal("250.50")


def test_an_agreement_over_the_lines_money_is_refused_with_the_reason_and_changes_nothing(client, case):
    sub = _first_sub(case)
    provider = make_provider(case.organiser)
    client.force_login(case.client.user)
    before = db_snapshot()
    response = _post(client, reverse("portal_agreement_new", args=[case.client_id]), _form(sub, provider, quantity="50"))
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Only 1,800.00 € is left for “{sub.description}”; the agreement would take 2,000.00 €." in page
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quantity": "10", "amount": "100"}, "Give either the quantity or the amount in euros, not both."),
        ({"quantity": "", "amount": ""}, "Give either the quantity or the amount in euros, not both."),
        ({"valid_until": "2026-02-01"}, "The agreement must be within the budget period"),
        ({"valid_from": "2025-06-01", "valid_until": "2025-05-01"}, "The agreement cannot end before it starts."),
        ({"unit_price": "-5"}, "The price, quantity and amount must be more than zero."),
    ],
)
def test_bad_agreements_are_refused_with_a_specific_message(client, case, changes, message):
    data = _form(_first_sub(case), make_provider(case.organiser), **changes)
    client.force_login(case.client.user)
    before = db_snapshot()
    response = _post(client, reverse("portal_agreement_new", args=[case.client_id]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert db_snapshot() == before


def test_only_the_organisers_approved_providers_can_be_chosen(client, case):
    pending = make_provider(case.organiser, "Odottava Oy")
    pending.status = RegistrationStatus.PENDING
    pending.save()
    stranger = make_provider(make_organiser(), "Vieras Oy")
    client.force_login(case.client.user)
    page = _get(client, reverse("portal_agreement_new", args=[case.client_id])).content.decode()
    assert "Odottava Oy" not in page and "Vieras Oy" not in page
    for provider in (pending, stranger):
        response = _post(client, reverse("portal_agreement_new", args=[case.client_id]), _form(_first_sub(case), provider))
        assert response.status_code == 400
    assert not Agreement.objects.exists()


def test_a_delegate_who_may_only_read_sees_the_agreements_but_cannot_make_or_end_one(client, case):
    with frozen_at(IN_MARCH):
        agreement = make_agreement(account_of(case))
    helper = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=helper, access="read")
    client.force_login(helper)
    page = _get(client, reverse("portal_agreements", args=[case.client_id]))
    assert page.status_code == 200 and agreement.number in page.content.decode()
    assert "You may read these agreements but not make or end them." in page.content.decode()
    assert AccessLogEntry.objects.filter(client=case.client, actor=helper, grounds="delegation").exists()
    before = db_snapshot()
    new = _post(client, reverse("portal_agreement_new", args=[case.client_id]), _form(_first_sub(case), agreement.provider))
    end = _post(client, reverse("portal_agreement_end", args=[case.client_id]), {"number": agreement.number})
    assert (new.status_code, end.status_code) == (403, 403)
    assert db_snapshot("accounts") == {k: v for k, v in before.items() if k.startswith("accounts.")}


def test_a_delegate_with_edit_access_makes_an_agreement_in_their_own_name(client, case):
    helper = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=helper, access="edit")
    client.force_login(helper)
    response = _post(
        client, reverse("portal_agreement_new", args=[case.client_id]), _form(_first_sub(case), make_provider(case.organiser))
    )
    assert response.status_code == 302
    assert Agreement.objects.get().made_by == helper


def test_someone_else_gets_404(client, case):
    client.force_login(make_client(case.organiser, login=True).user)
    for name in ("portal_agreements", "portal_agreement_new", "portal_agreement_end"):
        assert _get(client, reverse(name, args=[case.client_id])).status_code == 404
        assert _post(client, reverse(name, args=[case.client_id]), {}).status_code == 404


def test_ending_an_agreement_releases_what_was_not_used(client, case):
    account = account_of(case)
    with frozen_at(IN_MARCH):
        agreement = make_agreement(account, unit_price="40.00", quantity="10")
        post_provider_invoices(
            provider=agreement.provider,
            claims=[invoice_claim(agreement, (dt.date(2025, 3, 3), "3"))],
            source=InvoiceSource.PORTAL,
            recorded_by=agreement.made_by,
        )
    client.force_login(case.client.user)
    url = reverse("portal_agreement_end", args=[case.client_id])
    confirm = _get(client, f"{url}?number={agreement.number}").content.decode()
    assert "280.00 € that was not used goes back to" in confirm.replace("\xa0", " ")
    assert Agreement.objects.get().status == AgreementStatus.ACTIVE  # the confirm page changes nothing

    response = _post(client, url, {"number": agreement.number})
    assert response.status_code == 302
    agreement.refresh_from_db()
    sub = SubAccount.objects.get(pk=agreement.sub_account_id)
    assert agreement.status == AgreementStatus.ENDED and agreement.ended_by == case.client.user
    assert (sub.committed, sub.spent, sub.left) == (Decimal("0.00"), Decimal("120.00"), Decimal("1680.00"))
    assert ledger.verify() == []
    page = _get(client, response["Location"]).content.decode()
    assert f"Agreement {agreement.number} has ended. 280.00 € that was not used is back on the plan line." in page


def test_an_unknown_or_ended_agreement_cannot_be_ended_again(client, case):
    with frozen_at(IN_MARCH):
        other = make_agreement(case_active(period=PERIOD).decision.account)  # another client's agreement
    client.force_login(case.client.user)
    before = db_snapshot()
    response = _post(client, reverse("portal_agreement_end", args=[case.client_id]), {"number": other.number})
    assert response.status_code == 400
    assert db_snapshot() == before


def _case_with_product_line():
    """A budget whose plan has a line chosen from the service menu."""
    with frozen_at(OPENED):
        organiser = make_organiser()
        case = case_in_planning(client=make_client(organiser, login=True), period=PERIOD)
        product = make_product(organiser, "Uintiohjaus", unit_price="25.00", unit="visit")
        plan = current_plan(case)
        save_plan_draft(
            plan=plan,
            actor=case.client.user,
            answers=default_answers(),
            lines=[PlanLineEntry("Uintiohjaus", Decimal("500.00"), product.pk), PlanLineEntry("Kuntosali", Decimal("300.00"))],
        )
        submit_plan(plan=plan, actor=case.client.user)
        review_plan(plan=plan, reviewer=case.worker, forward=True, comment="")
        approve_forwarded(case)
        grant_budget(case=case, decided_by=case.worker, period=PERIOD)
    return case, product


def test_a_line_from_the_service_menu_suggests_its_products_provider_service_unit_and_price(client):
    case, product = _case_with_product_line()
    sub = SubAccount.objects.get(plan_line__product=product)
    client.force_login(case.client.user)
    listing = _get(client, reverse("portal_agreements", args=[case.client_id])).content.decode()
    assert f"?line={sub.pk}" in listing
    response = _get(client, reverse("portal_agreement_new", args=[case.client_id]) + f"?line={sub.pk}")
    form = response.context["form"]
    assert form.initial["provider"] == product.provider_id
    assert (form.initial["service"], form.initial["unit"], form.initial["unit_price"]) == (
        "Uintiohjaus", "visit", Decimal("25.00")
    )
    assert (form.initial["valid_from"], form.initial["valid_until"]) == (dt.date(2025, 3, 31), dt.date(2025, 12, 31))
    assert f'<option value="{product.provider_id}" selected>' in response.content.decode()


# --- The worker's pages -----------------------------------------------------------------------------------------


def test_the_worker_makes_and_ends_an_agreement_and_each_read_is_logged(client, case):
    login_verified(client, case.worker)
    logged = AccessLogEntry.objects.filter(client=case.client, actor=case.worker).count()
    page = _get(client, reverse("case_agreements", args=[case.pk]))
    assert page.status_code == 200
    assert AccessLogEntry.objects.filter(client=case.client, actor=case.worker).count() == logged + 1
    response = _post(
        client, reverse("case_agreement_new", args=[case.pk]), _form(_first_sub(case), make_provider(case.organiser))
    )
    agreement = Agreement.objects.get()
    assert response["Location"] == reverse("case_agreements", args=[case.pk]) + f"?made={agreement.number}"
    assert agreement.made_by == case.worker
    _post(client, reverse("case_agreement_end", args=[case.pk]), {"number": agreement.number})
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ENDED
    assert SubAccount.objects.get(pk=agreement.sub_account_id).committed == 0


def test_other_organisers_staff_get_404_and_other_roles_403(client, case):
    urls = [reverse(name, args=[case.pk]) for name in ("case_agreements", "case_agreement_new", "case_agreement_end")]
    login_verified(client, make_staff(make_organiser(), Role.SOCIAL_WORKER))
    before = db_snapshot()
    for url in urls:
        assert _get(client, url).status_code == 404
        assert _post(client, url, _form(_first_sub(case), make_provider(case.organiser))).status_code == 404
    login_verified(client, make_staff(case.organiser, Role.FINANCE))
    for url in urls:
        assert _get(client, url).status_code == 403
    assert not Agreement.objects.exists()
    assert not AccessLogEntry.objects.filter(client=case.client).exclude(actor=case.worker).exists()
    assert db_snapshot("accounts") == {k: v for k, v in before.items() if k.startswith("accounts.")}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_agreement_pages_answer_in_each_language(client, case, language):
    with frozen_at(IN_MARCH):
        agreement = make_agreement(account_of(case))
    client.force_login(case.client.user)
    base = reverse("portal_agreements", args=[case.client_id])
    with frozen_at(IN_MARCH):
        for url in (f"{base}?made={agreement.number}", f"{base}new/", f"{base}end/?number={agreement.number}", f"{base}end/"):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            assert agreement.number in response.content.decode() or url.endswith("new/")
