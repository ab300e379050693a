"""A sampled client records time spent on their HB and sends an idea; a worker answers it and marks it acted on;
the client reads the answer. Every page is checked with axe-core. The browser asks for English."""

import datetime as dt

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avain.core import clock
from avain.feedback.models import Feedback, FeedbackStatus
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.testing import TEST_PASSWORD, make_client, make_organiser, make_staff
from avain.timeuse.models import TimeEntry, TimeRole
from avain.timeuse.services import create_sampling_period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_client_records_time_and_sends_feedback_and_a_worker_answers(live_server, new_page, assert_accessible, sign_in):
    check = assert_accessible
    organiser = make_organiser("ajankaytto", name="Ajankäytön hyvinvointialue")
    admin = make_staff(organiser, Role.ORGANISER_ADMIN)
    worker = make_staff(organiser, username="sanna.sosiaalityo", password=TEST_PASSWORD)
    aino = make_client(organiser, first_name="Aino", last_name="Asiakas", username="aino", password=TEST_PASSWORD)
    TOTPDevice.objects.create(user=aino.user, name="puhelin", confirmed=True)
    today = clock.today()
    create_sampling_period(
        organiser=organiser, name="Seurantajakso", starts_on=today - dt.timedelta(days=7),
        ends_on=today + dt.timedelta(days=7), actor=admin,
    )

    # --- The client records time: first too many minutes (refused with a reason), then right.
    p = new_page("en")
    sign_in(p, aino.user, check)
    p.goto(f"{live_server.url}/my/{aino.pk}/time/")
    expect(p.get_by_role("heading", name="Time spent on my HB")).to_be_visible()
    check(p)
    p.get_by_label("What did you do?").select_option("finding_services")
    p.get_by_label("Time in minutes").fill("1500")
    p.get_by_role("button", name="Save the time").click()
    expect(p.locator(".error-summary")).to_be_visible()
    check(p)
    assert not TimeEntry.objects.exists()
    p.get_by_label("Time in minutes").fill("90")
    p.get_by_label("Note (optional)").fill("Etsin uimahallin vuorot")
    p.get_by_role("button", name="Save the time").click()
    expect(p.locator(".messages")).to_contain_text("The time is saved")
    expect(p.get_by_role("cell", name="Etsin uimahallin vuorot")).to_be_visible()
    check(p)
    entry = TimeEntry.objects.get()
    assert (entry.person, entry.role, entry.minutes, entry.on) == (aino.user, TimeRole.CLIENT, 90, today)

    # --- The client sends an idea about the HB model.
    p.goto(f"{live_server.url}/my/{aino.pk}/feedback/")
    check(p)
    p.get_by_label("What is it about?").select_option("hb_model")
    p.get_by_label("Your feedback or idea").fill("Vertaisryhmä budjetin suunnitteluun olisi hyvä.")
    p.get_by_role("button", name="Send", exact=True).click()
    expect(p.locator(".messages")).to_contain_text("Your feedback has been sent")
    check(p)
    item = Feedback.objects.get()
    assert (item.client, item.status) == (aino, FeedbackStatus.NEW)

    # --- The worker reads it (a logged read), answers and marks it acted on.
    w = new_page("en")
    sign_in(w, worker)
    w.goto(f"{live_server.url}/feedback/")
    check(w)
    w.get_by_role("link", name="Vertaisryhmä budjetin suunnitteluun olisi hyvä.").click()
    expect(w.get_by_role("heading", name="Feedback: personal budgeting as a whole")).to_be_visible()
    check(w)
    w.get_by_role("button", name="Send the answer").click()  # empty: refused
    expect(w.locator(".error-summary")).to_be_visible()
    check(w)
    w.get_by_label("Answer to the client").fill("Hyvä idea! Aloitamme ryhmän syksyllä.")
    w.get_by_role("button", name="Send the answer").click()
    expect(w.locator(".messages")).to_contain_text("The answer is sent")
    w.get_by_role("button", name="Mark as acted on").click()
    expect(w.locator(".messages")).to_contain_text("marked as acted on")
    check(w)
    item.refresh_from_db()
    assert (item.status, item.answered_by, item.acted_on_by) == (FeedbackStatus.ACTED_ON, worker, worker)
    assert AccessLogEntry.objects.filter(client=aino, actor=worker).count() >= 2

    # --- The client sees the answer and that the idea led to action.
    p.goto(f"{live_server.url}/my/{aino.pk}/feedback/")
    expect(p.get_by_text("Hyvä idea! Aloitamme ryhmän syksyllä.")).to_be_visible()
    expect(p.get_by_text("your feedback has led to action")).to_be_visible()
    check(p)
