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


def _spending_chart(months: list[selectors.MonthSpending]) -> SafeString:
    """The monthly chart as SVG: bars for what was spent each month and a dashed line for the even pace. Drawn on
    the server, so it needs no JavaScript; the same figures are in the table beside it for screen readers and for
    anyone who prefers numbers. Written here in one pass rather than with template tags, because a tag per bar and
    coordinate made it the slowest part of the account page; every text in it is escaped by format_html."""
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    top = max([m.spent for m in months] + [m.pace for m in months] + [Decimal(1)])
    slot = Decimal(plot_width) / max(len(months), 1)
    baseline = CHART_TOP + plot_height
    left, right, label_y = CHART_LEFT, CHART_WIDTH - CHART_RIGHT, baseline + 22

    def y_of(amount: Decimal) -> Decimal:
        return round(baseline - max(amount, Decimal(0)) * plot_height / top, 1)

    parts, pace = [], []
    for share in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = y_of(top * share)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#c8c8c8" stroke-width="1"/>\n'
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
                left, right, y, y, left - 6, y, euros(round_money(top * share)),
            )
        )  # fmt: skip
    for k, month in enumerate(months):
        x = CHART_LEFT + slot * k
        y = y_of(month.spent)
        # Only numbers here (coordinates, the month and the year), which need no escaping: a bar per month, so
        # plain formatting keeps the chart cheap however long the period.
        parts.append(
            f'<rect x="{round(x + slot * Decimal("0.15"), 1)}" y="{y}" width="{round(slot * Decimal("0.7"), 1)}" '
            f'height="{round(baseline - y, 1)}" fill="#00347a"/>\n'
            f'<text x="{round(x + slot / 2, 1)}" y="{label_y}" text-anchor="middle">'
            f"{month.month.month}/{month.month:%y}</text>"
        )
        pace.append(f"{'M' if k == 0 else 'L'}{round(x, 1)} {y_of(month.pace)} H{round(x + slot, 1)}")
    legend = format_html(
        '<path d="{}" fill="none" stroke="#8a5a00" stroke-width="3" stroke-dasharray="8 5"/>\n'
        '<rect x="{}" y="8" width="14" height="14" fill="#00347a"/>\n'
        '<text x="{}" y="15" dominant-baseline="middle">{}</text>\n'
        '<line x1="{}" x2="{}" y1="15" y2="15" stroke="#8a5a00" stroke-width="3" stroke-dasharray="8 5"/>\n'
        '<text x="{}" y="15" dominant-baseline="middle">{}</text>',
        " ".join(pace), left, left + 20, _("Spent"), left + 140, left + 170, left + 176, _("Even pace"),
    )  # fmt: skip
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="chart-title chart-desc" '
        'focusable="false" data-testid="chart">\n'
        '<title id="chart-title">{}</title>\n<desc id="chart-desc">{}</desc>\n'
        '<g aria-hidden="true" font-size="13" fill="#1b1b1b">\n{}\n{}\n</g>\n</svg>',
        CHART_WIDTH, CHART_HEIGHT,
        _("Money spent each month compared with an even pace"),
        _(
            "Bars show the money spent each month. The dashed line shows how much would be spent each month if the "
            "budget were used evenly over the period. The same figures are in the table below."
        ),
        mark_safe("\n".join(parts)),  # the ticks were escaped by format_html, the bars are numbers only
        legend,
    )  # fmt: skip


# The account pages' table bodies are written here in one pass, as the chart is: a template loop with a filter per
# cell cost more than everything else on the page. format_html escapes every value.


def _line_rows(overview: selectors.AccountOverview) -> SafeString:
    closed = format_html(' <span class="status">{}</span>', _("closed"))
    cell = '<td class="num">{}</td>'
    return mark_safe(
        "".join(
            format_html(
                '<tr><th scope="row">{}{}</th>{}' + cell * 5 + "</tr>",
                line.description, "" if line.is_open else closed,
                format_html(cell, euros(line.planned_for_period)) if overview.in_instalments else "",
                euros(line.granted), euros(line.committed), euros(line.spent), euros(line.paid), euros(line.left),
            )
            for line in overview.lines
        )
    )  # fmt: skip


def _month_rows(months: list[selectors.MonthSpending]) -> SafeString:
    return format_html_join(
        "",
        '<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{}</td></tr>',
        ((capfirst(date_format(m.month, "F Y")), euros(m.spent), euros(m.pace)) for m in months),
    )


def _invoice_rows(invoices) -> SafeString:
    if not invoices:
        return format_html('<tr><td colspan="5">{}</td></tr>', _("No invoices yet."))
    receipt = _("Receipt")
    return format_html_join(
        "",
        '<tr><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td><span class="status">{}</span></td></tr>',
        (
            (
                date_format(invoice.invoice_date, "SHORT_DATE_FORMAT"),
                receipt if invoice.provider_name is None else invoice.provider_name,
                invoice.invoice_number,
                euros(invoice.total),
                capfirst(invoice.status_label),
            )
            for invoice in invoices
        ),
    )


def _account_context(account, overview: selectors.AccountOverview | None = None) -> dict:
    """Everything the account pages show, in a fixed number of queries however long the account's history is."""
    if overview is None:
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
    invoice_list = selectors.invoices_of(account)
    return {
        "account": account,
        "overview": overview,
        "forecast": outlook,
        "warnings": set(outlook.warnings),
        "today": today,
        "months": months,
        "chart": _spending_chart(months),
        "next_instalment": selectors.next_instalment(overview, schedule),
        "invoice_list": invoice_list,
        "line_rows": _line_rows(overview),
        "month_rows": _month_rows(months),
        "invoice_rows": _invoice_rows(invoice_list.invoices),
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
            # As decided: read from the decision's snapshot, so later price or rule changes never alter it.
            "budget": planning_selectors.decision_budget_explanation(account.decision),
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
    overview = selectors.overview_for_client(client)
    context = {"client": client, "account": None}
    if overview is not None:
        context.update(
            _account_context(overview.account, overview),
            statement_csv_url=reverse("portal_statement_csv", args=[client.pk]),
            statement_xlsx_url=reverse("portal_statement_xlsx", args=[client.pk]),
            account_links=[
                {"url": reverse("portal_agreements", args=[client.pk]), "label": _("Agreements with providers")},
                {"url": reverse("portal_invoices", args=[client.pk]), "label": _("Invoices and receipts")},
                {"url": reverse("portal_receipt_new", args=[client.pk]), "label": _("Send a receipt")},
            ],
        )
    return render(request, "accounts/portal_account.html", context)


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
