from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from avain.core import clock
from avain.core.paths import path_maker
from avain.core.money import round_money
from avain.core.templatetags.avain import euros
from avain.core.periods import Period
from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.organisations.selectors import CLIENT_DATA_ROLES
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry
from avain.planning import selectors as planning_selectors
from avain.planning.access import case_for_staff
from avain.planning.decision_document import decision_filename, decision_pdf
from avain.planning.forms import PeriodForm
from avain.planning.models import CaseStatus

from . import selectors, services
from .account_page import AccountFigures, balance_html, client_page
from .forecast import ForecastInput, forecast

WHAT = AccessLogEntry.What


@staff_required(Role.SOCIAL_WORKER)
def case_decision(request, case_id: int):
    """The worker makes the decision that grants the approved plan's budget; the account opens with it."""
    case = case_for_staff(request, case_id, WHAT.DECISION)
    if case.status != CaseStatus.APPROVED:
        if hasattr(case, "decision"):
            return redirect("case_account", case.pk)
        raise Http404
    form = PeriodForm(request.POST or None, initial={"period_start": case.period_start, "period_end": case.period_end})
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_budget(
                case=case,
                decided_by=request.user,
                period=Period(form.cleaned_data["period_start"], form.cleaned_data["period_end"]),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The decision is made and the budget account is open."))
            return redirect("case_account", case.pk)
    plan = case.plans.filter(status="approved").first()
    return render(
        request,
        "accounts/case_decision.html",
        {
            "case": case,
            "client": case.client,
            "form": form,
            "plan": plan,
            "plan_lines": plan.lines.all() if plan else [],
            "budget": planning_selectors.budget_explanation(case),
        },
    )


def _account_figures(
    overview: selectors.AccountOverview, activity: selectors.AccountActivity, **links
) -> AccountFigures:
    """Everything the account pages show, in a fixed number of queries however long the account's history is."""
    account = overview.account
    outlook = forecast(
        ForecastInput(
            period_start=account.period_start,
            period_end=account.period_end,
            today=clock.today(),
            planned_total=overview.planned,
            spent=overview.spent,
            committed=overview.committed,
            warning_percent=account.warning_percent,
        )
    )
    schedule = selectors.instalment_schedule(account) if account.instalments > 1 else selectors.NO_SCHEDULE
    return AccountFigures(
        overview=overview,
        forecast=outlook,
        months=activity.months,
        invoice_list=activity.invoice_list,
        next_instalment=selectors.next_instalment(overview, schedule),
        **links,
    )


@staff_required(*CLIENT_DATA_ROLES)
def case_account(request, case_id: int):
    case = case_for_staff(request, case_id, WHAT.ACCOUNT)
    account = selectors.account_for_case(case)
    if account is None:
        raise Http404
    links = [(reverse("case_agreements", args=[case.pk]), _("Agreements with providers"))]
    overview = selectors.account_overview(account)
    figures = _account_figures(
        overview,
        selectors.account_activity(account, overview.planned),
        statement_csv_url=reverse("case_statement_csv", args=[case.pk]),
        statement_xlsx_url=reverse("case_statement_xlsx", args=[case.pk]),
        account_links=links if request.staff.role == Role.SOCIAL_WORKER else [],
    )
    return render(
        request,
        "accounts/case_account.html",
        {
            "case": case,
            "client": case.client,
            "balance": balance_html(figures, audience="staff"),
            # As decided: read from the decision's snapshot, so later price or rule changes never alter it.
            "budget": planning_selectors.decision_budget_explanation(account.decision),
        },
    )


@portal_access(WHAT.ACCOUNT, load=selectors.client_with_account)
def portal_account(request, client, overview, activity):
    """The client's budget account. The page clients open most, so it costs little more than any page: the client,
    the account's lines, the monthly sums and the invoices are read in one query (client_with_account), its paths are
    reversed once per process (path_maker) and it is written in Python (account_page), put straight into the page
    shell."""
    path_for = path_maker()
    figures = None
    if overview is not None:
        figures = _account_figures(
            overview,
            activity,
            statement_csv_url=path_for("portal_statement_csv", client.pk),
            statement_xlsx_url=path_for("portal_statement_xlsx", client.pk),
            account_links=[
                (path_for("portal_agreements", client.pk), _("Agreements with providers")),
                (path_for("portal_invoices", client.pk), _("Invoices and receipts")),
                (path_for("portal_receipt_new", client.pk), _("Send a receipt")),
            ],
        )
    page = client_page(
        figures,
        decision_pdf_url=path_for("portal_decision_pdf", client.pk),
        budget_explanation_url=path_for("portal_budget_explanation", client.pk),
    )
    # The page shell itself, given the page's title and content (no template of its own to extend it).
    return render(request, "base.html", {"client": client, "page_title": page.title, "page_content": page.content})


@portal_access(WHAT.ACCOUNT)
def portal_budget_explanation(request, client):
    """How the client's budget was counted, as decided. A page of its own, linked from the account page: the
    account page is opened often and needs only the figures, this table is long and read now and then."""
    account = selectors.account_for_client(client)
    if account is None:
        raise Http404
    return render(
        request,
        "accounts/portal_budget_explanation.html",
        {
            "client": client,
            # As decided: read from the decision's snapshot, so later price or rule changes never alter it.
            "budget": planning_selectors.decision_budget_explanation(account.decision),
        },
    )


def _decision_pdf_response(decision) -> HttpResponse:
    response = HttpResponse(decision_pdf(decision), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{decision_filename(decision)}"'
    # The decision holds the client's identity code: no cache on the way may keep a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


@staff_required(*CLIENT_DATA_ROLES)
def case_decision_pdf(request, case_id: int):
    """The decision as the client received it, in the client's language (Finnish or Swedish)."""
    case = case_for_staff(request, case_id, WHAT.DECISION)
    decision = getattr(case, "decision", None)
    if decision is None:
        raise Http404
    return _decision_pdf_response(decision)


@portal_access(WHAT.DECISION)
def portal_decision_pdf(request, client):
    decision = planning_selectors.decision_for_client(client)
    if decision is None:
        raise Http404
    return _decision_pdf_response(decision)
