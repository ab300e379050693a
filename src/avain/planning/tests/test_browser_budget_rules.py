"""The budget rules page in Chromium, with axe-core: an administrator adds a rule and sees a refusal."""

import pytest
from playwright.sync_api import expect

from avain.organisations.models import Role
from avain.planning.models import BudgetRule
from avain.testing import TEST_PASSWORD, make_organiser, make_staff, totp_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_administrator_adds_a_rule_and_the_page_is_accessible(live_server, new_page, assert_accessible):
    organiser = make_organiser()
    admin = make_staff(organiser, Role.ORGANISER_ADMIN, "anna.admin", password=TEST_PASSWORD)

    page = new_page("en")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Six-digit code").fill(totp_token(admin))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"{live_server.url}/budget-rules/")
    assert_accessible(page)
    page.get_by_label("Valid from").fill("2026-01-01")
    page.get_by_label("Percentage of the services' value").fill("90")
    page.get_by_label("Upper limit of the budget in euros (optional)").fill("5000.50")
    page.get_by_label("Rounding of the budget").select_option(value="euro")
    page.get_by_role("button", name="Add the rule").click()
    expect(page.get_by_role("alert")).to_contain_text("give the upper limit in whole euros too")
    assert_accessible(page)
    assert not BudgetRule.objects.exists()

    page.get_by_label("Upper limit of the budget in euros (optional)").fill("5000")
    page.get_by_role("button", name="Add the rule").click()
    rules = page.get_by_role("table", name="Budget rules")
    expect(rules).to_contain_text("5,000.00\u00a0€")
    expect(rules).to_contain_text("90\u00a0%")
    assert_accessible(page)
    assert BudgetRule.objects.get(organiser=organiser).cap == 5000
