"""Statement downloads of a budget account (avain.accounts.statement_views): the CSV and the XLSX hold exactly the
ledger's entries and the stored totals per line, text never runs as a formula, nothing personal is in the file name,
no cache keeps a copy, and every staff download is logged."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from avain.accounts.models import InvoiceSource, LedgerEntry, SubAccount
from avain.accounts.posting import post_provider_invoices
from avain.accounts.statement_views import KIND_LABELS
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.people.models import AccessLogEntry
from avain.testing import (
    account_of,
    case_active,
    invoice_claim,
    login_verified,
    make_agreement,
    make_client,
    make_organiser,
    make_provider,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OPENED = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)
DOWNLOADED = dt.datetime(2025, 5, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def case():
    """An account with a grant per line, an agreement (commitment), two invoices (spending and releases) whose
    provider and plan line have names that a spreadsheet would run as formulas."""
    organiser = make_organiser()
    with frozen_at(OPENED):
        case = case_active(
            organiser=organiser,
            client=make_client(organiser, login=True),
            period=PERIOD,
            plan_lines=[("=HYPERLINK(\"http://x\")", Decimal("1000.00")), ("Harrastukset", Decimal("500.25"))],
        )
        agreement = make_agreement(
            account_of(case), unit_price="12.35", quantity="40", provider=make_provider(organiser, "+358 Apu Oy")
        )
    for day, units, number in ((dt.date(2025, 2, 3), "3", "@1"), (dt.date(2025, 4, 28), "1.5", "A-2")):
        with frozen_at(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)):
            result = post_provider_invoices(
                provider=agreement.provider,
                claims=[invoice_claim(agreement, (day, units), number=number)],
                source=InvoiceSource.CSV,
                recorded_by=agreement.made_by,
            )
        assert result.problems == []
    return case


def download(client, name, arg, language):
    with frozen_at(DOWNLOADED):
        response = client.get(reverse(name, args=[arg]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response


def expected_entries(account, language):
    """The ledger's entries as the statement should list them: date, line, kind, amount, invoice, provider,
    agreement."""
    with translation.override(language):
        return [
            (
                timezone.localtime(e.at).date(),
                e.sub_account.description,
                str(KIND_LABELS[e.kind]),
                e.amount,
                e.invoice.invoice_number if e.invoice else "",
                e.invoice.provider.name if e.invoice else "",
                e.agreement.number if e.agreement else "",
            )
            for e in LedgerEntry.objects.filter(account=account).order_by("at", "id")
        ]


def unneutralise(text: str) -> str:
    return text[1:] if text[:2] in ("'=", "'+", "'-", "'@") else text


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_csv_parses_back_to_the_ledgers_entries_and_the_stored_totals(client, case, language):
    account = account_of(case)
    client.force_login(case.client.user)
    response = download(client, "portal_statement_csv", case.client_id, language)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="hb-statement-{account.pk}-2025-05-02.csv"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"\xef\xbb\xbf")

    comma = language in ("fi", "sv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    blank = rows.index([])
    header, entries, summary = rows[0], rows[1:blank], rows[blank + 2:]

    def amount(text):
        assert ("," in text) == comma and ("." in text) == (not comma)
        return Decimal(text.replace(",", "."))

    def day(text):
        return dt.datetime.strptime(text, "%d.%m.%Y").date() if comma else dt.date.fromisoformat(text)

    assert len(header) == 7
    parsed = [(day(d), unneutralise(line), kind, amount(a), unneutralise(n), unneutralise(p), g)
              for d, line, kind, a, n, p, g in entries]
    assert parsed == expected_entries(account, language)
    # A grant per line, a commitment, and per invoice a spending and a release: 2 + 1 + 2 × 2.
    assert len(parsed) == 7
    assert {row[3] for row in parsed} >= {Decimal("37.05"), Decimal("-18.53"), Decimal("18.53")}  # 3 × 12.35, 1.5 × 12.35

    subs = list(SubAccount.objects.filter(account=account).order_by("pk"))
    assert len(summary) == 1 + len(subs) + 1
    for row, sub in zip(summary[1:], subs, strict=False):
        assert [unneutralise(row[0]), *map(amount, row[1:])] == [
            sub.description, sub.granted, sub.committed, sub.spent, sub.paid, sub.left
        ]
    assert [amount(a) for a in summary[-1][1:]] == [
        sum((getattr(s, b) for s in subs), Decimal(0)) for b in ("granted", "committed", "spent", "paid", "left")
    ]


def test_text_that_a_spreadsheet_would_run_as_a_formula_gets_a_leading_apostrophe(client, case):
    client.force_login(case.client.user)
    text = download(client, "portal_statement_csv", case.client_id, "fi").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    lines = {row[1] for row in rows[1:rows.index([])]}
    assert "'=HYPERLINK(\"http://x\")" in lines and "=HYPERLINK(\"http://x\")" not in lines
    assert {row[4] for row in rows if row[4:5] and row[4].endswith("1")} == {"'@1"}
    assert {row[5] for row in rows[1:rows.index([])] if row[5]} == {"'+358 Apu Oy"}
    assert any(row[3].startswith("-") for row in rows[1:rows.index([])])  # amounts are numbers, never prefixed

    book = openpyxl.load_workbook(io.BytesIO(download(client, "portal_statement_xlsx", case.client_id, "fi").content))
    cells = [cell for row in book.worksheets[0].iter_rows(min_row=2) for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert "'=HYPERLINK(\"http://x\")" in {cell.value for cell in cells}


def test_the_xlsx_has_a_sheet_of_entries_and_a_summary_with_amounts_as_euro_numbers(client, case):
    account = account_of(case)
    login_verified(client, case.worker)
    response = download(client, "case_statement_xlsx", case.pk, "en")
    assert response["Content-Disposition"] == f'attachment; filename="hb-statement-{account.pk}-2025-05-02.xlsx"'
    assert "no-store" in response["Cache-Control"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Entries", "Summary"]
    entries, summary = book.worksheets
    assert [c.value for c in entries[1]] == [
        "Date", "Line of the plan", "What happened", "Amount (€)", "Invoice number", "Provider", "Agreement number"
    ]
    rows = list(entries.iter_rows(min_row=2))
    assert all(isinstance(row[3].value, int | float) and "€" in row[3].number_format for row in rows)
    assert [
        (row[0].value.date(), unneutralise(row[1].value), row[2].value, Decimal(str(row[3].value)).quantize(Decimal("0.01")),
         unneutralise(row[4].value or ""), unneutralise(row[5].value or ""), row[6].value or "")
        for row in rows
    ] == expected_entries(account, "en")
    subs = list(SubAccount.objects.filter(account=account).order_by("pk"))
    totals = [[c.value for c in row] for row in summary.iter_rows(min_row=2)]
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in totals[1][1:]] == [
        subs[1].granted, subs[1].committed, subs[1].spent, subs[1].paid, subs[1].left
    ]
    assert totals[-1][0] == "Total" and Decimal(str(totals[-1][1])) == sum(s.granted for s in subs)


def test_every_staff_download_is_logged_and_the_clients_own_is_not(client, case):
    log = AccessLogEntry.objects.filter(client=case.client, what=AccessLogEntry.What.ACCOUNT)
    login_verified(client, case.worker)
    download(client, "case_statement_csv", case.pk, "fi")
    download(client, "case_statement_xlsx", case.pk, "fi")
    assert [(e.actor_id, e.grounds) for e in log] == [(case.worker.pk, AccessLogEntry.Grounds.CLIENT_RELATIONSHIP)] * 2
    client.force_login(case.client.user)
    download(client, "portal_statement_csv", case.client_id, "fi")
    download(client, "portal_statement_xlsx", case.client_id, "fi")
    assert log.count() == 2


def test_a_client_without_an_account_gets_no_statement(client):
    from avain.testing import case_approved

    organiser = make_organiser()
    case = case_approved(organiser=organiser, client=make_client(organiser, login=True), period=PERIOD)
    client.force_login(case.client.user)
    assert client.get(reverse("portal_statement_csv", args=[case.client_id])).status_code == 404
    login_verified(client, case.worker)
    assert client.get(reverse("case_statement_xlsx", args=[case.pk])).status_code == 404
