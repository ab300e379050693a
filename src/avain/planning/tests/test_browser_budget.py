"""Trying quantities and reading the explained budget in Chromium, with axe-core on each page.

The worker records a weekly need, tries a larger quantity (nothing is saved), then saves it; the pages are checked
for accessibility with the explanation and the comparison on them.
"""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from avain.core.periods import Period
from avain.organisations.models import Role
from avain.planning.models import HBCase
from avain.planning.services import add_budget_rule, open_case
from avain.testing import TEST_PASSWORD, make_client, make_organiser, make_service, make_staff, totp_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base_url: str, user, check) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Six-digit code").fill(totp_token(user))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    check(page)


def test_the_worker_tries_quantities_then_saves(live_server, new_page, assert_accessible):
    organiser = make_organiser()
    worker = make_staff(organiser, Role.SOCIAL_WORKER, "tiina.tyontekija", password=TEST_PASSWORD)
    home_help = make_service(organiser, "KOTIP", "30.00", dt.date(2024, 1, 1), name="Kotipalvelu")
    add_budget_rule(organiser=organiser, actor=worker, valid_from=dt.date(2024, 1, 1), percentage=Decimal("90"), rounding="euro")
    case = open_case(client=make_client(organiser), worker=worker, period=Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))

    w = new_page("en")
    sign_in(w, live_server.url, worker, assert_accessible)
    w.goto(f"{live_server.url}/cases/{case.pk}/")
    w.locator("#id_need-0-service").select_option(value=str(home_help.pk))
    w.locator("#id_need-0-quantity").fill("3")
    w.locator("#id_need-0-frequency").select_option(value="week")
    w.get_by_role("button", name="Save and compute the budget").click()
    saved = w.get_by_role("table", name="How the budget is computed")
    expect(saved).to_contain_text("3 hours a week")
    expect(saved).to_contain_text("52 1/7 weeks (365 days)")
    expect(saved).to_contain_text("4,692.86\u00a0€")  # 3 × 30.00 × 365/7
    expect(saved).to_contain_text("4,224.00\u00a0€")  # 90 % = 4 223.574 → 4 223.57, to whole euros 4 224
    assert_accessible(w)

    w.locator("#id_need-0-quantity").fill("4")
    w.get_by_role("button", name="Try quantities").click()
    expect(w.get_by_role("heading", name="Trying quantities: nothing is saved yet")).to_be_visible()
    comparison = w.get_by_role("table", name="The budget with these quantities compared with the saved budget")
    expect(comparison).to_contain_text("+1,564.28\u00a0€")  # 4 × 30 × 365/7 = 6 257.14; 6 257.14 − 4 692.86
    assert_accessible(w)
    assert HBCase.objects.get(pk=case.pk).budget_lines_total == Decimal("4692.86")
