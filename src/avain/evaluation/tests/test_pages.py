"""Who may see and answer questionnaires, through the real pages."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from avain.core.periods import Period
from avain.evaluation import services
from avain.evaluation.models import Instrument, InstrumentStatus, Measurement, MeasurementMode, MeasurementStatus
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.planning.services import decline_hb
from avain.testing import (
    case_active,
    login_verified,
    make_assistant,
    make_client,
    make_organiser,
    make_product,
    make_provider_contact,
    make_staff,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2027, 1, 1), dt.date(2027, 12, 31))


@pytest.fixture
def scheduled(instruments):
    organiser = make_organiser()
    client = make_client(organiser, login=True)
    case = case_active(organiser=organiser, client=client, period=PERIOD)
    services.schedule_measurements(case=case)
    return case


def _self_assessment(case, point="start"):
    return Measurement.objects.get(case=case, instrument__code="self-assessment", point=point)


def test_the_client_answers_in_parts_and_sees_the_report(client, scheduled):
    case = scheduled
    measurement = _self_assessment(case)
    client.force_login(case.client.user)
    listing = client.get(reverse("portal_questionnaires", args=[case.client.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200
    url = reverse("portal_questionnaire", args=[case.client.pk, measurement.pk])
    early = client.get(reverse("portal_questionnaire_report", args=[case.client.pk, measurement.pk]))
    assert early.status_code == 200 and early.context["not_sent"]
    first = client.get(url)
    assert first.status_code == 200 and b"mind-1" in first.content
    response = client.post(url, {"page": 1, "mind-1": 6, "mind-2": 7, "action": "pause"})
    assert response.status_code == 302 and response.url == reverse("portal_questionnaires", args=[case.client.pk])
    # Continuing opens the page left unfinished.
    assert client.get(url).context["number"] == 1
    client.post(url, {"page": 1, "mind-1": 6, "mind-2": 7, "mind-3": 2, "mind-4": 8, "action": "next"})
    assert client.get(url).context["number"] == 2
    bad = client.post(url, {"page": 2, "participation-1": 42, "action": "next"})
    assert bad.status_code == 400
    for number in range(2, 6):
        items = bad.context["page"]["items"] if number == 2 else client.get(f"{url}?page={number}").context["page"]["items"]
        last = client.post(url, {"page": number, **{i.code: 5 for i in items}, "action": "send" if number == 5 else "next"})
    assert last.status_code == 302
    measurement.refresh_from_db()
    assert measurement.status == MeasurementStatus.COMPLETED and measurement.entered_by is None
    report = client.get(reverse("portal_questionnaire_report", args=[case.client.pk, measurement.pk]))
    assert report.status_code == 200
    assert str(report.context["domains"][0].score) == "7.30"  # (6 + 7 + (10 - 2) + 8) / 4 = 7.25, rounded half up
    assert client.get(url).status_code == 302  # a sent questionnaire opens the report


def test_another_organisers_staff_and_clients_get_404(client, scheduled):
    case = scheduled
    measurement = _self_assessment(case)
    other = make_organiser()
    login_verified(client, make_staff(other))
    assert client.get(reverse("client_questionnaires", args=[case.client.pk])).status_code == 404
    assert client.get(reverse("case_questionnaires", args=[case.pk])).status_code == 404
    paper = reverse("questionnaire_paper_form", args=[case.client.pk, measurement.pk])
    assert client.post(paper, {"mind-1": 3, "action": "send"}).status_code == 404
    # A client of the other organiser cannot reach this measurement through their own id either.
    stranger = make_client(other, login=True)
    client.force_login(stranger.user)
    assert client.get(reverse("portal_questionnaire", args=[stranger.pk, measurement.pk])).status_code == 404
    assert client.get(reverse("portal_questionnaire", args=[case.client.pk, measurement.pk])).status_code == 404
    assert not measurement.answers.exists()


def test_a_read_delegate_reads_but_cannot_answer_and_each_read_is_logged(client, scheduled):
    case = scheduled
    measurement = _self_assessment(case)
    helper = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=helper, access="read")
    client.force_login(helper)
    url = reverse("portal_questionnaire", args=[case.client.pk, measurement.pk])
    page = client.get(url)
    assert page.status_code == 200 and not page.context["can_answer"]
    assert b'value="pause"' not in page.content
    assert client.post(url, {"page": 1, "mind-1": 6, "action": "pause"}).status_code == 403
    assert not measurement.answers.exists()
    assert client.get(reverse("portal_questionnaires", args=[case.client.pk])).status_code == 200
    logged = AccessLogEntry.objects.filter(client=case.client, actor=helper, grounds="delegation").count()
    assert logged == 2
    editor = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=editor, access="edit")
    client.force_login(editor)
    assert client.post(url, {"page": 1, "mind-1": 6, "action": "pause"}).status_code == 302
    assert measurement.answers.count() == 1


def test_a_provider_cannot_reach_a_clients_questionnaires(client, scheduled):
    case = scheduled
    provider_user = make_provider_contact(make_product(case.organiser).provider)
    client.force_login(provider_user)
    assert client.get(reverse("portal_questionnaires", args=[case.client.pk])).status_code == 404
    answer = reverse("portal_questionnaire", args=[case.client.pk, _self_assessment(case).pk])
    assert client.post(answer, {"page": 1, "mind-1": 1, "action": "pause"}).status_code == 404


def test_a_worker_enters_a_paper_form_for_a_control_client(client, instruments):
    organiser = make_organiser()
    worker = make_staff(organiser)
    control = make_client(organiser)
    decline_hb(client=control, worker=worker, reason="")
    login_verified(client, worker)
    url = reverse("client_questionnaires", args=[control.pk])
    bad = client.post(url, {"start": "2027-03-01", "end": "2027-02-01"})
    assert bad.status_code == 400 and not Measurement.objects.filter(client=control).exists()
    assert client.post(url, {"start": "2027-02-01", "end": "2027-08-01"}).status_code == 302
    form = Measurement.objects.get(client=control, instrument__code="funder-start")
    paper = reverse("questionnaire_paper_form", args=[control.pk, form.pk])
    missing = client.post(paper, {"age-group": "30-54", "action": "send"})
    assert missing.status_code == 400
    form.refresh_from_db()
    assert form.status == MeasurementStatus.IN_PROGRESS and form.answers.count() == 1  # saved, not sent
    done = client.post(
        paper,
        {"age-group": "30-54", "gender": "man", "education": "basic", "labour-market": "student", "household": "parents", "action": "send"},
    )
    assert done.status_code == 302
    form.refresh_from_db()
    assert (form.status, form.mode, form.entered_by) == (MeasurementStatus.COMPLETED, MeasurementMode.PAPER, worker)
    assert client.get(paper).status_code == 404  # a sent form is not entered again
    # The worker's reads are in the client's access log.
    assert AccessLogEntry.objects.filter(client=control, actor=worker).count() >= 4


def test_an_approver_reads_but_cannot_enter_or_schedule(client, scheduled):
    case = scheduled
    approver = make_staff(case.organiser, Role.APPROVER)
    login_verified(client, approver)
    assert client.get(reverse("case_questionnaires", args=[case.pk])).status_code == 200
    assert client.post(reverse("case_questionnaires", args=[case.pk])).status_code == 404
    paper = reverse("questionnaire_paper_form", args=[case.client.pk, _self_assessment(case).pk])
    assert client.get(paper).status_code == 403


def test_the_worker_schedules_a_case_from_its_page(client, instruments):
    case = case_active(period=PERIOD)
    login_verified(client, case.worker)
    assert client.post(reverse("case_questionnaires", args=[case.pk])).status_code == 302
    assert Measurement.objects.filter(case=case).count() == 7
    page = client.get(reverse("case_questionnaires", args=[case.pk]))
    assert len(page.context["rows"]) == 7


def test_the_organiser_admin_uploads_and_publishes_its_own_questionnaire(client, instruments):
    organiser = make_organiser()
    admin = make_staff(organiser, Role.ORGANISER_ADMIN)
    login_verified(client, admin)
    url = reverse("evaluation_instruments")
    assert client.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    broken = client.post(url, {"file": SimpleUploadedFile("a.json", b"{oops")}, HTTP_ACCEPT_LANGUAGE="en")
    assert broken.status_code == 400
    assert "not valid JSON" in broken.content.decode()
    data = json.loads((services.SHIPPED_DIR / "satisfaction.json").read_text())
    data["code"] = "oma-tyytyvaisyys"
    ok = client.post(url, {"file": SimpleUploadedFile("a.json", json.dumps(data).encode())})
    assert ok.status_code == 302
    own = Instrument.objects.get(organiser=organiser, code="oma-tyytyvaisyys")
    assert own.status == InstrumentStatus.DRAFT
    client.post(reverse("evaluation_instrument_status", args=[own.pk]), {"action": "publish"})
    own.refresh_from_db()
    assert own.status == InstrumentStatus.PUBLISHED
    shipped = Instrument.objects.filter(organiser__isnull=True).first()
    assert client.post(reverse("evaluation_instrument_status", args=[shipped.pk]), {"action": "retire"}).status_code == 404
    login_verified(client, make_staff(organiser))
    assert client.get(url).status_code == 403
