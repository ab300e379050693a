"""Writes of the follow-up: the meeting series, adding, moving and cancelling meetings, recording the outcome, and
closing the HB at the end of its budget period."""

import calendar
import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from avain.core import clock
from avain.planning.models import CaseStatus, HBCase
from avain.planning.services import close_case

from .models import DEFAULT_INTERVAL_MONTHS, FollowUpMeeting, FollowUpSettings, PlanChange


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the last day of the month where that month is shorter (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def interval_months(organiser_id: int) -> int:
    row = FollowUpSettings.objects.filter(organiser_id=organiser_id).first()
    return row.interval_months if row else DEFAULT_INTERVAL_MONTHS


def series_dates(start: dt.date, end: dt.date, every_months: int, *, not_before: dt.date) -> list[dt.date]:
    """Every ``every_months`` months from ``start``, inside the period (``end`` inclusive), from ``not_before`` on."""
    dates, k = [], 1
    while (day := add_months(start, k * every_months)) <= end:
        if day >= not_before:
            dates.append(day)
        k += 1
    return dates


def _locked_case(case: HBCase) -> HBCase:
    return HBCase.objects.select_for_update().select_related("client").get(pk=case.pk, organiser_id=case.organiser_id)


def _require_active(case: HBCase) -> None:
    if case.status != CaseStatus.ACTIVE:
        raise ValidationError(
            _("Follow-up meetings are for a budget in use. This case is at the step “%(step)s”."),
            code="not_active",
            params={"step": CaseStatus(case.status).label},
        )


def schedule_series(*, case: HBCase, actor) -> list[FollowUpMeeting]:
    """Create the follow-up meetings of a decided budget: every ``interval_months`` (the organiser's setting)
    from the start of the decision period to its end, leaving out dates already past. Idempotent: a case that
    has ever had a meeting (even a cancelled one) gets no new series."""
    with transaction.atomic():
        case = _locked_case(case)
        _require_active(case)
        if FollowUpMeeting.objects.filter(organiser_id=case.organiser_id, case=case).exists():
            return []
        decision = case.decision
        dates = series_dates(
            decision.period_start, decision.period_end, interval_months(case.organiser_id), not_before=clock.today()
        )
        now = clock.now()
        return FollowUpMeeting.objects.bulk_create(
            FollowUpMeeting(organiser_id=case.organiser_id, case=case, scheduled_on=day, created_at=now, created_by=actor)
            for day in dates
        )


def schedule_series_for_decided_cases() -> int:
    """The series for every budget in use that has no meetings yet (run by ``send_notifications``); the number of
    meetings created. The decision's maker is the one who created them."""
    created = 0
    cases = HBCase.objects.filter(status=CaseStatus.ACTIVE, decision__isnull=False, follow_up_meetings__isnull=True)
    for case in cases.select_related("decision"):
        created += len(schedule_series(case=case, actor=case.decision.decided_by))
    return created


def _check_date(case: HBCase, day: dt.date) -> None:
    if day < clock.today():
        raise ValidationError(_("The meeting date cannot be in the past."), code="date_past")
    decision = case.decision
    if not decision.period_start <= day <= decision.period_end:
        raise ValidationError(
            _("The meeting must be inside the budget period, %(start)s–%(end)s."),
            code="date_outside_period",
            params={"start": decision.period_start.strftime("%d.%m.%Y"), "end": decision.period_end.strftime("%d.%m.%Y")},
        )


def _create(case: HBCase, day: dt.date, actor) -> FollowUpMeeting:
    try:
        with transaction.atomic():
            return FollowUpMeeting.objects.create(
                organiser_id=case.organiser_id, case=case, scheduled_on=day, created_at=clock.now(), created_by=actor
            )
    except IntegrityError:
        raise ValidationError(_("There is already a meeting on that day."), code="date_taken") from None


def add_meeting(*, case: HBCase, day: dt.date, actor) -> FollowUpMeeting:
    with transaction.atomic():
        case = _locked_case(case)
        _require_active(case)
        _check_date(case, day)
        return _create(case, day, actor)


def _locked_planned_meeting(case: HBCase, meeting_id: int) -> FollowUpMeeting:
    meeting = (
        FollowUpMeeting.objects.select_for_update()
        .filter(organiser_id=case.organiser_id, case=case, pk=meeting_id)
        .first()
    )
    if meeting is None or not meeting.is_planned:
        raise ValidationError(_("That meeting is no longer planned."), code="not_planned")
    return meeting


def _cancel(meeting: FollowUpMeeting, actor, reason: str) -> None:
    meeting.cancelled_at = clock.now()
    meeting.cancelled_by = actor
    meeting.cancel_reason = reason[:300]
    meeting.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])


def cancel_meeting(*, case: HBCase, meeting_id: int, actor, reason: str = "") -> FollowUpMeeting:
    with transaction.atomic():
        case = _locked_case(case)
        _require_active(case)
        meeting = _locked_planned_meeting(case, meeting_id)
        _cancel(meeting, actor, reason.strip())
        return meeting


def move_meeting(*, case: HBCase, meeting_id: int, day: dt.date, actor) -> FollowUpMeeting:
    """Move a planned meeting to another day: the old one is kept as cancelled ("moved to …") and a new one is
    added, so that the reminder is sent again for the new date."""
    with transaction.atomic():
        case = _locked_case(case)
        _require_active(case)
        meeting = _locked_planned_meeting(case, meeting_id)
        _check_date(case, day)
        if day == meeting.scheduled_on:
            return meeting
        _cancel(meeting, actor, _("moved to %(date)s") % {"date": day.strftime("%d.%m.%Y")})
        return _create(case, day, actor)


def record_outcome(
    *, case: HBCase, meeting_id: int, actor, how_it_worked: str, plan_changes: bool, ends_hb: bool, end_reason: str = ""
) -> FollowUpMeeting:
    """What was agreed at the meeting: how the plan has worked, whether it changes, and whether the client returns
    to ordinary services. In the last case the HB is closed here (``planning.services.close_case``) with the
    reason, and the meetings still planned are cancelled, all in one transaction."""
    how_it_worked = how_it_worked.strip()
    if not how_it_worked:
        raise ValidationError(_("Write how the plan has worked."), code="outcome_required")
    with transaction.atomic():
        case = _locked_case(case)
        _require_active(case)
        meeting = _locked_planned_meeting(case, meeting_id)
        meeting.recorded_at = clock.now()
        meeting.recorded_by = actor
        meeting.how_it_worked = how_it_worked
        meeting.plan_changes = PlanChange.YES if plan_changes else PlanChange.NO
        meeting.ends_hb = ends_hb
        meeting.save(update_fields=["recorded_at", "recorded_by", "how_it_worked", "plan_changes", "ends_hb"])
        if ends_hb:
            reason = end_reason.strip() or _("At the follow-up meeting the client chose to return to ordinary services.")
            close_case(case=case, actor=actor, reason=reason)
            _cancel_remaining(case, actor, _("the HB ended"))
        return meeting


def _cancel_remaining(case: HBCase, actor, reason: str) -> None:
    FollowUpMeeting.objects.filter(
        organiser_id=case.organiser_id, case=case, cancelled_at__isnull=True, recorded_at__isnull=True
    ).update(cancelled_at=clock.now(), cancelled_by=actor, cancel_reason=reason)


def close_ended_periods() -> list[HBCase]:
    """Close every budget in use whose decision period ended before today, with the reason "the budget period
    ended" (in Finnish, the organisers' working language), in the name of the case's worker. Idempotent: a closed
    case is not at ``active`` any more, so a second run finds nothing."""
    closed = []
    ended = HBCase.objects.filter(status=CaseStatus.ACTIVE, decision__period_end__lt=clock.today()).select_related("worker")
    for case in ended:
        with transaction.atomic():
            locked = _locked_case(case)
            if locked.status != CaseStatus.ACTIVE:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                reason = _("The budget period ended.")
            close_case(case=locked, actor=case.worker, reason=reason)
            _cancel_remaining(locked, case.worker, reason)
        closed.append(locked)
    return closed
