from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from avain.core import clock
from avain.core.money import round_money
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


# The monthly chart's drawing area, in SVG user units; the SVG scales to the page's width.
CHART_WIDTH, CHART_HEIGHT = 720, 280
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 84, 12, 40, 36


def _spending_chart(months: list[selectors.MonthSpending]) -> dict:
    """Where the bars (spent per month) and the even-pace line go. Drawn on the server, so it needs no JavaScript;
    the same figures are in the table beside it for screen readers and for anyone who prefers numbers."""
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    top = max([m.spent for m in months] + [m.pace for m in months] + [Decimal(1)])
    slot = Decimal(plot_width) / max(len(months), 1)
    baseline = CHART_TOP + plot_height

    def y_of(amount: Decimal) -> Decimal:
        return round(baseline - max(amount, Decimal(0)) * plot_height / top, 1)

    bars, pace = [], []
    for k, month in enumerate(months):
        x = CHART_LEFT + slot * k
        y = y_of(month.spent)
        bars.append(
            {
                "x": round(x + slot * Decimal("0.15"), 1),
                "width": round(slot * Decimal("0.7"), 1),
                "y": y,
                "height": round(baseline - y, 1),
                "label_x": round(x + slot / 2, 1),
                "month": month.month,
            }
        )
        pace.append(f"{'M' if k == 0 else 'L'}{round(x, 1)} {y_of(month.pace)} H{round(x + slot, 1)}")
    ticks = [
        {"y": y_of(top * share), "amount": round_money(top * share)}
        for share in (Decimal(0), Decimal("0.5"), Decimal(1))
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "baseline": baseline,
        "label_y": baseline + 22,
        "bars": bars,
        "pace_path": " ".join(pace),
        "ticks": ticks,
    }


def _account_context(account) -> dict:
    """Everything the account pages show, in a fixed number of queries however long the account's history is."""
    overview = selectors.account_overview(account)
    today = clock.today()
    outlook = forecast(
        ForecastInput(
            period_start=account.period_start,
            period_end=account.period_end,
            today=today,
            planned_total=overview.planned,
            spent=overview.spent,
            committed=overview.committed,
            warning_percent=account.warning_percent,
        )
    )
    months = selectors.monthly_spending(account, overview.planned)
    schedule = selectors.instalment_schedule(account) if account.instalments > 1 else []
    return {
        "account": account,
        "overview": overview,
        "forecast": outlook,
        "warnings": set(outlook.warnings),
        "today": today,
        "months": months,
        "chart": _spending_chart(months),
        "next_instalment": selectors.next_instalment(overview, schedule),
        "invoice_list": selectors.invoices_of(account),
        # As decided: read from the decision's snapshot, so later price or rule changes never alter it.
        "budget": planning_selectors.decision_budget_explanation(account.decision),
    }


@staff_required(*CLIENT_DATA_ROLES)
def case_account(request, case_id: int):
    case = case_for_staff(request, case_id, WHAT.ACCOUNT)
    account = selectors.account_for_case(case)
    if account is None:
        raise Http404
    return render(
        request,
        "accounts/case_account.html",
        {
            "case": case,
            "client": case.client,
            **_account_context(account),
            "statement_csv_url": reverse("case_statement_csv", args=[case.pk]),
            "statement_xlsx_url": reverse("case_statement_xlsx", args=[case.pk]),
            "account_links": [
                {"url": reverse("case_agreements", args=[case.pk]), "label": _("Agreements with providers")}
            ]
            if request.staff.role == Role.SOCIAL_WORKER
            else [],
        },
    )


@portal_access(WHAT.ACCOUNT)
def portal_account(request, client):
    account = selectors.account_for_client(client)
    context = {"client": client, "account": None}
    if account is not None:
        context.update(
            _account_context(account),
            statement_csv_url=reverse("portal_statement_csv", args=[client.pk]),
            statement_xlsx_url=reverse("portal_statement_xlsx", args=[client.pk]),
            account_links=[
                {"url": reverse("portal_agreements", args=[client.pk]), "label": _("Agreements with providers")},
                {"url": reverse("portal_invoices", args=[client.pk]), "label": _("Invoices and receipts")},
                {"url": reverse("portal_receipt_new", args=[client.pk]), "label": _("Send a receipt")},
            ],
        )
    return render(request, "accounts/portal_account.html", context)


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
