"""Reads of budget accounts, always scoped by organiser. Every function here costs a fixed number of queries, however
many clients, entries or invoices there are: the totals are read from the sub-accounts' stored totals, never summed
from the entries, and the only aggregate over entries (the monthly sums of ``_activity_sql``) uses the (account, at)
index."""

import datetime as dt
import functools
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.utils import timezone

from avain.catalogue.selectors import user_roles_sql
from avain.core.money import ZERO, money_sum, round_money
from avain.core.sql import fetch_all, instance_from_row, money
from avain.people.models import Client
from avain.people.selectors import CLIENT_COLUMNS, CLIENT_WIDTH, client_from_row

from .models import BudgetAccount, EntryKind, Invoice, InvoiceStatus, LedgerEntry, SubAccount
from .services import instalment_grant

INVOICES_SHOWN = 10


@dataclass(frozen=True)
class LineTotals:
    sub_account_id: int
    plan_line_id: int
    description: str
    planned: Decimal  # the whole period's amount of the line, all instalments together
    granted: Decimal  # granted so far
    committed: Decimal
    spent: Decimal
    paid: Decimal
    is_open: bool

    @property
    def left(self) -> Decimal:
        return self.granted - self.committed - self.spent

    @property
    def planned_for_period(self) -> Decimal:
        """What the line adds to the period's budget. A line closed by an approved change keeps only what it had
        granted when its money moved to the new lines, so the moved money is not counted twice."""
        return self.planned if self.is_open else self.granted


@dataclass(frozen=True)
class AccountOverview:
    account: BudgetAccount
    lines: tuple[LineTotals, ...]

    def _total(self, name: str) -> Decimal:
        return money_sum(getattr(line, name) for line in self.lines)

    # The totals are worked out once: a page shows each of them more than once.

    @cached_property
    def planned(self) -> Decimal:
        return self._total("planned_for_period")

    @cached_property
    def granted(self) -> Decimal:
        return self._total("granted")

    @cached_property
    def committed(self) -> Decimal:
        return self._total("committed")

    @cached_property
    def spent(self) -> Decimal:
        return self._total("spent")

    @cached_property
    def paid(self) -> Decimal:
        return self._total("paid")

    @cached_property
    def left(self) -> Decimal:
        return self._total("left")

    @property
    def unpaid(self) -> Decimal:
        """Spent but not yet paid to the provider: invoices waiting for acceptance, approval or the bank."""
        return self.spent - self.paid

    @property
    def in_instalments(self) -> bool:
        return self.account.instalments > 1


def account_for_client(client: Client) -> BudgetAccount | None:
    """The client's newest budget account (a client may have had earlier budget periods)."""
    return (
        BudgetAccount.objects.filter(organiser_id=client.organiser_id, client=client)
        .select_related("decision")
        .order_by("-opened_at")
        .first()
    )


def account_for_case(case) -> BudgetAccount | None:
    """The account opened by the case's decision, with the decision, in one query."""
    return (
        BudgetAccount.objects.filter(organiser_id=case.organiser_id, decision__case=case)
        .select_related("decision")
        .first()
    )


def _overview(account: BudgetAccount, rows) -> AccountOverview:
    return AccountOverview(
        account=account,
        lines=tuple(
            LineTotals(
                sub_account_id=row.pk,
                plan_line_id=row.plan_line_id,
                description=row.description,
                planned=row.planned,
                granted=row.granted,
                committed=row.committed,
                spent=row.spent,
                paid=row.paid,
                is_open=row.is_open,
            )
            for row in rows
        ),
    )


def account_overview(account: BudgetAccount) -> AccountOverview:
    """Granted, committed, spent, paid and left per plan line and in total, from the stored totals: one query."""
    rows = SubAccount.objects.filter(organiser_id=account.organiser_id, account=account).order_by("pk")
    return _overview(account, rows)


# What the client's account page reads of the account (alias a); the other fields stay deferred (loaded if ever asked
# for). Only columns that both databases return as the field's Python value: SQLite gives datetimes without time zone.
_ACCOUNT_COLUMNS = (
    "id", "organiser_id", "client_id", "decision_id", "period_start", "period_end", "status", "instalments",
    "warning_percent",
)  # fmt: skip
_LINE_COLUMNS = ("id", "plan_line_id", "description", "planned", "granted", "committed", "spent", "paid", "is_open")
_ACCOUNT_START = CLIENT_WIDTH + 2  # after the client's columns and their user's two roles
_LINE_START = _ACCOUNT_START + len(_ACCOUNT_COLUMNS)
_ACTIVITY_START = _LINE_START + len(_LINE_COLUMNS)


def client_with_account(client_id: int) -> tuple[Client | None, AccountOverview | None, "AccountActivity | None"]:
    """The client, as portal_access reads them (without their organiser, which the page does not show), the overview
    of the client's newest budget account and its activity (both None before the budget is granted): everything the
    client's account page shows, in one query in plain SQL (see core.sql). A loader for portal_access: the account
    page is the page clients open most, and each query costs far more in round trips and Python than PostgreSQL takes
    to answer it by index (bench/README.md).

    The query is a ``UNION ALL`` of three kinds of row, each with the others' columns empty: a row per sub-account of
    the newest account, joined to the account and the client (one row of the client alone before the budget is
    granted), then the activity's rows (``_activity_sql``) of that account. The client's user's roles come with the
    client, for the page's navigation (``client.user_roles``, see portal.context_processors)."""
    sql, month_params = _client_with_account_sql()
    rows = fetch_all(sql, [client_id, client_id, INVOICES_SHOWN, *month_params, *_ACTIVITY_KINDS])
    overview_rows = [row for row in rows if row[0] == "line"]
    if not overview_rows:
        return None, None, None
    first = overview_rows[0][1:]
    client = client_from_row(first)
    client.user_roles = tuple(bool(role) for role in first[CLIENT_WIDTH:_ACCOUNT_START])
    if first[_ACCOUNT_START] is None:
        return client, None, None
    account = instance_from_row(BudgetAccount, _ACCOUNT_COLUMNS, first[_ACCOUNT_START:_LINE_START])
    lines = sorted(
        (
            LineTotals(
                sub_account_id=pk,
                plan_line_id=plan_line_id,
                description=description,
                planned=money(planned),
                granted=money(granted),
                committed=money(committed),
                spent=money(spent),
                paid=money(paid),
                is_open=bool(is_open),
            )
            for pk, plan_line_id, description, planned, granted, committed, spent, paid, is_open in (
                row[1 + _LINE_START : 1 + _ACTIVITY_START] for row in overview_rows
            )
            if pk is not None  # an account without sub-accounts gives one row of the account alone
        ),
        key=lambda line: line.sub_account_id,
    )
    overview = AccountOverview(account=account, lines=tuple(lines))
    activity_rows = [(row[0], *row[1 + _ACTIVITY_START :]) for row in rows if row[0] != "line"]
    return client, overview, _activity(account, overview.planned, activity_rows)


@functools.cache
def _client_with_account_sql_for(time_zone: str, vendor: str) -> tuple[str, tuple]:
    """The statement and its month parameters, written once per process for each time zone and database, the two
    things they depend on (through _activity_sql)."""
    empty_overview = "NULL, " * _ACTIVITY_START
    activity, month_params = _activity_sql(
        "(SELECT id FROM newest)", "(SELECT organiser_id FROM newest)", padding=empty_overview
    )
    # Typed empty values where the first branch has no value of its own: PostgreSQL types a UNION's columns from its
    # branches two at a time, and two untyped NULLs would make a column text before the invoices' numbers come.
    empty_activity = ", ".join(
        f"CAST(NULL AS {kind})" for kind in ("TEXT", "BIGINT", "BIGINT", "TEXT", "TEXT", "TEXT", "BIGINT")
    )
    return f"""
        WITH newest AS (
            SELECT a.id, a.organiser_id
            FROM accounts_budgetaccount a JOIN people_client c ON c.organiser_id = a.organiser_id AND c.id = a.client_id
            WHERE c.id = %s
            ORDER BY a.opened_at DESC, a.id DESC
            LIMIT 1
        )
        SELECT 'line', {CLIENT_COLUMNS}, {user_roles_sql("c.user_id")},
               {", ".join("a." + name for name in _ACCOUNT_COLUMNS)}, {", ".join("s." + name for name in _LINE_COLUMNS)},
               {empty_activity}
        FROM people_client c
        LEFT JOIN accounts_budgetaccount a
               ON a.organiser_id = c.organiser_id AND a.client_id = c.id AND a.id = (SELECT id FROM newest)
        LEFT JOIN accounts_subaccount s ON s.organiser_id = a.organiser_id AND s.account_id = a.id
        WHERE c.id = %s
        UNION ALL
        {activity}""", month_params


def _client_with_account_sql() -> tuple[str, tuple]:
    return _client_with_account_sql_for(timezone.get_current_timezone_name(), connection.vendor)


@dataclass(frozen=True)
class InvoiceRow:
    """What the account pages show of an invoice. Plain values rather than model instances: the page lists ten of
    them on every visit, and building model instances cost more than reading the rows."""

    invoice_date: dt.date
    provider_name: str | None  # None for a receipt the client sent
    invoice_number: str
    total: Decimal
    status: str

    @property
    def status_label(self) -> str:
        return InvoiceStatus(self.status).label


@dataclass(frozen=True)
class InvoiceList:
    invoices: list[InvoiceRow]  # the newest first, at most INVOICES_SHOWN
    count: int  # all of the account's invoices

    @property
    def more(self) -> int:
        return self.count - len(self.invoices)


def invoices_for_provider(provider):
    """A provider's own invoices: amounts and dates only, nothing of the client's plan.

    ``service_date`` and ``amount`` are the names the provider's home page has always shown; they are the invoice's
    date and total."""
    return (
        Invoice.objects.filter(organiser_id=provider.organiser_id, provider=provider)
        .only("invoice_number", "invoice_date", "total", "status", "recorded_at")
        .annotate(service_date=F("invoice_date"), amount=F("total"))
    )


@dataclass(frozen=True)
class MonthSpending:
    month: dt.date  # the first day of the calendar month
    spent: Decimal  # spending minus reversals posted in the month
    pace: Decimal  # the planned total spread evenly over the period's days: this month's share

    @property
    def over_pace(self) -> bool:
        return self.spent > self.pace


def _activity_sql(account: str = "%s", organiser: str = "%s", padding: str = "") -> tuple[str, tuple]:
    """Spending and reversals summed per calendar month in the local time zone, and the newest invoices with the number
    of all of them, in one statement (a row per invoice, then a row per month; the kind of row, then ``padding``,
    then the row's values), of the account that ``account`` and ``organiser`` give (SQL expressions: placeholders,
    by default). The month is cut by the database's own function, as the ORM's TruncMonth does (PostgreSQL's
    DATE_TRUNC, Django's function on SQLite), and given as text like the invoice's date, so that both databases give
    the same types; the amounts are whole cents.

    The parameters, in order: the organiser and the account for the invoices (if placeholders), the number of
    invoices shown, the month's parameters (returned), the organiser and the account for the months (if
    placeholders), and the two kinds of entry (_ACTIVITY_KINDS)."""
    month, month_params = connection.ops.datetime_trunc_sql("month", "at", (), timezone.get_current_timezone_name())
    return f"""
        SELECT 'invoice', {padding}CAST(i.invoice_date AS TEXT), i.total, i.id, p.name, i.invoice_number, i.status, i.count_of_all
        FROM (
            SELECT id, invoice_date, provider_id, invoice_number, total, status, COUNT(*) OVER () AS count_of_all
            FROM accounts_invoice
            WHERE organiser_id = {organiser} AND account_id = {account}
            ORDER BY invoice_date DESC, id DESC
            LIMIT %s
        ) i
        LEFT JOIN catalogue_provider p ON p.id = i.provider_id
        UNION ALL
        SELECT 'month', {padding}e.month, SUM(e.amount), NULL, NULL, NULL, NULL, NULL
        FROM (
            SELECT CAST({month} AS TEXT) AS month, amount
            FROM accounts_ledgerentry
            WHERE organiser_id = {organiser} AND account_id = {account} AND kind IN (%s, %s)
        ) e
        GROUP BY e.month""", tuple(month_params)


_ACTIVITY_KINDS = (EntryKind.SPENDING.value, EntryKind.REVERSAL.value)


@dataclass(frozen=True)
class AccountActivity:
    months: list["MonthSpending"]
    invoice_list: InvoiceList


def account_activity(
    account: BudgetAccount, planned_total: Decimal, invoices_shown: int = INVOICES_SHOWN
) -> AccountActivity:
    """Spending per calendar month of the period, and the account's newest invoices with how many there are in all:
    one query in plain SQL (see core.sql), an aggregate over the account's spending and reversal entries (the
    (account, at) index) and the invoices by account, whose count is a window computed before the limit.

    Months in the local time zone. Invoices posted after the period's end (for services inside it) get months of their
    own after the period. ``pace`` spreads ``planned_total`` evenly over the days of the period, so a month that is
    only partly inside it gets its share; the paces add up to the planned total exactly (each is a difference of
    rounded running sums)."""
    sql, month_params = _activity_sql()
    ids = (account.organiser_id, account.pk)
    rows = fetch_all(sql, [*ids, invoices_shown, *month_params, *ids, *_ACTIVITY_KINDS])
    return _activity(account, planned_total, rows)


def _activity(account: BudgetAccount, planned_total: Decimal, rows) -> AccountActivity:
    spent, invoices, count = {}, [], 0
    for kind, day, cents, invoice_id, provider, number, status, count_of_all in rows:
        if kind == "month":
            spent[dt.date.fromisoformat(day[:10])] = money(cents)
        else:
            invoices.append((dt.date.fromisoformat(day[:10]), invoice_id, provider, number, money(cents), status))
            count = count_of_all
    invoices.sort(reverse=True)  # the newest first: by date, then by id, as the statement lists them
    invoice_list = InvoiceList(
        invoices=[InvoiceRow(day, provider, number, total, status) for day, _id, provider, number, total, status in invoices],
        count=count,
    )
    return AccountActivity(months=_months(account, spent, planned_total), invoice_list=invoice_list)


def _months(account: BudgetAccount, spent: dict[dt.date, Decimal], planned_total: Decimal) -> list["MonthSpending"]:
    """Every calendar month from the period's first to its last, or to the last month with spending after it."""
    start, end = account.period_start, account.period_end
    last = max([end, *spent])
    days_total = (end - start).days + 1
    result, paced_so_far = [], ZERO
    month = start.replace(day=1)
    while month <= last:
        next_month = dt.date(month.year + 1, 1, 1) if month.month == 12 else dt.date(month.year, month.month + 1, 1)
        days_so_far = min((next_month - start).days, days_total)  # the period's days up to this month's end
        paced = round_money(planned_total * days_so_far / days_total)  # the rounded running sum
        result.append(MonthSpending(month=month, spent=spent.get(month, ZERO), pace=paced - paced_so_far))
        paced_so_far, month = paced, next_month
    return result


@dataclass(frozen=True)
class ScheduledInstalment:
    number: int
    due_on: dt.date
    released: bool


@dataclass(frozen=True)
class InstalmentSchedule:
    """The account's instalments in order and what each sub-account has been granted by grant entries so far (by
    sub-account id; absent: nothing): what the next release works from (``services.instalment_grant``)."""

    instalments: tuple[ScheduledInstalment, ...] = ()
    granted_so_far: dict[int, Decimal] = field(default_factory=dict)


NO_SCHEDULE = InstalmentSchedule()

# The instalments (at most 12) and the sums of the account's grant entries per sub-account, in one statement: the
# grants are what the overview's stored totals do not carry (``granted`` there includes adjustments). The due date is
# given as text, so both databases give the same type; the amounts are whole cents.
_SCHEDULE_SQL = """
    SELECT 'instalment', number, CAST(due_on AS TEXT), CASE WHEN released_at IS NULL THEN 0 ELSE 1 END, NULL
    FROM accounts_instalment
    WHERE organiser_id = %s AND account_id = %s
    UNION ALL
    SELECT 'grant', sub_account_id, NULL, NULL, SUM(amount)
    FROM accounts_ledgerentry
    WHERE organiser_id = %s AND account_id = %s AND kind = %s
    GROUP BY sub_account_id"""


def instalment_schedule(account: BudgetAccount) -> InstalmentSchedule:
    """The account's instalments in order, with what each line was granted so far: one query."""
    rows = fetch_all(
        _SCHEDULE_SQL,
        [account.organiser_id, account.pk, account.organiser_id, account.pk, EntryKind.GRANT.value],
    )
    instalments, granted = [], {}
    for kind, number, due_on, released, cents in rows:
        if kind == "instalment":
            instalments.append(ScheduledInstalment(number, dt.date.fromisoformat(due_on[:10]), bool(released)))
        else:
            granted[number] = money(cents)
    instalments.sort(key=lambda instalment: instalment.number)
    return InstalmentSchedule(tuple(instalments), granted)


@dataclass(frozen=True)
class NextInstalment:
    number: int
    count: int
    due_on: dt.date
    amount: Decimal


def next_instalment(overview: AccountOverview, schedule: InstalmentSchedule) -> NextInstalment | None:
    """The first instalment not yet released and what it will grant on the open lines, by the rule its release uses
    (``services.instalment_grant``), so the amount shown is what ``release_instalment`` grants; no query."""
    pending = next((i for i in schedule.instalments if not i.released), None)
    if pending is None:
        return None
    count = overview.account.instalments
    amount = money_sum(
        instalment_grant(line.planned, schedule.granted_so_far.get(line.sub_account_id, ZERO), pending.number, count)
        for line in overview.lines
        if line.is_open
    )
    return NextInstalment(number=pending.number, count=count, due_on=pending.due_on, amount=amount)


def statement_entries(account: BudgetAccount):
    """Every entry of the account in the order it was posted, with what a statement shows of its plan line, invoice
    and agreement: one query over the (account, at) index, read in chunks."""
    return (
        LedgerEntry.objects.filter(organiser_id=account.organiser_id, account=account)
        .select_related("sub_account", "invoice__provider", "agreement")
        .only(
            "at", "kind", "amount", "sub_account__description", "invoice__invoice_number", "invoice__source",
            "invoice__provider__name", "agreement__number",
        )
        .order_by("at", "id")
        .iterator(chunk_size=2000)
    )
