from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.organisations.selectors import CLIENT_DATA_ROLES
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry
from avain.planning.access import case_for_staff
from avain.planning.models import CaseStatus

from . import selectors, services
from .forms import AddMeetingForm, CancelMeetingForm, MoveMeetingForm, OutcomeForm

# The follow-up evaluates the support plan: its reads are logged as reads of the plan.
WHAT = AccessLogEntry.What.PLAN


def _forms(case, data=None, which=None):
    planned = list(selectors.planned_meetings(case))
    bound = {name: (data if name == which else None) for name in ("add", "move", "cancel", "outcome")}
    return {
        "add_form": AddMeetingForm(bound["add"], prefix="add"),
        "move_form": MoveMeetingForm(bound["move"], prefix="move", meetings=planned),
        "cancel_form": CancelMeetingForm(bound["cancel"], prefix="cancel", meetings=planned),
        "outcome_form": OutcomeForm(bound["outcome"], prefix="outcome", meetings=planned),
    }


def _page(request, case, forms=None, status=200):
    can_work = request.staff.role == Role.SOCIAL_WORKER and case.status == CaseStatus.ACTIVE
    context = {
        "client": case.client,
        "case": case,
        "meetings": selectors.meetings_of(case),
        "planned": selectors.planned_meetings(case),
        "can_work": can_work,
        "can_schedule": can_work and not selectors.meetings_of(case).exists(),
        **(forms or _forms(case)),
    }
    return render(request, "followup/case_follow_up.html", context, status=status)


@staff_required(*CLIENT_DATA_ROLES)
def case_follow_up(request, case_id: int):
    """The case's follow-up meetings and their outcomes; the social worker adds, moves, cancels and records."""
    case = case_for_staff(request, case_id, WHAT)
    return _page(request, case)


def _act(request, case_id: int, which: str, act):
    case = case_for_staff(request, case_id, WHAT)
    forms = _forms(case, request.POST, which)
    form = forms[f"{which}_form"]
    if not form.is_valid():
        return _page(request, case, forms, status=400)
    try:
        message = act(case, form.cleaned_data)
    except ValidationError as error:
        for text in error.messages:
            form.add_error(None, text)
        return _page(request, case, forms, status=400)
    messages.success(request, message)
    return redirect("case_follow_up", case.pk)


@require_POST
@staff_required(Role.SOCIAL_WORKER)
def case_follow_up_schedule(request, case_id: int):
    case = case_for_staff(request, case_id, WHAT)
    try:
        created = services.schedule_series(case=case, actor=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Follow-up meetings planned: %(count)s.") % {"count": len(created)})
    return redirect("case_follow_up", case.pk)


@require_POST
@staff_required(Role.SOCIAL_WORKER)
def case_follow_up_add(request, case_id: int):
    def act(case, data):
        services.add_meeting(case=case, day=data["day"], actor=request.user)
        return _("The meeting is added. The client gets a reminder before it.")

    return _act(request, case_id, "add", act)


@require_POST
@staff_required(Role.SOCIAL_WORKER)
def case_follow_up_move(request, case_id: int):
    def act(case, data):
        services.move_meeting(case=case, meeting_id=data["meeting"], day=data["day"], actor=request.user)
        return _("The meeting is moved. The client gets a reminder before the new date.")

    return _act(request, case_id, "move", act)


@require_POST
@staff_required(Role.SOCIAL_WORKER)
def case_follow_up_cancel(request, case_id: int):
    def act(case, data):
        services.cancel_meeting(case=case, meeting_id=data["meeting"], actor=request.user, reason=data["reason"])
        return _("The meeting is cancelled.")

    return _act(request, case_id, "cancel", act)


@require_POST
@staff_required(Role.SOCIAL_WORKER)
def case_follow_up_record(request, case_id: int):
    def act(case, data):
        meeting = services.record_outcome(
            case=case,
            meeting_id=data["meeting"],
            actor=request.user,
            how_it_worked=data["how_it_worked"],
            plan_changes=data["plan_changes"],
            ends_hb=data["ends_hb"],
            end_reason=data["end_reason"],
        )
        if meeting.ends_hb:
            return _("The outcome is recorded and the HB is closed. The reason is kept in the case's history.")
        return _("The outcome of the meeting is recorded.")

    return _act(request, case_id, "outcome", act)


@staff_required(Role.SOCIAL_WORKER)
def follow_up_list(request):
    """The worker's coming follow-up meetings, and budgets in use with none planned."""
    return render(
        request,
        "followup/follow_up_list.html",
        {
            "meetings": selectors.worker_coming_meetings(request.staff),
            "without_meetings": selectors.active_cases_without_meetings(request.staff),
        },
    )


@portal_access(WHAT)
def portal_meetings(request, client):
    case = selectors.client_case_with_follow_up(client)
    return render(
        request,
        "followup/portal_meetings.html",
        {
            "client": client,
            "case": case,
            "coming": selectors.coming_meetings(case) if case else [],
            "held": selectors.held_meetings(case) if case else [],
            "plan_change": case is not None and case.status == CaseStatus.ACTIVE and selectors.plan_change_agreed(case),
        },
    )
