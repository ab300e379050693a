from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry, Delegation
from avain.people.services import log_access, log_list_access
from avain.timeuse.models import TimeRole
from avain.timeuse.selectors import delegate_role, sampled_in_open_period, staff_role

from . import selectors, services
from .forms import AnswerForm, DiaryEntryForm, FeedbackForm, PromptForm
from .models import FeedbackStatus

# Diaries and feedback are read as part of the client's overview: the access log has no kind of its own for them.
WHAT = AccessLogEntry.What.FEEDBACK
DIARY_STAFF_ROLES = (Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE, Role.ORGANISER_ADMIN)


def _can_edit(request) -> bool:
    return request.delegation is None or request.delegation.access == Delegation.Access.EDIT


def _portal_role(request, client) -> str:
    return TimeRole.CLIENT if request.delegation is None else delegate_role(request.user, client.organiser_id)


# --- The client's portal ----------------------------------------------------------------------------------------


@portal_access(WHAT, edit=True)
def portal_diary(request, client):
    """The client's diary, kept in the recording periods if the client is sampled."""
    prompts = selectors.active_prompts(client.organiser_id)
    form = DiaryEntryForm(prompts=prompts)
    status = 200
    if request.method == "POST":
        form = DiaryEntryForm(request.POST, prompts=prompts)
        if form.is_valid():
            try:
                services.write_diary_entry(
                    organiser=client.organiser,
                    author=request.user,
                    role=_portal_role(request, client),
                    client=client,
                    text=form.cleaned_data["text"],
                    prompt=form.cleaned_data.get("prompt"),
                    written_on=form.cleaned_data["written_on"],
                )
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("Thank you! The diary entry is saved."))
                return redirect("portal_diary", client.pk)
        status = 400
    return render(
        request,
        "feedback/portal_diary.html",
        {
            "client": client,
            "form": form,
            "can_edit": _can_edit(request),
            "sampled": sampled_in_open_period(client.organiser_id, client.pk),
            "entries": selectors.client_diary(client),
        },
        status=status,
    )


@portal_access(WHAT, edit=True)
def portal_feedback(request, client):
    """Feedback and ideas the client has sent, with the organiser's answers, and a form to send more."""
    form = FeedbackForm()
    status = 200
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                services.send_feedback(
                    client=client, submitted_by=request.user, topic=form.cleaned_data["topic"], text=form.cleaned_data["text"]
                )
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("Thank you! Your feedback has been sent. The answer will appear on this page."))
                return redirect("portal_feedback", client.pk)
        status = 400
    return render(
        request,
        "feedback/portal_feedback.html",
        {"client": client, "form": form, "can_edit": _can_edit(request), "items": selectors.feedback_of_client(client)},
        status=status,
    )


# --- Staff ------------------------------------------------------------------------------------------------------


@staff_required(*DIARY_STAFF_ROLES)
def worker_diary(request):
    """A worker's own diary in the recording periods."""
    organiser = request.staff.organiser
    prompts = selectors.active_prompts(organiser.pk)
    form = DiaryEntryForm(prompts=prompts)
    status = 200
    if request.method == "POST":
        form = DiaryEntryForm(request.POST, prompts=prompts)
        if form.is_valid():
            try:
                services.write_diary_entry(
                    organiser=organiser,
                    author=request.user,
                    role=staff_role(request.staff),
                    client=None,
                    text=form.cleaned_data["text"],
                    prompt=form.cleaned_data.get("prompt"),
                    written_on=form.cleaned_data["written_on"],
                )
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("The diary entry is saved."))
                return redirect("worker_diary")
        status = 400
    return render(
        request,
        "feedback/worker_diary.html",
        {
            "form": form,
            "sampled": sampled_in_open_period(organiser.pk, None),
            "entries": selectors.worker_diary(organiser.pk, request.user),
        },
        status=status,
    )


def _shows_names(request) -> bool:
    # Organiser administrators handle feedback but have no identified client pages: they see the text, not who.
    return request.staff.role == Role.SOCIAL_WORKER


@staff_required(*services.FEEDBACK_ROLES)
def staff_feedback(request):
    """The organiser's feedback list. Every client on it counts as read: one access-log entry per client."""
    status = request.GET.get("status") or FeedbackStatus.NEW
    items = list(selectors.feedback_for_staff(request.staff.organiser_id, status if status != "all" else None))
    log_list_access(
        actor=request.user,
        organiser_id=request.staff.organiser_id,
        client_ids=[item.client_id for item in items],
        what=WHAT,
        grounds=AccessLogEntry.Grounds.CLIENT_RELATIONSHIP,
        actor_role=request.staff.role,
    )
    return render(
        request,
        "feedback/staff_list.html",
        {
            "items": items,
            "status": status,
            "statuses": FeedbackStatus.choices,
            "counts": selectors.counts_by_status(request.staff.organiser_id),
            "show_names": _shows_names(request),
        },
    )


@staff_required(*services.FEEDBACK_ROLES)
def staff_feedback_item(request, feedback_id: int):
    """One piece of feedback: read it, answer it, mark it acted on. Each request is one logged read."""
    item = selectors.feedback_item_for_staff(request.staff.organiser_id, feedback_id)
    log_access(
        actor=request.user,
        client=item.client,
        what=WHAT,
        grounds=AccessLogEntry.Grounds.CLIENT_RELATIONSHIP,
        actor_role=request.staff.role,
    )
    form = AnswerForm()
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "acted_on":
                services.mark_acted_on(feedback=item, actor=request.user)
                messages.success(request, _("The feedback is marked as acted on."))
                return redirect("staff_feedback_item", item.pk)
            form = AnswerForm(request.POST)
            if form.is_valid():
                services.answer_feedback(feedback=item, answered_by=request.user, answer=form.cleaned_data["answer"])
                messages.success(request, _("The answer is sent. The client sees it in the online service."))
                return redirect("staff_feedback_item", item.pk)
        except ValidationError as refusal:
            form.add_error(None, refusal)
        status = 400
    return render(
        request,
        "feedback/staff_item.html",
        {"item": item, "form": form, "show_names": _shows_names(request)},
        status=status,
    )


@staff_required(Role.ORGANISER_ADMIN)
def diary_prompts(request):
    organiser = request.staff.organiser
    form = PromptForm()
    status = 200
    if request.method == "POST":
        form = PromptForm(request.POST)
        if form.is_valid():
            try:
                services.create_prompt(organiser=organiser, **form.cleaned_data)
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _("The question is saved."))
                return redirect("diary_prompts")
        status = 400
    return render(
        request, "feedback/prompts.html", {"form": form, "prompts": selectors.prompts(organiser.pk)}, status=status
    )


@require_POST
@staff_required(Role.ORGANISER_ADMIN)
def diary_prompt_active(request, prompt_id: int):
    prompt = selectors.prompt_for_admin(request.staff.organiser_id, prompt_id)
    services.set_prompt_active(prompt=prompt, active=request.POST.get("active") == "1")
    return redirect("diary_prompts")
