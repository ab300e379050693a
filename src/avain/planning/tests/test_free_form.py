"""Purposes in the client's own words, within the share of the budget the organiser's rule allows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from avain.planning.models import BudgetRule
from avain.planning.services import PlanLineEntry, add_budget_rule, add_product_to_plan, save_plan_draft, submit_plan
from avain.testing import (
    case_in_planning,
    current_plan,
    default_answers,
    login_verified,
    make_client,
    make_organiser,
    make_product,
    make_staff,
    refused,
)

pytestmark = pytest.mark.django_db


def _case_with_share(share: str):
    organiser = make_organiser()
    add_budget_rule(
        organiser=organiser,
        actor=make_staff(organiser),
        valid_from=dt.date(2000, 1, 1),
        free_form_share=Decimal(share),
    )
    return case_in_planning(organiser=organiser, client=make_client(organiser, login=True))  # a budget of 3 000,00 €


def test_free_form_lines_may_take_up_to_the_share_and_menu_products_the_rest():
    case = _case_with_share("20")  # 600,00 € of 3 000,00 €
    plan = current_plan(case)
    product = make_product(case.organiser, unit_price="100.00")
    add_product_to_plan(plan=plan, actor=case.client.user, product=product, quantity=Decimal(24))  # 2 400,00 €
    lines = [
        PlanLineEntry(line.description, line.amount, line.product_id) for line in plan.lines.all()
    ] + [PlanLineEntry("Kuntosalikortti", Decimal("600.00"))]
    save_plan_draft(plan=plan, actor=case.client.user, answers=default_answers(), lines=lines)
    submit_plan(plan=plan, actor=case.client.user)


def test_one_cent_over_the_share_is_refused_and_changes_nothing():
    case = _case_with_share("20")
    plan = current_plan(case)
    error = refused(
        "free_form_over_limit",
        save_plan_draft,
        plan=plan,
        actor=case.client.user,
        answers=default_answers(),
        lines=[PlanLineEntry("Kurssi", Decimal("300.00")), PlanLineEntry("Naapurin apu", Decimal("300.01"))],
    )
    assert "600,00 €" in error.messages[0] and "600,01 €" in error.messages[0]


def test_with_no_share_only_the_service_menu_can_be_planned():
    case = _case_with_share("0")
    plan = current_plan(case)
    refused(
        "free_form_over_limit",
        save_plan_draft,
        plan=plan,
        actor=case.client.user,
        answers={},
        lines=[PlanLineEntry("Kurssi", Decimal("1.00"))],
    )
    add_product_to_plan(plan=plan, actor=case.client.user, product=make_product(case.organiser), quantity=Decimal(1))


def test_without_a_rule_the_whole_budget_may_go_to_free_form_purposes():
    organiser = make_organiser()
    case = case_in_planning(organiser=organiser, client=make_client(organiser, login=True))
    plan = current_plan(case)
    save_plan_draft(plan=plan, actor=case.client.user, answers={}, lines=[PlanLineEntry("Kurssi", Decimal("3000.00"))])


@pytest.mark.parametrize("share", ["-1", "100.01", "12.345", "NaN"])
def test_a_share_outside_0_to_100_is_refused(share):
    organiser = make_organiser()
    refused(
        "free_form_share_out_of_range",
        add_budget_rule,
        organiser=organiser,
        actor=make_staff(organiser),
        valid_from=dt.date(2026, 1, 1),
        free_form_share=Decimal(share),
    )
    assert not BudgetRule.objects.exists()


def test_the_plan_page_shows_the_limit_message_in_the_clients_language(client):
    case = _case_with_share("10")
    client.force_login(case.client.user)
    response = client.post(
        reverse("portal_plan", args=[case.client_id]),
        {
            "line-TOTAL_FORMS": "1",
            "line-INITIAL_FORMS": "0",
            "line-0-description": "Kuntosalikortti",
            "line-0-amount": "500,00",
            "action": "save",
        },
        HTTP_ACCEPT_LANGUAGE="fi",
    )
    assert "palveluvalikon ulkopuolisiin asioihin enintään 300,00 €" in response.content.decode()
    assert not current_plan(case).lines.exists()


def test_the_admin_sets_the_share_on_the_budget_rules_page(client):
    from avain.organisations.models import Role

    organiser = make_organiser()
    login_verified(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    response = client.post(
        reverse("budget_rules"),
        {"valid_from": "2027-01-01", "percentage": "100", "rounding": "cent", "free_form_share": "25"},
    )
    assert response.status_code == 302
    assert BudgetRule.objects.get(organiser=organiser).free_form_share == Decimal(25)
    response = client.post(
        reverse("budget_rules"),
        {"valid_from": "2028-01-01", "percentage": "100", "rounding": "cent", "free_form_share": "101"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "from 0 to 100" in response.content.decode()
    assert BudgetRule.objects.count() == 1


def test_a_menu_line_cannot_be_renamed_into_a_free_form_purpose():
    case = _case_with_share("0")
    plan = current_plan(case)
    line = add_product_to_plan(
        plan=plan, actor=case.client.user, product=make_product(case.organiser, "Vesijumppa"), quantity=Decimal(10)
    )
    save_plan_draft(
        plan=plan,
        actor=case.client.user,
        answers={},
        lines=[PlanLineEntry("Matka Kanarialle", Decimal("2000.00"), line.product_id)],
    )
    saved = plan.lines.get()
    assert saved.description == line.description and saved.description.startswith("Vesijumppa (")
    assert saved.product_id == line.product_id
