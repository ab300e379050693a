"""The service menu as the client (or someone the client has let in) reads it, and adding a product to the plan."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from avain.catalogue import selectors as catalogue
from avain.catalogue.forms import MY_NEEDS, MenuSearchForm
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry

from . import selectors, services
from .forms import AddProductForm
from .models import CaseStatus

WHAT = AccessLogEntry.What
PAGE_SIZE = 20


def _search(form: MenuSearchForm, case) -> catalogue.MenuSearch | None:
    """What the client looks for. A filter given wrong is shown with its error and left out; the others still
    narrow the search. None when nothing can match: "matches my needs" before any needs are assessed."""
    if not form.is_bound:
        return catalogue.MenuSearch()
    form.is_valid()
    data = form.cleaned_data  # only the fields that were given right
    need = data.get("need") or ""
    if need == MY_NEEDS:
        categories = tuple(case.needs.values_list("service__category", flat=True).distinct()) if case else ()
        if not categories:
            return None
    else:
        categories = (need,) if need else ()
    return catalogue.MenuSearch(
        text=data.get("text") or "",
        categories=categories,
        area=data.get("area"),
        language=data.get("language"),
        max_price=data.get("max_price"),
        provider_kind=data.get("provider_kind") or "",
    )


@portal_access(WHAT.PLAN)
def portal_menu(request, client):
    case = selectors.current_case(client)
    form = MenuSearchForm(request.GET or None, organiser_id=client.organiser_id)
    search = _search(form, case)
    products = catalogue.menu_products(client.organiser_id, search or catalogue.MenuSearch())
    if search is None:
        products = products.none()
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "planning/portal_menu.html",
        {"client": client, "case": case, "form": form, "page": page, "query": query.urlencode()},
    )


def _draft_to_add_to(request, case):
    """The plan a product can be added to now, or None with the reason the client reads instead."""
    if case is None or case.status != CaseStatus.PLANNING:
        return None, _("You can add services to your plan when you are writing your support plan.")
    if request.delegation is not None and request.delegation.access != "edit":
        return None, _("You may read this client's plan but not change it.")
    plan = selectors.latest_plan(case)
    if plan is None or not plan.is_editable:
        return None, _("Your plan has been sent. You can add services if your social worker returns it to you.")
    return plan, ""


@portal_access(WHAT.PLAN, edit=True)
def portal_menu_product(request, client, product_id: int):
    product = catalogue.menu_product(client.organiser_id, product_id)
    case = selectors.current_case(client)
    plan, cannot_add = _draft_to_add_to(request, case)
    form = AddProductForm(request.POST or None, product=product)
    if request.method == "POST" and plan is not None and form.is_valid():
        try:
            services.add_product_to_plan(
                plan=plan, actor=request.user, product=product, quantity=form.cleaned_data["quantity"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s is now in your plan.") % {"name": product.name})
            return redirect("portal_plan", client.pk)
    return render(
        request,
        "planning/portal_menu_product.html",
        {
            "client": client,
            "product": product,
            "plan": plan,
            "cannot_add": cannot_add,
            "form": form,
            "left": case.budget_total - selectors.plan_total(plan) if plan else None,
        },
        # A POST that added nothing (bad quantity, over the budget, or no plan to add to) is refused.
        status=400 if request.method == "POST" else 200,
    )
