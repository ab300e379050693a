"""A client answers the self-assessment in the portal (pausing once), sees the report; a worker enters a paper form
for a control client (one who declined HB). Every page is checked with axe-core. The browser asks for English."""

import datetime as dt
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avain.core.periods import Period
from avain.evaluation import services
from avain.evaluation.models import Instrument, Measurement, MeasurementMode, MeasurementStatus
from avain.planning.services import decline_hb
from avain.testing import TEST_PASSWORD, case_active, make_client, make_organiser, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answer_page(page, value: str) -> None:
    """Choose ``value`` on every scale question of the page, by clicking its label as a person would."""
    for group in page.locator("fieldset.question").all():
        group.locator("label").get_by_text(value, exact=True).click()
        expect(group.get_by_label(value, exact=True)).to_be_checked()


def test_a_client_answers_the_self_assessment_and_a_worker_enters_a_paper_form(
    live_server, new_page, assert_accessible, sign_in
):
    check = assert_accessible
    services.load_instruments()
    organiser = make_organiser("kysely", name="Kyselyn hyvinvointialue")
    worker = make_staff(organiser, username="sanna.sosiaalityo", password=TEST_PASSWORD)
    aino = make_client(organiser, first_name="Aino", username="aino", password=TEST_PASSWORD)
    TOTPDevice.objects.create(user=aino.user, name="puhelin", confirmed=True)
    case = case_active(organiser=organiser, client=aino, worker=worker, period=Period(dt.date(2027, 1, 1), dt.date(2027, 12, 31)))
    services.schedule_measurements(case=case)
    control = make_client(organiser, first_name="Ville", last_name="Verrokki")
    decline_hb(client=control, worker=worker, reason="Jatkaa tavallisilla palveluilla.")

    # --- The client answers two parts, pauses, continues where they left off and sends.
    p = new_page("en")
    sign_in(p, aino.user, check)
    p.goto(f"{live_server.url}/my/{aino.pk}/questionnaires/")
    check(p)
    p.get_by_role("link", name=re.compile("Start answering.*Everyday life and wellbeing")).click()
    expect(p.get_by_role("heading", name="Mind and energy")).to_be_visible()
    expect(p.get_by_text("Part 1 of 5")).to_be_visible()
    check(p)
    _answer_page(p, "6")
    p.get_by_role("button", name="Save and go on").click()
    expect(p.get_by_role("heading", name="People and participation")).to_be_visible()
    _answer_page(p, "7")
    check(p)
    p.get_by_role("button", name="Save and continue later").click()
    expect(p.locator(".messages")).to_contain_text("Your answers are saved")
    check(p)
    p.get_by_role("link", name=re.compile("Continue answering.*Everyday life and wellbeing")).click()
    expect(p.get_by_role("heading", name="Body and moving about")).to_be_visible()
    _answer_page(p, "8")
    p.get_by_role("button", name="Save and go on").click()
    _answer_page(p, "5")
    p.get_by_role("button", name="Save and go on").click()
    expect(p.get_by_text("Part 5 of 5")).to_be_visible()
    _answer_page(p, "4")
    check(p)
    p.get_by_role("button", name="Send the answers").click()

    expect(p.locator(".messages")).to_contain_text("Thank you! Your answers have been sent.")
    expect(p.get_by_role("heading", name="My results: Everyday life and wellbeing")).to_be_visible()
    table = p.get_by_role("table", name="Your results area by area")
    expect(table.get_by_role("row", name="Body and moving about")).to_contain_text("6.0")  # 8, 8 and 10 - 8
    expect(table.get_by_role("row", name="Managing everyday life")).to_contain_text("4.0")
    expect(p.get_by_role("img", name="Your results as bars")).to_be_visible()
    expect(p.get_by_text("Everyday life works in part.")).to_be_visible()
    check(p)
    measurement = Measurement.objects.get(case=case, instrument__code="self-assessment", point="start")
    assert measurement.status == MeasurementStatus.COMPLETED and measurement.mode == MeasurementMode.PORTAL

    # --- The worker schedules the control client's follow-up and enters a paper self-assessment.
    w = new_page("en")
    sign_in(w, worker, check)
    w.goto(f"{live_server.url}/clients/{control.pk}/questionnaires/")
    expect(w.get_by_text("No questionnaires have been scheduled.")).to_be_visible()
    check(w)
    w.get_by_label("Follow-up starts").fill("2027-02-01")
    w.get_by_label("Follow-up ends").fill("2027-01-01")
    w.get_by_role("button", name="Schedule the follow-up").click()
    expect(w.locator(".error-summary")).to_contain_text("The follow-up must end after it starts.")
    check(w)
    w.get_by_label("Follow-up ends").fill("2027-08-01")
    w.get_by_role("button", name="Schedule the follow-up").click()
    expect(w.locator(".messages")).to_contain_text("Questionnaires scheduled: 5.")
    check(w)
    w.get_by_role("link", name=re.compile("Enter a paper form.*Everyday life and wellbeing, at the start")).click()
    expect(w.get_by_role("heading", name="Enter a paper form: Everyday life and wellbeing")).to_be_visible()
    check(w)
    _answer_page(w, "3")
    w.get_by_role("button", name="Save the form as answered").click()
    expect(w.locator(".messages")).to_contain_text("The paper form is entered")
    check(w)
    paper = Measurement.objects.get(client=control, instrument__code="self-assessment", point="start")
    assert (paper.status, paper.mode, paper.entered_by, paper.case) == (
        MeasurementStatus.COMPLETED, MeasurementMode.PAPER, worker, None
    )
    assert paper.scores.count() == 6
    assert Instrument.objects.filter(organiser__isnull=True).count() == 5
