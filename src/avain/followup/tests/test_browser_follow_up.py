"""The follow-up page and the client's meetings in Chromium, with axe-core on each page."""

import datetime as dt

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avain.core import clock
from avain.core.periods import Period
from avain.followup.models import FollowUpMeeting, PlanChange
from avain.organisations.models import Role
from avain.testing import TEST_PASSWORD, case_active, make_client, make_organiser, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_worker_plans_meetings_records_an_outcome_and_the_client_sees_them(
    live_server, new_page, assert_accessible, sign_in
):
    organiser = make_organiser()
    worker = make_staff(organiser, Role.SOCIAL_WORKER, "tiina.seuranta", password=TEST_PASSWORD)
    client = make_client(organiser, first_name="Aino", login=True, username="aino.seuranta", password=TEST_PASSWORD)
    today = clock.today()
    case = case_active(client=client, worker=worker, period=Period(today, today + dt.timedelta(days=364)))

    page = new_page("en")
    sign_in(page, worker)
    page.goto(f"{live_server.url}/cases/{case.pk}/follow-up/")
    expect(page.get_by_role("heading", name="Follow-up", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Plan the follow-up meetings").click()
    expect(page.get_by_role("table", name="Follow-up meetings")).to_be_visible()
    assert FollowUpMeeting.objects.filter(case=case).count() == 3
    assert_accessible(page)

    page.get_by_label("How has the plan worked?").fill("Avustaja on auttanut kaupassa käynnissä.")
    page.get_by_label("The plan changes: the client will make a plan change").check()
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.get_by_role("table", name="Follow-up meetings")).to_contain_text("Avustaja on auttanut")
    assert_accessible(page)
    assert FollowUpMeeting.objects.filter(case=case, plan_changes=PlanChange.YES).count() == 1

    page.get_by_label("Date of the new meeting").fill((today + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Add the meeting").click()
    expect(page.locator(".messages")).to_contain_text("The meeting is added")
    page.goto(f"{live_server.url}/follow-up/")
    expect(page.get_by_role("table", name="Your coming follow-up meetings")).to_contain_text(client.full_name)
    assert_accessible(page)

    TOTPDevice.objects.create(user=client.user, name="puhelin", confirmed=True)
    own = new_page("en")
    sign_in(own, client.user)
    own.goto(f"{live_server.url}/my/{client.pk}/meetings/")
    expect(own.get_by_role("heading", name="My follow-up meetings")).to_be_visible()
    expect(own.get_by_role("link", name="Start the plan change: read your plan")).to_be_visible()
    assert_accessible(own)
