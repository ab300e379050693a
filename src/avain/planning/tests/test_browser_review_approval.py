"""The review page with a comment per line, the client's editor showing them, and a meeting of the management group,
in Chromium with axe-core on each page."""

import pytest
from playwright.sync_api import expect

from avain.organisations.models import Role
from avain.planning.models import ApprovalRule, CaseStatus, HBCase
from avain.planning.services import set_approval_rule
from avain.testing import TEST_PASSWORD, case_in_approval, case_in_review, current_plan, make_organiser, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_worker_returns_a_plan_with_a_comment_on_a_line(live_server, new_page, assert_accessible, sign_in):
    organiser = make_organiser()
    worker = make_staff(organiser, Role.SOCIAL_WORKER, "tiina.tyontekija", password=TEST_PASSWORD)
    case = case_in_review(organiser=organiser, worker=worker)
    line = current_plan(case).lines.first()

    page = new_page("en")
    sign_in(page, worker)
    page.goto(f"{live_server.url}/cases/{case.pk}/review/")
    expect(page.get_by_role("group", name="Comments on the lines")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(f"Comment on the line “{line.description}”").fill("Kuinka monta tuntia viikossa?")
    page.get_by_role("button", name="Return to the client with comments").click()
    expect(page.locator(".messages")).to_contain_text("The plan was returned to the client")
    assert HBCase.objects.get(pk=case.pk).status == CaseStatus.PLANNING
    assert current_plan(case).lines.first().copied_from_id == line.pk


def test_the_management_group_approves_one_plan_and_returns_another(live_server, new_page, assert_accessible, sign_in):
    organiser = make_organiser()
    set_approval_rule(
        organiser=organiser, actor=make_staff(organiser, Role.ORGANISER_ADMIN), rule=ApprovalRule.MANAGEMENT_GROUP
    )
    approver = make_staff(organiser, Role.APPROVER, "johtaja.jaana", password=TEST_PASSWORD)
    approve_me = case_in_approval(organiser=organiser)
    return_me = case_in_approval(organiser=organiser)

    page = new_page("en")
    sign_in(page, approver)
    page.goto(f"{live_server.url}/approval-meeting/")
    expect(page.get_by_role("heading", name="2 plans wait for the meeting")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Members present").fill("Jaana Johtaja, Pekka Päällikkö")
    first = current_plan(approve_me)
    second = current_plan(return_me)
    page.locator(f"#plan-{first.pk}-approve").check()
    page.locator(f"#plan-{second.pk}-return").check()
    page.locator(f"#reason-{second.pk}").fill("Tavoitteet on kirjoitettava tarkemmin.")
    page.get_by_role("button", name="Record the meeting and its decisions").click()
    expect(page.locator(".messages")).to_contain_text("1 approved, 1 returned")
    expect(page.get_by_role("heading", name="Earlier meetings")).to_be_visible()
    assert_accessible(page)
    assert HBCase.objects.get(pk=approve_me.pk).status == CaseStatus.APPROVED
    assert HBCase.objects.get(pk=return_me.pk).status == CaseStatus.PLANNING
