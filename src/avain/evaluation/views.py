from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.organisations.selectors import CLIENT_DATA_ROLES
from avain.people.access import client_for_staff, portal_access
from avain.people.models import AccessLogEntry, Delegation
from avain.planning.access import case_for_staff

from . import selectors, services
from .forms import ControlFollowUpForm, InstrumentUploadForm, answer_form
from .models import MeasurementStatus

# Questionnaire answers are read as part of the client's overview: the access log has no kind of its own for them.
WHAT = AccessLogEntry.What.QUESTIONNAIRES


def _pages(instrument) -> list[dict]:
    """The answering pages: one per domain, in order, then one for the questions outside every domain."""
    items = list(instrument.items.select_related("domain"))
    pages = [
        {"title": domain.name, "items": [i for i in items if i.domain_id == domain.pk]}
        for domain in instrument.domains.all()
    ]
    pages = [p for p in pages if p["items"]]
    loose = [i for i in items if i.domain_id is None]
    if loose:
        pages.append({"title": _("Questions") if not pages else _("Other questions"), "items": loose})
    return pages


def _questions(form, items) -> list[dict]:
    return [{"item": item, "field": form[item.code]} for item in items]


def _page_number(request, pages, answers) -> int:
    """The page asked for, or the first page with an unanswered question (where the client left off)."""
    try:
        number = int(request.GET.get("page") or request.POST.get("page") or 0)
    except ValueError:
        number = 0
    if 1 <= number <= len(pages):
        return number
    for number, page in enumerate(pages, start=1):
        if any(item.code not in answers for item in page["items"]):
            return number
    return len(pages)


# --- The client's portal ----------------------------------------------------------------------------------------


@portal_access(WHAT)
def portal_questionnaires(request, client):
    """What the client has to answer and what they have answered."""
    return render(
        request,
        "evaluation/portal_list.html",
        {"client": client, "can_answer": _can_answer(request), **selectors.portal_overview(client)},
    )


def _can_answer(request) -> bool:
    return request.delegation is None or request.delegation.access == Delegation.Access.EDIT


@portal_access(WHAT, edit=True)
def portal_answer(request, client, measurement_id: int):
    """Answer one page (one domain) at a time; every submit saves. "Save and continue later" leaves; "Send" on the
    last page completes the questionnaire and shows the report."""
    measurement = selectors.measurement_of(client, measurement_id)
    if measurement.status == MeasurementStatus.COMPLETED:
        return redirect("portal_questionnaire_report", client.pk, measurement.pk)
    if measurement.status == MeasurementStatus.CANCELLED:
        raise Http404
    pages = _pages(measurement.instrument)
    answers = selectors.answers_of(measurement)
    number = _page_number(request, pages, answers)
    page = pages[number - 1]
    status = 200
    error = None
    if request.method == "POST":
        form = answer_form(page["items"], request.POST)
        if form.is_valid():
            action = request.POST.get("action")
            try:
                services.save_answers(measurement=measurement, values=form.cleaned_data, actor=request.user)
                if action == "send":
                    services.complete_measurement(measurement=measurement, actor=request.user)
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
                status = 400
            else:
                here = reverse("portal_questionnaire", args=[client.pk, measurement.pk])
                if action == "send":
                    messages.success(request, _("Thank you! Your answers have been sent."))
                    return redirect("portal_questionnaire_report", client.pk, measurement.pk)
                if action == "pause":
                    messages.success(request, _("Your answers are saved. You can continue later from where you left off."))
                    return redirect("portal_questionnaires", client.pk)
                if action == "previous":
                    return redirect(f"{here}?page={max(1, number - 1)}")
                return redirect(f"{here}?page={min(len(pages), number + 1)}")
        else:
            status = 400
    else:
        form = answer_form(page["items"], initial=answers)
    return render(
        request,
        "evaluation/portal_answer.html",
        {
            "client": client,
            "measurement": measurement,
            "instrument": measurement.instrument,
            "page": page,
            "number": number,
            "count": len(pages),
            "questions": _questions(form, page["items"]),
            "form": form,
            "error": error,
            "can_answer": _can_answer(request),
        },
        status=status,
    )


@portal_access(WHAT)
def portal_report(request, client, measurement_id: int):
    """The personal report: domain scores, the change since last time, and the instrument's suggestions."""
    measurement = selectors.measurement_of(client, measurement_id)
    if measurement.status != MeasurementStatus.COMPLETED:
        return render(
            request,
            "evaluation/portal_report.html",
            {"client": client, "measurement": measurement, "instrument": measurement.instrument, "not_sent": True},
        )
    return render(request, "evaluation/portal_report.html", {"client": client, **selectors.report(measurement)})


# --- Staff ------------------------------------------------------------------------------------------------------


@staff_required(*CLIENT_DATA_ROLES)
def case_questionnaires(request, case_id: int):
    """The questionnaires of an HB case; the social worker schedules them once the budget is in use."""
    case = case_for_staff(request, case_id, WHAT)
    can_schedule = request.staff.role == Role.SOCIAL_WORKER and case.status in services.IN_USE
    if request.method == "POST":
        if not can_schedule:
            raise Http404
        try:
            created = services.schedule_measurements(case=case, actor=request.user)
        except ValidationError as refusal:
            for text in refusal.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("Questionnaires scheduled: %(count)s.") % {"count": len(created)})
        return redirect("case_questionnaires", case.pk)
    return render(
        request,
        "evaluation/staff_list.html",
        {
            "client": case.client,
            "case": case,
            "rows": selectors.staff_overview(case.client, case),
            "can_schedule": can_schedule,
            "can_enter": request.staff.role == Role.SOCIAL_WORKER,
        },
    )


@staff_required(*CLIENT_DATA_ROLES)
def client_questionnaires(request, client_id: int):
    """All the questionnaires of a client, with or without HB; the social worker schedules a control client's
    follow-up here."""
    client = client_for_staff(request, client_id, WHAT)
    is_worker = request.staff.role == Role.SOCIAL_WORKER
    form = ControlFollowUpForm()
    status = 200
    if request.method == "POST":
        if not is_worker:
            raise Http404
        form = ControlFollowUpForm(request.POST)
        if form.is_valid():
            try:
                created = services.schedule_control_follow_up(
                    client=client,
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    scheduled_by=request.user,
                )
            except ValidationError as refusal:
                for text in refusal.messages:
                    form.add_error(None, text)
            else:
                messages.success(request, _("Questionnaires scheduled: %(count)s.") % {"count": len(created)})
                return redirect("client_questionnaires", client.pk)
        status = 400
    return render(
        request,
        "evaluation/staff_list.html",
        {
            "client": client,
            "case": None,
            "rows": selectors.staff_overview(client),
            "form": form if is_worker else None,
            "can_enter": is_worker,
        },
        status=status,
    )


@staff_required(Role.SOCIAL_WORKER)
def paper_form(request, client_id: int, measurement_id: int):
    """The worker enters a client's paper form: all questions on one page, grouped by domain."""
    client = client_for_staff(request, client_id, WHAT)
    measurement = selectors.measurement_of(client, measurement_id)
    if not measurement.is_open:
        raise Http404
    pages = _pages(measurement.instrument)
    items = [item for page in pages for item in page["items"]]
    status = 200
    if request.method == "POST":
        form = answer_form(items, request.POST)
        if form.is_valid():
            try:
                services.save_answers(
                    measurement=measurement, values=form.cleaned_data, actor=request.user, paper=True
                )
                if request.POST.get("action") == "send":
                    services.complete_measurement(measurement=measurement, actor=request.user, paper=True)
            except ValidationError as refusal:
                for text in refusal.messages:
                    form.add_error(None, text)
            else:
                if request.POST.get("action") == "send":
                    messages.success(request, _("The paper form is entered and the scores are computed."))
                    return redirect("client_questionnaires", client.pk)
                messages.success(request, _("The answers are saved."))
                return redirect("questionnaire_paper_form", client.pk, measurement.pk)
        status = 400
    else:
        form = answer_form(items, initial=selectors.answers_of(measurement))
    sections = [{"title": page["title"], "questions": _questions(form, page["items"])} for page in pages]
    return render(
        request,
        "evaluation/paper_form.html",
        {"client": client, "measurement": measurement, "instrument": measurement.instrument, "sections": sections, "form": form},
        status=status,
    )


@staff_required(Role.ORGANISER_ADMIN)
def instruments(request):
    """The questionnaires the organiser can use, and adding its own from a JSON file."""
    organiser = request.staff.organiser
    form = InstrumentUploadForm()
    status = 200
    if request.method == "POST":
        form = InstrumentUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                instrument = services.upload_instrument(
                    organiser=organiser, raw=form.cleaned_data["file"].read(), actor=request.user
                )
            except ValidationError as refusal:
                for text in refusal.messages:
                    form.add_error(None, text)
            else:
                messages.success(
                    request,
                    _("“%(name)s” version %(version)s is saved as a draft. Publish it to use it.")
                    % {"name": instrument.name, "version": instrument.version},
                )
                return redirect("evaluation_instruments")
        status = 400
    return render(
        request,
        "evaluation/instruments.html",
        {"instruments": selectors.instruments_for(organiser), "form": form},
        status=status,
    )


@require_POST
@staff_required(Role.ORGANISER_ADMIN)
def instrument_status(request, instrument_id: int):
    instrument = selectors.instrument_for_admin(request.staff.organiser, instrument_id)
    try:
        if request.POST.get("action") == "publish":
            services.publish_instrument(instrument=instrument)
            messages.success(request, _("The questionnaire is published."))
        else:
            services.retire_instrument(instrument=instrument)
            messages.success(request, _("The questionnaire is retired: it is no longer scheduled."))
    except ValidationError as refusal:
        for text in refusal.messages:
            messages.error(request, text)
    return redirect("evaluation_instruments")
