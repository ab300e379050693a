from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import ProviderContact
from avain.organisations.models import Role, StaffMembership
from avain.organisations.selectors import staff_memberships
from avain.people.models import Client


def _who(user) -> dict:
    """In one query: whether the user works for an organiser or a provider, and the client they are, if any. Every
    page shows the navigation, so it must not cost a query per kind of user."""
    return (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            works_for_organiser=Exists(StaffMembership.objects.filter(user=OuterRef("pk"), active=True)),
            works_for_provider=Exists(ProviderContact.objects.filter(user=OuterRef("pk"))),
            client_id=Subquery(Client.objects.filter(user=OuterRef("pk")).values("pk")[:1]),
        )
        .values("works_for_organiser", "works_for_provider", "client_id")
        .get()
    )


def _navigation(request) -> list[dict]:
    user = request.user
    if not user.is_authenticated:
        return []
    who = _who(user)
    items: list[tuple[str, str]] = []
    roles = {m.role for m in staff_memberships(user)} if who["works_for_organiser"] else set()
    if roles & {Role.SOCIAL_WORKER, Role.APPROVER}:
        items.append((reverse("work_queue"), _("Work queue")))
    if roles & {Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE}:
        items.append((reverse("client_list"), _("Clients")))
    if Role.SOCIAL_WORKER in roles:
        items.append((reverse("follow_up_list"), _("Follow-up meetings")))
    if roles & {Role.SOCIAL_WORKER, Role.FINANCE}:
        items.append((reverse("invoice_approval"), _("Invoices waiting for approval")))
    if Role.SOCIAL_WORKER in roles:
        items += [
            (reverse("staff_time"), _("Time use")),
            (reverse("worker_diary"), _("My diary")),
            (reverse("staff_feedback"), _("Clients' feedback")),
        ]
    if roles & {Role.RESEARCHER, Role.ORGANISER_ADMIN}:
        items.append((reverse("research_studies"), _("Studies")))
    if Role.ORGANISER_ADMIN in roles:
        items.append((reverse("research_monitoring"), _("Monitoring")))
    if roles & {Role.FINANCE, Role.ORGANISER_ADMIN}:
        items.append((reverse("research_service_use"), _("Service use of control clients")))
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
        items += [
            (reverse("evaluation_instruments"), _("Questionnaires")),
            (reverse("timeuse_periods"), _("Time use periods")),
            (reverse("timeuse_rates"), _("Hourly cost rates")),
            (reverse("diary_prompts"), _("Diary questions")),
        ]
    if who["works_for_provider"]:
        items += [
            (reverse("provider_products"), _("My service products")),
            (reverse("provider_agreements"), _("My agreements with clients")),
            (reverse("provider_invoices"), _("My invoices")),
            (reverse("provider_imports"), _("Invoice files you have sent")),
        ]
    client_id = who["client_id"]
    if client_id is not None:
        items += [
            (reverse("portal_home", args=[client_id]), _("My HB")),
            (reverse("portal_plan", args=[client_id]), _("My support plan")),
            (reverse("portal_menu", args=[client_id]), _("Service menu")),
            (reverse("portal_network", args=[client_id]), _("My close people and helpers")),
            (reverse("portal_account", args=[client_id]), _("My budget")),
            (reverse("portal_agreements", args=[client_id]), _("My agreements")),
            (reverse("portal_invoices", args=[client_id]), _("Invoices and receipts")),
            (reverse("portal_questionnaires", args=[client_id]), _("My questionnaires")),
            (reverse("portal_meetings", args=[client_id]), _("My follow-up meetings")),
            (reverse("portal_access_log", args=[client_id]), _("Who has seen my data")),
        ]
    return [{"url": url, "label": label, "current": request.path == url} for url, label in items]


def shell(request):
    return {"nav": _navigation(request), "demo_mode": settings.AVAIN_DEMO}
