"""The HB journey's state machine, through the service functions of avain.planning.services.

Every transition is tried from every step: it works from its own step and is refused from every other with a
specific ValidationError code, and a refused call leaves every row in the database exactly as it was.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from avain.catalogue.models import ServicePrice
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.planning.models import (
    BudgetLine,
    CaseStatus,
    Decision,
    HBCase,
    NeedLine,
    PlanApproval,
    PlanLine,
    PlanReview,
    PlanStatus,
    SupportPlan,
)
from avain.planning.services import (
    NeedEntry,
    PlanLineEntry,
    approve_plan,
    decline_hb,
    open_case,
    record_decision,
    record_needs,
    review_plan,
    save_plan_draft,
    start_planning,
    submit_plan,
)
from avain.testing import (
    refused,
    DEFAULT_BUDGET,
    DEFAULT_PLAN_LINES,
    DEFAULT_PLAN_TOTAL,
    add_price,
    case_active,
    case_approved,
    case_in_approval,
    case_in_needs_assessment,
    case_in_planning,
    case_in_review,
    current_plan,
    default_answers,
    make_client,
    make_organiser,
    make_service,
    make_staff,
)

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
MOMENT = dt.datetime(2025, 2, 3, 10, 15, tzinfo=HELSINKI)



def status_of(case) -> str:
    return HBCase.objects.get(pk=case.pk).status


# --- Opening a case ----------------------------------------------------------------------------------------------


def test_open_case_starts_at_needs_assessment_with_the_period():
    organiser = make_organiser()
    client = make_client(organiser)
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    with frozen_at(MOMENT):
        case = open_case(client=client, worker=worker, period=PERIOD)
    case = HBCase.objects.get(pk=case.pk)
    assert case.status == CaseStatus.NEEDS_ASSESSMENT
    assert (case.organiser_id, case.client_id, case.worker_id) == (organiser.pk, client.pk, worker.pk)
    assert (case.period_start, case.period_end) == (PERIOD.start, PERIOD.end)
    assert case.opened_at == MOMENT
    assert case.budget_total is None


def test_a_second_open_case_for_the_same_client_is_refused():
    case = case_in_planning(period=PERIOD)
    refused("case_exists", open_case, client=case.client, worker=case.worker, period=PERIOD)
    assert HBCase.objects.filter(client=case.client).count() == 1


def test_a_client_who_declined_can_open_a_new_case_later():
    case = case_in_needs_assessment(period=PERIOD)
    decline_hb(client=case.client, worker=case.worker, reason="Haluan tavalliset palvelut.")
    new = open_case(client=case.client, worker=case.worker, period=PERIOD)
    assert new.pk != case.pk
    assert sorted(HBCase.objects.filter(client=case.client).values_list("status", flat=True)) == [
        CaseStatus.DECLINED,
        CaseStatus.NEEDS_ASSESSMENT,
    ]


# --- Needs and the budget ----------------------------------------------------------------------------------------


def test_record_needs_saves_the_needs_and_computes_the_budget():
    case = case_in_needs_assessment(period=PERIOD)
    home_help = make_service(case.organiser, "KP", "30.00", dt.date(2024, 1, 1), name="Kotipalvelu")
    transport = make_service(case.organiser, "KULJ", "0.57", dt.date(2024, 1, 1), unit="km", name="Kuljetus")
    with frozen_at(MOMENT):
        record_needs(
            case=case,
            actor=case.worker,
            wishes="  Haluan käydä töissä. ",
            needs_summary="Apua aamuisin.",
            needs=[NeedEntry(home_help, Decimal("100")), NeedEntry(transport, Decimal("1234.5"), "töihin")],
        )
    case = HBCase.objects.get(pk=case.pk)
    assert case.status == CaseStatus.NEEDS_ASSESSMENT
    assert case.wishes == "Haluan käydä töissä."
    assert case.needs_summary == "Apua aamuisin."
    assert case.budget_total == Decimal("3703.67")  # 100 × 30.00 + 1234.5 × 0.57 (703.665 → 703.67)
    assert case.budget_computed_at == MOMENT
    assert list(case.needs.values_list("service__code", "quantity", "note")) == [
        ("KP", Decimal("100.00"), ""),
        ("KULJ", Decimal("1234.50"), "töihin"),
    ]
    assert list(case.budget_lines.values_list("service_code", "service_name_fi", "valid_from", "valid_to", "amount")) == [
        ("KP", "Kotipalvelu", PERIOD.start, PERIOD.end, Decimal("3000.00")),
        ("KULJ", "Kuljetus", PERIOD.start, PERIOD.end, Decimal("703.67")),
    ]


def test_record_needs_again_replaces_the_needs_and_the_budget():
    case = case_in_needs_assessment(period=PERIOD)
    service = make_service(case.organiser, "KP", "30.00", dt.date(2024, 1, 1))
    record_needs(case=case, actor=case.worker, wishes="", needs_summary="", needs=[NeedEntry(service, Decimal("100"))])
    record_needs(case=case, actor=case.worker, wishes="", needs_summary="", needs=[NeedEntry(service, Decimal("10"))])
    case = HBCase.objects.get(pk=case.pk)
    assert case.needs.count() == 1
    assert case.budget_lines.count() == 1
    assert case.budget_total == Decimal("300.00")


def test_a_price_change_inside_the_period_splits_the_budget_line():
    case = case_in_needs_assessment(period=PERIOD)  # 2025: 365 days
    service = make_service(case.organiser, "KP", "30.00", dt.date(2024, 1, 1), dt.date(2025, 6, 30))
    add_price(service, "33.00", dt.date(2025, 7, 1))
    record_needs(case=case, actor=case.worker, wishes="", needs_summary="", needs=[NeedEntry(service, Decimal("365"))])
    lines = list(
        BudgetLine.objects.filter(case=case).values_list("valid_from", "valid_to", "frequency", "quantity", "unit_price", "amount")
    )
    # The quantity is the need's (365 over the whole period); each piece counts its days' share of the period.
    assert lines == [
        (dt.date(2025, 1, 1), dt.date(2025, 6, 30), "period", Decimal("365.0000"), Decimal("30.00"), Decimal("5430.00")),
        (dt.date(2025, 7, 1), dt.date(2025, 12, 31), "period", Decimal("365.0000"), Decimal("33.00"), Decimal("6072.00")),
    ]
    assert HBCase.objects.get(pk=case.pk).budget_total == Decimal("11502.00")


@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-1"), Decimal("-0.01")])
def test_record_needs_refuses_a_quantity_that_is_not_positive_and_saves_nothing(quantity):
    case = case_in_needs_assessment(period=PERIOD)
    service = make_service(case.organiser, "KP", "30.00", dt.date(2024, 1, 1))
    record_needs(case=case, actor=case.worker, wishes="Vanha", needs_summary="", needs=[NeedEntry(service, Decimal("100"))])
    refused(
        "quantity_not_positive",
        record_needs,
        case=case,
        actor=case.worker,
        wishes="Uusi",
        needs_summary="",
        needs=[NeedEntry(service, Decimal("5")), NeedEntry(service, quantity)],
    )
    case = HBCase.objects.get(pk=case.pk)
    assert case.wishes == "Vanha"
    assert case.budget_total == Decimal("3000.00")


@pytest.mark.parametrize("quantity", [Decimal("0.001"), Decimal("2.555")])
def test_record_needs_refuses_a_quantity_with_more_than_two_decimals(quantity):
    # NeedLine.quantity keeps two decimals: 0.001 would be stored as 0.00 (an IntegrityError on PostgreSQL, a zero
    # budget line on SQLite) and 2.555 would be rounded by the database, differently on each engine.
    case = case_in_needs_assessment(period=PERIOD)
    service = make_service(case.organiser, "KP", "30.00", dt.date(2024, 1, 1))
    refused(
        "quantity_too_precise",
        record_needs,
        case=case,
        actor=case.worker,
        wishes="",
        needs_summary="",
        needs=[NeedEntry(service, quantity)],
    )


@pytest.mark.parametrize("quantity", [Decimal("NaN"), Decimal("Infinity")])
def test_record_needs_refuses_a_quantity_that_is_not_a_number(quantity):
    case = case_in_needs_assessment(period=PERIOD)
    service = make_service(case.organiser, "KP", "30.00", dt.date(2024, 1, 1))
    refused(
        "quantity_not_positive",
        record_needs,
        case=case,
        actor=case.worker,
        wishes="",
        needs_summary="",
        needs=[NeedEntry(service, quantity)],
    )


def test_record_needs_refuses_another_organisers_service():
    case = case_in_needs_assessment(period=PERIOD)
    foreign = make_service(make_organiser(), "KP", "30.00", dt.date(2024, 1, 1))
    refused(
        "foreign_service",
        record_needs,
        case=case,
        actor=case.worker,
        wishes="",
        needs_summary="",
        needs=[NeedEntry(foreign, Decimal("1"))],
    )


def test_record_needs_refuses_a_missing_price_and_saves_nothing():
    case = case_in_needs_assessment(period=PERIOD)
    priced = make_service(case.organiser, "KP", "30.00", dt.date(2024, 1, 1))
    record_needs(case=case, actor=case.worker, wishes="Vanha", needs_summary="", needs=[NeedEntry(priced, Decimal("10"))])
    # The price list has this service's price only from March on.
    late = make_service(case.organiser, "VAL", "45.00", dt.date(2025, 3, 1), name="Valmennus")
    error = refused(
        "missing_price",
        record_needs,
        case=case,
        actor=case.worker,
        wishes="Uusi",
        needs_summary="",
        needs=[NeedEntry(priced, Decimal("100")), NeedEntry(late, Decimal("10"))],
    )
    assert error.params["service"] == "VAL Valmennus"
    assert error.params["start"] != error.params["end"]
    assert "2025" in error.params["start"] or "25" in error.params["start"]
    case = HBCase.objects.get(pk=case.pk)
    assert case.budget_total == Decimal("300.00")
    assert list(case.needs.values_list("service__code", "quantity")) == [("KP", Decimal("10.00"))]


def test_a_service_with_no_price_at_all_is_refused_not_priced_as_zero():
    case = case_in_needs_assessment(period=PERIOD)
    unpriced = make_service(case.organiser, "UUSI", unit_price=None)
    refused(
        "missing_price",
        record_needs,
        case=case,
        actor=case.worker,
        wishes="",
        needs_summary="",
        needs=[NeedEntry(unpriced, Decimal("1"))],
    )
    assert HBCase.objects.get(pk=case.pk).budget_total is None


# --- Planning ------------------------------------------------------------------------------------------------------


def test_start_planning_hands_the_case_to_the_client_with_a_first_draft():
    case = case_in_needs_assessment(period=PERIOD)
    service = make_service(case.organiser, "KP", "30.00", dt.date(2024, 1, 1))
    record_needs(case=case, actor=case.worker, wishes="", needs_summary="", needs=[NeedEntry(service, Decimal("100"))])
    with frozen_at(MOMENT):
        plan = start_planning(case=case, actor=case.worker)
    assert status_of(case) == CaseStatus.PLANNING
    plan = SupportPlan.objects.get(pk=plan.pk)
    assert (plan.case_id, plan.version, plan.status, plan.created_at) == (case.pk, 1, PlanStatus.DRAFT, MOMENT)
    assert plan.lines.count() == 0


def test_start_planning_without_a_budget_is_refused():
    case = case_in_needs_assessment(period=PERIOD)
    refused("no_budget", start_planning, case=case, actor=case.worker)
    assert status_of(case) == CaseStatus.NEEDS_ASSESSMENT


def test_save_plan_draft_saves_answers_and_lines():
    case = case_in_planning(period=PERIOD)
    plan = current_plan(case)
    answers = default_answers() | {"goals": "  Uida joka viikko.  "}
    save_plan_draft(
        plan=plan,
        actor=case.worker,
        answers=answers,
        lines=[PlanLineEntry(" Avustaja ", Decimal("1000")), PlanLineEntry("Uimahalli", Decimal("250.5"))],
    )
    plan = SupportPlan.objects.get(pk=plan.pk)
    assert plan.goals == "Uida joka viikko."
    assert plan.what_matters == answers["what_matters"]
    assert plan.status == PlanStatus.DRAFT
    assert list(plan.lines.values_list("description", "amount")) == [
        ("Avustaja", Decimal("1000.00")),
        ("Uimahalli", Decimal("250.50")),
    ]
    # Saving again replaces the lines.
    save_plan_draft(plan=plan, actor=case.worker, answers={}, lines=[PlanLineEntry("Avustaja", Decimal("20"))])
    assert list(plan.lines.values_list("description", "amount")) == [("Avustaja", Decimal("20.00"))]
    assert SupportPlan.objects.get(pk=plan.pk).goals == ""


def test_a_plan_using_exactly_the_budget_is_accepted():
    case = case_in_planning(period=PERIOD)
    plan = current_plan(case)
    save_plan_draft(plan=plan, actor=case.worker, answers={}, lines=[PlanLineEntry("Kaikki", DEFAULT_BUDGET)])
    submit_plan(plan=plan, actor=case.worker)
    assert status_of(case) == CaseStatus.REVIEW


def test_a_plan_over_the_budget_is_refused_on_save_and_nothing_changes():
    case = case_in_planning(period=PERIOD)
    plan = current_plan(case)
    save_plan_draft(plan=plan, actor=case.worker, answers={"goals": "Vanha"}, lines=[PlanLineEntry("A", Decimal("100"))])
    error = refused(
        "over_budget",
        save_plan_draft,
        plan=plan,
        actor=case.worker,
        answers={"goals": "Uusi"},
        lines=[PlanLineEntry("A", Decimal("2000")), PlanLineEntry("B", Decimal("1000.01"))],
    )
    assert error.params["over"] in {"0,01", "0.01"}
    assert SupportPlan.objects.get(pk=plan.pk).goals == "Vanha"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (PlanLineEntry("   ", Decimal("10")), "line_without_description"),
        (PlanLineEntry("Nolla", Decimal("0")), "amount_not_positive"),
        (PlanLineEntry("Miinus", Decimal("-5")), "amount_not_positive"),
    ],
)
def test_save_plan_draft_refuses_bad_lines(line, code):
    case = case_in_planning(period=PERIOD)
    refused(code, save_plan_draft, plan=current_plan(case), actor=case.worker, answers={}, lines=[PlanLineEntry("Hyvä", Decimal("5")), line])


@pytest.mark.parametrize("amount", [Decimal("0.004"), Decimal("-0.004"), Decimal("NaN")])
def test_save_plan_draft_refuses_an_amount_that_rounds_to_zero_or_is_not_a_number(amount):
    # 0.004 € is more than zero but rounds to 0.00, which the plan_line_amount_positive constraint would refuse
    # with an IntegrityError; the service answers with a clear error instead.
    case = case_in_planning(period=PERIOD)
    refused(
        "amount_not_positive",
        save_plan_draft,
        plan=current_plan(case),
        actor=case.worker,
        answers={},
        lines=[PlanLineEntry("Pieni", amount)],
    )


def test_save_plan_draft_rounds_each_amount_half_up_once():
    case = case_in_planning(period=PERIOD)
    plan = current_plan(case)
    save_plan_draft(plan=plan, actor=case.worker, answers={}, lines=[PlanLineEntry("A", Decimal("10.005"))])
    assert list(plan.lines.values_list("amount", flat=True)) == [Decimal("10.01")]


def test_submit_plan_freezes_the_version_and_moves_the_case_to_review():
    case = case_in_planning(period=PERIOD)
    plan = current_plan(case)
    save_plan_draft(plan=plan, actor=case.worker, answers=default_answers(), lines=[PlanLineEntry("A", Decimal("10"))])
    client_user = make_staff(case.organiser)  # any user can be the author; the actor is recorded
    with frozen_at(MOMENT):
        submit_plan(plan=plan, actor=client_user)
    plan = SupportPlan.objects.get(pk=plan.pk)
    assert (plan.status, plan.submitted_at, plan.submitted_by_id) == (PlanStatus.SUBMITTED, MOMENT, client_user.pk)
    assert status_of(case) == CaseStatus.REVIEW


def test_submit_plan_without_lines_is_refused():
    case = case_in_planning(period=PERIOD)
    refused("no_lines", submit_plan, plan=current_plan(case), actor=case.worker)


def test_submit_plan_over_the_budget_is_refused_and_nothing_changes():
    case = case_in_planning(period=PERIOD)
    plan = current_plan(case)
    save_plan_draft(plan=plan, actor=case.worker, answers={}, lines=[PlanLineEntry("A", Decimal("2000"))])
    # The budget went down after the draft was saved (e.g. a correction made directly in the database).
    HBCase.objects.filter(pk=case.pk).update(budget_total=Decimal("1999.99"))
    refused("over_budget", submit_plan, plan=plan, actor=case.worker)
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT
    assert status_of(case) == CaseStatus.PLANNING


def test_a_second_submit_of_the_same_plan_is_refused():
    case = case_in_review(period=PERIOD)
    plan = current_plan(case)
    refused("already_submitted", submit_plan, plan=plan, actor=case.worker)
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


def test_a_submitted_version_cannot_be_edited():
    case = case_in_review(period=PERIOD)
    plan = current_plan(case)
    refused(
        "plan_frozen",
        save_plan_draft,
        plan=plan,
        actor=case.worker,
        answers={"goals": "Muutettu"},
        lines=[PlanLineEntry("A", Decimal("1"))],
    )
    assert list(plan.lines.values_list("description", "amount")) == list(DEFAULT_PLAN_LINES)


# --- Review -------------------------------------------------------------------------------------------------------


def test_forwarding_the_plan_moves_the_case_to_approval():
    case = case_in_review(period=PERIOD)
    plan = current_plan(case)
    with frozen_at(MOMENT):
        review = review_plan(plan=plan, reviewer=case.worker, forward=True, comment="")
    review = PlanReview.objects.get(pk=review.pk)
    assert (review.plan_id, review.reviewer_id, review.outcome, review.comment, review.at) == (
        plan.pk,
        case.worker_id,
        PlanReview.Outcome.FORWARDED,
        "",
        MOMENT,
    )
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.FORWARDED
    assert status_of(case) == CaseStatus.APPROVAL
    assert case.plans.count() == 1


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_returning_the_plan_requires_a_comment(comment):
    case = case_in_review(period=PERIOD)
    refused("comment_required", review_plan, plan=current_plan(case), reviewer=case.worker, forward=False, comment=comment)
    assert status_of(case) == CaseStatus.REVIEW


def test_returning_the_plan_makes_a_new_draft_with_the_same_content():
    answers = default_answers() | {"goals": "Oma tavoite"}
    case = case_in_review(period=PERIOD, answers=answers)
    v1 = current_plan(case)
    review = review_plan(plan=v1, reviewer=case.worker, forward=False, comment=" Lisää uimahalli. ")
    assert PlanReview.objects.get(pk=review.pk).comment == "Lisää uimahalli."
    assert PlanReview.objects.get(pk=review.pk).outcome == PlanReview.Outcome.RETURNED
    assert status_of(case) == CaseStatus.PLANNING
    v1 = SupportPlan.objects.get(pk=v1.pk)
    v2 = current_plan(case)
    assert (v1.version, v1.status) == (1, PlanStatus.RETURNED)
    assert (v2.version, v2.status) == (2, PlanStatus.DRAFT)
    for field in SupportPlan.ANSWER_FIELDS:
        assert getattr(v2, field) == getattr(v1, field) == answers[field]
    assert list(v2.lines.values_list("description", "amount")) == list(DEFAULT_PLAN_LINES)
    assert list(v1.lines.values_list("description", "amount")) == list(DEFAULT_PLAN_LINES)
    assert set(v2.lines.values_list("pk", flat=True)).isdisjoint(v1.lines.values_list("pk", flat=True))
    # The returned version stays frozen; the client goes on in the copy.
    refused("plan_frozen", save_plan_draft, plan=v1, actor=case.worker, answers={}, lines=[PlanLineEntry("X", Decimal("1"))])
    refused("already_submitted", submit_plan, plan=v1, actor=case.worker)
    save_plan_draft(plan=v2, actor=case.worker, answers=answers, lines=[PlanLineEntry("Uimahalli", Decimal("300"))])
    assert list(v1.lines.values_list("description", "amount")) == list(DEFAULT_PLAN_LINES)


def test_review_of_a_plan_version_that_is_not_waiting_is_refused():
    case = case_in_review(period=PERIOD)
    v1 = current_plan(case)
    review_plan(plan=v1, reviewer=case.worker, forward=False, comment="Korjaa.")
    v2 = current_plan(case)
    submit_plan(plan=v2, actor=case.worker)
    # The case is in review again, but v1 is the returned version, not the submitted one.
    refused("not_submitted", review_plan, plan=v1, reviewer=case.worker, forward=True, comment="")
    refused("not_submitted", review_plan, plan=v1, reviewer=case.worker, forward=False, comment="Uudestaan")


# --- Approval and decision ----------------------------------------------------------------------------------------


def test_approving_records_who_approved_which_version_and_when():
    case = case_in_approval(period=PERIOD)
    approver = make_staff(case.organiser, Role.APPROVER)
    plan = current_plan(case)
    with frozen_at(MOMENT):
        approval = approve_plan(plan=plan, approver=approver)
    approval = PlanApproval.objects.get(pk=approval.pk)
    assert (approval.plan_id, approval.approver_id, approval.at, approval.organiser_id) == (
        plan.pk,
        approver.pk,
        MOMENT,
        case.organiser_id,
    )
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.APPROVED
    assert status_of(case) == CaseStatus.APPROVED


def test_approving_a_plan_version_that_was_not_forwarded_is_refused():
    case = case_in_review(period=PERIOD)
    v1 = current_plan(case)
    review_plan(plan=v1, reviewer=case.worker, forward=False, comment="Korjaa.")
    v2 = current_plan(case)
    submit_plan(plan=v2, actor=case.worker)
    review_plan(plan=v2, reviewer=case.worker, forward=True, comment="")
    refused("not_forwarded", approve_plan, plan=v1, approver=make_staff(case.organiser, Role.APPROVER))
    assert not PlanApproval.objects.exists()


def test_the_decision_grants_the_approved_plan_and_keeps_a_snapshot():
    case = case_approved(period=PERIOD)
    plan = current_plan(case)
    with frozen_at(MOMENT), transaction.atomic():
        decision = record_decision(case=case, decided_by=case.worker, period=PERIOD)
    decision = Decision.objects.get(pk=decision.pk)
    assert (decision.case_id, decision.plan_id, decision.amount) == (case.pk, plan.pk, DEFAULT_PLAN_TOTAL)
    assert (decision.period_start, decision.period_end) == (PERIOD.start, PERIOD.end)
    assert (decision.decided_by_id, decision.decided_at) == (case.worker_id, MOMENT)
    assert status_of(case) == CaseStatus.ACTIVE
    snapshot = decision.snapshot
    assert snapshot["budget_period"] == ["2025-01-01", "2025-12-31"]
    assert snapshot["budget_total"] == "3000.00"
    assert snapshot["plan_version"] == 1
    assert [(l["description"], l["amount"]) for l in snapshot["plan_lines"]] == [
        (d, str(a)) for d, a in DEFAULT_PLAN_LINES
    ]
    assert [(b["unit_price"], b["quantity"], b["amount"]) for b in snapshot["budget_lines"]] == [
        ("30.00", "100.0000", "3000.00")
    ]
    assert [n["quantity"] for n in snapshot["needs"]] == ["100.00"]


def test_the_snapshot_does_not_change_when_prices_change_later():
    case = case_active(period=PERIOD)
    snapshot = Decision.objects.get(case=case).snapshot
    ServicePrice.objects.filter(organiser=case.organiser).update(unit_price=Decimal("99.99"))
    assert Decision.objects.get(case=case).snapshot == snapshot
    assert snapshot["budget_lines"][0]["unit_price"] == "30.00"


def test_a_returned_and_resubmitted_plan_is_decided_on_its_latest_version():
    case = case_in_review(period=PERIOD)
    review_plan(plan=current_plan(case), reviewer=case.worker, forward=False, comment="Korjaa.")
    v2 = current_plan(case)
    save_plan_draft(plan=v2, actor=case.worker, answers=default_answers(), lines=[PlanLineEntry("Uinti", Decimal("500"))])
    submit_plan(plan=v2, actor=case.worker)
    review_plan(plan=v2, reviewer=case.worker, forward=True, comment="")
    approve_plan(plan=v2, approver=make_staff(case.organiser, Role.APPROVER))
    with transaction.atomic():
        decision = record_decision(case=case, decided_by=case.worker, period=PERIOD)
    assert decision.plan_id == v2.pk
    assert decision.amount == Decimal("500.00")
    assert decision.snapshot["plan_version"] == 2


# --- The state machine, every transition from every step ---------------------------------------------------------

STEPS = ["needs_assessment", "planning", "review", "approval", "approved", "active", "declined"]


def case_at(step: str):
    if step == "needs_assessment":
        case = case_in_needs_assessment(period=PERIOD)
        service = make_service(case.organiser, valid_from=PERIOD.start)
        record_needs(case=case, actor=case.worker, wishes="", needs_summary="", needs=[NeedEntry(service, Decimal("100"))])
        return HBCase.objects.get(pk=case.pk)
    if step == "declined":  # declined while the plan was in review
        case = case_in_review(period=PERIOD)
        decline_hb(client=case.client, worker=case.worker, reason="Tavalliset palvelut")
        return HBCase.objects.get(pk=case.pk)
    return {
        "planning": case_in_planning,
        "review": case_in_review,
        "approval": case_in_approval,
        "approved": case_approved,
        "active": case_active,
    }[step](period=PERIOD)


def _record_needs(case):
    service = case.needs.first().service if case.needs.exists() else make_service(case.organiser)
    return record_needs(case=case, actor=case.worker, wishes="x", needs_summary="y", needs=[NeedEntry(service, Decimal("1"))])


def _record_decision(case):
    with transaction.atomic():
        return record_decision(case=case, decided_by=case.worker, period=PERIOD)


TRANSITIONS = {
    # name: (call, allowed step, step it leads to, needs a plan)
    "record_needs": (_record_needs, "needs_assessment", "needs_assessment", False),
    "start_planning": (lambda case: start_planning(case=case, actor=case.worker), "needs_assessment", "planning", False),
    "submit_plan": (lambda case: submit_plan(plan=current_plan(case), actor=case.worker), "planning", "review", True),
    "forward": (
        lambda case: review_plan(plan=current_plan(case), reviewer=case.worker, forward=True, comment=""),
        "review",
        "approval",
        True,
    ),
    "return": (
        lambda case: review_plan(plan=current_plan(case), reviewer=case.worker, forward=False, comment="Korjaa"),
        "review",
        "planning",
        True,
    ),
    "approve_plan": (
        lambda case: approve_plan(plan=current_plan(case), approver=case.worker),
        "approval",
        "approved",
        True,
    ),
    "record_decision": (_record_decision, "approved", "active", False),
}


def _expected_refusal(transition: str, step: str) -> str:
    # Sending a version that is no longer a draft is answered first with "already sent".
    if transition == "submit_plan" and step != "needs_assessment":
        return "already_submitted"
    return "wrong_step"


@pytest.mark.parametrize("transition", list(TRANSITIONS))
def test_each_transition_works_from_its_own_step(transition):
    call, allowed, leads_to, _ = TRANSITIONS[transition]
    case = case_at(allowed)
    if transition == "submit_plan":
        save_plan_draft(plan=current_plan(case), actor=case.worker, answers={}, lines=[PlanLineEntry("A", Decimal("10"))])
    call(case)
    assert status_of(case) == leads_to


@pytest.mark.parametrize(
    ("transition", "step"),
    [
        (transition, step)
        for transition, (_, allowed, _, needs_plan) in TRANSITIONS.items()
        for step in STEPS
        if step != allowed and not (needs_plan and step == "needs_assessment")
    ],
)
def test_each_transition_is_refused_from_every_other_step_and_changes_nothing(transition, step):
    call = TRANSITIONS[transition][0]
    case = case_at(step)
    refused(_expected_refusal(transition, step), call, case)
    assert status_of(case) == step


# --- Declining HB ----------------------------------------------------------------------------------------------------


def test_decline_before_any_case_records_a_declined_case():
    organiser = make_organiser()
    client = make_client(organiser)
    worker = make_staff(organiser)
    with frozen_at(MOMENT):
        case = decline_hb(client=client, worker=worker, reason="  Haluan pitää kotihoidon. ")
    case = HBCase.objects.get(pk=case.pk)
    assert (case.status, case.client_id, case.worker_id) == (CaseStatus.DECLINED, client.pk, worker.pk)
    assert (case.declined_at, case.opened_at, case.decline_reason) == (MOMENT, MOMENT, "Haluan pitää kotihoidon.")
    assert HBCase.objects.filter(client=client).count() == 1


@pytest.mark.parametrize("step", ["needs_assessment", "planning", "review", "approval", "approved"])
def test_decline_during_a_case_closes_that_case(step):
    case = case_at(step)
    with frozen_at(MOMENT):
        declined = decline_hb(client=case.client, worker=case.worker, reason="Ei sovi minulle")
    assert declined.pk == case.pk
    case = HBCase.objects.get(pk=case.pk)
    assert (case.status, case.declined_at, case.decline_reason) == (CaseStatus.DECLINED, MOMENT, "Ei sovi minulle")
    assert HBCase.objects.filter(client=case.client).count() == 1


def test_decline_is_refused_when_the_budget_is_already_granted():
    case = case_active(period=PERIOD)
    refused("already_active", decline_hb, client=case.client, worker=case.worker, reason="Myöhässä")
    assert status_of(case) == CaseStatus.ACTIVE


def test_the_draft_of_a_declined_case_cannot_be_edited():
    case = case_in_planning(period=PERIOD)
    decline_hb(client=case.client, worker=case.worker, reason="Tavalliset palvelut")
    refused(
        "wrong_step",
        save_plan_draft,
        plan=current_plan(case),
        actor=case.worker,
        answers={},
        lines=[PlanLineEntry("A", Decimal("1"))],
    )


def test_objects_made_by_the_journey_belong_to_the_case_organiser():
    case = case_active(period=PERIOD)
    organiser_ids = {
        *NeedLine.objects.values_list("organiser_id", flat=True),
        *BudgetLine.objects.values_list("organiser_id", flat=True),
        *SupportPlan.objects.values_list("organiser_id", flat=True),
        *PlanLine.objects.values_list("organiser_id", flat=True),
        *PlanReview.objects.values_list("organiser_id", flat=True),
        *PlanApproval.objects.values_list("organiser_id", flat=True),
        *Decision.objects.values_list("organiser_id", flat=True),
    }
    assert organiser_ids == {case.organiser_id}
