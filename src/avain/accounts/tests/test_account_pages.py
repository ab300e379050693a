"""The account pages of the client (/my/<id>/account/) and the worker (/cases/<id>/account/): the figures are the
sub-accounts' stored totals, the monthly table matches the entries, the forecast and its warnings show, the queries
stay the same however many invoices there are, and only the right people get in (every staff read logged).

The account: the default plan, 1 800.00 € (assistant) and 1 000.00 € (hobbies), for 2025, in one instalment.
"""

import datetime as dt
import html as html_module
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from avain.accounts import selectors
from avain.accounts.models import BudgetAccount, EntryKind, InvoiceSource, InvoiceStatus, LedgerEntry, SubAccount
from avain.accounts.invoices import reject_invoice
from avain.accounts.posting import post_provider_invoices
from avain.catalogue.models import ProviderContact
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry, Delegation
from avain.people.services import grant_delegation
from avain.testing import (
    account_of,
    case_active,
    invoice_claim,
    login_verified,
    make_agreement,
    make_client,
    make_close_one,
    make_organiser,
    make_provider,
    make_provider_contact,
    make_staff,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OPENED = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)
NBSP = "\N{NO-BREAK SPACE}"


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=dt.UTC)


def active_case(organiser=None, **kwargs):
    """An active case for 2025 whose client can sign in to the portal."""
    organiser = organiser or make_organiser()
    with frozen_at(OPENED):
        return case_active(organiser=organiser, client=make_client(organiser, login=True), period=PERIOD, **kwargs)


@pytest.fixture
def case():
    return active_case()


def spend(account, days_and_quantities, *, unit_price="10.00", quantity="150", line=0, agreement=None):
    """Invoices of one provider under one agreement, each posted on its own service day (one invoice per day)."""
    if agreement is None:
        with frozen_at(OPENED):
            agreement = make_agreement(account, line=line, unit_price=unit_price, quantity=quantity)
    for day, units in days_and_quantities:
        with frozen_at(noon(day)):
            result = post_provider_invoices(
                provider=agreement.provider,
                claims=[invoice_claim(agreement, (day, units))],
                source=InvoiceSource.PORTAL,
                recorded_by=agreement.made_by,
            )
        assert result.problems == []
    return agreement


def euros(amount: Decimal) -> str:
    """As the page in English shows it: 1,234.50 €."""
    whole, cents = f"{amount:.2f}".split(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{','.join(groups)}.{cents}{NBSP}€"


def get(client, name, arg, language="en"):
    """The page in English (the text under test is English; Finnish and Swedish come from the catalogues)."""
    response = client.get(reverse(name, args=[arg]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def by_testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', html, re.S)
    assert match, name
    return match.group(1).strip()


def table_rows(html: str, name: str) -> list[list[str]]:
    table = re.search(rf'<table data-testid="{name}">(.*?)</table>', html, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [html_module.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append(cells)
    return rows


# --- What the pages show -------------------------------------------------------------------------------------------


def test_the_figures_on_both_pages_are_the_stored_totals_per_line_and_in_total(client, case):
    account = account_of(case)
    spend(account, [(dt.date(2025, 2, 10), "3"), (dt.date(2025, 3, 5), "4")])  # 70.00 € of a 1 500.00 € agreement
    subs = list(SubAccount.objects.filter(account=account).order_by("pk"))
    assert [(s.granted, s.committed, s.spent, s.left) for s in subs] == [
        (Decimal("1800.00"), Decimal("1430.00"), Decimal("70.00"), Decimal("300.00")),
        (Decimal("1000.00"), Decimal("0.00"), Decimal("0.00"), Decimal("1000.00")),
    ]
    expected_lines = [
        [s.description, euros(s.granted), euros(s.committed), euros(s.spent), euros(s.paid), euros(s.left)]
        for s in subs
    ]
    expected_total = ["Total", *(euros(sum((getattr(s, b) for s in subs), Decimal(0)))
                                    for b in ("granted", "committed", "spent", "paid", "left"))]

    login_verified(client, case.worker)
    with frozen_at(noon(dt.date(2025, 4, 1))):
        staff_html = get(client, "case_account", case.pk)
    client.force_login(case.client.user)
    with frozen_at(noon(dt.date(2025, 4, 1))):
        client_html = get(client, "portal_account", case.client_id)
    for html in (staff_html, client_html):
        rows = table_rows(html, "lines")
        assert rows[1:-1] == expected_lines
        assert rows[-1] == expected_total
        assert by_testid(html, "granted") == euros(Decimal("2800.00"))
        assert by_testid(html, "committed") == euros(Decimal("1430.00"))
        assert by_testid(html, "spent") == euros(Decimal("70.00"))
        assert by_testid(html, "paid") == euros(Decimal("0.00"))
        assert by_testid(html, "left") == euros(Decimal("1300.00"))
        assert 'data-testid="planned"' not in html  # one instalment: granted is the whole period's budget
    # The account's other pages are linked from "What you can do".
    actions = re.search(r'<ul data-testid="actions">(.*?)</ul>', client_html, re.S).group(1)
    for name in ("portal_statement_csv", "portal_statement_xlsx", "portal_agreements", "portal_invoices"):
        assert f'href="{reverse(name, args=[case.client_id])}"' in actions
    assert f'href="{reverse("case_statement_csv", args=[case.pk])}"' in staff_html


def test_the_monthly_table_is_the_spending_entries_by_month_against_an_even_pace(client, case):
    account = account_of(case)
    spend(account, [(dt.date(2025, 2, 3), "2"), (dt.date(2025, 2, 20), "5"), (dt.date(2025, 4, 7), "1")])
    months = selectors.account_activity(account, Decimal("2800.00")).months
    assert [m.month for m in months] == [dt.date(2025, m, 1) for m in range(1, 13)]
    assert [m.spent for m in months][:5] == [Decimal("0.00"), Decimal("70.00"), Decimal("0.00"), Decimal("10.00"),
                                              Decimal("0.00")]
    assert sum(m.spent for m in months) == sum(
        LedgerEntry.objects.filter(account=account, kind__in=[EntryKind.SPENDING, EntryKind.REVERSAL])
        .values_list("amount", flat=True)
    )
    # The even pace spreads the planned total over the days: January has 31 of 365 days.
    assert months[0].pace == Decimal("237.81") and sum(m.pace for m in months) == Decimal("2800.00")

    client.force_login(case.client.user)
    with frozen_at(noon(dt.date(2025, 5, 1))):
        html = get(client, "portal_account", case.client_id)
    rows = table_rows(html, "months")
    assert rows[0] == ["Month", "Spent", "Even pace"]
    assert rows[2] == ["February 2025", euros(Decimal("70.00")), euros(months[1].pace)]
    assert len(rows) == 13
    svg = re.search(r"<svg[^>]*data-testid=\"chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert svg.count('fill="#00347a"') == 12 + 1  # a bar per month and the legend's sample
    assert "<script" not in html.split("<main", 1)[1]


def test_a_budget_mostly_spent_early_warns_and_says_when_the_money_runs_out(client):
    case = active_case(plan_lines=[("Avustaja", Decimal("1000.00"))])
    account = account_of(case)
    spend(account, [(dt.date(2025, 3, 3), "45"), (dt.date(2025, 3, 20), "45")], quantity="100")  # 900.00 €
    client.force_login(case.client.user)
    with frozen_at(noon(dt.date(2025, 4, 1))):
        html = get(client, "portal_account", case.client_id)
    warnings = re.search(r'<div[^>]*data-testid="warnings".*?</div>', html, re.S).group(0)
    assert 'role="alert"' in warnings
    assert "90 % of the budget has been spent" in by_testid(html, "warning-threshold")
    # 900 € in 91 days: the last 100 € last about 11 more days.
    assert "04/12/2025" in by_testid(html, "warning-runs-out")
    assert "04/12/2025" in by_testid(html, "forecast")
    assert 'data-testid="warning-unused"' not in html
    assert "talk with your social worker" in warnings  # the client is told whom to talk to


def test_a_quiet_start_shows_no_warning_and_a_slow_year_warns_of_money_left_unused(client, case):
    account = account_of(case)
    client.force_login(case.client.user)
    with frozen_at(noon(dt.date(2025, 2, 1))):
        html = get(client, "portal_account", case.client_id)
    assert 'data-testid="warnings"' not in html
    assert "too early to say" in by_testid(html, "forecast")

    spend(account, [(dt.date(2025, 3, 1), "10")])  # 100 € reserved 1 500 €; by July: 1 600 € of 2 800 € used at most
    with frozen_at(noon(dt.date(2025, 7, 1))):
        html = get(client, "portal_account", case.client_id)
    assert 'data-testid="warning-unused"' in html and 'data-testid="warning-threshold"' not in html
    assert "12/31/2025" in by_testid(html, "forecast")


def test_instalments_show_the_whole_period_the_granted_part_and_the_next_instalment(client):
    from avain.accounts.models import FundingRule

    organiser = make_organiser()
    FundingRule.objects.create(organiser=organiser, instalments=4)
    case = active_case(organiser)
    client.force_login(case.client.user)
    with frozen_at(noon(dt.date(2025, 2, 1))):
        html = get(client, "portal_account", case.client_id)
    assert by_testid(html, "planned") == euros(Decimal("2800.00"))
    assert by_testid(html, "granted") == euros(Decimal("700.00"))
    rows = table_rows(html, "lines")
    assert rows[1][1:3] == [euros(Decimal("1800.00")), euros(Decimal("450.00"))]
    next_one = by_testid(html, "next-instalment")
    assert "(2/4)" in next_one and euros(Decimal("700.00")) in next_one and "04/02/2025" in next_one


def test_the_invoice_list_shows_statuses_and_says_when_only_the_newest_are_shown(client, case):
    account = account_of(case)
    days = [dt.date(2025, 3, 1) + dt.timedelta(days=k) for k in range(selectors.INVOICES_SHOWN + 2)]
    spend(account, [(day, "1") for day in days])
    client.force_login(case.client.user)
    with frozen_at(noon(dt.date(2025, 5, 1))):
        html = get(client, "portal_account", case.client_id)
    rows = table_rows(html, "invoices")[1:]
    assert len(rows) == selectors.INVOICES_SHOWN
    assert rows[0][0] == f"{days[-1]:%m/%d/%Y}" and rows[0][3] == euros(Decimal("10.00"))
    with translation.override("en"):
        assert rows[0][4] == capfirst(str(InvoiceStatus.AWAITING_ACCEPTANCE.label))
    assert f"{len(days)} invoices" in by_testid(html, "more-invoices")


def test_a_providers_invoices_keep_the_date_and_amount_its_home_page_shows(case):
    agreement = spend(account_of(case), [(dt.date(2025, 2, 10), "3")])
    [invoice] = selectors.invoices_for_provider(agreement.provider)
    assert (invoice.service_date, invoice.amount) == (dt.date(2025, 2, 10), Decimal("30.00"))


def test_a_client_without_a_granted_budget_is_told_so(client):
    from avain.testing import case_approved

    organiser = make_organiser()
    case = case_approved(organiser=organiser, client=make_client(organiser, login=True), period=PERIOD)
    client.force_login(case.client.user)
    html = get(client, "portal_account", case.client_id)
    assert "has not been granted yet" in html


# --- Queries ---------------------------------------------------------------------------------------------------------


def _queries(client, name, arg) -> int:
    with frozen_at(noon(dt.date(2025, 6, 1))), CaptureQueriesContext(connection) as queries:
        get(client, name, arg)
    return len(queries)


def test_the_pages_make_the_same_queries_with_one_invoice_and_with_forty_over_several_months(client):
    small, large = active_case(), active_case()
    spend(account_of(small), [(dt.date(2025, 2, 1), "1")])
    days = [dt.date(2025, 1 + k % 5, 1 + k // 5) for k in range(40)]
    spend(account_of(large), [(day, "1") for day in days])
    spend(account_of(large), [(day, "1") for day in days[:5]], line=1, quantity="50")
    assert account_of(large).invoices.count() == 45

    counts = []
    for case in (small, large):
        login_verified(client, case.worker)
        staff = _queries(client, "case_account", case.pk)
        client.force_login(case.client.user)
        own = _queries(client, "portal_account", case.client_id)
        counts.append((staff, own))
    assert counts[0] == counts[1]
    assert max(counts[0]) <= 20


# --- Who gets in -----------------------------------------------------------------------------------------------------


def test_staff_of_another_organiser_and_a_provider_get_nothing(client, case):
    agreement = spend(account_of(case), [(dt.date(2025, 2, 10), "1")])
    stranger = make_staff(make_organiser(), Role.SOCIAL_WORKER)
    login_verified(client, stranger)
    for name in ("case_account", "case_statement_csv", "case_statement_xlsx"):
        assert client.get(reverse(name, args=[case.pk])).status_code == 404
    provider_user = make_provider_contact(agreement.provider)
    client.force_login(provider_user)
    for name in ("portal_account", "portal_statement_csv", "portal_statement_xlsx"):
        assert client.get(reverse(name, args=[case.client_id])).status_code == 404
    assert not AccessLogEntry.objects.filter(client=case.client, what=AccessLogEntry.What.ACCOUNT).exists()


def test_every_staff_read_and_every_delegate_read_is_logged_once_and_the_clients_own_is_not(client, case):
    login_verified(client, case.worker)
    get(client, "case_account", case.pk)
    entries = AccessLogEntry.objects.filter(client=case.client, what=AccessLogEntry.What.ACCOUNT)
    assert [(e.actor_id, e.grounds) for e in entries] == [(case.worker.pk, AccessLogEntry.Grounds.CLIENT_RELATIONSHIP)]

    client.force_login(case.client.user)
    get(client, "portal_account", case.client_id)
    assert entries.count() == 1

    sister = make_close_one(case.client, "Siiri Sisko", with_login=True).user
    grant_delegation(client=case.client, user=sister, access=Delegation.Access.READ)
    client.force_login(sister)
    get(client, "portal_account", case.client_id)
    assert entries.filter(actor=sister, grounds=AccessLogEntry.Grounds.DELEGATION).count() == 1


def test_the_account_opened_by_the_case_is_the_one_shown(case):
    assert selectors.account_for_case(case) == account_of(case) == BudgetAccount.objects.get(client=case.client)
    assert selectors.account_for_client(case.client) == account_of(case)


# --- The client's page, read and written for speed -------------------------------------------------------------------
# The client's page is the page opened most: its reads are plain SQL and its HTML is written in Python
# (accounts/account_page.py). These pin what that must keep: the queries, the formats, the escaping, the newest account.


def test_the_clients_own_page_makes_three_queries(client, case):
    """The session, the user, and the client with their user's roles, the account, its lines, the monthly sums and the
    invoices: no more, however long the account's history (see the test above)."""
    spend(account_of(case), [(dt.date(2025, 2, 10), "3"), (dt.date(2025, 3, 10), "2")])
    client.force_login(case.client.user)
    get(client, "portal_account", case.client_id)  # the first request of a session may set things up
    with frozen_at(noon(dt.date(2025, 6, 1))), CaptureQueriesContext(connection) as queries:
        get(client, "portal_account", case.client_id)
    assert len(queries) == 3, [q["sql"][:70] for q in queries.captured_queries]


def test_the_clients_one_read_gives_the_same_figures_as_the_workers_reads(case):
    """client_with_account reads in one query what account_overview and account_activity read for the worker's page:
    the lines in order, the months (spending and a reversal) and the newest invoices with the count of all."""
    account = account_of(case)
    days = [dt.date(2025, 1 + k % 4, 1 + k) for k in range(14)]
    agreement = spend(account, [(day, "1") for day in days])
    spend(account, [(dt.date(2025, 3, 3), "2")], line=1, unit_price="12.50", quantity="20")
    first = agreement.invoice_lines.order_by("pk").first().invoice
    with frozen_at(noon(dt.date(2025, 5, 2))):
        reject_invoice(invoice=first, by=case.worker, reason="Väärä päivä")
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.REVERSAL).exists()

    client_, overview, activity = selectors.client_with_account(case.client_id)
    assert client_ == case.client
    worker_overview = selectors.account_overview(account)
    assert overview == worker_overview and [line.sub_account_id for line in overview.lines] == sorted(
        SubAccount.objects.filter(account=account).values_list("pk", flat=True)
    )
    assert activity == selectors.account_activity(account, worker_overview.planned)
    assert activity.invoice_list.count == 15 and len(activity.invoice_list.invoices) == selectors.INVOICES_SHOWN
    assert sum(m.spent for m in activity.months) == worker_overview.spent


def test_a_client_who_also_works_for_the_organiser_and_a_provider_has_those_pages_in_the_navigation(client, case):
    """The account page's one read carries the client's user's roles: the navigation needs no query of its own."""
    user = case.client.user
    client.force_login(user)
    html = get(client, "portal_account", case.client_id)
    for name in ("work_queue", "provider_invoices"):
        assert f'href="{reverse(name)}"' not in html

    make_staff(case.organiser, Role.SOCIAL_WORKER, user=user)
    ProviderContact.objects.create(organiser=case.organiser, provider=make_provider(case.organiser), user=user)
    with CaptureQueriesContext(connection) as queries:
        html = get(client, "portal_account", case.client_id)
    for path in (reverse("work_queue"), reverse("provider_invoices"), reverse("portal_plan", args=[case.client_id])):
        assert f'href="{path}"' in html
    # The one read, and the staff roles that choose the organiser's items (the user's memberships).
    assert [q["sql"].lstrip()[:13] for q in queries.captured_queries[2:]] == ["WITH newest A", 'SELECT "organ']


def test_the_page_in_finnish_has_finnish_amounts_dates_and_texts_and_escapes_what_people_typed(client):
    case = active_case(plan_lines=[("Avustaja <b>& muut", Decimal("2345.50"))])
    spend(account_of(case), [(dt.date(2025, 2, 10), "1")], unit_price="1000.25", quantity="2")
    client.force_login(case.client.user)
    with frozen_at(noon(dt.date(2025, 4, 1))):
        html = get(client, "portal_account", case.client_id, language="fi")
    assert by_testid(html, "granted") == f"2{NBSP}345,50{NBSP}€"
    assert by_testid(html, "spent") == f"1{NBSP}000,25{NBSP}€"
    assert "Budjettikausi on 1.1.2025–31.12.2025." in html
    assert "<title>Oma budjetti – Avain</title>" in html
    lines = table_rows(html, "lines")
    assert lines[1][0] == "Avustaja <b>& muut"  # as typed, once unescaped ...
    assert "Avustaja &lt;b&gt;&amp; muut" in html and "<b>&" not in html  # ... and escaped in the page
    assert table_rows(html, "invoices")[1][0] == "10.2.2025"
    assert table_rows(html, "months")[2][0] == "Helmikuu 2025"


def test_the_page_shows_the_clients_newest_account(client, case):
    """A client may have had earlier budget periods: the page shows the account opened last."""
    from avain.planning.services import close_case

    with frozen_at(noon(dt.date(2025, 12, 31))):
        close_case(case=case, actor=case.worker, reason="Kausi päättyi.")
    with frozen_at(dt.datetime(2026, 1, 2, 9, 0, tzinfo=dt.UTC)):
        later = case_active(
            organiser=case.organiser, client=case.client, period=Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        )
    assert BudgetAccount.objects.filter(client=case.client).count() == 2
    client.force_login(case.client.user)
    with frozen_at(noon(dt.date(2026, 2, 1))):
        html = get(client, "portal_account", case.client_id)
    assert "01/01/2026–12/31/2026" in html
    assert selectors.client_with_account(case.client_id)[1].account == account_of(later)


def test_a_client_id_no_row_can_have_is_not_found(client, case):
    client.force_login(case.client.user)
    assert client.get(f"/my/{2**63}/account/").status_code == 404
    assert client.get(f"/my/{10**30}/").status_code == 404
