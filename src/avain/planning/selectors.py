import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Service, ServicePrice
from avain.core import clock
from avain.core.money import ZERO
from avain.core.periods import Period
from avain.organisations.models import Role, StaffMembership
from avain.organisations.selectors import CLIENT_DATA_ROLES

from .calculation import (
    TO_CENT,
    LocalizedName,
    NeedInput,
    PriceInput,
    RuledBudget,
    RuleInput,
    apply_rules,
    calculate_budget,
)
from .explanation import BudgetExplanation, from_snapshot
from .models import (
    DEFAULT_APPROVAL_RULE,
    ENDED_STATUSES,
    ApprovalMeeting,
    ApprovalRule,
    ApprovalSetting,
    BudgetRule,
    CaseStatus,
    CaseTransition,
    Decision,
    HBCase,
    PlanLine,
    PlanLineComment,
    PlanStatus,
    SupportPlan,
)


def cases_for_staff(membership: StaffMembership) -> QuerySet[HBCase]:
    if membership.role not in CLIENT_DATA_ROLES:
        return HBCase.objects.none()
    return HBCase.objects.filter(organiser_id=membership.organiser_id).select_related("client", "worker")


def get_case_for_staff(membership: StaffMembership, case_id: int) -> HBCase:
    try:
        return cases_for_staff(membership).get(pk=case_id)
    except HBCase.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class QueueGroup:
    status: str
    title: Promise
    cases: list[HBCase]  # oldest wait first; each with ``waiting_since``


# What waits for whom, in the order the groups are shown. A worker's budgets in use wait for nobody, but the worker
# follows them (invoices, closing the HB), so they come last.
WORKER_QUEUE = (
    (CaseStatus.NEEDS_ASSESSMENT, _("Needs to assess")),
    (CaseStatus.REVIEW, _("Plans to review")),
    (CaseStatus.CHANGE_REVIEW, _("Changes to plans in use to review")),
    (CaseStatus.APPROVED, _("Decisions to make")),
    (CaseStatus.ACTIVE, _("Budgets in use")),
    (CaseStatus.CHANGE_PLANNING, _("Budgets in use, the client is changing the plan")),
)
APPROVER_QUEUE = (
    (CaseStatus.APPROVAL, _("Plans waiting for your approval")),
    (CaseStatus.CHANGE_APPROVAL, _("Changes to plans in use waiting for approval")),
)


def with_waiting_since(cases: QuerySet[HBCase]) -> QuerySet[HBCase]:
    """Annotate ``waiting_since``: when the case came to the step it is at, from its transitions. A case from before
    transitions were recorded has none; its opening time stands in."""
    arrived = (
        CaseTransition.objects.filter(case=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    return cases.annotate(waiting_since=Coalesce(Subquery(arrived), "opened_at"))


def work_queue(membership: StaffMembership) -> list[QueueGroup]:
    """What waits for this staff member, grouped by what is to be done and oldest wait first: a worker's own cases
    (needs to assess, plans to review, decisions to make, then budgets in use), an approver's plans to approve."""
    cases = cases_for_staff(membership)
    if membership.role == Role.APPROVER:
        groups = APPROVER_QUEUE
    elif membership.role == Role.SOCIAL_WORKER:
        groups, cases = WORKER_QUEUE, cases.filter(worker_id=membership.user_id)
    else:
        return []
    waiting = with_waiting_since(cases.filter(status__in=[status for status, _title in groups])).order_by(
        "waiting_since", "pk"
    )
    by_status: dict[str, list[HBCase]] = {status: [] for status, _title in groups}
    day = clock.today()
    for case in waiting:
        case.waiting_days = (day - timezone.localdate(case.waiting_since)).days
        by_status[case.status].append(case)
    return [QueueGroup(status, title, by_status[status]) for status, title in groups]


def current_case(client) -> HBCase | None:
    """The client's open case, if any: one that has neither been declined nor closed."""
    return (
        HBCase.objects.filter(organiser_id=client.organiser_id, client=client)
        .exclude(status__in=ENDED_STATUSES)
        .first()
    )


def ended_cases(client) -> QuerySet[HBCase]:
    """The client's earlier cases, declined or closed, newest first, with their histories and ``ended_at``."""
    return (
        HBCase.objects.filter(organiser_id=client.organiser_id, client=client, status__in=ENDED_STATUSES)
        .annotate(ended_at=Coalesce(Max("transitions__at"), "declined_at"))
        .prefetch_related(_history_prefetch())
        .order_by("-opened_at", "-pk")
    )


def _history_prefetch() -> Prefetch:
    return Prefetch("transitions", queryset=CaseTransition.objects.select_related("actor").order_by("at", "id"))


def case_history(case: HBCase) -> QuerySet[CaseTransition]:
    """Every move of the case, oldest first: who, when, from which step to which, and why."""
    return (
        CaseTransition.objects.filter(organiser_id=case.organiser_id, case=case)
        .select_related("actor")
        .order_by("at", "id")
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


# --- The budget: its inputs, a fresh calculation, and the explanation as stored -----------------------------------


def budget_rules(organiser_id: int) -> QuerySet[BudgetRule]:
    """The organiser's budget rules, oldest first; they never overlap (``services.add_budget_rule``)."""
    return BudgetRule.objects.filter(organiser_id=organiser_id).order_by("valid_from")


def get_budget_rule(organiser_id: int, rule_id: int) -> BudgetRule:
    try:
        return BudgetRule.objects.select_related("organiser").get(organiser_id=organiser_id, pk=rule_id)
    except BudgetRule.DoesNotExist:
        raise Http404 from None


def budget_rule_in_force(organiser_id: int, day: dt.date) -> BudgetRule | None:
    """The organiser's budget rule in force on ``day``; the budget uses the one in force on its period's first day."""
    return (
        BudgetRule.objects.filter(organiser_id=organiser_id, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
        .first()
    )


def compute_budget(case: HBCase, needs: Sequence) -> tuple[BudgetExplanation, BudgetRule | None]:
    """The budget for ``needs`` (objects with ``service``, ``quantity`` and ``frequency``) in the case's period.

    Reads the prices and the rule; writes nothing. Raises ``calculation.MissingPrice``.
    """
    period = Period(case.period_start, case.period_end)
    services = {n.service.pk: n.service for n in needs}
    prices = [
        PriceInput(services[p.service_id].code, p.unit_price, p.valid_from, p.valid_to)
        for p in ServicePrice.objects.filter(organiser_id=case.organiser_id, service_id__in=services)
    ]
    inputs = [
        NeedInput(
            n.service.code,
            LocalizedName(n.service.name_fi, n.service.name_sv, n.service.name_en),
            n.service.unit,
            n.quantity,
            n.frequency,
        )
        for n in needs
    ]
    calculation = calculate_budget(inputs, prices, period)
    rule = budget_rule_in_force(case.organiser_id, period.start)
    ruled = apply_rules(calculation, rule.as_input() if rule else None)
    return BudgetExplanation.of(calculation, ruled), rule


def _ruled_of_case(case: HBCase) -> RuledBudget:
    if case.budget_rule_id is None:
        rule = None
    else:
        rule = RuleInput(
            valid_from=case.budget_rule.valid_from,
            valid_to=case.budget_rule.valid_to,
            percentage=case.budget_percentage,
            cap=case.budget_cap,
            rounding=case.budget_rounding or TO_CENT,
        )
    after_percentage = case.budget_lines_total + case.budget_percentage_effect
    after_cap = after_percentage + case.budget_cap_effect
    return RuledBudget(case.budget_lines_total, rule, after_percentage, after_cap, case.budget_total)


def case_budget_explanation(case: HBCase) -> BudgetExplanation | None:
    """The case's budget as it was computed and stored (lines and the rule's effects); None before it is computed."""
    if case.budget_total is None or case.budget_lines_total is None:
        return None
    period = Period(case.period_start, case.period_end)
    lines = tuple(line.explained(period) for line in case.budget_lines.all())
    return BudgetExplanation(period, lines, _ruled_of_case(case))


def decision_budget_explanation(decision: Decision) -> BudgetExplanation | None:
    """The budget explanation of a decision, read from its snapshot only: no prices, rules or needs are read."""
    return from_snapshot(decision.snapshot)


def decision_for_client(client) -> Decision | None:
    """The client's newest decision (a client may have had earlier budget periods)."""
    return (
        Decision.objects.filter(organiser_id=client.organiser_id, case__client=client)
        .select_related("organiser", "case__client", "decided_by", "plan")
        .order_by("-decided_at", "-id")
        .first()
    )


def decision_legal_bases(decision: Decision) -> list[str]:
    """The legal bases of the services the decision's budget was computed from, each once, in the budget's order.

    A basis kept in the snapshot (each need keeps its service's basis as it was at the decision) wins; for a decision
    made before the snapshot kept them, it is the organiser's price-list service of the same code. Empty when no
    service names one.
    """
    snapshot = decision.snapshot or {}
    entries = [*snapshot.get("budget_lines", []), *snapshot.get("needs", [])]
    codes = list(dict.fromkeys(entry["service_code"] for entry in entries if entry.get("service_code")))
    kept = {e["service_code"]: e["legal_basis"] for e in entries if e.get("service_code") and "legal_basis" in e}
    missing = [code for code in codes if code not in kept]
    current = dict(
        Service.objects.filter(organiser_id=decision.organiser_id, code__in=missing).values_list("code", "legal_basis")
    )
    bases = (kept.get(code, current.get(code, "")).strip() for code in codes)
    return list(dict.fromkeys(basis for basis in bases if basis))


def budget_explanation(case: HBCase) -> BudgetExplanation | None:
    """The budget to show for a case: as decided once there is a decision, otherwise as computed."""
    decision = Decision.objects.filter(case=case).first()
    if decision is not None:
        return decision_budget_explanation(decision)
    return case_budget_explanation(case)


# --- Review comments and approval -----------------------------------------------------------------------------------


def approval_rule(organiser_id: int) -> str:
    """The organiser's approval rule now; "the worker, then an approver" until the organiser chooses one."""
    return (
        ApprovalSetting.objects.filter(organiser_id=organiser_id).values_list("rule", flat=True).first()
        or DEFAULT_APPROVAL_RULE
    )


def approval_setting(organiser_id: int) -> ApprovalSetting | None:
    return ApprovalSetting.objects.filter(organiser_id=organiser_id).select_related("changed_by").first()


def plan_lines_with_comments(plan: SupportPlan) -> list[PlanLine]:
    """The version's lines, each with ``line_comments``: the reviewers' comments on it, oldest first."""
    lines = list(plan.lines.all())
    comments = _comments_by_line([line.pk for line in lines])
    for line in lines:
        line.line_comments = comments.get(line.pk, [])
    return lines


def comments_on_earlier_lines(lines) -> list[list[PlanLineComment]]:
    """For each draft line, the comments on the line of the earlier version it continues (``copied_from``)."""
    comments = _comments_by_line([line.copied_from_id for line in lines if line.copied_from_id])
    return [comments.get(line.copied_from_id, []) if line.copied_from_id else [] for line in lines]


def _comments_by_line(line_ids: list[int]) -> dict[int, list[PlanLineComment]]:
    by_line: dict[int, list[PlanLineComment]] = {}
    for comment in (
        PlanLineComment.objects.filter(plan_line_id__in=line_ids).select_related("review").order_by("review__at", "id")
    ):
        by_line.setdefault(comment.plan_line_id, []).append(comment)
    return by_line


def plans_waiting_for_meeting(organiser_id: int) -> list[SupportPlan]:
    """The versions forwarded under the rule "a meeting of the management group" and not yet decided, oldest first."""
    return list(
        SupportPlan.objects.filter(
            organiser_id=organiser_id,
            status=PlanStatus.FORWARDED,
            approval_rule=ApprovalRule.MANAGEMENT_GROUP,
            case__status__in=[CaseStatus.APPROVAL, CaseStatus.CHANGE_APPROVAL],
        )
        .select_related("case__client", "case__worker")
        .annotate(total=Sum("lines__amount"))
        .order_by("submitted_at", "pk")
    )


def approval_meetings(organiser_id: int) -> QuerySet[ApprovalMeeting]:
    """The organiser's meetings of the management group, newest first, with what each approved and returned."""
    return (
        ApprovalMeeting.objects.filter(organiser_id=organiser_id)
        .select_related("recorded_by")
        .prefetch_related("approvals__plan__case__client", "returns__plan__case__client")
    )


def approved_change(case: HBCase) -> SupportPlan | None:
    """The newest approved version that changed the plan while the budget was in use, if any."""
    return case.plans.filter(status=PlanStatus.APPROVED, based_on__isnull=False).order_by("-version").first()
