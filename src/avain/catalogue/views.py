"""The price list (finance and administrators import it, social workers read it), the providers' registration and
their products, and the organiser's review that publishes products into the service menu."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from avain.core.feedback import show_errors
from avain.core.clock import today
from avain.organisations.access import staff_required
from avain.organisations.models import Organiser, Role

from . import selectors, services
from .access import provider_required
from .forms import AreaForm, PriceListFileForm, PriceListFilterForm, ProductForm, ProviderRegistrationForm, ReasonForm
from .models import ProductStatus

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



# --- A provider registers -------------------------------------------------------------------------------------------


def provider_register_start(request):
    """Public: the provider chooses the organiser it wants to serve."""
    return render(request, "catalogue/provider_register_start.html", {"organisers": Organiser.objects.order_by("name")})


def provider_register(request, organiser_code: str):
    organiser = get_object_or_404(Organiser, code=organiser_code)
    form = ProviderRegistrationForm(request.POST or None, organiser_id=organiser.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.register_provider(
                organiser=organiser,
                registration=services.Registration(
                    name=data["name"],
                    business_id=data["business_id"],
                    kind=data["kind"],
                    iban=data["iban"],
                    email=data["email"],
                    phone=data["phone"],
                    areas=list(data["areas"]),
                    languages=list(data["languages"]),
                    contact_first_name=data["contact_first_name"],
                    contact_last_name=data["contact_last_name"],
                    password=data["password"],
                ),
            )
        except ValidationError as error:
            _add_model_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Thank you. Your registration is saved and the organiser will check it. Sign in now to set up "
                    "your sign-in app and to write your service products."
                ),
            )
            return redirect("login")
    status = 400 if request.method == "POST" else 200
    return render(request, "catalogue/provider_register.html", {"organiser": organiser, "form": form}, status=status)


def _add_model_errors(form, error: ValidationError) -> None:
    """Put a model's field errors next to the form's fields of the same name, the rest on top of the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- The provider's products ------------------------------------------------------------------------------------


@provider_required
def provider_products(request):
    return render(
        request,
        "catalogue/provider_products.html",
        {"provider": request.provider, "products": selectors.products_of_provider(request.provider)},
    )


def _details(data: dict) -> services.ProductDetails:
    return services.ProductDetails(
        name=data["name"],
        summary=data["summary"],
        description=data["description"],
        category=data["category"],
        unit=data["unit"],
        unit_price=data["unit_price"],
        target_groups=list(data["target_groups"]),
        where=data["where"],
        when=data["when"],
        accessibility=data["accessibility"],
        areas=list(data["areas"]),
        languages=list(data["languages"]),
    )


def _product_initial(product) -> dict:
    fields = ("name", "summary", "description", "category", "unit", "unit_price", "target_groups", "where", "when")
    initial = {name: getattr(product, name) for name in fields}
    initial.update(accessibility=product.accessibility, areas=product.areas.all(), languages=product.languages.all())
    return initial


@provider_required
def provider_product(request, product_id: int | None = None):
    """Write a new product, or change, send, or withdraw one of the provider's own."""
    provider = request.provider
    product = selectors.product_of_provider(provider, product_id) if product_id else None
    if product is None:
        initial = {"areas": provider.areas.all(), "languages": provider.languages.all()}
    else:
        initial = _product_initial(product)
    editable = product is None or product.is_editable
    action = request.POST.get("action", "save")
    form = ProductForm(
        request.POST if request.method == "POST" and action in ("save", "propose") else None,
        initial=initial,
        organiser_id=provider.organiser_id,
    )
    if request.method == "POST":
        try:
            if action == "withdraw" and product is not None:
                services.withdraw_product(product=product)
                messages.success(request, _("The product is withdrawn from the service menu."))
                return redirect("provider_products")
            if not editable:
                raise ValidationError(
                    _("A product that is waiting for the organiser or published cannot be changed."),
                    code="product_frozen",
                )
            if form.is_valid():
                product = services.save_product(provider=provider, details=_details(form.cleaned_data), product=product)
                if action == "propose":
                    services.propose_product(product=product)
                    messages.success(request, _("The product is sent to the organiser. You will see here when it is published."))
                    return redirect("provider_products")
                messages.success(request, _("The product is saved as a draft."))
                return redirect("provider_product", product.pk)
        except ValidationError as error:
            if editable and form.is_bound:
                _add_model_errors(form, error)
            else:  # the page shows no form to put the error on
                show_errors(request, error)
    return render(
        request,
        "catalogue/provider_product.html",
        {
            "provider": provider,
            "product": product,
            "form": form if editable else None,
            "last_review": product.reviews.first() if product else None,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- The organiser checks registrations and products --------------------------------------------------------------

REVIEWERS = (Role.ORGANISER_ADMIN,)


@staff_required(*REVIEWERS)
def provider_registrations(request):
    return render(
        request,
        "catalogue/provider_registrations.html",
        {"providers": selectors.pending_registrations(request.staff.organiser_id), "form": ReasonForm()},
    )


@require_POST
@staff_required(*REVIEWERS)
def provider_registration_decide(request, provider_id: int):
    provider = get_object_or_404(selectors.pending_registrations(request.staff.organiser_id), pk=provider_id)
    form = ReasonForm(request.POST)
    if request.POST.get("decision") not in ("approve", "refuse"):
        return HttpResponseBadRequest()
    approve = request.POST.get("decision") == "approve"
    if form.is_valid():
        try:
            services.decide_registration(
                provider=provider, actor=request.user, approve=approve, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            show_errors(request, error)
        else:
            messages.success(
                request,
                _("%(name)s is approved.") % {"name": provider.name}
                if approve
                else _("%(name)s is refused.") % {"name": provider.name},
            )
    return redirect("provider_registrations")


@staff_required(*REVIEWERS)
def product_reviews(request):
    return render(
        request, "catalogue/product_reviews.html", {"products": selectors.products_waiting_review(request.staff.organiser_id)}
    )


@staff_required(*REVIEWERS)
def product_review(request, product_id: int):
    product = selectors.product_for_review(request.staff.organiser_id, product_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and request.POST.get("decision") not in ("publish", "return"):
        return HttpResponseBadRequest()
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("decision") == "publish"
        try:
            services.review_product(
                product=product, reviewer=request.user, publish=publish, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The product is published in the service menu.")
                if publish
                else _("The product is returned to the provider."),
            )
            return redirect("product_reviews")
    return render(
        request,
        "catalogue/product_review.html",
        {"product": product, "form": form, "waiting": product.status == ProductStatus.PROPOSED},
        status=400 if form.errors else 200,
    )


@staff_required(*REVIEWERS)
def areas(request):
    """The organiser's areas: providers say which they serve and clients search the menu by them."""
    form = AreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            area = services.add_area(organiser=request.staff.organiser, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s is added to the areas.") % {"name": area.name})
            return redirect("areas")
    return render(
        request,
        "catalogue/areas.html",
        {"areas": selectors.areas_of(request.staff.organiser_id), "form": form},
        status=400 if form.errors else 200,
    )
