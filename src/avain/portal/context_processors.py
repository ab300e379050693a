import functools
from html import escape

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info, gettext
from django.utils.translation import gettext_noop as _

from avain.core.paths import path_for
from avain.core.sql import fetch_one
from avain.organisations.models import Role
from avain.organisations.selectors import staff_memberships

_WHO_SQL = """
    SELECT EXISTS (SELECT 1 FROM organisations_staffmembership WHERE user_id = %s AND active = %s),
           EXISTS (SELECT 1 FROM catalogue_providercontact WHERE user_id = %s),
           (SELECT id FROM people_client WHERE user_id = %s)"""


def _who(user) -> dict:
    """In one query: whether the user works for an organiser or a provider, and the client they are, if any. Every
    page shows the navigation, so it must not cost a query per kind of user, and it is plain SQL (see core.sql)."""
    works_for_organiser, works_for_provider, client_id = fetch_one(_WHO_SQL, [user.pk, True, user.pk, user.pk])
    return {
        "works_for_organiser": bool(works_for_organiser),
        "works_for_provider": bool(works_for_provider),
        "client_id": client_id,
    }


def _navigation(request) -> list[dict]:
    user = request.user
    if not user.is_authenticated:
        return []
    who = _who(user)
    items: list[tuple[str, str]] = []
    roles = {m.role for m in staff_memberships(user)} if who["works_for_organiser"] else set()
    if roles & {Role.SOCIAL_WORKER, Role.APPROVER}:
        items.append((path_for("work_queue"), _("Work queue")))
    if roles & {Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE}:
        items.append((path_for("client_list"), _("Clients")))
    if Role.SOCIAL_WORKER in roles:
        items.append((path_for("follow_up_list"), _("Follow-up meetings")))
    if roles & {Role.SOCIAL_WORKER, Role.FINANCE}:
        items.append((path_for("invoice_approval"), _("Invoices waiting for approval")))
    if Role.SOCIAL_WORKER in roles:
        items += [
            (path_for("staff_time"), _("Time use")),
            (path_for("worker_diary"), _("My diary")),
            (path_for("staff_feedback"), _("Clients' feedback")),
        ]
    if roles & {Role.RESEARCHER, Role.ORGANISER_ADMIN}:
        items.append((path_for("research_studies"), _("Studies")))
    if Role.ORGANISER_ADMIN in roles:
        items.append((path_for("research_monitoring"), _("Monitoring")))
    if roles & {Role.FINANCE, Role.ORGANISER_ADMIN}:
        items.append((path_for("research_service_use"), _("Service use of control clients")))
    if Role.FINANCE in roles:
        items.append((path_for("payments"), _("Payments")))
    if roles & {Role.FINANCE, Role.ORGANISER_ADMIN, Role.SOCIAL_WORKER}:
        items.append((path_for("price_list"), _("Price list")))
        items.append((path_for("budget_rules"), _("Budget rules")))
    if Role.ORGANISER_ADMIN in roles:
        items.append((path_for("product_reviews"), _("Products to publish")))
        items.append((path_for("provider_registrations"), _("Provider registrations")))
        items.append((path_for("areas"), _("Areas")))
        items.append((path_for("funding_rule"), _("Funding rule")))
        items.append((path_for("payer_account"), _("Bank account for payments")))
        items += [
            (path_for("evaluation_instruments"), _("Questionnaires")),
            (path_for("timeuse_periods"), _("Time use periods")),
            (path_for("timeuse_rates"), _("Hourly cost rates")),
            (path_for("diary_prompts"), _("Diary questions")),
        ]
    if who["works_for_provider"]:
        items += [
            (path_for("provider_products"), _("My service products")),
            (path_for("provider_agreements"), _("My agreements with clients")),
            (path_for("provider_invoices"), _("My invoices")),
            (path_for("provider_imports"), _("Invoice files you have sent")),
        ]
    client_id = who["client_id"]
    if client_id is not None:
        items += [
            (path_for("portal_home", client_id), _("My HB")),
            (path_for("portal_plan", client_id), _("My support plan")),
            (path_for("portal_menu", client_id), _("Service menu")),
            (path_for("portal_network", client_id), _("My close people and helpers")),
            (path_for("portal_account", client_id), _("My budget")),
            (path_for("portal_agreements", client_id), _("My agreements")),
            (path_for("portal_invoices", client_id), _("Invoices and receipts")),
            (path_for("portal_questionnaires", client_id), _("My questionnaires")),
            (path_for("portal_meetings", client_id), _("My follow-up meetings")),
            (path_for("portal_access_log", client_id), _("Who has seen my data")),
        ]
    language = get_language()
    return [
        {"url": url, "label": _translation(language, label), "current": request.path == url} for url, label in items
    ]


# The navigation's labels are marked with gettext_noop above and translated here once per language and process, as
# is the language menu: the navigation is on every page, and looking up the active language and a translation for
# each of its texts cost more than the rest of the page shell.


@functools.cache
def _translation(language: str | None, message: str) -> str:
    return gettext(message)  # in ``language``: the caller passes the active language


@functools.cache
def _language_options(language: str | None) -> str:
    """The language menu's options, the active language selected; each language named in itself."""
    options = []
    for code, _name in settings.LANGUAGES:
        selected = " selected" if code == language else ""
        name = escape(capfirst(get_language_info(code)["name_local"]))
        options.append(f'<option value="{escape(code)}" lang="{escape(code)}"{selected}>{name}</option>')
    return "".join(options)


@functools.cache
def _static_path(path: str) -> str:
    return static(path)


@receiver(setting_changed)
def _forget_translations(**kwargs) -> None:
    _translation.cache_clear()  # a test that changes the languages, the catalogues or STATIC_URL gets fresh ones
    _language_options.cache_clear()
    _static_path.cache_clear()


def _nav_items(nav: list[dict]) -> str:
    """The navigation's list items, as base.html shows them; the current page's link says so to screen readers."""
    current = ' aria-current="page"'
    return mark_safe(
        "".join(
            f'<li><a href="{escape(item["url"])}"{current if item["current"] else ""}>{escape(item["label"])}</a></li>'
            for item in nav
        )
    )


def shell(request):
    """The page shell's context: the paths it links to (reversed once per process), the navigation (``nav`` as data,
    ``nav_items`` as its HTML), the language menu's options (written here, see above), and whether this is a demo
    installation."""
    nav = _navigation(request)
    return {
        "shell_links": {
            "home": path_for("home"),
            "set_language": path_for("set_language"),
            "logout": path_for("logout"),
            "stylesheet": _static_path("avain/avain.css"),
            "icon": _static_path("avain/favicon.svg"),
        },
        "nav": nav,
        "nav_items": _nav_items(nav),
        "language_options": mark_safe(_language_options(get_language())),
        "demo_mode": settings.AVAIN_DEMO,
    }
