import functools
from html import escape

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info, gettext
from django.utils.translation import gettext_noop as _

from avain.catalogue.selectors import user_roles_sql
from avain.core.paths import path_maker
from avain.core.sql import fetch_one
from avain.organisations.models import Role
from avain.organisations.selectors import staff_memberships

_ROLES_SQL = f"SELECT {user_roles_sql('%s')}"
_WHO_SQL = f"{_ROLES_SQL}, (SELECT id FROM people_client WHERE user_id = %s)"


def _who(request, user) -> dict:
    """In one query: whether the user works for an organiser or a provider, and the client they are, if any. Every
    page shows the navigation, so it must not cost a query per kind of user, and it is plain SQL (see core.sql). On
    the client's own portal pages portal_access has read the client already (a user is at most one client), and the
    loader of a page opened often reads the user's roles with them (``user_roles``, see catalogue.user_roles_sql)."""
    pk = user.pk
    client = getattr(request, "client", None)
    if client is not None and client.user_id == pk:
        roles = getattr(client, "user_roles", None) or fetch_one(_ROLES_SQL, [pk, pk])
        (works_for_organiser, works_for_provider), client_id = roles, client.pk
    else:
        works_for_organiser, works_for_provider, client_id = fetch_one(_WHO_SQL, [pk, pk, pk])
    return {
        "works_for_organiser": bool(works_for_organiser),
        "works_for_provider": bool(works_for_provider),
        "client_id": client_id,
    }


# The navigation: (URL name, label, who sees it). The labels are marked with gettext_noop and translated once per
# language and process (_translation): the navigation is on every page, and looking up the active language and a
# translation for each of its texts cost more than the rest of the page shell.
SW, APPROVER, FINANCE, RESEARCHER, ADMIN = (
    Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE, Role.RESEARCHER, Role.ORGANISER_ADMIN,
)  # fmt: skip
_ORGANISER_ITEMS = (  # shown to staff with one of the roles
    ("work_queue", _("Work queue"), {SW, APPROVER}),
    ("client_list", _("Clients"), {SW, APPROVER, FINANCE}),
    ("follow_up_list", _("Follow-up meetings"), {SW}),
    ("invoice_approval", _("Invoices waiting for approval"), {SW, FINANCE}),
    ("staff_invoice_files", _("Invoice files"), {FINANCE}),
    ("staff_time", _("Time use"), {SW}),
    ("worker_diary", _("My diary"), {SW}),
    ("staff_feedback", _("Clients' feedback"), {SW}),
    ("research_studies", _("Studies"), {RESEARCHER, ADMIN}),
    ("research_monitoring", _("Monitoring"), {ADMIN}),
    ("research_service_use", _("Service use of control clients"), {FINANCE, ADMIN}),
    ("payments", _("Payments"), {FINANCE}),
    ("price_list", _("Price list"), {FINANCE, ADMIN, SW}),
    ("budget_rules", _("Budget rules"), {FINANCE, ADMIN, SW}),
    ("product_reviews", _("Products to publish"), {ADMIN}),
    ("provider_registrations", _("Provider registrations"), {ADMIN}),
    ("areas", _("Areas"), {ADMIN}),
    ("funding_rule", _("Funding rule"), {ADMIN}),
    ("payer_account", _("Bank account for payments"), {ADMIN}),
    ("evaluation_instruments", _("Questionnaires"), {ADMIN}),
    ("timeuse_periods", _("Time use periods"), {ADMIN}),
    ("timeuse_rates", _("Hourly cost rates"), {ADMIN}),
    ("diary_prompts", _("Diary questions"), {ADMIN}),
)
_PROVIDER_ITEMS = (  # shown to a provider's contact person
    ("provider_products", _("My service products")),
    ("provider_agreements", _("My agreements with clients")),
    ("provider_invoices", _("My invoices")),
    ("provider_imports", _("Invoice files you have sent")),
)
_CLIENT_ITEMS = (  # shown to a client, each a page of their own portal
    ("portal_home", _("My HB")),
    ("portal_plan", _("My support plan")),
    ("portal_menu", _("Service menu")),
    ("portal_network", _("My close people and helpers")),
    ("portal_account", _("My budget")),
    ("portal_agreements", _("My agreements")),
    ("portal_invoices", _("Invoices and receipts")),
    ("portal_questionnaires", _("My questionnaires")),
    ("portal_meetings", _("My follow-up meetings")),
    ("portal_access_log", _("Who has seen my data")),
)


def _navigation(request, path_for, language: str | None) -> list[dict]:
    user = request.user
    if not user.is_authenticated:
        return []
    who = _who(request, user)
    items: list[tuple[str, str]] = []
    if who["works_for_organiser"]:
        roles = {m.role for m in staff_memberships(user)}
        items += [(path_for(name), label) for name, label, shown_to in _ORGANISER_ITEMS if roles & shown_to]
    if who["works_for_provider"]:
        items += [(path_for(name), label) for name, label in _PROVIDER_ITEMS]
    client_id = who["client_id"]
    if client_id is not None:
        items += [(path_for(name, client_id), label) for name, label in _CLIENT_ITEMS]
    return [
        {"url": url, "label": _translation(language, label), "current": request.path == url} for url, label in items
    ]


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
    _header_texts.cache_clear()


def _nav_items(nav: list[dict]) -> str:
    """The navigation's list items, as base.html shows them; the current page's link says so to screen readers."""
    current = ' aria-current="page"'
    return mark_safe(
        "".join(
            f'<li><a href="{escape(item["url"])}"{current if item["current"] else ""}>{escape(item["label"])}</a></li>'
            for item in nav
        )
    )


@functools.cache
def _header_texts(language: str | None) -> dict[str, str]:
    return {  # in ``language``: the caller passes the active language
        "language": escape(gettext("Language")),
        "change_language": escape(gettext("Change language")),
        "sign_out": escape(gettext("Sign out")),
    }


def _header_tools(request, path_for, language: str | None) -> str:
    """The header's forms: the language menu, and who is signed in with the button to sign out. Written here rather
    than in base.html, as the navigation's items are: they are a third of the page shell's tags."""
    texts = _header_texts(language)
    token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'
    button = 'type="submit" class="button button--small button--secondary"'
    html = (
        f'<form action="{escape(path_for("set_language"))}" method="post" class="language-form">\n'
        f"        {token}\n"
        f'        <input name="next" type="hidden" value="{escape(request.get_full_path())}">\n'
        f'        <label for="language-select">{texts["language"]}</label>\n'
        '        <select id="language-select" name="language">\n'
        f"          {_language_options(language)}\n"
        "        </select>\n"
        f'        <button {button}>{texts["change_language"]}</button>\n'
        "      </form>"
    )
    user = request.user
    if user.is_authenticated:
        html += (
            f'\n      <span class="signed-in-as">{escape(str(user.get_full_name() or user.username))}</span>\n'
            f'      <form action="{escape(path_for("logout"))}" method="post">{token}<button {button}>'
            f'{texts["sign_out"]}</button></form>'
        )
    return mark_safe(html)


def shell(request):
    """The page shell's context: the paths it links to (reversed once per process), the navigation (``nav`` as data,
    ``nav_items`` as its HTML), the language menu's options (written here, see above), and whether this is a demo
    installation."""
    path_for, language = path_maker(), get_language()
    nav = _navigation(request, path_for, language)
    return {
        "shell_links": {
            "home": path_for("home"),
            "stylesheet": _static_path("avain/avain.css"),
            "icon": _static_path("avain/favicon.svg"),
        },
        "nav": nav,
        "nav_items": _nav_items(nav),
        "header_tools": _header_tools(request, path_for, language),
        "demo_mode": settings.AVAIN_DEMO,
    }
