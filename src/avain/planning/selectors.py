from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from avain.core.money import ZERO
from avain.organisations.models import Role, StaffMembership
from avain.organisations.selectors import CLIENT_DATA_ROLES

from .models import CaseStatus, HBCase, PlanStatus, SupportPlan


def cases_for_staff(membership: StaffMembership) -> QuerySet[HBCase]:
    if membership.role not in CLIENT_DATA_ROLES:
        return HBCase.objects.none()
    return HBCase.objects.filter(organiser_id=membership.organiser_id).select_related("client", "worker")


def get_case_for_staff(membership: StaffMembership, case_id: int) -> HBCase:
    try:
        return cases_for_staff(membership).get(pk=case_id)
    except HBCase.DoesNotExist:
        raise Http404 from None


def work_queue(membership: StaffMembership) -> QuerySet[HBCase]:
    """What waits for this staff member: a worker's own cases needing action, an approver's plans to approve."""
    cases = cases_for_staff(membership)
    if membership.role == Role.APPROVER:
        return cases.filter(status=CaseStatus.APPROVAL).order_by("opened_at")
    if membership.role == Role.SOCIAL_WORKER:
        return cases.filter(
            worker_id=membership.user_id,
            status__in=[CaseStatus.NEEDS_ASSESSMENT, CaseStatus.REVIEW, CaseStatus.APPROVED, CaseStatus.ACTIVE],
        ).order_by("opened_at")
    return cases.none()


def current_case(client) -> HBCase | None:
    return (
        HBCase.objects.filter(organiser_id=client.organiser_id, client=client)
        .exclude(status=CaseStatus.DECLINED)
        .first()
    )


def latest_plan(case: HBCase) -> SupportPlan | None:
    return case.plans.order_by("-version").first()


def plan_waiting(case: HBCase, status: PlanStatus) -> SupportPlan | None:
    return case.plans.filter(status=status).order_by("-version").first()


def plan_total(plan: SupportPlan):
    return plan.lines.aggregate(total=Sum("amount"))["total"] or ZERO


# Counts below this are shown only as "fewer than", so that no person can be singled out from aggregate figures.
SMALL_COUNT = 5


def suppressed_step_counts(organiser_id: int) -> list[tuple[str, int | None]]:
    """How many cases are at each step of the journey; ``None`` stands for a count of 1 to SMALL_COUNT - 1."""
    counts = dict(
        HBCase.objects.filter(organiser_id=organiser_id).values_list("status").annotate(n=Count("id")).order_by()
    )
    rows = []
    for status in CaseStatus:
        n = counts.get(status.value, 0)
        rows.append((status.label, None if 0 < n < SMALL_COUNT else n))
    return rows
