"""The account statement as a download: every entry of the budget account and a summary per plan line, as CSV
(for Excel in Finland: UTF-8 with a byte order mark, semicolons, a decimal comma in Finnish and Swedish) or as XLSX
(numbers as numbers, in euros).

Each download is a read of the client's data, logged by the same access checks as the account page. The file name
holds no personal data, and no cache on the way may keep a copy.
"""

import csv
import datetime as dt
import io
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from avain.core import clock
from avain.organisations.access import staff_required
from avain.organisations.selectors import CLIENT_DATA_ROLES
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry
from avain.planning.access import case_for_staff

from . import selectors
from .models import BudgetAccount, EntryKind

WHAT = AccessLogEntry.What

# What each kind of entry means, in words a client understands. The amount is the change of that column.
KIND_LABELS = {
    EntryKind.GRANT: gettext_lazy("Granted"),
    EntryKind.ADJUSTMENT: gettext_lazy("Granted amount corrected"),
    EntryKind.COMMITMENT: gettext_lazy("Reserved for an agreement"),
    EntryKind.RELEASE: gettext_lazy("Reservation released"),
    EntryKind.SPENDING: gettext_lazy("Spent"),
    EntryKind.REVERSAL: gettext_lazy("Spending cancelled"),
    EntryKind.PAYMENT: gettext_lazy("Paid to the provider"),
}

XLSX_EURO_FORMAT = '#,##0.00\\ "€"'
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A spreadsheet runs a cell that starts with one of these as a formula. Text typed by people (plan lines, provider
# names, invoice numbers) gets a leading apostrophe, so it is only ever shown.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _decimal_comma() -> bool:
    return (translation.get_language() or "fi").split("-")[0] in ("fi", "sv")


def _entry_headers() -> list[str]:
    return [
        _("Date"), _("Line of the plan"), _("What happened"), _("Amount (€)"),
        _("Invoice number"), _("Provider"), _("Agreement number"),
    ]


def _summary_headers(in_instalments: bool) -> list[str]:
    return [
        _("Line of the plan"),
        *([_("Whole period (€)")] if in_instalments else []),
        _("Granted (€)"), _("Reserved (€)"), _("Spent (€)"), _("Paid (€)"), _("Left (€)"),
    ]


def _entry_rows(account: BudgetAccount):
    """(date, plan line, kind, amount, invoice number, provider, agreement number); text not yet neutralised."""
    for entry in selectors.statement_entries(account):
        invoice, agreement = entry.invoice, entry.agreement
        provider = invoice.provider.name if invoice and invoice.provider else (_("Receipt") if invoice else "")
        yield (
            timezone.localtime(entry.at).date(),
            entry.sub_account.description,
            str(KIND_LABELS[entry.kind]),
            entry.amount,
            invoice.invoice_number if invoice else "",
            provider,
            agreement.number if agreement else "",
        )


def _summary_rows(overview: selectors.AccountOverview):
    """(line, [whole period,] granted, reserved, spent, paid, left) per line, then the total."""
    rows = [(line.description, line.planned_for_period, line.granted, line.committed, line.spent, line.paid, line.left)
            for line in overview.lines]
    rows.append((_("Total"), overview.planned, overview.granted, overview.committed, overview.spent, overview.paid,
                 overview.left))
    if not overview.in_instalments:
        rows = [(row[0], *row[2:]) for row in rows]
    return rows


def _filename(account: BudgetAccount, extension: str) -> str:
    return f"hb-statement-{account.pk}-{clock.today().isoformat()}.{extension}"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


def statement_csv(account: BudgetAccount) -> HttpResponse:
    comma = _decimal_comma()

    def amount(value: Decimal) -> str:
        text = f"{value:.2f}"  # exact: the amount is already whole cents
        return text.replace(".", ",") if comma else text

    def day(value: dt.date) -> str:
        return f"{value.day}.{value.month}.{value.year}" if comma else value.isoformat()

    overview = selectors.account_overview(account)
    out = io.StringIO()
    out.write("\ufeff")  # the byte order mark tells Excel the file is UTF-8
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(_entry_headers())
    for date, line, kind, value, number, provider, agreement in _entry_rows(account):
        writer.writerow([day(date), neutralise(line), kind, amount(value), neutralise(number), neutralise(provider),
                         neutralise(agreement)])
    writer.writerow([])
    writer.writerow([_("Summary per line of the plan")])
    writer.writerow(_summary_headers(overview.in_instalments))
    for description, *values in _summary_rows(overview):
        writer.writerow([neutralise(description), *(amount(v) for v in values)])
    return _download(out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", _filename(account, "csv"))


def statement_xlsx(account: BudgetAccount) -> HttpResponse:
    overview = selectors.account_overview(account)
    date_format = "d.m.yyyy" if _decimal_comma() else "yyyy-mm-dd"
    workbook = Workbook()
    entries = workbook.active
    entries.title = _("Entries")[:31]
    entries.append(_entry_headers())
    for date, line, kind, value, number, provider, agreement in _entry_rows(account):
        entries.append([date, neutralise(line), kind, value, neutralise(number), neutralise(provider),
                        neutralise(agreement)])
        entries.cell(entries.max_row, 1).number_format = date_format
        entries.cell(entries.max_row, 4).number_format = XLSX_EURO_FORMAT
    summary = workbook.create_sheet(_("Summary")[:31])
    summary.append(_summary_headers(overview.in_instalments))
    for description, *values in _summary_rows(overview):
        summary.append([neutralise(description), *values])
        for column in range(2, 2 + len(values)):
            summary.cell(summary.max_row, column).number_format = XLSX_EURO_FORMAT
    summary.cell(summary.max_row, 1).font = Font(bold=True)
    for sheet, widths in ((entries, (12, 40, 28, 14, 18, 30, 18)), (summary, (40, *([16] * 6)))):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[chr(ord("A") + column - 1)].width = width
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return _download(out.getvalue(), XLSX_CONTENT_TYPE, _filename(account, "xlsx"))


def _case_account(request, case_id: int) -> BudgetAccount:
    case = case_for_staff(request, case_id, WHAT.ACCOUNT)
    account = selectors.account_for_case(case)
    if account is None:
        raise Http404
    return account


def _client_account(client) -> BudgetAccount:
    account = selectors.account_for_client(client)
    if account is None:
        raise Http404
    return account


@staff_required(*CLIENT_DATA_ROLES)
def case_statement_csv(request, case_id: int):
    return statement_csv(_case_account(request, case_id))


@staff_required(*CLIENT_DATA_ROLES)
def case_statement_xlsx(request, case_id: int):
    return statement_xlsx(_case_account(request, case_id))


@portal_access(WHAT.ACCOUNT)
def portal_statement_csv(request, client):
    return statement_csv(_client_account(client))


@portal_access(WHAT.ACCOUNT)
def portal_statement_xlsx(request, client):
    return statement_xlsx(_client_account(client))
