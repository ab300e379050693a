"""The budget account as the client and the worker see it: the figures, the warnings, the forecast, the monthly chart
and the tables, as HTML for the account pages: the client's page is written here as a whole (``client_page``, put
straight into the page shell, ``base.html``), the worker's page puts ``balance_html`` into
``accounts/case_account.html``.

Written in Python rather than as a template because the client's account page is the page opened most and must be
cheap to serve (bench/README.md): as a template it was some 150 tags, filters and conditions, each rendered on its
own, and that took longer than everything else the page does. Here the page is a few format strings:

* every constant text is the same message as a template would use (the same msgids in the catalogues), translated
  once per language and process (``_texts``) and escaped as ``{% translate %}`` escapes it;
* a sentence with figures in it is translated and filled in as ``{% blocktranslate %}`` does: the translation as it
  is, the figures escaped (``_sentence``);
* amounts and dates use the language's formats looked up once per page (``core.formatting.local_formats``), which
  give the same text as the ``euros`` and ``date`` filters;
* every value put into the HTML is escaped with ``html.escape`` (``esc``), which gives the same text as Django's
  ``escape`` at a fraction of its cost; only the chart's coordinates, numbers computed here, go in as they are.

The monthly chart is drawn on the server as SVG, so it needs no JavaScript; the same figures are in the table below
it for screen readers and for anyone who prefers numbers.
"""

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from html import escape as esc

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from avain.core.formatting import LocalFormats, local_formats
from avain.core.money import round_money

from . import selectors
from .forecast import Forecast, WarningCode
from .models import AccountStatus, InvoiceStatus


@dataclass(frozen=True)
class ClientPage:
    """The client's account page: its title and its main part."""

    title: SafeString
    content: SafeString


@dataclass(frozen=True)
class AccountFigures:
    """What the account pages show, read and computed by the view (``views._account_figures``)."""

    overview: selectors.AccountOverview
    forecast: Forecast
    months: list[selectors.MonthSpending]
    invoice_list: selectors.InvoiceList
    next_instalment: selectors.NextInstalment | None
    statement_csv_url: str
    statement_xlsx_url: str
    account_links: list[tuple[str, str]]  # (url, label) of the account's other pages


def _texts_in_active_language() -> dict[str, str]:
    """The account pages' constant texts, translated and escaped."""
    texts = {
        "my_budget": _("My budget"),
        "download_decision": _("Download the decision (PDF)"),
        "how_counted": _("How your budget was counted"),
        "not_granted": _(
            "Your budget has not been granted yet. When it is, you will see here how much you have used and how much "
            "is left."
        ),
        "closed_account": _("The budget account is closed."),
        "please_note": _("Please note"),
        "talk_with_worker": _(
            "If you are unsure whether the money will last, or you need the services to change, talk with your social "
            "worker."
        ),
        "whole_budget": _("Budget for the whole period"),
        "granted_so_far": _("Granted so far"),
        "granted": _("Granted"),
        "reserved_for_agreements": _("Reserved for agreements"),
        "spent": _("Spent"),
        "paid_to_providers": _("Paid to providers"),
        "left_to_use": _("Left to use"),
        "how_long": _("How long the money lasts"),
        "nothing_spent": _("No money has been spent yet, so it is too early to say how long the money will last."),
        "estimate_hint": _(
            "The estimate divides what has been spent by the days passed and continues at that pace. Money already "
            "reserved for agreements is counted as used."
        ),
        "per_line": _("Money per line of the plan"),
        "what_for": _("What for"),
        "whole_period": _("Whole period"),
        "reserved": _("Reserved"),
        "paid": _("Paid"),
        "left": _("Left"),
        "total": _("Total"),
        "left_hint": _(
            "Left = granted − reserved − spent. Reserved money is set aside for agreements made with providers. Spent "
            "money has been invoiced; it is paid to the provider once the invoice is approved."
        ),
        "closed": _("closed"),
        "spending_per_month": _("Spending per month"),
        "chart_title": _("Money spent each month compared with an even pace"),
        "chart_description": _(
            "Bars show the money spent each month. The dashed line shows how much would be spent each month if the "
            "budget were used evenly over the period. The same figures are in the table below."
        ),
        "even_pace": _("Even pace"),
        "per_month_in_figures": _("Spending per month in figures"),
        "month": _("Month"),
        "invoices": _("Invoices"),
        "invoices_caption": _("Invoices charged to the budget, newest first"),
        "date": _("Date"),
        "from": _("From"),
        "invoice_number": _("Invoice number"),
        "amount": _("Amount"),
        "status": _("Status"),
        "no_invoices": _("No invoices yet."),
        "receipt": _("Receipt"),
        "what_you_can_do": _("What you can do"),
        "statement_csv": _("Download the statement as a CSV file"),
        "statement_xlsx": _("Download the statement as an Excel file"),
    }
    texts = {name: esc(text) for name, text in texts.items()}
    texts.update({f"status:{status.value}": esc(capfirst(str(status.label))) for status in InvoiceStatus})
    return texts


@functools.cache
def _texts(language: str | None) -> dict[str, str]:
    return _texts_in_active_language()


@receiver(setting_changed)
def _forget_texts(**kwargs) -> None:
    _texts.cache_clear()  # a test that changes the languages, the catalogues or the formats gets fresh ones
    _html_text.cache_clear()


class _HtmlText:
    """Amounts and dates as HTML text in the active language. They are digits, a sign and the language's separators,
    which need no escaping in our languages; that is checked once per language, and they are escaped like any other
    text when they would need it. Month names are escaped."""

    def __init__(self, fmt: LocalFormats):
        self.formats = fmt  # for texts that are escaped where they are used (_sentence)
        sample = fmt.euros(Decimal("-1234567.89")) + fmt.short_date(dt.date(2026, 12, 31))
        plain = esc(sample) == sample
        self.euros = fmt.euros if plain else lambda amount: esc(fmt.euros(amount))
        self.short_date = fmt.short_date if plain else lambda day: esc(fmt.short_date(day))
        months = {number: esc(name) for number, name in fmt.month_names.items()}
        self.month_year = lambda day: f"{months[day.month]} {day.year:04d}"


@functools.cache
def _html_text(language: str | None) -> _HtmlText:
    return _HtmlText(local_formats())  # in ``language``: the caller passes the active language


def _sentence(translated: str, **values) -> str:
    """A translated sentence with values in it, as ``{% blocktranslate %}`` makes it: the translation as it is, each
    value escaped. The caller translates, so that the message is found where it is used."""
    return translated % {name: esc(str(value)) for name, value in values.items()}


def client_page(
    figures: AccountFigures | None, *, decision_pdf_url: str, budget_explanation_url: str
) -> ClientPage:
    """The client's account page; ``figures`` is None before the budget is granted."""
    t = _texts(get_language())
    if figures is None:
        content = f'<h1>{t["my_budget"]}</h1>\n<p class="lead">{t["not_granted"]}</p>\n'
    else:
        content = (
            f'<h1>{t["my_budget"]}</h1>\n'
            f'<p><a href="{esc(decision_pdf_url)}" download>{t["download_decision"]}</a></p>\n'
            f'<p><a href="{esc(budget_explanation_url)}" data-testid="budget-explanation-link">{t["how_counted"]}</a>'
            "</p>\n" + balance_html(figures, audience="client")
        )
    return ClientPage(title=mark_safe(t["my_budget"]), content=mark_safe(content))


def balance_html(figures: AccountFigures, *, audience: str) -> SafeString:
    """The account's part of the page; ``audience`` is "client" or "staff" (the client is told whom to talk to)."""
    language = get_language()
    fmt, t, h = local_formats(), _texts(language), _html_text(language)
    overview, outlook = figures.overview, figures.forecast
    account = overview.account
    day = fmt.short_date
    period = _sentence(
        _("The budget period is %(start)s–%(end)s."), start=day(account.period_start), end=day(account.period_end)
    )
    closed = f" {t['closed_account']}" if account.status == AccountStatus.CLOSED else ""
    parts = [f'<p class="lead">{period}{closed}</p>\n']
    if outlook.warnings:
        parts.append(_warnings(figures, t, fmt, audience))
    cards = [(t["whole_budget"], "planned", overview.planned)] if overview.in_instalments else []
    cards += [
        (t["granted_so_far"] if overview.in_instalments else t["granted"], "granted", overview.granted),
        (t["reserved_for_agreements"], "committed", overview.committed),
        (t["spent"], "spent", overview.spent),
        (t["paid_to_providers"], "paid", overview.paid),
        (t["left_to_use"], "left", overview.left),
    ]
    parts.append('<ul class="summary-cards">\n')
    parts += [
        f'<li><span class="label">{label}</span><span class="value" data-testid="{testid}">{h.euros(amount)}</span>'
        "</li>\n"
        for label, testid, amount in cards
    ]
    parts.append("</ul>\n")
    parts.append(_outlook(figures, t, fmt))
    parts.append(_lines_table(overview, t, h))
    parts.append(
        f'<h2 id="spending-per-month">{t["spending_per_month"]}</h2>\n{spending_chart(figures.months, t, h)}\n'
        f'<table data-testid="months">\n  <caption>{t["per_month_in_figures"]}</caption>\n'
        f'  <thead><tr><th scope="col">{t["month"]}</th><th scope="col" class="num">{t["spent"]}</th>'
        f'<th scope="col" class="num">{t["even_pace"]}</th></tr></thead>\n'
        f"  <tbody>{_month_rows(figures.months, h)}</tbody>\n</table>\n"
    )
    parts.append(_invoices_table(figures.invoice_list, t, h))
    links = [
        (figures.statement_csv_url, t["statement_csv"], " download"),
        (figures.statement_xlsx_url, t["statement_xlsx"], " download"),
    ]
    links += [(url, esc(str(label)), "") for url, label in figures.account_links]
    parts.append(f'<h2>{t["what_you_can_do"]}</h2>\n<ul data-testid="actions">\n')
    parts += [f'  <li><a href="{esc(url)}"{attribute}>{label}</a></li>\n' for url, label, attribute in links]
    parts.append("</ul>\n")
    return mark_safe("".join(parts))


def _warnings(figures: AccountFigures, t: dict, fmt: LocalFormats, audience: str) -> str:
    outlook, account = figures.forecast, figures.overview.account
    items = []
    if WarningCode.THRESHOLD in outlook.warnings:
        text = _sentence(
            _("%(used)s %% of the budget has been spent. Warnings are shown from %(limit)s %%."),
            used=floatformat(outlook.used_percent, "0"), limit=fmt.integer(account.warning_percent),
        )  # fmt: skip
        items.append(f'    <li data-testid="warning-threshold">{text}</li>\n')
    if WarningCode.RUNS_OUT in outlook.warnings:
        text = _sentence(
            _("At this pace the money runs out around %(day)s, before the budget period ends on %(end)s."),
            day=fmt.short_date(outlook.runs_out_on), end=fmt.short_date(account.period_end),
        )  # fmt: skip
        items.append(f'    <li data-testid="warning-runs-out">{text}</li>\n')
    if WarningCode.UNUSED in outlook.warnings:
        text = _sentence(
            _("At this pace about %(amount)s of the budget would be left unused at the end of the period."),
            amount=fmt.euros(outlook.projected_left),
        )
        items.append(f'    <li data-testid="warning-unused">{text}</li>\n')
    whom = f"  <p>{t['talk_with_worker']}</p>\n" if audience == "client" else ""
    return (
        '<div class="message message--warning" role="alert" data-testid="warnings">\n'
        f'  <h2>{t["please_note"]}</h2>\n  <ul>\n{"".join(items)}  </ul>\n{whom}</div>\n'
    )


def _outlook(figures: AccountFigures, t: dict, fmt: LocalFormats) -> str:
    """How long the money lasts, in one sentence, and the next instalment."""
    outlook, account = figures.forecast, figures.overview.account
    if not outlook.started:
        sentence = _sentence(_("The budget period starts on %(start)s."), start=fmt.short_date(account.period_start))
    elif outlook.days_left == 0:
        sentence = _sentence(
            _("The budget period ended on %(end)s. %(amount)s of the budget was not used."),
            end=fmt.short_date(account.period_end), amount=fmt.euros(outlook.left_at_end),
        )  # fmt: skip
    elif not outlook.has_spending:
        sentence = t["nothing_spent"]
    elif outlook.runs_out_on:
        sentence = _sentence(
            _("If money is spent at the same pace as so far, it will run out around %(day)s."),
            day=fmt.short_date(outlook.runs_out_on),
        )
    else:
        sentence = _sentence(
            _(
                "If money is spent at the same pace as so far, about %(amount)s will be left when the budget period "
                "ends on %(end)s."
            ),
            amount=fmt.euros(outlook.left_at_end), end=fmt.short_date(account.period_end),
        )  # fmt: skip
    html = (
        f'<h2>{t["how_long"]}</h2>\n<p data-testid="forecast">{sentence}</p>\n'
        f'<p class="hint">{t["estimate_hint"]}</p>\n'
    )
    instalment = figures.next_instalment
    if instalment:
        text = _sentence(
            _("The next instalment (%(number)s/%(count)s), %(amount)s, is granted on %(day)s."),
            number=fmt.integer(instalment.number), count=fmt.integer(instalment.count),
            amount=fmt.euros(instalment.amount), day=fmt.short_date(instalment.due_on),
        )  # fmt: skip
        html += f'<p data-testid="next-instalment">{text}</p>\n'
    return html


def _lines_table(overview: selectors.AccountOverview, t: dict, h: "_HtmlText") -> str:
    instalments = overview.in_instalments

    def amounts(*values: Decimal) -> str:
        return "".join(f'<td class="num">{h.euros(value)}</td>' for value in values)

    closed = f' <span class="status">{t["closed"]}</span>'
    rows = "".join(
        f'<tr><th scope="row">{esc(line.description)}{"" if line.is_open else closed}</th>'
        + (amounts(line.planned_for_period) if instalments else "")
        + amounts(line.granted, line.committed, line.spent, line.paid, line.left)
        + "</tr>"
        for line in overview.lines
    )
    whole = f'<th scope="col" class="num">{t["whole_period"]}</th>\n    ' if instalments else ""
    return (
        f'<table data-testid="lines">\n  <caption>{t["per_line"]}</caption>\n  <thead><tr>\n'
        f'    <th scope="col">{t["what_for"]}</th>\n'
        f'    {whole}<th scope="col" class="num">{t["granted_so_far"] if instalments else t["granted"]}</th>\n'
        f'    <th scope="col" class="num">{t["reserved"]}</th>\n    <th scope="col" class="num">{t["spent"]}</th>\n'
        f'    <th scope="col" class="num">{t["paid"]}</th>\n    <th scope="col" class="num">{t["left"]}</th>\n'
        f"  </tr></thead>\n  <tbody>{rows}</tbody>\n  <tfoot><tr>\n"
        f'    <th scope="row">{t["total"]}</th>\n    '
        + (amounts(overview.planned) if instalments else "")
        + amounts(overview.granted, overview.committed, overview.spent, overview.paid, overview.left)
        + f'\n  </tr></tfoot>\n</table>\n<p class="hint">{t["left_hint"]}</p>\n'
    )


def _month_rows(months: list[selectors.MonthSpending], h: "_HtmlText") -> str:
    return "".join(
        f'<tr><th scope="row">{h.month_year(m.month)}</th><td class="num">{h.euros(m.spent)}</td>'
        f'<td class="num">{h.euros(m.pace)}</td></tr>'
        for m in months
    )


def _invoices_table(invoice_list: selectors.InvoiceList, t: dict, h: "_HtmlText") -> str:
    if invoice_list.invoices:
        rows = "".join(
            f"<tr><td>{h.short_date(invoice.invoice_date)}</td>"
            f"<td>{t['receipt'] if invoice.provider_name is None else esc(invoice.provider_name)}</td>"
            f'<td>{esc(invoice.invoice_number)}</td><td class="num">{h.euros(invoice.total)}</td>'
            f'<td><span class="status">{t["status:" + invoice.status]}</span></td></tr>'
            for invoice in invoice_list.invoices
        )
    else:
        rows = f'<tr><td colspan="5">{t["no_invoices"]}</td></tr>'
    more = ""
    if invoice_list.more:
        text = _sentence(
            _("The newest %(shown)s of %(count)s invoices are shown. The statement lists them all."),
            shown=h.formats.integer(len(invoice_list.invoices)), count=h.formats.integer(invoice_list.count),
        )  # fmt: skip
        more = f'<p class="hint" data-testid="more-invoices">{text}</p>\n'
    return (
        f'<h2>{t["invoices"]}</h2>\n<table data-testid="invoices">\n  <caption>{t["invoices_caption"]}</caption>\n'
        f'  <thead><tr><th scope="col">{t["date"]}</th><th scope="col">{t["from"]}</th>'
        f'<th scope="col">{t["invoice_number"]}</th><th scope="col" class="num">{t["amount"]}</th>'
        f'<th scope="col">{t["status"]}</th></tr></thead>\n  <tbody>{rows}</tbody>\n</table>\n{more}'
    )


# The monthly chart's drawing area, in SVG user units; the SVG scales to the page's width.
CHART_WIDTH, CHART_HEIGHT = 720, 280
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 84, 12, 40, 36


@functools.cache
def _chart_columns(count: int) -> tuple[str, tuple[tuple[str, str, str, str], ...]]:
    """The horizontal coordinates of a chart of ``count`` months: the bars' width, and for each month its bar's x, its
    label's x and where its stretch of the pace line starts and ends. They depend only on the number of months, so
    they are worked out once per number (Decimal arithmetic, rounded to a tenth)."""
    slot = Decimal(CHART_WIDTH - CHART_LEFT - CHART_RIGHT) / max(count, 1)
    columns = []
    for k in range(count):
        x = CHART_LEFT + slot * k
        columns.append(
            (str(round(x + slot * Decimal("0.15"), 1)), str(round(x + slot / 2, 1)), str(round(x, 1)), str(round(x + slot, 1)))
        )
    return str(round(slot * Decimal("0.7"), 1)), tuple(columns)


def spending_chart(months: list[selectors.MonthSpending], t: dict, h: "_HtmlText") -> str:
    """The monthly chart as SVG: bars for what was spent each month and a dashed line for the even pace."""
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    top = max([m.spent for m in months] + [m.pace for m in months] + [Decimal(1)])
    baseline = CHART_TOP + plot_height
    left, right, label_y = CHART_LEFT, CHART_WIDTH - CHART_RIGHT, baseline + 22
    bar_width, columns = _chart_columns(len(months))

    def y_of(amount: Decimal) -> Decimal:
        return round(baseline - max(amount, Decimal(0)) * plot_height / top, 1)

    parts, pace = [], []
    for share in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = y_of(top * share)
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="#c8c8c8" stroke-width="1"/>\n'
            f'<text x="{left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">'
            f"{h.euros(round_money(top * share))}</text>"
        )
    for k, (month, (bar_x, label_x, pace_from, pace_to)) in enumerate(zip(months, columns)):
        y = y_of(month.spent)
        parts.append(
            f'<rect x="{bar_x}" y="{y}" width="{bar_width}" height="{round(baseline - y, 1)}" fill="#00347a"/>\n'
            f'<text x="{label_x}" y="{label_y}" text-anchor="middle">{month.month.month}/{month.month.year % 100:02d}</text>'
        )
        pace.append(f"{'M' if k == 0 else 'L'}{pace_from} {y_of(month.pace)} H{pace_to}")
    dashed = 'stroke="#8a5a00" stroke-width="3" stroke-dasharray="8 5"'
    legend = (
        f'<path d="{" ".join(pace)}" fill="none" {dashed}/>\n'
        f'<rect x="{left}" y="8" width="14" height="14" fill="#00347a"/>\n'
        f'<text x="{left + 20}" y="15" dominant-baseline="middle">{t["spent"]}</text>\n'
        f'<line x1="{left + 140}" x2="{left + 170}" y1="15" y2="15" {dashed}/>\n'
        f'<text x="{left + 176}" y="15" dominant-baseline="middle">{t["even_pace"]}</text>'
    )
    return (
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" width="100%" role="img" '
        'aria-labelledby="chart-title chart-desc" focusable="false" data-testid="chart">\n'
        f'<title id="chart-title">{t["chart_title"]}</title>\n<desc id="chart-desc">{t["chart_description"]}</desc>\n'
        '<g aria-hidden="true" font-size="13" fill="#1b1b1b">\n' + "\n".join(parts) + f"\n{legend}\n</g>\n</svg>"
    )
