"""Pages of the research part.

* The worker records and withdraws consent and enrols the client on the client's research page (logged as a read
  of the client's data); the client sees and withdraws their consent in the portal.
* The organiser administrator creates studies and makes enrolment final; finance staff and the administrator
  import the service use of control clients.
* Researchers reach only the study list, a study's suppressed counts and the pseudonymised export: no page of
  theirs takes a client id or shows anything that identifies a client.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from avain.core.feedback import show_errors
from avain.core import clock
from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.organisations.selectors import CLIENT_DATA_ROLES
from avain.people.access import client_for_staff, portal_access
from avain.people.models import AccessLogEntry

from . import export, imports, selectors, services
from .forms import ConsentForm, ServiceUseUploadForm, StudyForm
from .models import StudyStatus

# Consent and enrolment are read as part of the client's overview: the access log has no kind of its own for them.
WHAT = AccessLogEntry.What.RESEARCH



# --- The worker: consent and enrolment on the client's research page -----------------------------------------------


@staff_required(*CLIENT_DATA_ROLES)
def client_research(request, client_id: int):
    if request.method == "POST" and request.staff.role != Role.SOCIAL_WORKER:
        raise PermissionDenied
    client = client_for_staff(request, client_id, WHAT)
    studies = selectors.studies_for_client_consent(client)
    form = ConsentForm(studies=studies)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "give":
                form = ConsentForm(request.POST, studies=studies)
                if form.is_valid():
                    services.give_consent(
                        client=client,
                        recorded_by=request.user,
                        scopes=form.cleaned_data["scopes"],
                        given_on=form.cleaned_data["given_on"],
                        study=form.cleaned_data["study"],
                    )
                    messages.success(request, _("The consent is recorded."))
                    return redirect("client_research", client.pk)
                status = 400
            elif action == "withdraw":
                consent = selectors.active_consent_of(client, _int(request.POST.get("consent")))
                services.withdraw_consent(consent=consent, by=request.user)
                messages.success(request, _("The consent is withdrawn. The client's data is left out of research from now on."))
                return redirect("client_research", client.pk)
            elif action == "enrol":
                study = selectors.enrolling_studies_for_client(client).filter(pk=_int(request.POST.get("study"))).first()
                if study is None:
                    raise Http404
                services.enrol_client(study=study, client=client, by=request.user)
                messages.success(request, _("The client is enrolled in the study."))
                return redirect("client_research", client.pk)
            else:
                raise Http404
        except ValidationError as error:
            show_errors(request, error)
            status = 400
    return render(
        request,
        "research/client_research.html",
        {
            "client": client,
            "consents": selectors.consents_of(client),
            "enrolments": selectors.enrolments_of(client),
            "enrolling": selectors.enrolling_studies_for_client(client),
            "form": form,
            "can_work": request.staff.role == Role.SOCIAL_WORKER,
        },
        status=status,
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


# --- The client's portal -----------------------------------------------------------------------------------------


@portal_access(WHAT)
def portal_research(request, client):
    """The client's consents to research use; the client (not a delegate) may withdraw one."""
    if request.method == "POST":
        if request.delegation is not None:
            raise PermissionDenied
        consent = selectors.active_consent_of(client, _int(request.POST.get("consent")))
        try:
            services.withdraw_consent(consent=consent, by=request.user)
        except ValidationError as error:
            show_errors(request, error)
        else:
            messages.success(request, _("Your consent is withdrawn. Your data is no longer used in research."))
        return redirect("portal_research", client.pk)
    return render(
        request,
        "research/portal_research.html",
        {
            "client": client,
            "consents": selectors.consents_of(client),
            "enrolments": selectors.enrolments_of(client),
            "can_withdraw": request.delegation is None,
        },
    )


# --- Studies: researchers and the organiser administrator ------------------------------------------------------------


@staff_required(Role.RESEARCHER, Role.ORGANISER_ADMIN)
def studies(request):
    return render(
        request,
        "research/studies.html",
        {"studies": selectors.studies_for(request.staff), "is_admin": request.staff.role == Role.ORGANISER_ADMIN},
    )


@staff_required(Role.ORGANISER_ADMIN)
def study_create(request):
    owner = request.staff.organiser
    form = StudyForm(request.POST or None, owner=owner)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                study = services.create_study(
                    owner=owner,
                    by=request.user,
                    code=data["code"],
                    name=data["name"],
                    design=data["design"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    other_organisers=data["other_organisers"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The study is created. Workers can now enrol clients who have consented."))
                return redirect("research_study", study.pk)
    return render(request, "research/study_form.html", {"form": form}, status=status)


@staff_required(Role.RESEARCHER, Role.ORGANISER_ADMIN)
def study_detail(request, study_id: int):
    study = selectors.study_for(request.staff, study_id)
    return render(
        request,
        "research/study_detail.html",
        {
            "study": study,
            "strata": selectors.stratum_counts(study),
            "enrolled": selectors.enrolment_count(study),
            "can_manage": request.staff.role == Role.ORGANISER_ADMIN and study.owner_id == request.staff.organiser_id,
            "can_export": request.staff.role == Role.RESEARCHER and study.status != StudyStatus.ENROLLING,
        },
    )


@require_POST
@staff_required(Role.ORGANISER_ADMIN)
def study_final(request, study_id: int):
    study = selectors.owned_study(request.staff, study_id)
    try:
        services.make_final(study=study, by=request.user)
    except ValidationError as error:
        show_errors(request, error)
    else:
        messages.success(request, _("Enrolment is final and the arms are allocated. Every allocation is logged."))
    return redirect("research_study", study.pk)


@require_POST
@staff_required(Role.ORGANISER_ADMIN)
def study_close(request, study_id: int):
    study = selectors.owned_study(request.staff, study_id)
    try:
        services.close_study(study=study, by=request.user)
    except ValidationError as error:
        show_errors(request, error)
    else:
        messages.success(request, _("The study is closed."))
    return redirect("research_study", study.pk)


@staff_required(Role.RESEARCHER)
def study_export(request, study_id: int):
    """The pseudonymised export: built anew on every download, so a withdrawn consent is never in it."""
    study = selectors.study_for(request.staff, study_id)
    if study.status == StudyStatus.ENROLLING:
        raise Http404
    response = HttpResponse(export.export_zip(study), content_type="application/zip")
    filename = f"study-{study.code}-{clock.today().isoformat()}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Service use of control clients ------------------------------------------------------------------------------


@staff_required(Role.FINANCE, Role.ORGANISER_ADMIN)
def service_use(request):
    form = ServiceUseUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > imports.MAX_FILE_BYTES:
                form.add_error("file", _("The file is larger than %(limit_mb)s MB.") % {"limit_mb": imports.MAX_FILE_MB})
            else:
                result = imports.import_service_use(
                    organiser=request.staff.organiser, filename=upload.name, data=upload.read(), uploaded_by=request.user
                )
                if result.repeated:
                    messages.info(request, _("This file has already been imported. Nothing was imported again."))
                return redirect("research_service_use_file", result.pk)
    return render(
        request,
        "research/service_use.html",
        {"form": form, "files": selectors.service_use_files(request.staff.organiser_id)[:20]},
        status=status,
    )


@staff_required(Role.FINANCE, Role.ORGANISER_ADMIN)
def service_use_file(request, file_id: int):
    source = selectors.service_use_file(request.staff.organiser_id, file_id)
    problems = [{"line": p["line"], "message": imports.problem_message(p)} for p in source.problems]
    return render(request, "research/service_use_file.html", {"source": source, "problems": problems})
