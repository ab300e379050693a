"""Invoice files: the provider sending one, the list of those sent and what became of each line; and finance importing
one a provider sent another way, with every provider's files."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from avain.catalogue.access import provider_required
from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import log_list_access

from . import imports
from .import_forms import InvoiceFileForm, StaffInvoiceFileForm

FAILED_LINES_PER_PAGE = 500  # a file of 200 000 lines may fail in every line
FINANCE = Role.FINANCE


@provider_required
def upload(request):
    form = InvoiceFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        repeated = _("You have sent this file before. Nothing was posted again; here is what became of it.")
        import_file = _receive(request, form, request.provider, repeated)
        if import_file is not None:
            return redirect("provider_import", import_file.pk)
    return render(
        request,
        "accounts/imports/upload.html",
        {
            "provider": request.provider,
            "form": form,
            "required_columns": imports.CSV_REQUIRED_COLUMNS,
            "optional_columns": imports.CSV_OPTIONAL_COLUMNS,
        },
    )


def _receive(request, form, provider, repeated_text: str):
    """Import the form's file for ``provider``, received by the signed-in user; None (with the reason on the form)
    when the file is refused as a whole. A file sent before is not posted again, and ``repeated_text`` says so."""
    try:
        import_file = imports.import_invoice_file(
            provider=provider,
            filename=form.cleaned_data["file"].name,
            data=form.content(),
            received_by=request.user,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    if import_file.repeated:
        messages.warning(request, repeated_text)
    return import_file


@provider_required
def example_csv(request):
    response = HttpResponse(imports.example_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invoice-lines-example.csv"'
    return response


@provider_required
def import_list(request):
    paginator = Paginator(imports.imports_of(request.provider), 50)
    return render(
        request,
        "accounts/imports/list.html",
        {"provider": request.provider, "page": paginator.get_page(request.GET.get("page"))},
    )


@provider_required
def import_detail(request, import_id: int):
    import_file = imports.import_of(request.provider, import_id)
    if import_file is None:
        raise Http404
    context, _shown = _detail(request, import_file)
    actions = [
        (reverse("provider_invoice_upload"), _("Send another file")),
        (reverse("provider_imports"), _("Files you have sent")),
    ]
    return render(request, "accounts/imports/detail.html", {**context, "provider": request.provider, "actions": actions})


def _detail(request, import_file) -> tuple[dict, list[dict]]:
    """What a file's page shows, and the stored problems it lists (the file's own and this page's failed lines)."""
    # A file of several invoices also lists each invoice refused as a whole, and names the invoice of every problem.
    listed = imports.listed_problems(import_file)
    failed_page = Paginator(listed, FAILED_LINES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "import_file": import_file,
        "file_problems": imports.whole_file_problems(import_file),
        "failed_count": imports.failed_line_count(import_file),
        "by_invoice": imports.names_invoices(import_file),
        "refused_invoice_count": imports.refused_invoice_count(import_file),
        "failed_page": failed_page,
        "failed_lines": imports.describe_listed(failed_page),  # only this page's messages are made
        "invoices": imports.invoices_of_import(import_file),
    }
    whole_file = [problem for problem in import_file.problems if problem.get("line") is None]
    return context, [*whole_file, *failed_page]


# --- Finance imports a provider's file ----------------------------------------------------------------------------


@staff_required(FINANCE)
def staff_files(request):
    """Finance imports an invoice file that a provider sent another way (an e-invoice operator's delivery, an
    e-mail), with the provider's own checks, and sees every provider's files."""
    organiser_id = request.staff.organiser_id
    form = StaffInvoiceFileForm(request.POST or None, request.FILES or None, organiser_id=organiser_id)
    if request.method == "POST" and form.is_valid():
        repeated = _("This file has been imported before. Nothing was posted again; here is what became of it.")
        import_file = _receive(request, form, form.cleaned_data["provider"], repeated)
        if import_file is not None:
            return redirect("staff_invoice_file", import_file.pk)
    paginator = Paginator(imports.organiser_imports(organiser_id), 50)
    return render(
        request,
        "accounts/imports/staff_files.html",
        {"form": form, "page": paginator.get_page(request.GET.get("page"))},
    )


@staff_required(FINANCE)
def staff_file(request, import_id: int):
    import_file = imports.organiser_import(request.staff.organiser_id, import_id)
    if import_file is None:
        raise Http404
    context, shown = _detail(request, import_file)
    # The invoices and the problems' agreements are of clients: each read is logged.
    log_list_access(
        actor=request.user,
        organiser_id=import_file.organiser_id,
        client_ids=imports.clients_in_view(import_file, shown),
        what=AccessLogEntry.What.INVOICE,
        grounds=AccessLogEntry.Grounds.CLIENT_RELATIONSHIP,
        actor_role=request.staff.role,
    )
    actions = [(reverse("staff_invoice_files"), _("Import another file"))]
    return render(request, "accounts/imports/detail.html", {**context, "sender": import_file, "actions": actions})
