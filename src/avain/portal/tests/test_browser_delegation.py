"""The client withdraws her HB assistant's permission in Chromium, and the assistant is refused at once.

The journey in which the assistant edits the plan with the client's permission is in test_browser_journey.py.
"""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avain.people.models import AccessLogEntry, Delegation
from avain.people.services import grant_delegation
from avain.testing import TEST_PASSWORD, case_in_planning, current_plan, make_assistant, make_client, make_organiser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_client_withdraws_the_assistants_permission_and_the_assistant_is_refused(
    live_server, new_page, assert_accessible, sign_in
):
    base, check = live_server.url, assert_accessible
    organiser = make_organiser()
    aino = make_client(organiser, first_name="Aino", last_name="Asiakas", username="aino", password=TEST_PASSWORD)
    case = case_in_planning(client=aino)
    sari = make_assistant(organiser, "sari.avustaja", password=TEST_PASSWORD)
    sari.first_name, sari.last_name = "Sari", "Avustaja"
    sari.save()
    for user in (aino.user, sari):
        TOTPDevice.objects.create(user=user, name="puhelin", confirmed=True)
    delegation = grant_delegation(client=aino, user=sari, access=Delegation.Access.EDIT)

    # The assistant has the client's plan open.
    s = new_page("en")
    sign_in(s, sari)
    expect(s.get_by_role("heading", name="People you help")).to_be_visible()
    s.get_by_role("link", name="Aino Asiakas").click()
    s.get_by_role("link", name="Write my support plan").click()
    expect(s.get_by_role("heading", level=1)).to_have_text("Write my support plan")
    check(s)
    s.get_by_label("What is important to me?").fill("Tämä ei saa tallentua.")

    # The client withdraws the permission on her network page.
    c = new_page("en")
    sign_in(c, aino.user)
    c.get_by_role("link", name="My close people and helpers").click()
    helpers = c.get_by_role("table", name="Who may help me in Avain")
    expect(helpers).to_contain_text("Sari Avustaja (HB assistant)")
    check(c)
    c.get_by_role("button", name="Withdraw the permission of Sari Avustaja").click()
    expect(c.locator(".messages")).to_contain_text("Sari Avustaja can no longer see your plan or budget.")
    expect(helpers).to_contain_text("Nobody else can see your plan or budget now.")
    expect(c.get_by_role("combobox", name="Who may help")).to_contain_text("Sari Avustaja (HB assistant)")
    check(c)

    # The assistant's next request is refused: saving the open plan, reading it again, and the client's home page.
    with s.expect_response(lambda response: response.request.method == "POST") as answer:
        s.get_by_role("button", name="Save and go on later").click()
    assert answer.value.status == 404
    assert s.goto(f"{base}/my/{aino.pk}/plan/").status == 404
    assert s.goto(f"{base}/my/{aino.pk}/").status == 404
    s.goto(f"{base}/")
    expect(s.get_by_role("button", name="Sign out")).to_be_visible()
    expect(s.get_by_role("link", name="Aino Asiakas")).to_have_count(0)
    expect(s.get_by_role("heading", name="People you help")).to_have_count(0)
    check(s)

    assert current_plan(case).what_matters == ""
    assert Delegation.objects.get(pk=delegation.pk).withdrawn_at is not None
    # Her reads while she had the permission stay in the client's log; the refused requests added none.
    reads = AccessLogEntry.objects.filter(client=aino, actor=sari)
    assert reads.count() == 2  # the client's HB page and the plan
    assert len(check.checked) >= 4
