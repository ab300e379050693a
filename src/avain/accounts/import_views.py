"""The provider's invoice files: sending one, the list of those sent, and what became of each line."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from avain.catalogue.access import provider_required

from . import imports
from .import_forms import InvoiceFileForm

FAILED_LINES_PER_PAGE = 500  # a file of 200 000 lines may fail in every line


@provider_required
def upload(request):
    form = InvoiceFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            import_file = imports.import_invoice_file(
                provider=request.provider, filename=upload_file.name, data=form.content(), received_by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if import_file.repeated:
                messages.warning(
                    request,
                    _("You have sent this file before. Nothing was posted again; here is what became of it."),
                )
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
    # A file of several invoices also lists each invoice refused as a whole, and names the invoice of every problem.
    listed = imports.listed_problems(import_file)
    failed_page = Paginator(listed, FAILED_LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/imports/detail.html",
        {
            "provider": request.provider,
            "import_file": import_file,
            "file_problems": imports.whole_file_problems(import_file),
            "failed_count": imports.failed_line_count(import_file),
            "by_invoice": imports.names_invoices(import_file),
            "refused_invoice_count": imports.refused_invoice_count(import_file),
            "failed_page": failed_page,
            "failed_lines": imports.describe_listed(failed_page),  # only this page's messages are made
            "invoices": imports.invoices_of_import(import_file),
        },
    )
