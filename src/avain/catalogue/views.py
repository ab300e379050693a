"""The price list: finance and administrators import it, social workers read it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from avain.core.clock import today
from avain.organisations.access import staff_required
from avain.organisations.models import Role

from . import selectors, services
from .forms import PriceListFileForm, PriceListFilterForm

PRICE_LIST_READERS = (Role.FINANCE, Role.ORGANISER_ADMIN, Role.SOCIAL_WORKER)
PRICE_LIST_EDITORS = (Role.FINANCE, Role.ORGANISER_ADMIN)


def _can_import(request) -> bool:
    return request.staff.role in PRICE_LIST_EDITORS


@staff_required(*PRICE_LIST_READERS)
def price_list(request):
    organiser_id = request.staff.organiser_id
    filter_form = PriceListFilterForm(request.GET or None)
    category = filter_form.cleaned_data["category"] if filter_form.is_valid() else ""
    day = today()
    can_import = _can_import(request)
    return render(
        request,
        "catalogue/price_list.html",
        {
            "organiser": request.staff.organiser,
            "entries": selectors.price_list(organiser_id, day, category=category),
            "day": day,
            "filter_form": filter_form,
            "can_import": can_import,
            "imports": selectors.recent_price_list_imports(organiser_id) if can_import else [],
        },
    )


@staff_required(*PRICE_LIST_EDITORS)
def price_list_import(request):
    """Upload a file; a readable one is kept and its preview shown. Nothing is imported here."""
    if request.method != "POST":
        return render(request, "catalogue/price_list_import.html", {"form": PriceListFileForm()})
    form = PriceListFileForm(request.POST, request.FILES)
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        content = uploaded.read()
        try:
            services.preview_price_list(request.staff.organiser, content, uploaded.name)  # refuses unreadable files
            upload = services.store_price_list_upload(
                organiser=request.staff.organiser, actor=request.user, file_bytes=content, filename=uploaded.name
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("price_list_import_preview", upload.pk)
    return render(request, "catalogue/price_list_import.html", {"form": form}, status=400)


@staff_required(*PRICE_LIST_EDITORS)
def price_list_import_preview(request, upload_id: int):
    upload = selectors.price_list_upload(request.staff.organiser_id, upload_id, request.user)
    try:
        preview = services.preview_price_list(request.staff.organiser, bytes(upload.content), upload.filename)
    except ValidationError as error:
        form = PriceListFileForm()
        form.add_error(None, error)
        return render(request, "catalogue/price_list_import.html", {"form": form}, status=400)
    return render(request, "catalogue/price_list_import_preview.html", {"upload": upload, "preview": preview})


@require_POST
@staff_required(*PRICE_LIST_EDITORS)
def price_list_import_confirm(request, upload_id: int):
    upload = selectors.price_list_upload(request.staff.organiser_id, upload_id, request.user)
    try:
        result = services.import_price_list_upload(
            upload=upload,
            actor=request.user,
            sha256=request.POST.get("sha256", ""),
            expected_fingerprint=request.POST.get("fingerprint", ""),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("price_list_import_preview", upload.pk)
    preview = result.preview
    if result.changed:
        messages.success(
            request,
            _(
                "The price list was imported. New services: %(new_services)s. Services with new details: "
                "%(changed_services)s. New prices: %(added)s. Changed prices: %(changed)s. Unchanged rows: %(unchanged)s."
            )
            % {
                "new_services": len(preview.new_services),
                "changed_services": len(preview.service_changes),
                "added": len(preview.additions),
                "changed": len(preview.changes),
                "unchanged": len(preview.unchanged),
            },
        )
    else:
        messages.info(request, _("Nothing changed: the price list already matches the file."))
    return redirect("price_list")
