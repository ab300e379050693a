from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from avain.catalogue.selectors import provider_of_user
from avain.organisations.models import Role
from avain.organisations.selectors import staff_memberships
from avain.people.selectors import client_of_user


def _navigation(request) -> list[dict]:
    user = request.user
    if not user.is_authenticated:
        return []
    items: list[tuple[str, str]] = []
    roles = {m.role for m in staff_memberships(user)}
    if roles & {Role.SOCIAL_WORKER, Role.APPROVER}:
        items.append((reverse("work_queue"), _("Work queue")))
    if roles & {Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE}:
        items.append((reverse("client_list"), _("Clients")))
    if Role.SOCIAL_WORKER in roles:
        items.append((reverse("follow_up_list"), _("Follow-up meetings")))
    if roles & {Role.SOCIAL_WORKER, Role.FINANCE}:
        items.append((reverse("invoice_approval"), _("Invoices waiting for approval")))
    if Role.FINANCE in roles:
        items.append((reverse("payments"), _("Payments")))
    if roles & {Role.FINANCE, Role.ORGANISER_ADMIN, Role.SOCIAL_WORKER}:
        items.append((reverse("price_list"), _("Price list")))
        items.append((reverse("budget_rules"), _("Budget rules")))
    if Role.ORGANISER_ADMIN in roles:
        items.append((reverse("product_reviews"), _("Products to publish")))
        items.append((reverse("provider_registrations"), _("Provider registrations")))
        items.append((reverse("areas"), _("Areas")))
        items.append((reverse("funding_rule"), _("Funding rule")))
        items.append((reverse("payer_account"), _("Bank account for payments")))
    if provider_of_user(user) is not None:
        items += [
            (reverse("provider_products"), _("My service products")),
            (reverse("provider_agreements"), _("My agreements with clients")),
            (reverse("provider_invoices"), _("My invoices")),
            (reverse("provider_imports"), _("Invoice files you have sent")),
        ]
    client = client_of_user(user)
    if client is not None:
        items += [
            (reverse("portal_home", args=[client.pk]), _("My HB")),
            (reverse("portal_plan", args=[client.pk]), _("My support plan")),
            (reverse("portal_menu", args=[client.pk]), _("Service menu")),
            (reverse("portal_network", args=[client.pk]), _("My close people and helpers")),
            (reverse("portal_account", args=[client.pk]), _("My budget")),
            (reverse("portal_agreements", args=[client.pk]), _("My agreements")),
            (reverse("portal_invoices", args=[client.pk]), _("Invoices and receipts")),
            (reverse("portal_meetings", args=[client.pk]), _("My follow-up meetings")),
            (reverse("portal_access_log", args=[client.pk]), _("Who has seen my data")),
        ]
    return [{"url": url, "label": label, "current": request.path == url} for url, label in items]


def shell(request):
    return {"nav": _navigation(request), "demo_mode": settings.AVAIN_DEMO}
