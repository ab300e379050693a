"""Bad input through the real pages: a clear message in the user's language, and nothing changes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from avain.organisations.models import Role
from avain.people.models import Client
from avain.planning.models import PlanStatus
from avain.testing import (
    DEFAULT_BUDGET,
    case_in_needs_assessment,
    case_in_planning,
    current_plan,
    db_snapshot,
    login_verified,
    make_client,
    make_organiser,
    make_service,
    make_staff,
)

pytestmark = pytest.mark.django_db

# The same message in each language, as a user would read it.
INVALID_HETU = {
    "fi": "ei ole kelvollinen henkilötunnus",
    "sv": "är inte en giltig personbeteckning",
    "en": "is not a valid Finnish personal identity code",
}
NOT_POSITIVE = {"fi": "Määrän on oltava suurempi kuin nolla", "sv": "Mängden måste vara större än noll", "en": "The quantity must be more than zero"}
OVER_BUDGET = {"fi": "mutta budjetti on", "sv": "men budgeten är", "en": "but the budget is"}
ALREADY_SENT = {"fi": "on jo lähetetty", "sv": "har redan skickats", "en": "has already been sent"}


def business_state() -> dict:
    """Everything but the access log: reading a page to show its error is itself a logged read."""
    state = db_snapshot()
    state.pop("people.AccessLogEntry")
    return state


def _plan_post(answers: dict, lines: list[tuple[str, str]], action: str) -> dict:
    data = {**answers, "action": action, "line-TOTAL_FORMS": str(len(lines)), "line-INITIAL_FORMS": "0"}
    for i, (description, amount) in enumerate(lines):
        data[f"line-{i}-description"] = description
        data[f"line-{i}-amount"] = amount
    return data


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_an_invalid_identity_code_is_refused_in_the_users_language(client, language):
    worker = make_staff(make_organiser(), Role.SOCIAL_WORKER)
    login_verified(client, worker)
    before = business_state()
    response = client.post(
        reverse("client_create"),
        {
            "first_name": "Matti",
            "last_name": "Meikäläinen",
            "personal_identity_code": "131052-308X",  # the check character of 131052-308T changed
            "language": "fi",
            "target_group": "adults",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert INVALID_HETU[language] in response.content.decode()
    assert business_state() == before


def test_a_valid_identity_code_registers_the_client(client):
    worker = make_staff(make_organiser(), Role.SOCIAL_WORKER)
    login_verified(client, worker)
    response = client.post(
        reverse("client_create"),
        {"first_name": "Matti", "last_name": "Meikäläinen", "personal_identity_code": "131052-308T", "language": "fi", "target_group": "adults"},
    )
    client_record = Client.objects.get(personal_identity_code="131052-308T")
    assert response.url == reverse("client_detail", args=[client_record.pk])


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("quantity", ["-5", "0"])
def test_a_negative_or_zero_quantity_is_refused(client, language, quantity):
    case = case_in_needs_assessment()
    service = make_service(case.organiser, "KOTI")
    login_verified(client, case.worker)
    before = business_state()
    response = client.post(
        reverse("case_needs", args=[case.pk]),
        {
            "wishes": "Haluan pärjätä kotona.",
            "needs_summary": "",
            "need-TOTAL_FORMS": "1",
            "need-INITIAL_FORMS": "0",
            "need-0-service": str(service.pk),
            "need-0-quantity": quantity,
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert NOT_POSITIVE[language] in response.content.decode()
    assert business_state() == before


def test_a_finnish_decimal_comma_quantity_is_understood(client):
    case = case_in_needs_assessment()
    service = make_service(case.organiser, "KOTI", unit_price="40.00")
    login_verified(client, case.worker)
    client.post(
        reverse("case_needs", args=[case.pk]),
        {"wishes": "", "needs_summary": "", "need-TOTAL_FORMS": "1", "need-INITIAL_FORMS": "0", "need-0-service": str(service.pk), "need-0-quantity": "10,5"},
        HTTP_ACCEPT_LANGUAGE="fi",
    )
    case.refresh_from_db()
    assert case.budget_total == Decimal("420.00")


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_plan_over_budget_is_refused(client, language, action):
    case = case_in_planning(client=make_client(make_organiser(), login=True))
    client.force_login(case.client.user)
    before = business_state()
    over = f"{DEFAULT_BUDGET + Decimal('0.01')}".replace(".", ",")
    response = client.post(
        reverse("portal_plan", args=[case.client_id]),
        _plan_post({"what_matters": "Oma koti"}, [("Avustaja", over)], action),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert OVER_BUDGET[language] in response.content.decode()
    assert business_state() == before


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_second_submit_of_the_same_plan_is_refused(client, language):
    case = case_in_planning(client=make_client(make_organiser(), login=True))
    client.force_login(case.client.user)
    url = reverse("portal_plan", args=[case.client_id])
    first = client.post(url, _plan_post({"what_matters": "Oma koti"}, [("Avustaja", "100,00")], "submit"))
    assert first.status_code == 302
    plan = current_plan(case)
    assert plan.status == PlanStatus.SUBMITTED
    before = business_state()
    # The same form sent again (a double click, or the back button).
    second = client.post(
        url, _plan_post({"what_matters": "Oma koti"}, [("Avustaja", "100,00")], "submit"), HTTP_ACCEPT_LANGUAGE=language, follow=True
    )
    assert ALREADY_SENT[language] in second.content.decode()
    assert business_state() == before


def test_the_journey_pages_move_a_case_from_needs_to_an_open_account(client):
    """The staff and client pages, in order, without the browser: a fast guard for the browser test's path."""
    organiser = make_organiser()
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    approver = make_staff(organiser, Role.APPROVER)
    service = make_service(organiser, "KOTI", unit_price="45.00")
    client_record = make_client(organiser, login=True)
    login_verified(client, worker)
    client.post(reverse("case_open", args=[client_record.pk]), {"period_start": "2026-01-01", "period_end": "2026-12-31"})
    case = client_record.cases.get()
    client.post(
        reverse("case_needs", args=[case.pk]),
        {"wishes": "Oma koti", "needs_summary": "Apua arkeen", "need-TOTAL_FORMS": "1", "need-INITIAL_FORMS": "0", "need-0-service": str(service.pk), "need-0-quantity": "100"},
    )
    client.post(reverse("case_start_planning", args=[case.pk]))
    client.force_login(client_record.user)
    client.post(reverse("portal_plan", args=[client_record.pk]), _plan_post({"what_matters": "Oma koti"}, [("Avustaja", "4000")], "submit"))
    login_verified(client, worker)
    client.post(reverse("case_review", args=[case.pk]), {"decision": "forward", "comment": ""})
    login_verified(client, approver)
    client.post(reverse("case_approval", args=[case.pk]))
    login_verified(client, worker)
    client.post(reverse("case_decision", args=[case.pk]), {"period_start": "2026-01-01", "period_end": "2026-12-31"})
    case.refresh_from_db()
    assert case.status == "active"
    assert case.decision.amount == Decimal("4000.00")
    assert case.budget_total == Decimal("4500.00")
