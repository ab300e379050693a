"""Reads of budget accounts, always scoped by organiser. Every function here costs a fixed number of queries, however
many clients, entries or invoices there are: the totals are read from the sub-accounts' stored totals, never summed
from the entries, and the only aggregate over entries (``monthly_spending``) uses the (account, at) index."""

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.utils import timezone

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
_CLIENT_WITH_OVERVIEW_SQL = f"""
    SELECT {CLIENT_COLUMNS}, {", ".join("a." + name for name in _ACCOUNT_COLUMNS)},
           s.id, s.plan_line_id, s.description, s.planned, s.granted, s.committed, s.spent, s.paid, s.is_open
    FROM people_client c
    LEFT JOIN accounts_budgetaccount a ON a.organiser_id = c.organiser_id AND a.client_id = c.id
    LEFT JOIN accounts_subaccount s ON s.organiser_id = a.organiser_id AND s.account_id = a.id
    WHERE c.id = %s
    ORDER BY a.opened_at DESC, a.id DESC, s.id"""


def client_with_overview(client_id: int) -> tuple[Client | None, AccountOverview | None]:
    """The client, as portal_access reads them (without their organiser, which the page does not show), and the
    overview of the client's newest budget account (None before the budget is granted), in one query in plain SQL
    (see core.sql): a row per sub-account, joined to its account and the client, the newest account first (joined
    rather than found by a subquery, which PostgreSQL took longer to plan than to run). A loader for portal_access: the
    client's account page is the page clients open most, and it shows nothing else of the account."""
    rows = fetch_all(_CLIENT_WITH_OVERVIEW_SQL, [client_id])
    if not rows:
        return None, None
    client = client_from_row(rows[0])
    account_id = rows[0][CLIENT_WIDTH]
    if account_id is None:
        return client, None
    # The newest account's rows come first; a client's earlier accounts (earlier budget periods) follow.
    rows = [row for row in rows if row[CLIENT_WIDTH] == account_id]
    account_end = CLIENT_WIDTH + len(_ACCOUNT_COLUMNS)
    account = instance_from_row(BudgetAccount, _ACCOUNT_COLUMNS, rows[0][CLIENT_WIDTH:account_end])
    lines = tuple(
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
            row[account_end:] for row in rows
        )
        if pk is not None  # an account without sub-accounts gives one row of the account alone
    )
    return client, AccountOverview(account=account, lines=lines)


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


def _activity_sql() -> tuple[str, tuple]:
    """Spending and reversals summed per calendar month in the local time zone, and the newest invoices with the number
    of all of them, in one statement (a row per month, then a row per invoice). The month is cut by the database's own
    function, as the ORM's TruncMonth does (PostgreSQL's DATE_TRUNC, Django's function on SQLite), and given as text
    like the invoice's date, so that both databases give the same types; the amounts are whole cents."""
    month, month_params = connection.ops.datetime_trunc_sql("month", "at", (), timezone.get_current_timezone_name())
    return f"""
        SELECT 'month', e.month, SUM(e.amount), NULL, NULL, NULL, NULL, NULL
        FROM (
            SELECT CAST({month} AS TEXT) AS month, amount
            FROM accounts_ledgerentry
            WHERE organiser_id = %s AND account_id = %s AND kind IN (%s, %s)
        ) e
        GROUP BY e.month
        UNION ALL
        SELECT 'invoice', CAST(i.invoice_date AS TEXT), i.total, i.id, p.name, i.invoice_number, i.status, i.count_of_all
        FROM (
            SELECT id, invoice_date, provider_id, invoice_number, total, status, COUNT(*) OVER () AS count_of_all
            FROM accounts_invoice
            WHERE organiser_id = %s AND account_id = %s
            ORDER BY invoice_date DESC, id DESC
            LIMIT %s
        ) i
        LEFT JOIN catalogue_provider p ON p.id = i.provider_id""", month_params


def account_activity(
    account: BudgetAccount, planned_total: Decimal, invoices_shown: int = INVOICES_SHOWN
) -> tuple[list["MonthSpending"], InvoiceList]:
    """Spending per calendar month of the period, and the account's newest invoices with how many there are in all:
    one query in plain SQL (see core.sql), an aggregate over the account's spending and reversal entries (the
    (account, at) index) and the invoices by account, whose count is a window computed before the limit.

    Months in the local time zone. Invoices posted after the period's end (for services inside it) get months of their
    own after the period. ``pace`` spreads ``planned_total`` evenly over the days of the period, so a month that is
    only partly inside it gets its share; the paces add up to the planned total exactly (each is a difference of
    rounded running sums)."""
    sql, month_params = _activity_sql()
    rows = fetch_all(
        sql,
        [
            *month_params, account.organiser_id, account.pk, EntryKind.SPENDING.value, EntryKind.REVERSAL.value,
            account.organiser_id, account.pk, invoices_shown,
        ],
    )  # fmt: skip
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
    return _months(account, spent, planned_total), invoice_list


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
