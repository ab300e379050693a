"""The organiser's budget rules page: administrators add and end rules, finance and social workers read them,
nobody sees another organiser's rules, and every refused input shows its own message and changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from avain.core.periods import Period
from avain.organisations.models import Role
from avain.planning.models import BudgetRule, Rounding
from avain.planning.services import NeedEntry, add_budget_rule, end_budget_rule, record_needs
from avain.testing import (
    case_in_needs_assessment,
    db_snapshot,
    login_verified,
    make_organiser,
    make_service,
    make_staff,
    refused,
)

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"
URL = "/budget-rules/"


def rule_post(**values) -> dict:
    data = {
        "valid_from": "2026-01-01",
        "valid_to": "",
        "percentage": "100",
        "cap": "",
        "rounding": Rounding.CENT,
        "free_form_share": "100",  # the share a plan may use outside the service menu, where the rule has one
    }
    data.update(values)
    return data


def rules_of(organiser) -> list[tuple]:
    return list(
        BudgetRule.objects.filter(organiser=organiser).values_list("valid_from", "valid_to", "percentage", "cap", "rounding")
    )


def test_the_url_name_is_budget_rules():
    assert reverse("budget_rules") == URL


def test_the_administrator_adds_a_rule_and_sees_it_plainly(client):
    organiser = make_organiser()
    login_verified(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Add a budget rule" in page.content.decode()

    response = client.post(
        URL,
        rule_post(valid_from="2026-01-01", valid_to="2026-12-31", percentage="90,5", cap="6000", rounding=Rounding.EURO),
        HTTP_ACCEPT_LANGUAGE="fi",
    )
    assert response.status_code == 302 and response["Location"] == URL
    assert rules_of(organiser) == [
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31), Decimal("90.50"), Decimal("6000.00"), Rounding.EURO)
    ]
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert "Budjettisääntö on lisätty." in html
    assert "1.1.2026–31.12.2026" in html
    assert f"90,5{NBSP}%" in html
    assert f"6{NBSP}000,00{NBSP}€" in html
    assert "Täysiin euroihin, puolikkaat ylöspäin" in html


def test_an_open_ended_rule_without_a_cap_reads_plainly(client):
    organiser = make_organiser()
    add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2020, 1, 1))
    login_verified(client, make_staff(organiser, Role.SOCIAL_WORKER))
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "01/01/2020 – until further notice" in html
    assert f"100{NBSP}%" in html
    assert "no upper limit" in html
    assert "To the cent" in html
    assert "in force today" in html


@pytest.mark.parametrize(
    ("values", "message"),
    [
        # overlapping the rule in force from 1.1.2025, which has no end
        (dict(valid_from="2025-06-01"), "Toinen budjettisääntö on voimassa 1.1.2025 alkaen."),
        (dict(percentage="-1"), "Anna prosentti väliltä 0–999,99."),
        (
            dict(cap="5000,50", rounding=Rounding.EURO),
            "Kun budjetti pyöristetään täysiin euroihin, anna myös yläraja täysinä euroina.",
        ),
        (dict(valid_from="2026-02-01", valid_to="2026-01-31"), "Sääntö ei voi päättyä ennen kuin se alkaa."),
    ],
    ids=["overlap", "negative-percentage", "cents-in-a-euro-cap", "end-before-start"],
)
def test_bad_input_shows_its_own_message_and_changes_nothing(client, values, message):
    organiser = make_organiser()
    add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2025, 1, 1), valid_to=None)
    if "valid_from" not in values:
        # Only the overlap case may clash with the rule of 2025: the others start after a rule that has ended.
        BudgetRule.objects.filter(organiser=organiser).update(valid_to=dt.date(2025, 12, 31))
    login_verified(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    before = db_snapshot()
    response = client.post(URL, rule_post(**values), HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.parametrize("role", [Role.FINANCE, Role.SOCIAL_WORKER])
def test_finance_and_social_workers_read_but_cannot_add_or_end(client, role):
    organiser = make_organiser()
    rule = add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2025, 1, 1), percentage=Decimal("80"))
    login_verified(client, make_staff(organiser, role))
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"80{NBSP}%" in html
    assert "Add a budget rule" not in html and reverse("budget_rule_end", args=[rule.pk]) not in html

    before = db_snapshot()
    assert client.post(URL, rule_post(valid_from="2030-01-01")).status_code == 403
    assert client.post(reverse("budget_rule_end", args=[rule.pk]), {"valid_to": "2029-12-31"}).status_code == 403
    assert db_snapshot() == before


@pytest.mark.parametrize("role", [Role.APPROVER, Role.RESEARCHER])
def test_other_roles_do_not_reach_the_page(client, role):
    login_verified(client, make_staff(make_organiser(), role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, rule_post()).status_code == 403


@pytest.mark.parametrize("role", [Role.ORGANISER_ADMIN, Role.FINANCE, Role.SOCIAL_WORKER])
def test_staff_of_another_organiser_never_see_or_touch_these_rules(client, role):
    ours = make_organiser()
    rule = add_budget_rule(organiser=ours, actor=None, valid_from=dt.date(2025, 1, 1), percentage=Decimal("73.25"))
    theirs = make_organiser()
    add_budget_rule(organiser=theirs, actor=None, valid_from=dt.date(2025, 1, 1), percentage=Decimal("95"))
    login_verified(client, make_staff(theirs, role))
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert f"95{NBSP}%" in html
    assert "73.25" not in html and "73,25" not in html
    assert rule.pk not in [r.pk for r in page.context["rules"]]

    before = db_snapshot()
    assert client.post(reverse("budget_rule_end", args=[rule.pk]), {"valid_to": "2025-12-31"}).status_code in (403, 404)
    assert db_snapshot() == before


def test_the_administrator_ends_the_rule_in_force_and_adds_the_next_one(client):
    organiser = make_organiser()
    rule = add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2025, 1, 1))
    login_verified(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    response = client.post(
        reverse("budget_rule_end", args=[rule.pk]), {"valid_to": "2025-12-31"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "The budget rule now has an end date." in response.content.decode()
    assert client.post(URL, rule_post(valid_from="2026-01-01", percentage="95")).status_code == 302
    assert [r[:3] for r in rules_of(organiser)] == [
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31), Decimal("100.00")),
        (dt.date(2026, 1, 1), None, Decimal("95.00")),
    ]


def test_ending_a_rule_with_a_bad_day_shows_the_message_and_changes_nothing(client):
    organiser = make_organiser()
    rule = add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2025, 1, 1))
    login_verified(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    before = db_snapshot()
    response = client.post(
        reverse("budget_rule_end", args=[rule.pk]), {"valid_to": "2024-12-31"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "The rule cannot end before it starts." in response.content.decode()
    response = client.post(
        reverse("budget_rule_end", args=[rule.pk]), {"valid_to": "ei päivä"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "Enter a valid date." in response.content.decode()
    assert db_snapshot() == before


# --- end_budget_rule, the service ---------------------------------------------------------------------------------


def test_a_rule_is_not_ended_before_a_budget_period_computed_with_it():
    organiser = make_organiser()
    rule = add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2025, 1, 1), percentage=Decimal("90"))
    case = case_in_needs_assessment(organiser=organiser, period=Period(dt.date(2026, 3, 1), dt.date(2026, 12, 31)))
    service = make_service(organiser, valid_from=dt.date(2026, 1, 1))
    record_needs(case=case, actor=case.worker, wishes="", needs_summary="", needs=[NeedEntry(service, Decimal("10"))])
    error = refused("rule_in_use", end_budget_rule, rule=rule, actor=None, valid_to=dt.date(2026, 2, 28))
    assert error.params["start"] == "1.3.2026"
    assert end_budget_rule(rule=rule, actor=None, valid_to=dt.date(2026, 3, 1)).valid_to == dt.date(2026, 3, 1)


def test_an_ended_rule_is_never_ended_again_and_never_before_it_starts():
    organiser = make_organiser()
    rule = add_budget_rule(organiser=organiser, actor=None, valid_from=dt.date(2025, 1, 1))
    refused("rule_period_reversed", end_budget_rule, rule=rule, actor=None, valid_to=dt.date(2024, 12, 31))
    end_budget_rule(rule=rule, actor=None, valid_to=dt.date(2025, 1, 1))  # a rule of one day
    refused("rule_already_ended", end_budget_rule, rule=rule, actor=None, valid_to=dt.date(2025, 6, 30))
