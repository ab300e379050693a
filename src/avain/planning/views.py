from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from avain.core.feedback import show_errors
from avain.core.clock import today
from avain.core.periods import Period
from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.organisations.selectors import CLIENT_DATA_ROLES
from avain.people.access import client_for_staff, portal_access
from avain.people.models import AccessLogEntry

from . import selectors, services
from .access import case_for_staff
from .forms import (
    ApprovalRuleForm,
    BudgetRuleForm,
    CloseForm,
    DeclineForm,
    EndBudgetRuleForm,
    MeetingForm,
    NeedLineFormSet,
    NeedsForm,
    PeriodForm,
    PlanForm,
    PlanLineFormSet,
    ReturnFromApprovalForm,
    ReviewForm,
)
from .models import ApprovalRule, CaseStatus, Frequency, PlanStatus, SupportPlan

WHAT = AccessLogEntry.What



@staff_required(Role.SOCIAL_WORKER, Role.APPROVER)
def work_queue(request):
    return render(
        request,
        "planning/work_queue.html",
        {"groups": selectors.work_queue(request.staff), "is_approver": request.staff.role == Role.APPROVER},
    )


@staff_required(*CLIENT_DATA_ROLES)
def client_detail(request, client_id: int):
    client = client_for_staff(request, client_id, WHAT.CLIENT_OVERVIEW)
    case = selectors.current_case(client)
    return render(
        request,
        "planning/client_detail.html",
        {
            "client": client,
            "case": case,
            "history": selectors.case_history(case) if case else [],
            "ended_cases": selectors.ended_cases(client),
            "period_form": PeriodForm(),
            "decline_form": DeclineForm(),
            "close_form": CloseForm(),
            "can_work": request.staff.role == Role.SOCIAL_WORKER,
        },
    )


@require_POST
@staff_required(Role.SOCIAL_WORKER)
def case_close(request, case_id: int):
    """The worker ends the HB; the reason goes into the case's history."""
    case = case_for_staff(request, case_id, WHAT.CLIENT_OVERVIEW)
    form = CloseForm(request.POST)
    if not form.is_valid():
        show_errors(request, ValidationError([e for errors in form.errors.values() for e in errors]))
        return redirect("client_detail", case.client_id)
    try:
        services.close_case(case=case, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        show_errors(request, error)
    else:
        messages.success(request, _("The HB is closed. The reason is kept in the case's history."))
    return redirect("client_detail", case.client_id)


@require_POST
@staff_required(Role.SOCIAL_WORKER)
def case_open(request, client_id: int):
    client = client_for_staff(request, client_id, WHAT.CLIENT_OVERVIEW)
    form = PeriodForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "planning/client_detail.html",
            {"client": client, "case": None, "period_form": form, "decline_form": DeclineForm(), "can_work": True},
            status=400,
        )
    try:
        case = services.open_case(
            client=client,
            worker=request.user,
            period=Period(form.cleaned_data["period_start"], form.cleaned_data["period_end"]),
        )
    except ValidationError as error:
        show_errors(request, error)
        return redirect("client_detail", client.pk)
    return redirect("case_needs", case.pk)


@require_POST
@staff_required(Role.SOCIAL_WORKER)
def client_decline(request, client_id: int):
    client = client_for_staff(request, client_id, WHAT.CLIENT_OVERVIEW)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.decline_hb(client=client, worker=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            show_errors(request, error)
        else:
            messages.success(request, _("Recorded: the client continues with ordinary services."))
    return redirect("client_detail", client.pk)


@staff_required(*CLIENT_DATA_ROLES)
def case_needs(request, case_id: int):
    """The needs assessment and the budget. Two actions: save and compute, or try the quantities without saving."""
    case = case_for_staff(request, case_id, WHAT.NEEDS)
    editable = case.status == CaseStatus.NEEDS_ASSESSMENT and request.staff.role == Role.SOCIAL_WORKER
    needs = list(case.needs.select_related("service"))
    initial_lines = [{"service": n.service, "quantity": n.quantity, "frequency": n.frequency, "note": n.note} for n in needs]
    form = NeedsForm(request.POST or None, initial={"wishes": case.wishes, "needs_summary": case.needs_summary})
    formset = NeedLineFormSet(
        request.POST or None, initial=initial_lines, prefix="need", form_kwargs={"organiser_id": case.organiser_id}
    )
    comparison = None
    if request.method == "POST" and editable and form.is_valid() and formset.is_valid():
        entries = [
            services.NeedEntry(
                f.cleaned_data["service"],
                f.cleaned_data["quantity"],
                f.cleaned_data.get("note", ""),
                f.cleaned_data.get("frequency") or Frequency.PERIOD,
            )
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            if request.POST.get("action") == "try":
                comparison = services.what_if_budget(case=case, needs=entries)
            else:
                services.record_needs(case=case, actor=request.user, needs=entries, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if comparison is None:
                messages.success(request, _("The needs are saved and the budget is computed."))
                return redirect("case_needs", case.pk)
    return render(
        request,
        "planning/case_needs.html",
        {
            "case": case,
            "client": case.client,
            "form": form,
            "formset": formset,
            "editable": editable,
            "budget": selectors.budget_explanation(case),
            "comparison": comparison,
            "plan": selectors.latest_plan(case),
        },
    )


@require_POST
@staff_required(Role.SOCIAL_WORKER)
def case_start_planning(request, case_id: int):
    case = case_for_staff(request, case_id, WHAT.NEEDS)
    try:
        services.start_planning(case=case, actor=request.user)
    except ValidationError as error:
        show_errors(request, error)
    else:
        messages.success(request, _("The client can now write the support plan."))
    return redirect("case_needs", case.pk)


@staff_required(Role.SOCIAL_WORKER)
def case_review(request, case_id: int):
    case = case_for_staff(request, case_id, WHAT.PLAN)
    plan = selectors.plan_waiting(case, PlanStatus.SUBMITTED)
    form = ReviewForm(request.POST or None, lines=list(plan.lines.all()) if plan else [])
    rule = selectors.approval_rule(case.organiser_id)
    if request.method == "POST" and plan is not None and form.is_valid():
        forward = request.POST.get("decision") == "forward"
        try:
            services.review_plan(
                plan=plan,
                reviewer=request.user,
                forward=forward,
                comment=form.cleaned_data["comment"],
                line_comments=form.line_comments(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if not forward:
                messages.success(request, _("The plan was returned to the client."))
            elif rule == ApprovalRule.WORKER:
                messages.success(request, _("The plan is approved. You can now make the decision."))
            else:
                messages.success(request, _("The plan was forwarded for approval."))
            return redirect("work_queue")
    return render(
        request, "planning/case_review.html", _plan_context(case, plan, form=form, worker_approves=rule == ApprovalRule.WORKER)
    )


@staff_required(Role.APPROVER)
def case_approval(request, case_id: int):
    case = case_for_staff(request, case_id, WHAT.PLAN)
    plan = selectors.plan_waiting(case, PlanStatus.FORWARDED)
    form = ReturnFromApprovalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and plan is not None and form.is_valid():
        giving_back = request.POST.get("decision") == "return"
        try:
            if giving_back:
                services.return_from_approval(plan=plan, approver=request.user, reason=form.cleaned_data["reason"])
            else:
                services.approve_plan(plan=plan, approver=request.user)
        except ValidationError as error:
            form.add_error("reason" if error.code == "reason_required" else None, error)
        else:
            if giving_back:
                messages.success(request, _("The plan was returned to the client."))
            else:
                messages.success(request, _("The plan is approved. The social worker can now make the decision."))
            return redirect("work_queue")
    by_meeting = plan is not None and plan.approval_rule == ApprovalRule.MANAGEMENT_GROUP
    return render(request, "planning/case_approval.html", _plan_context(case, plan, form=form, by_meeting=by_meeting))


def _meeting_choices(request, plans) -> tuple[list, list, list[str]]:
    """The decision the meeting page sends for each waiting plan: approve, return (with a reason) or leave waiting."""
    approve, returns, missing = [], [], []
    for plan in plans:
        choice = request.POST.get(f"plan_{plan.pk}", "wait")
        if choice == "approve":
            approve.append(plan)
        elif choice == "return":
            reason = request.POST.get(f"reason_{plan.pk}", "").strip()
            returns.append(services.MeetingReturn(plan, reason))
            if not reason:
                missing.append(plan.case.client.full_name)
    return approve, returns, missing


@staff_required(Role.APPROVER)
def approval_meeting(request):
    """A meeting of the management group: the plans waiting for it, each approved, returned or left waiting."""
    organiser = request.staff.organiser
    plans = selectors.plans_waiting_for_meeting(organiser.pk)
    form = MeetingForm(request.POST if request.method == "POST" else None, initial={"held_on": today()})
    status = 200
    if request.method == "POST":
        approve, returns, _missing = _meeting_choices(request, plans)
        if form.is_valid():
            try:
                services.record_approval_meeting(
                    organiser=organiser,
                    recorded_by=request.user,
                    held_on=form.cleaned_data["held_on"],
                    members=form.cleaned_data["members"],
                    minutes=form.cleaned_data["minutes"],
                    approve=approve,
                    returns=returns,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The meeting is recorded: %(approved)s approved, %(returned)s returned.") % {
                    "approved": len(approve), "returned": len(returns)
                })
                return redirect("approval_meeting")
        status = 400
    for plan in plans:
        plan.choice = request.POST.get(f"plan_{plan.pk}", "wait") if request.method == "POST" else "wait"
        plan.reason = request.POST.get(f"reason_{plan.pk}", "") if request.method == "POST" else ""
    return render(
        request,
        "planning/approval_meeting.html",
        {"form": form, "plans": plans, "meetings": selectors.approval_meetings(organiser.pk)[:10]},
        status=status,
    )


APPROVAL_RULE_READERS = (Role.ORGANISER_ADMIN, Role.SOCIAL_WORKER, Role.APPROVER)


@staff_required(*APPROVAL_RULE_READERS)
def approval_rule(request):
    """Who approves the support plans: the organiser administrator chooses; the others read it."""
    can_change = request.staff.role == Role.ORGANISER_ADMIN
    if request.method == "POST" and not can_change:
        raise PermissionDenied
    organiser = request.staff.organiser
    current = selectors.approval_rule(organiser.pk)
    form = ApprovalRuleForm(request.POST or None, initial={"rule": current}) if can_change else None
    if request.method == "POST" and form.is_valid():
        try:
            services.set_approval_rule(organiser=organiser, actor=request.user, rule=form.cleaned_data["rule"])
        except ValidationError as error:
            form.add_error("rule", error)
        else:
            messages.success(request, _("The approval rule is saved. It applies to plans forwarded from now on."))
            return redirect("approval_rule")
    return render(
        request,
        "planning/approval_rule.html",
        {
            "organiser": organiser,
            "current": ApprovalRule(current),
            "setting": selectors.approval_setting(organiser.pk),
            "form": form,
        },
    )


def _plan_context(case, plan: SupportPlan | None, **extra) -> dict:
    return {
        "case": case,
        "client": case.client,
        "plan": plan,
        "answers": _answers(plan),
        "plan_lines": selectors.plan_lines_with_comments(plan) if plan else [],
        "plan_total": selectors.plan_total(plan) if plan else None,
        "reviews": plan.reviews.select_related("reviewer", "meeting").order_by("at") if plan else [],
        "approved_change": selectors.approved_change(case) if case else None,
        **extra,
    }


def _answers(plan: SupportPlan | None) -> list[tuple[str, str]]:
    if plan is None:
        return []
    return [(SupportPlan._meta.get_field(f).verbose_name, getattr(plan, f)) for f in SupportPlan.ANSWER_FIELDS]


# --- The client's portal (the client, or someone the client has let in) ---


# The steps as the client reads them: plain words, spoken to the client.
CLIENT_STEPS = {
    CaseStatus.NEEDS_ASSESSMENT: gettext_lazy("Your needs are being assessed"),
    CaseStatus.PLANNING: gettext_lazy("You are writing your support plan"),
    CaseStatus.REVIEW: gettext_lazy("Your social worker is reading your plan"),
    CaseStatus.APPROVAL: gettext_lazy("Your plan is waiting for approval"),
    CaseStatus.APPROVED: gettext_lazy("Your plan is approved"),
    CaseStatus.ACTIVE: gettext_lazy("Your budget is in use"),
    CaseStatus.CHANGE_PLANNING: gettext_lazy("Your budget is in use, and you are changing your plan"),
    CaseStatus.CHANGE_REVIEW: gettext_lazy("Your budget is in use; your social worker is reading the change"),
    CaseStatus.CHANGE_APPROVAL: gettext_lazy("Your budget is in use; the change is waiting for approval"),
}


@portal_access(WHAT.PLAN)
def portal_home(request, client):
    case = selectors.current_case(client)
    plan = selectors.latest_plan(case) if case else None
    return render(
        request,
        "planning/portal_home.html",
        {"client": client, "case": case, "plan": plan, "step": CLIENT_STEPS.get(case.status) if case else None},
    )


@portal_access(WHAT.PLAN, edit=True)
def portal_plan(request, client):
    case = selectors.current_case(client)
    plan = selectors.latest_plan(case) if case else None
    if plan is None or not plan.is_editable:
        if request.method == "POST" and plan is not None:
            # A second click on "send", or the back button: the sent version stays as it is.
            messages.error(request, _("This plan has already been sent. You do not need to send it again."))
            return redirect("portal_plan", client.pk)
        return render(request, "planning/portal_plan_view.html", _plan_context_for_portal(client, case, plan))
    can_edit = request.delegation is None or request.delegation.access == "edit"
    draft_lines = list(plan.lines.all())
    lines = [
        {"description": line.description, "amount": line.amount, "product": line.product_id, "copied_from": line.copied_from_id}
        for line in draft_lines
    ]
    form = PlanForm(request.POST or None, instance=plan)
    formset = PlanLineFormSet(request.POST or None, initial=lines, prefix="line")
    for line_form in formset.forms:
        if line_form.initial.get("product"):  # the product names the line; the service keeps it so
            line_form.fields["description"].widget.attrs["readonly"] = True
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        entries = [
            services.PlanLineEntry(
                f.cleaned_data["description"],
                f.cleaned_data["amount"],
                f.cleaned_data.get("product"),
                f.cleaned_data.get("copied_from"),
            )
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            services.save_plan_draft(plan=plan, actor=request.user, answers=form.cleaned_data, lines=entries)
            if request.POST.get("action") == "submit":
                services.submit_plan(plan=plan, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if request.POST.get("action") == "submit":
                messages.success(request, _("Your plan has been sent to your social worker."))
                return redirect("portal_home", client.pk)
            messages.success(request, _("Your plan is saved. You can go on later."))
            return redirect("portal_plan", client.pk)
    # The comments of the version this draft continues, if that one was returned (not of an older round).
    returned = case.plans.filter(status=PlanStatus.RETURNED, version=plan.version - 1).first()
    limit = services.plan_limit(case)
    earlier = selectors.comments_on_earlier_lines(draft_lines)
    rows = [(f, earlier[i] if i < len(earlier) else []) for i, f in enumerate(formset.forms)]
    return render(
        request,
        "planning/portal_plan_edit.html",
        {
            "client": client,
            "case": case,
            "plan": plan,
            "form": form,
            "formset": formset,
            "rows": rows,
            "can_edit": can_edit,
            "saved_total": selectors.plan_total(plan),
            "left": limit - selectors.plan_total(plan),
            "budget": selectors.budget_explanation(case),
            "returned_reviews": returned.reviews.filter(outcome="returned") if returned else [],
            "limit": limit,
        },
    )


@portal_access(WHAT.PLAN, edit=True)
def portal_plan_change(request, client):
    """The client (or a delegate with edit access) starts changing the plan while the budget is in use."""
    case = selectors.current_case(client)
    if request.method != "POST":
        return render(request, "planning/portal_plan_change.html", {"client": client, "case": case})
    if case is None:
        raise Http404
    try:
        services.start_change(case=case, actor=request.user)
    except ValidationError as error:
        show_errors(request, error)
        return redirect("portal_home", client.pk)
    messages.success(request, _("You can now change your plan. Your budget stays in use as approved until the change is approved."))
    return redirect("portal_plan", client.pk)


def _plan_context_for_portal(client, case, plan) -> dict:
    context = _plan_context(case, plan) if case else {"plan": None}
    context.update(client=client, case=case, budget=selectors.budget_explanation(case) if case else None)
    return context


# --- The organiser's budget rules ---

BUDGET_RULE_READERS = (Role.ORGANISER_ADMIN, Role.FINANCE, Role.SOCIAL_WORKER)
# Which field a refusal of add_budget_rule is about, so the message sits next to it; the rest go on top.
BUDGET_RULE_ERROR_FIELDS = {
    "rule_period_reversed": "valid_to",
    "rule_overlaps": "valid_from",
    "percentage_out_of_range": "percentage",
    "percentage_too_precise": "percentage",
    "cap_invalid": "cap",
    "cap_not_whole_euros": "cap",
    "rounding_unknown": "rounding",
    "free_form_share_out_of_range": "free_form_share",
}


@staff_required(*BUDGET_RULE_READERS)
def budget_rules(request):
    """The organiser's budget rules: administrators add them, finance and social workers read them."""
    can_add = request.staff.role == Role.ORGANISER_ADMIN
    if request.method == "POST" and not can_add:
        raise PermissionDenied
    form = BudgetRuleForm(request.POST or None) if can_add else None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.add_budget_rule(organiser=request.staff.organiser, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(BUDGET_RULE_ERROR_FIELDS.get(error.code), error)
            else:
                messages.success(request, _("The budget rule is added."))
                return redirect("budget_rules")
        status = 400
    organiser_id = request.staff.organiser_id
    in_force = selectors.budget_rule_in_force(organiser_id, today())
    return render(
        request,
        "planning/budget_rules.html",
        {
            "organiser": request.staff.organiser,
            "rules": selectors.budget_rules(organiser_id),
            "in_force_id": in_force.pk if in_force else None,
            "form": form,
        },
        status=status,
    )


@require_POST
@staff_required(Role.ORGANISER_ADMIN)
def budget_rule_end(request, rule_id: int):
    rule = selectors.get_budget_rule(request.staff.organiser_id, rule_id)
    form = EndBudgetRuleForm(request.POST)
    if not form.is_valid():
        show_errors(request, ValidationError(list(form.errors["valid_to"])))
        return redirect("budget_rules")
    try:
        services.end_budget_rule(rule=rule, actor=request.user, valid_to=form.cleaned_data["valid_to"])
    except ValidationError as error:
        show_errors(request, error)
    else:
        messages.success(request, _("The budget rule now has an end date."))
    return redirect("budget_rules")
