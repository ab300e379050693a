"""The case history, closing the HB and the grouped work queue in Chromium, with axe-core on each page."""

import pytest
from playwright.sync_api import expect

from avain.organisations.models import Role
from avain.planning.models import CaseStatus, HBCase
from avain.testing import TEST_PASSWORD, case_active, case_in_review, make_organiser, make_staff, totp_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_worker_reads_the_history_closes_the_hb_and_reads_the_queue(live_server, new_page, assert_accessible):
    organiser = make_organiser()
    worker = make_staff(organiser, Role.SOCIAL_WORKER, "tiina.tyontekija", password=TEST_PASSWORD)
    active = case_active(organiser=organiser, worker=worker)
    case_in_review(organiser=organiser, worker=worker)

    page = new_page("en")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(worker.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Six-digit code").fill(totp_token(worker))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"{live_server.url}/work/")
    expect(page.get_by_role("heading", name="Plans to review (1)")).to_be_visible()
    expect(page.get_by_role("heading", name="Budgets in use (1)")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/clients/{active.client_id}/")
    history = page.get_by_role("table", name="History of the case")
    expect(history).to_contain_text("Made the decision and opened the budget account")
    assert_accessible(page)
    page.get_by_label("Why the HB ends").fill("Budjettikausi päättyi.")
    page.get_by_role("button", name="Close the HB").click()
    expect(page.locator(".messages")).to_contain_text("The HB is closed")
    expect(page.get_by_role("heading", name="Earlier HB cases")).to_be_visible()
    page.locator("details.panel summary").first.click()
    assert_accessible(page)
    assert HBCase.objects.get(pk=active.pk).status == CaseStatus.CLOSED
