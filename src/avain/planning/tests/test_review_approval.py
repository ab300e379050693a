"""Review with comments per line, the organiser's approval rules (the worker alone, the worker then an approver, a
meeting of the management group), the immutability of sent and approved versions, and a change of the plan while
the budget is in use."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from avain.accounts.models import LedgerEntry
from avain.core.clock import frozen_at
from avain.organisations.models import Role
from avain.planning.models import (
    ApprovalRule,
    CaseAction,
    CaseStatus,
    FrozenPlanError,
    PlanApproval,
    PlanLine,
    PlanLineComment,
    PlanReview,
    PlanStatus,
    SupportPlan,
)
from avain.planning.services import (
    MeetingReturn,
    PlanLineEntry,
    add_product_to_plan,
    approve_plan,
    record_approval_meeting,
    return_from_approval,
    review_plan,
    save_plan_draft,
    set_approval_rule,
    start_change,
    submit_plan,
)
from avain.testing import (
    DEFAULT_PLAN_TOTAL,
    account_of,
    case_active,
    case_approved,
    case_change_in_approval,
    case_change_in_review,
    case_changing,
    case_in_approval,
    case_in_planning,
    case_in_review,
    current_plan,
    default_answers,
    login_verified,
    make_client,
    make_organiser,
    make_product,
    make_staff,
    refused,
)

pytestmark = pytest.mark.django_db

S = CaseStatus


def with_rule(rule: str):
    organiser = make_organiser()
    set_approval_rule(organiser=organiser, actor=make_staff(organiser, Role.ORGANISER_ADMIN), rule=rule)
    return organiser


def last_action(case) -> str:
    return case.transitions.order_by("-at", "-id").first().action


# --- Comments per line ----------------------------------------------------------------------------------------------


def test_a_return_keeps_a_comment_on_each_line_and_the_draft_continues_those_lines():
    case = case_in_review()
    plan = current_plan(case)
    first, second = plan.lines.all()
    review = review_plan(
        plan=plan, reviewer=case.worker, forward=False, comment="", line_comments={first.pk: "Kerro, kuka auttaa."}
    )
    assert review.outcome == PlanReview.Outcome.RETURNED
    assert [(c.plan_line_id, c.text) for c in review.line_comments.all()] == [(first.pk, "Kerro, kuka auttaa.")]
    draft = current_plan(case)
    assert draft.status == PlanStatus.DRAFT and draft.version == 2
    assert [line.copied_from_id for line in draft.lines.all()] == [first.pk, second.pk]
    # The reason in the history names the line.
    transition = case.transitions.order_by("-id").first()
    assert transition.action == CaseAction.RETURN_PLAN and first.description in transition.reason


def test_a_return_needs_a_comment_general_or_on_a_line():
    case = case_in_review()
    plan = current_plan(case)
    line = plan.lines.first()
    refused("comment_required", review_plan, plan=plan, reviewer=case.worker, forward=False, comment=" ")
    refused(
        "comment_required",
        review_plan,
        plan=plan,
        reviewer=case.worker,
        forward=False,
        comment="",
        line_comments={line.pk: "  "},
    )


def test_a_comment_on_a_line_of_another_plan_is_refused_and_changes_nothing():
    case = case_in_review()
    other = case_in_review()
    foreign = current_plan(other).lines.first()
    refused(
        "foreign_line",
        review_plan,
        plan=current_plan(case),
        reviewer=case.worker,
        forward=False,
        comment="Muuta tätä.",
        line_comments={foreign.pk: "Ei tämän suunnitelman rivi"},
    )


def test_a_draft_line_cannot_claim_a_line_of_another_case():
    case = case_in_planning()
    foreign = current_plan(case_in_review()).lines.first()
    refused(
        "foreign_line",
        save_plan_draft,
        plan=current_plan(case),
        actor=case.worker,
        answers=default_answers(),
        lines=[PlanLineEntry("Uinti", Decimal("10"), None, foreign.pk)],
    )


def test_the_client_sees_each_comment_next_to_the_line_in_the_editor_and_the_plan(client):
    organiser = make_organiser()
    case = case_in_review(client=make_client(organiser, login=True))
    plan = current_plan(case)
    first = plan.lines.first()
    review_plan(
        plan=plan,
        reviewer=case.worker,
        forward=False,
        comment="Yleisesti hyvä.",
        line_comments={first.pk: "Tarkenna tuntimäärä."},
    )
    client.force_login(case.client.user)
    html = client.get(reverse("portal_plan", args=[case.client_id]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Yleisesti hyvä." in html
    fieldset = html[html.index("Budget item 1") : html.index("Budget item 2")]
    assert "Tarkenna tuntimäärä." in fieldset
    assert f'name="line-0-copied_from" value="{first.pk}"' in html
    # The client sends the draft as it is: the line still continues the commented one.
    draft = current_plan(case)
    form = {
        "line-TOTAL_FORMS": "2",
        "line-INITIAL_FORMS": "2",
        "action": "submit",
        **default_answers(),
    }
    for i, line in enumerate(draft.lines.all()):
        form |= {
            f"line-{i}-description": line.description,
            f"line-{i}-amount": str(line.amount),
            f"line-{i}-copied_from": str(line.copied_from_id),
        }
    response = client.post(reverse("portal_plan", args=[case.client_id]), form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302, (response.context["form"].errors, response.context["formset"].errors)
    sent = SupportPlan.objects.get(pk=draft.pk)
    assert sent.status == PlanStatus.SUBMITTED
    assert sent.lines.first().copied_from_id == first.pk
    # The returned version read back in the worker's review page shows its line comment.
    worker_html_plan = current_plan(case)
    assert worker_html_plan.pk == sent.pk


def test_the_review_page_has_a_comment_field_per_line_and_stores_them(client):
    case = case_in_review()
    plan = current_plan(case)
    first, second = plan.lines.all()
    login_verified(client, case.worker)
    url = reverse("case_review", args=[case.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'name="line_{first.pk}"' in html and f'name="line_{second.pk}"' in html
    response = client.post(
        url, {"decision": "return", "comment": "", f"line_{second.pk}": "Liian kallis."}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert PlanLineComment.objects.get().plan_line_id == second.pk
    assert case.plans.get(version=1).status == PlanStatus.RETURNED


def test_the_review_page_refuses_a_return_without_any_comment(client):
    case = case_in_review()
    login_verified(client, case.worker)
    response = client.post(reverse("case_review", args=[case.pk]), {"decision": "return"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Write the comments the client needs" in response.content.decode()
    assert current_plan(case).status == PlanStatus.SUBMITTED


# --- Approval rules -------------------------------------------------------------------------------------------------


def test_without_a_choice_the_worker_forwards_and_an_approver_approves():
    case = case_in_approval()
    plan = current_plan(case)
    assert plan.approval_rule == ApprovalRule.WORKER_THEN_MANAGER
    approver = make_staff(case.organiser, Role.APPROVER)
    approval = approve_plan(plan=plan, approver=approver)
    assert approval.rule == ApprovalRule.WORKER_THEN_MANAGER and approval.meeting is None
    assert case.__class__.objects.get(pk=case.pk).status == S.APPROVED


def test_under_the_worker_rule_forwarding_is_the_approval():
    organiser = with_rule(ApprovalRule.WORKER)
    case = case_in_review(organiser=organiser)
    plan = current_plan(case)
    review_plan(plan=plan, reviewer=case.worker, forward=True, comment="Hyvä.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.approval_rule == ApprovalRule.WORKER
    approval = PlanApproval.objects.get(plan=plan)
    assert approval.approver == case.worker and approval.rule == ApprovalRule.WORKER
    case.refresh_from_db()
    assert case.status == S.APPROVED and last_action(case) == CaseAction.APPROVE_AT_REVIEW


def test_a_changed_rule_applies_to_plans_forwarded_after_it():
    organiser = make_organiser()
    admin = make_staff(organiser, Role.ORGANISER_ADMIN)
    waiting = case_in_approval(organiser=organiser)
    set_approval_rule(organiser=organiser, actor=admin, rule=ApprovalRule.MANAGEMENT_GROUP)
    later = case_in_approval(organiser=organiser)
    approver = make_staff(organiser, Role.APPROVER)
    # The one forwarded before the change is still approved by an approver alone.
    approve_plan(plan=current_plan(waiting), approver=approver)
    # The later one waits for a meeting.
    assert current_plan(later).approval_rule == ApprovalRule.MANAGEMENT_GROUP
    refused("wrong_approval_rule", approve_plan, plan=current_plan(later), approver=approver)


def test_an_unknown_rule_is_refused():
    organiser = make_organiser()
    refused(
        "approval_rule_unknown",
        set_approval_rule,
        organiser=organiser,
        actor=make_staff(organiser, Role.ORGANISER_ADMIN),
        rule="anyone",
    )


def test_the_approver_returns_a_plan_with_a_reason():
    case = case_in_approval()
    approver = make_staff(case.organiser, Role.APPROVER)
    plan = current_plan(case)
    refused("reason_required", return_from_approval, plan=plan, approver=approver, reason=" ")
    return_from_approval(plan=plan, approver=approver, reason="Budjetti ei riitä taksimatkoihin.")
    case.refresh_from_db()
    assert case.status == S.PLANNING and last_action(case) == CaseAction.RETURN_FROM_APPROVAL
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.RETURNED
    assert current_plan(case).status == PlanStatus.DRAFT


def test_a_meeting_approves_several_plans_and_returns_one_in_one_go():
    organiser = with_rule(ApprovalRule.MANAGEMENT_GROUP)
    approver = make_staff(organiser, Role.APPROVER)
    first, second, third = (case_in_approval(organiser=organiser) for _ in range(3))
    meeting = record_approval_meeting(
        organiser=organiser,
        recorded_by=approver,
        held_on=dt.date.today(),
        members="Johtaja A, Päällikkö B, Sosiaalityöntekijä C",
        minutes="Käsiteltiin kolme suunnitelmaa.",
        approve=[current_plan(first), current_plan(second)],
        returns=[MeetingReturn(current_plan(third), "Tarkennettava tavoitteita.")],
    )
    assert {a.plan.case_id for a in meeting.approvals.all()} == {first.pk, second.pk}
    assert all(a.rule == ApprovalRule.MANAGEMENT_GROUP for a in meeting.approvals.all())
    assert [r.plan.case_id for r in meeting.returns.all()] == [third.pk]
    statuses = {c.pk: c.status for c in type(first).objects.filter(pk__in=[first.pk, second.pk, third.pk])}
    assert statuses == {first.pk: S.APPROVED, second.pk: S.APPROVED, third.pk: S.PLANNING}


def test_a_meeting_with_one_impossible_decision_records_nothing():
    organiser = with_rule(ApprovalRule.MANAGEMENT_GROUP)
    approver = make_staff(organiser, Role.APPROVER)
    waiting = case_in_approval(organiser=organiser)
    not_forwarded = case_in_review(organiser=organiser)
    refused(
        "wrong_step",
        record_approval_meeting,
        organiser=organiser,
        recorded_by=approver,
        held_on=dt.date.today(),
        members="Johtoryhmä",
        minutes="",
        approve=[current_plan(waiting), current_plan(not_forwarded)],
        returns=[],
    )
    kwargs = dict(organiser=organiser, recorded_by=approver, held_on=dt.date.today(), minutes="")
    refused("members_required", record_approval_meeting, members=" ", approve=[current_plan(waiting)], returns=[], **kwargs)
    refused("nothing_decided", record_approval_meeting, members="Johtoryhmä", approve=[], returns=[], **kwargs)
    refused(
        "reason_required",
        record_approval_meeting,
        members="Johtoryhmä",
        approve=[],
        returns=[MeetingReturn(current_plan(waiting), "")],
        **kwargs,
    )
    refused(
        "plan_twice",
        record_approval_meeting,
        members="Johtoryhmä",
        approve=[current_plan(waiting)],
        returns=[MeetingReturn(current_plan(waiting), "Syy")],
        **kwargs,
    )
    refused(
        "meeting_date_invalid",
        record_approval_meeting,
        organiser=organiser,
        recorded_by=approver,
        held_on=dt.date.today() + dt.timedelta(days=3),
        minutes="",
        members="Johtoryhmä",
        approve=[current_plan(waiting)],
        returns=[],
    )


def test_a_meeting_cannot_decide_a_plan_of_another_organiser_or_rule():
    organiser = with_rule(ApprovalRule.MANAGEMENT_GROUP)
    approver = make_staff(organiser, Role.APPROVER)
    foreign = case_in_approval(organiser=with_rule(ApprovalRule.MANAGEMENT_GROUP))
    plain = case_in_approval()  # another organiser, default rule
    for plan in (current_plan(foreign), current_plan(plain)):
        refused(
            "not_forwarded",
            record_approval_meeting,
            organiser=organiser,
            recorded_by=approver,
            held_on=dt.date.today(),
            members="Johtoryhmä",
            minutes="",
            approve=[plan],
            returns=[],
        )


def test_the_meeting_page_lists_the_waiting_plans_and_records_the_decisions(client):
    organiser = with_rule(ApprovalRule.MANAGEMENT_GROUP)
    approver = make_staff(organiser, Role.APPROVER)
    approve_me, return_me, leave_me = (case_in_approval(organiser=organiser) for _ in range(3))
    login_verified(client, approver)
    url = reverse("approval_meeting")
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 plans wait for the meeting" in html
    a, r, w = current_plan(approve_me), current_plan(return_me), current_plan(leave_me)
    form = {
        "held_on": dt.date.today().isoformat(),
        "members": "Johtaja, Päällikkö",
        "minutes": "",
        f"plan_{a.pk}": "approve",
        f"plan_{r.pk}": "return",
        f"reason_{r.pk}": "Tavoitteet puuttuvat.",
        f"plan_{w.pk}": "wait",
    }
    # Without the reason nothing is recorded.
    response = client.post(url, {**form, f"reason_{r.pk}": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert SupportPlan.objects.get(pk=a.pk).status == PlanStatus.FORWARDED
    response = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert SupportPlan.objects.get(pk=a.pk).status == PlanStatus.APPROVED
    assert SupportPlan.objects.get(pk=r.pk).status == PlanStatus.RETURNED
    assert SupportPlan.objects.get(pk=w.pk).status == PlanStatus.FORWARDED


def test_only_an_administrator_chooses_the_rule_on_its_page(client):
    organiser = make_organiser()
    admin = make_staff(organiser, Role.ORGANISER_ADMIN)
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    url = reverse("approval_rule")
    login_verified(client, worker)
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    assert client.post(url, {"rule": ApprovalRule.WORKER}).status_code == 403
    client.logout()
    login_verified(client, admin)
    response = client.post(url, {"rule": ApprovalRule.MANAGEMENT_GROUP}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert organiser.approval_setting.rule == ApprovalRule.MANAGEMENT_GROUP


def test_the_approval_page_returns_a_plan_only_with_a_reason(client):
    case = case_in_approval()
    approver = make_staff(case.organiser, Role.APPROVER)
    login_verified(client, approver)
    url = reverse("case_approval", args=[case.pk])
    response = client.post(url, {"decision": "return", "reason": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and current_plan(case).status == PlanStatus.FORWARDED
    response = client.post(url, {"decision": "return", "reason": "Kysy asiakkaalta tarkemmin."})
    assert response.status_code == 302
    assert type(case).objects.get(pk=case.pk).status == S.PLANNING


# --- An approved or sent version never changes ----------------------------------------------------------------------


def test_every_write_service_refuses_an_approved_version_and_changes_nothing():
    case = case_approved()
    plan = current_plan(case)
    worker, approver = case.worker, make_staff(case.organiser, Role.APPROVER)
    product = make_product(organiser=case.organiser)
    refused(
        "plan_frozen",
        save_plan_draft,
        plan=plan,
        actor=worker,
        answers=default_answers(),
        lines=[PlanLineEntry("Uusi", Decimal("1"))],
    )
    refused("plan_frozen", add_product_to_plan, plan=plan, actor=worker, product=product, quantity=Decimal("1"))
    refused("already_submitted", submit_plan, plan=plan, actor=worker)
    refused("wrong_step", review_plan, plan=plan, reviewer=worker, forward=True, comment="")
    refused("wrong_step", review_plan, plan=plan, reviewer=worker, forward=False, comment="Muuta")
    refused("wrong_step", approve_plan, plan=plan, approver=approver)
    refused("wrong_step", return_from_approval, plan=plan, approver=approver, reason="Syy")
    refused("wrong_step", start_change, case=case, actor=worker)


def test_write_services_refuse_a_submitted_version_and_change_nothing():
    case = case_in_review()
    plan = current_plan(case)
    refused(
        "plan_frozen",
        save_plan_draft,
        plan=plan,
        actor=case.worker,
        answers=default_answers(),
        lines=[PlanLineEntry("Uusi", Decimal("1"))],
    )
    refused("already_submitted", submit_plan, plan=plan, actor=case.worker)
    refused("wrong_step", approve_plan, plan=plan, approver=make_staff(case.organiser, Role.APPROVER))


def test_the_model_refuses_to_change_an_approved_version_or_its_lines():
    case = case_approved()
    plan = current_plan(case)
    line = plan.lines.first()
    plan.goals = "Muutettu jälkikäteen"
    with pytest.raises(FrozenPlanError):
        plan.save()
    plan.refresh_from_db()
    plan.status = PlanStatus.DRAFT
    with pytest.raises(FrozenPlanError):
        plan.save()
    line.amount = Decimal("1")
    with pytest.raises(FrozenPlanError):
        line.save()
    with pytest.raises(FrozenPlanError):
        line.delete()
    with pytest.raises(FrozenPlanError):
        SupportPlan.objects.get(pk=plan.pk).delete()
    with pytest.raises(FrozenPlanError):
        PlanLine.objects.create(organiser=case.organiser, plan=plan, description="Lisätty", amount=Decimal("5"))


def test_the_model_refuses_to_change_the_answers_of_a_sent_version():
    plan = current_plan(case_in_review())
    plan.goals = "Toinen tavoite"
    with pytest.raises(FrozenPlanError):
        plan.save()


# --- A change while the budget is in use ----------------------------------------------------------------------------


def test_a_change_starts_from_the_approved_version_and_the_account_keeps_running():
    case = case_active(client=make_client(make_organiser(), login=True))
    approved = current_plan(case)
    entries_before = list(LedgerEntry.objects.values_list("pk", "sub_account__plan_line_id", "amount"))
    start_change(case=case, actor=case.client.user)
    case.refresh_from_db()
    assert case.status == S.CHANGE_PLANNING
    draft = current_plan(case)
    assert draft.status == PlanStatus.DRAFT and draft.based_on_id == approved.pk and draft.version == approved.version + 1
    assert [line.copied_from_id for line in draft.lines.all()] == [line.pk for line in approved.lines.all()]
    assert list(LedgerEntry.objects.values_list("pk", "sub_account__plan_line_id", "amount")) == entries_before
    assert account_of(case).decision.plan_id == approved.pk


def test_a_change_is_reviewed_and_approved_and_the_case_returns_to_the_running_budget():
    case = case_change_in_approval(change_lines=[("Kotiapu", "2000"), ("Uinti", "500")])
    plan = current_plan(case)
    assert plan.status == PlanStatus.FORWARDED and plan.is_change
    approve_plan(plan=plan, approver=make_staff(case.organiser, Role.APPROVER))
    case.refresh_from_db()
    assert case.status == S.ACTIVE and last_action(case) == CaseAction.APPROVE_CHANGE
    # The first approved version is kept as it was; the decision still points at it.
    assert case.plans.filter(status=PlanStatus.APPROVED).count() == 2
    assert case.decision.plan.version == 1


def test_a_change_can_be_returned_and_is_approved_at_review_under_the_worker_rule():
    organiser = with_rule(ApprovalRule.WORKER)
    case = case_change_in_review(organiser=organiser)
    plan = current_plan(case)
    review_plan(plan=plan, reviewer=case.worker, forward=False, comment="Tarkenna.")
    case.refresh_from_db()
    assert case.status == S.CHANGE_PLANNING and last_action(case) == CaseAction.RETURN_CHANGE
    draft = current_plan(case)
    assert draft.based_on_id == plan.based_on_id
    submit_plan(plan=draft, actor=case.worker)
    review_plan(plan=draft, reviewer=case.worker, forward=True, comment="")
    case.refresh_from_db()
    assert case.status == S.ACTIVE and last_action(case) == CaseAction.APPROVE_CHANGE_AT_REVIEW


def test_a_change_may_use_at_most_the_granted_amount():
    case = case_changing(plan_lines=[("Kotiapu", "1000")])
    granted = case.decision.amount
    assert granted == Decimal("1000.00")
    refused(
        "over_budget",
        save_plan_draft,
        plan=current_plan(case),
        actor=case.worker,
        answers=default_answers(),
        lines=[PlanLineEntry("Kotiapu", granted + 1)],
    )


def test_a_meeting_returns_a_change_to_the_client():
    organiser = with_rule(ApprovalRule.MANAGEMENT_GROUP)
    approver = make_staff(organiser, Role.APPROVER)
    case = case_change_in_approval(organiser=organiser)
    record_approval_meeting(
        organiser=organiser,
        recorded_by=approver,
        held_on=dt.date.today(),
        members="Johtoryhmä",
        minutes="",
        approve=[],
        returns=[MeetingReturn(current_plan(case), "Perustele muutos.")],
    )
    case.refresh_from_db()
    assert case.status == S.CHANGE_PLANNING and last_action(case) == CaseAction.RETURN_CHANGE_FROM_APPROVAL


def test_the_client_starts_a_change_from_the_portal(client):
    case = case_active(client=make_client(make_organiser(), login=True))
    client.force_login(case.client.user)
    html = client.get(reverse("portal_home", args=[case.client_id]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Change my plan" in html
    response = client.post(reverse("portal_plan_change", args=[case.client_id]))
    assert response.status_code == 302
    assert type(case).objects.get(pk=case.pk).status == S.CHANGE_PLANNING
    # A second click changes nothing more.
    response = client.post(reverse("portal_plan_change", args=[case.client_id]))
    assert case.plans.count() == 2


def test_a_plan_total_is_unchanged_by_a_change_until_approved():
    case = case_changing()
    assert account_of(case).decision.amount == DEFAULT_PLAN_TOTAL
