"""Follow-up meetings: the series at the decision, adding, moving, cancelling, the outcome, closing on request and at
the end of the budget period."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from avain.core.clock import frozen_at
from avain.followup import selectors, services
from avain.followup.models import FollowUpMeeting, FollowUpSettings, PlanChange
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.planning.models import CaseAction, CaseStatus
from avain.testing import case_active, case_in_review, login_verified, make_client, make_organiser, make_staff, refused

pytestmark = pytest.mark.django_db

JAN_10 = timezone.make_aware(dt.datetime(2027, 1, 10, 10, 0))


def _at(day: dt.date):
    return frozen_at(timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0))))


@pytest.fixture
def active():
    with frozen_at(JAN_10):
        return case_active()


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert services.add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert services.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert services.add_months(dt.date(2027, 11, 15), 3) == dt.date(2028, 2, 15)


def test_the_series_is_every_three_months_inside_the_decision_period(active):
    with frozen_at(JAN_10):
        meetings = services.schedule_series(case=active, actor=active.worker)
    assert [m.scheduled_on for m in meetings] == [dt.date(2027, 4, 1), dt.date(2027, 7, 1), dt.date(2027, 10, 1)]
    assert {m.created_by for m in meetings} == {active.worker}


def test_the_interval_is_the_organisers_setting(active):
    FollowUpSettings.objects.create(organiser=active.organiser, interval_months=6)
    with frozen_at(JAN_10):
        meetings = services.schedule_series(case=active, actor=active.worker)
    assert [m.scheduled_on for m in meetings] == [dt.date(2027, 7, 1)]


def test_the_series_leaves_out_dates_already_past_and_is_created_once(active):
    with _at(dt.date(2027, 5, 2)):
        assert [m.scheduled_on for m in services.schedule_series(case=active, actor=active.worker)] == [
            dt.date(2027, 7, 1),
            dt.date(2027, 10, 1),
        ]
        assert services.schedule_series(case=active, actor=active.worker) == []
    assert FollowUpMeeting.objects.filter(case=active).count() == 2


def test_newly_decided_cases_get_their_series_from_the_scheduled_run(active):
    in_review = case_in_review()
    with frozen_at(JAN_10):
        assert services.schedule_series_for_decided_cases() == 3
        assert services.schedule_series_for_decided_cases() == 0
    assert FollowUpMeeting.objects.filter(case=active).count() == 3
    assert not FollowUpMeeting.objects.filter(case=in_review).exists()


def test_a_case_not_in_use_gets_no_meetings():
    case = case_in_review()
    refused("not_active", services.schedule_series, case=case, actor=case.worker)
    refused("not_active", services.add_meeting, case=case, day=dt.date(2099, 1, 1), actor=case.worker)


def test_the_worker_adds_a_meeting_inside_the_period_on_a_free_day(active):
    with frozen_at(JAN_10):
        meeting = services.add_meeting(case=active, day=dt.date(2027, 2, 15), actor=active.worker)
        assert meeting.is_planned
        refused("date_taken", services.add_meeting, case=active, day=dt.date(2027, 2, 15), actor=active.worker)
        refused("date_past", services.add_meeting, case=active, day=dt.date(2027, 1, 9), actor=active.worker)
        refused("date_outside_period", services.add_meeting, case=active, day=dt.date(2028, 1, 2), actor=active.worker)


def test_moving_keeps_the_old_meeting_as_cancelled_and_adds_a_new_one(active):
    with frozen_at(JAN_10):
        old = services.add_meeting(case=active, day=dt.date(2027, 2, 15), actor=active.worker)
        new = services.move_meeting(case=active, meeting_id=old.pk, day=dt.date(2027, 2, 20), actor=active.worker)
    old.refresh_from_db()
    assert old.cancelled_at is not None and "20.02.2027" in old.cancel_reason
    assert new.pk != old.pk and new.scheduled_on == dt.date(2027, 2, 20)
    assert [m.pk for m in selectors.planned_meetings(active)] == [new.pk]


def test_cancelling_keeps_the_meeting_with_the_reason(active):
    with frozen_at(JAN_10):
        meeting = services.add_meeting(case=active, day=dt.date(2027, 2, 15), actor=active.worker)
        services.cancel_meeting(case=active, meeting_id=meeting.pk, actor=active.worker, reason="Asiakas sairastui.")
        refused("not_planned", services.cancel_meeting, case=active, meeting_id=meeting.pk, actor=active.worker)
    meeting.refresh_from_db()
    assert meeting.cancel_reason == "Asiakas sairastui." and meeting.cancelled_by == active.worker
    # The day is free again.
    with frozen_at(JAN_10):
        services.add_meeting(case=active, day=dt.date(2027, 2, 15), actor=active.worker)


def test_recording_the_outcome(active):
    with frozen_at(JAN_10):
        meeting = services.add_meeting(case=active, day=dt.date(2027, 2, 15), actor=active.worker)
        refused(
            "outcome_required",
            services.record_outcome,
            case=active,
            meeting_id=meeting.pk,
            actor=active.worker,
            how_it_worked="  ",
            plan_changes=False,
            ends_hb=False,
        )
    with _at(dt.date(2027, 2, 15)):
        services.record_outcome(
            case=active,
            meeting_id=meeting.pk,
            actor=active.worker,
            how_it_worked="Avustaja on auttanut kaupassa käynnissä.",
            plan_changes=True,
            ends_hb=False,
        )
        refused(
            "not_planned",
            services.record_outcome,
            case=active,
            meeting_id=meeting.pk,
            actor=active.worker,
            how_it_worked="Uudestaan",
            plan_changes=False,
            ends_hb=False,
        )
    meeting.refresh_from_db()
    assert meeting.plan_changes == PlanChange.YES and meeting.recorded_by == active.worker
    assert selectors.plan_change_agreed(active)
    active.refresh_from_db()
    assert active.status == CaseStatus.ACTIVE


def test_the_client_chooses_ordinary_services_at_the_meeting_and_the_hb_closes(active):
    with frozen_at(JAN_10):
        services.schedule_series(case=active, actor=active.worker)
    first = selectors.planned_meetings(active).first()
    with _at(first.scheduled_on):
        services.record_outcome(
            case=active,
            meeting_id=first.pk,
            actor=active.worker,
            how_it_worked="Palvelut eivät löytyneet omalta alueelta.",
            plan_changes=False,
            ends_hb=True,
            end_reason="Asiakas palaa tavallisiin palveluihin.",
        )
    active.refresh_from_db()
    assert active.status == CaseStatus.CLOSED
    last = active.transitions.last()
    assert last.action == CaseAction.CLOSE and last.reason == "Asiakas palaa tavallisiin palveluihin."
    assert not selectors.planned_meetings(active).exists()
    assert FollowUpMeeting.objects.filter(case=active, cancelled_at__isnull=False).count() == 2


def test_the_period_end_closes_the_hb_once(active):
    with _at(dt.date(2027, 12, 31)):
        assert services.close_ended_periods() == []
    with _at(dt.date(2028, 1, 1)):
        call_command("close_ended_periods", stdout=open("/dev/null", "w"))
        call_command("close_ended_periods", stdout=open("/dev/null", "w"))
    active.refresh_from_db()
    assert active.status == CaseStatus.CLOSED
    closes = active.transitions.filter(action=CaseAction.CLOSE)
    assert closes.count() == 1
    with translation.override("fi"):
        assert closes.get().reason == gettext("The budget period ended.")
    assert closes.get().actor == active.worker


# --- Pages --------------------------------------------------------------------------------------------------------


def test_the_worker_uses_the_follow_up_page(client, active):
    login_verified(client, active.worker)
    url = reverse("case_follow_up", args=[active.pk])
    with frozen_at(JAN_10):
        before = AccessLogEntry.objects.count()
        assert client.get(url).status_code == 200
        assert AccessLogEntry.objects.count() == before + 1
        response = client.post(reverse("case_follow_up_schedule", args=[active.pk]))
        assert response.status_code == 302
        assert FollowUpMeeting.objects.filter(case=active).count() == 3
        response = client.post(reverse("case_follow_up_add", args=[active.pk]), {"add-day": "2027-02-15"})
        assert response.status_code == 302
        meeting = FollowUpMeeting.objects.get(case=active, scheduled_on=dt.date(2027, 2, 15))
        response = client.post(reverse("case_follow_up_add", args=[active.pk]), {"add-day": "2027-02-15"})
        assert response.status_code == 400
        with translation.override("fi"):
            assert gettext("There is already a meeting on that day.") in response.content.decode()
        response = client.post(
            reverse("case_follow_up_record", args=[active.pk]),
            {"outcome-meeting": meeting.pk, "outcome-how_it_worked": "Hyvin.", "outcome-plan_changes": "on"},
        )
        assert response.status_code == 302
        page = client.get(url).content.decode()
    assert "Hyvin." in page
    meeting.refresh_from_db()
    assert meeting.plan_changes == PlanChange.YES


def test_an_approver_reads_the_follow_up_but_cannot_change_it(client, active):
    approver = make_staff(active.organiser, Role.APPROVER)
    login_verified(client, approver)
    assert client.get(reverse("case_follow_up", args=[active.pk])).status_code == 200
    assert client.post(reverse("case_follow_up_add", args=[active.pk]), {"add-day": "2027-02-15"}).status_code == 403
    assert not FollowUpMeeting.objects.exists()


def test_staff_of_another_organiser_get_404(client, active):
    other = make_staff(make_organiser(), Role.SOCIAL_WORKER)
    login_verified(client, other)
    assert client.get(reverse("case_follow_up", args=[active.pk])).status_code == 404
    with frozen_at(JAN_10):
        response = client.post(reverse("case_follow_up_add", args=[active.pk]), {"add-day": "2027-02-15"})
    assert response.status_code == 404
    assert not FollowUpMeeting.objects.exists()


def test_the_client_sees_coming_meetings_and_the_agreed_plan_change(client):
    with frozen_at(JAN_10):
        case = case_active(client=make_client(make_organiser(), login=True))
        services.schedule_series(case=case, actor=case.worker)
        first = selectors.planned_meetings(case).first()
    client.force_login(case.client.user)
    with _at(first.scheduled_on):
        services.record_outcome(
            case=case, meeting_id=first.pk, actor=case.worker, how_it_worked="Hyvin.", plan_changes=True, ends_hb=False
        )
        page = client.get(reverse("portal_meetings", args=[case.client_id])).content.decode()
    assert "1.10.2027" in page and "1.7.2027" in page
    assert "Hyvin." in page
    assert reverse("portal_plan", args=[case.client_id]) in page


def test_the_workers_list_shows_own_coming_meetings(client, active):
    with frozen_at(JAN_10):
        services.add_meeting(case=active, day=dt.date(2027, 2, 15), actor=active.worker)
        login_verified(client, active.worker)
        page = client.get(reverse("follow_up_list")).content.decode()
    assert active.client.full_name in page
    login_verified(client, make_staff(active.organiser, Role.SOCIAL_WORKER))
    with frozen_at(JAN_10):
        assert active.client.full_name not in client.get(reverse("follow_up_list")).content.decode()
