"""Scheduling from the budget period, answering in parts, completing with stored scores, the report's change since
last time, and reminders."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.evaluation import selectors, services
from avain.evaluation.models import Answer, Measurement, MeasurementMode, MeasurementScore, MeasurementStatus
from avain.planning.services import decline_hb
from avain.testing import case_active, db_snapshot, make_client, make_organiser, make_staff, refused

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2027, 1, 1), dt.date(2027, 12, 31))


def _self_assessment(case_or_client, point="start") -> Measurement:
    return Measurement.objects.get(
        client=getattr(case_or_client, "client", case_or_client), instrument__code="self-assessment", point=point
    )


# Every self-assessment item answered; reverse-scored items are answered low, so they count high.
ALL_SEVEN = {
    **{f"mind-{n}": 7 for n in (1, 2, 4)},
    "mind-3": 3,
    **{f"participation-{n}": 7 for n in (1, 3, 4)},
    "participation-2": 3,
    "body-1": 7,
    "body-2": 7,
    "body-3": 3,
    **{f"skills-{n}": 7 for n in (1, 2, 3)},
    **{f"everyday-{n}": 7 for n in (1, 2, 3, 4)},
}


def test_a_case_in_use_gets_its_questionnaires_at_the_start_middle_and_end_of_its_period(instruments):
    case = case_active(period=PERIOD)  # the decision schedules them (planning.signals.case_decided)
    created = list(Measurement.objects.filter(case=case).select_related("instrument"))
    plan = {(m.instrument.code, m.point, m.due_on) for m in created}
    assert plan == {
        ("self-assessment", "start", dt.date(2027, 1, 1)),
        ("funder-start", "start", dt.date(2027, 1, 1)),
        ("self-assessment", "middle", dt.date(2027, 7, 2)),
        ("self-assessment", "end", dt.date(2027, 12, 31)),
        ("funder-end", "end", dt.date(2027, 12, 31)),
        ("satisfaction", "end", dt.date(2027, 12, 31)),
        ("hb-end-survey", "end", dt.date(2027, 12, 31)),
    }
    assert all(m.case == case and m.created_by == case.worker and m.mode == "portal" for m in created)
    before = db_snapshot("evaluation")
    assert services.schedule_measurements(case=case) == []
    assert services.schedule_for_active_cases() == 0
    assert db_snapshot("evaluation") == before


def test_the_command_schedules_every_case_in_use_lacking_questionnaires_once(instruments):
    first, second = case_active(period=PERIOD), case_active(period=PERIOD)
    call_command("schedule_measurements", stdout=open("/dev/null", "w"))
    assert Measurement.objects.filter(case__in=[first, second]).count() == 14
    call_command("schedule_measurements", stdout=open("/dev/null", "w"))
    assert Measurement.objects.filter(case__in=[first, second]).count() == 14


def test_a_case_not_yet_decided_isrefused(instruments):
    from avain.testing import case_approved

    refused("case_not_in_use", services.schedule_measurements, case=case_approved())


def test_a_control_client_gets_a_follow_up_without_hb_surveys(instruments):
    organiser = make_organiser()
    worker = make_staff(organiser)
    client = make_client(organiser)
    decline_hb(client=client, worker=worker, reason="Haluaa jatkaa tavallisilla palveluilla.")
    created = services.schedule_control_follow_up(
        client=client, start=dt.date(2027, 2, 1), end=dt.date(2027, 8, 1), scheduled_by=worker
    )
    assert sorted((m.instrument.code, m.point) for m in created) == [
        ("funder-end", "end"),
        ("funder-start", "start"),
        ("self-assessment", "end"),
        ("self-assessment", "middle"),
        ("self-assessment", "start"),
    ]
    assert all(m.case is None for m in created)
    assert _self_assessment(client, "middle").due_on == dt.date(2027, 5, 2)
    assert (
        services.schedule_control_follow_up(
            client=client, start=dt.date(2027, 2, 1), end=dt.date(2027, 8, 1), scheduled_by=worker
        )
        == []
    )
    refused(
        "period_order",
        services.schedule_control_follow_up,
        client=client,
        start=dt.date(2027, 8, 1),
        end=dt.date(2027, 2, 1),
        scheduled_by=worker,
    )
    case = case_active(period=PERIOD)
    refused(
        "client_has_hb",
        services.schedule_control_follow_up,
        client=case.client,
        start=dt.date(2027, 2, 1),
        end=dt.date(2027, 8, 1),
        scheduled_by=worker,
    )


def test_answers_are_saved_in_parts_and_an_invalid_answer_saves_nothing(instruments):
    case = case_active(period=PERIOD)
    services.schedule_measurements(case=case)
    measurement = _self_assessment(case)
    user = case.client.user or case.worker
    services.save_answers(measurement=measurement, values={"mind-1": 6, "mind-2": 5}, actor=user)
    measurement.refresh_from_db()
    assert measurement.status == MeasurementStatus.IN_PROGRESS and measurement.started_at is not None
    services.save_answers(measurement=measurement, values={"body-1": 8, "mind-2": None}, actor=user)
    assert selectors.answers_of(measurement) == {"mind-1": 6, "body-1": 8}
    with translation.override("en"):
        error = refused("invalid_answer", services.save_answers, measurement=measurement, values={"body-2": 4, "body-3": 11}, actor=user)
    assert "choose a number from 0 to 10" in error.messages[0]
    refused("invalid_answer", services.save_answers, measurement=measurement, values={"no-such": 1}, actor=user)


def test_completing_stores_the_scores_with_reverse_scoring_and_the_bands(instruments):
    case = case_active(period=PERIOD)
    services.schedule_measurements(case=case)
    measurement = _self_assessment(case)
    answers = dict(ALL_SEVEN)
    del answers["skills-3"], answers["skills-2"]  # two of three missing: no score for skills
    services.save_answers(measurement=measurement, values=answers, actor=case.worker)
    services.complete_measurement(measurement=measurement, actor=case.worker)
    measurement.refresh_from_db()
    assert measurement.status == MeasurementStatus.COMPLETED and measurement.completed_at
    scores = {s.domain.code if s.domain else None: s for s in measurement.scores.select_related("domain", "band")}
    assert scores["mind"].score == Decimal("7.0")  # 7, 7, 10 - 3, 7
    assert scores["mind"].band.feedback_en.startswith("You are feeling well")
    assert (scores["skills"].score, scores["skills"].answered, scores["skills"].missing) == (None, 1, 2)
    assert scores["skills"].band is None
    assert scores[None].score == Decimal("7.0")
    # A completed measurement takes no more answers.
    refused("not_open", services.save_answers, measurement=measurement, values={"skills-2": 1}, actor=case.worker)
    refused("not_open", services.complete_measurement, measurement=measurement, actor=case.worker)


def test_required_questions_must_be_answered_before_sending(instruments):
    case = case_active(period=PERIOD)
    services.schedule_measurements(case=case)
    form = Measurement.objects.get(case=case, instrument__code="funder-start")
    services.save_answers(measurement=form, values={"age-group": "25-29", "gender": "woman"}, actor=case.worker)
    with translation.override("en"):
        error = refused("required_missing", services.complete_measurement, measurement=form, actor=case.worker)
    assert "What is your highest education?" in error.messages[0]
    refused("invalid_answer", services.save_answers, measurement=form, values={"gender": "robot"}, actor=case.worker)
    worker = case.worker
    services.save_answers(
        measurement=form,
        values={"education": "basic", "labour-market": "unemployed", "household": "alone"},
        actor=worker,
        paper=True,
    )
    services.complete_measurement(measurement=form, actor=worker, paper=True)
    form.refresh_from_db()
    assert (form.mode, form.entered_by) == (MeasurementMode.PAPER, worker)
    assert not MeasurementScore.objects.filter(measurement=form).exists()  # choices give no score
    with translation.override("en"):
        assert ("Your gender", "woman") in selectors.report(form)["other_answers"]


def test_the_report_shows_the_change_since_the_previous_measurement(instruments):
    case = case_active(period=PERIOD)
    services.schedule_measurements(case=case)
    start, middle = _self_assessment(case, "start"), _self_assessment(case, "middle")
    with frozen_at(timezone.make_aware(dt.datetime(2027, 1, 5, 12))):
        services.save_answers(measurement=start, values={**ALL_SEVEN, "body-1": 2, "body-2": 2}, actor=case.worker)
        services.complete_measurement(measurement=start, actor=case.worker)
    with frozen_at(timezone.make_aware(dt.datetime(2027, 7, 5, 12))):
        services.save_answers(measurement=middle, values=ALL_SEVEN, actor=case.worker)
        services.complete_measurement(measurement=middle, actor=case.worker)
    middle.refresh_from_db()
    with translation.override("en"):
        report = selectors.report(middle)
    assert report["previous"] == start
    body = next(row for row in report["domains"] if row.name == "Body and moving about")
    assert (body.score, body.previous, body.change) == (Decimal("7.0"), Decimal("3.7"), Decimal("3.3"))
    assert body.percent == 70 and body.previous_percent == 37
    assert report["whole"].change > 0
    start.refresh_from_db()
    assert selectors.report(start)["previous"] is None


def test_a_reminder_is_mailed_once_per_questionnaire_without_details(instruments):
    organiser = make_organiser()
    client = make_client(organiser, first_name="Aino", login=True)
    client.user.email = "aino@example.org"
    client.user.save()
    case = case_active(organiser=organiser, client=client, period=PERIOD)
    services.schedule_measurements(case=case)
    assert services.remind_measurements(today=dt.date(2026, 12, 20)) == (0, 0)  # more than a week ahead
    assert services.remind_measurements(today=dt.date(2026, 12, 26)) == (2, 0)  # the two start forms
    assert services.remind_measurements(today=dt.date(2026, 12, 27)) == (0, 0)
    message = mail.outbox[0]
    assert message.to == ["aino@example.org"]
    assert message.body.startswith("Hei Aino,")
    assert "Arjen" not in message.body and "Rahoittajan" not in message.body


def test_a_decision_schedules_the_questionnaires_even_when_they_were_not_installed():
    from avain.evaluation.models import Instrument

    Measurement.objects.all().delete()
    Instrument.objects.all().delete()  # as after a test's flush: the data migration's rows are gone
    case = case_active(period=PERIOD)
    assert Measurement.objects.filter(case=case, instrument__code="self-assessment").count() == 3
