"""Reads of the follow-up, always scoped by organiser."""

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet

from avain.core import clock
from avain.organisations.models import StaffMembership
from avain.planning.models import CaseStatus, HBCase

from .models import FollowUpMeeting, PlanChange


def meetings_of(case: HBCase) -> QuerySet[FollowUpMeeting]:
    """Every meeting of the case, planned, held and cancelled, by date."""
    return FollowUpMeeting.objects.filter(organiser_id=case.organiser_id, case=case).select_related(
        "recorded_by", "cancelled_by"
    )


def planned_meetings(case: HBCase) -> QuerySet[FollowUpMeeting]:
    return meetings_of(case).filter(cancelled_at__isnull=True, recorded_at__isnull=True)


def coming_meetings(case: HBCase) -> QuerySet[FollowUpMeeting]:
    """Planned meetings from today on, of a budget in use."""
    if case.status != CaseStatus.ACTIVE:
        return FollowUpMeeting.objects.none()
    return planned_meetings(case).filter(scheduled_on__gte=clock.today())


def held_meetings(case: HBCase) -> QuerySet[FollowUpMeeting]:
    return meetings_of(case).filter(recorded_at__isnull=False).order_by("-scheduled_on", "-id")


def client_case_with_follow_up(client) -> HBCase | None:
    """The client's budget in use, or else their latest case that was decided (its meetings are history then)."""
    cases = HBCase.objects.filter(organiser_id=client.organiser_id, client=client, decision__isnull=False)
    return cases.filter(status=CaseStatus.ACTIVE).first() or cases.order_by("-opened_at").first()


def plan_change_agreed(case: HBCase) -> bool:
    """Whether the latest meeting held agreed that the plan changes."""
    latest = held_meetings(case).first()
    return latest is not None and latest.plan_changes == PlanChange.YES


def worker_coming_meetings(membership: StaffMembership, *, days: int = 92) -> QuerySet[FollowUpMeeting]:
    """The planned meetings of the worker's own budgets in use in the coming ``days`` days (and any overdue)."""
    until = clock.today() + dt.timedelta(days=days)
    return (
        FollowUpMeeting.objects.filter(
            organiser_id=membership.organiser_id,
            case__worker_id=membership.user_id,
            case__status=CaseStatus.ACTIVE,
            cancelled_at__isnull=True,
            recorded_at__isnull=True,
            scheduled_on__lte=until,
        )
        .select_related("case__client")
        .order_by("scheduled_on", "id")
    )


def active_cases_without_meetings(membership: StaffMembership) -> QuerySet[HBCase]:
    """The worker's budgets in use that have no planned meetings: a follow-up to agree."""
    return (
        HBCase.objects.filter(organiser_id=membership.organiser_id, worker_id=membership.user_id, status=CaseStatus.ACTIVE)
        .exclude(
            Exists(FollowUpMeeting.objects.filter(case=OuterRef("pk"), cancelled_at__isnull=True, recorded_at__isnull=True))
        )
        .select_related("client")
    )
