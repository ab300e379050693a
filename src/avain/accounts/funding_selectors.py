"""Reads for the funding pages, scoped by organiser: the lines money can move between, and the closing statement
read back from its JSON with the amounts as money again."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Min, Sum
from django.utils import timezone

from avain.people.models import Client

from .models import AccountStatus, BudgetAccount, EntryKind, FundingRule, LedgerEntry, OverspendPermission, SubAccount

FIGURES = ("planned", "granted", "spent", "paid", "unpaid", "released")


def open_lines(account: BudgetAccount):
    """The account's lines in use (not replaced by a change), in plan order; none once the account is closed."""
    if account.status != AccountStatus.OPEN:
        return SubAccount.objects.none()
    return SubAccount.objects.filter(organiser_id=account.organiser_id, account=account, is_open=True).order_by("pk")


def overspend_permissions(account: BudgetAccount):
    """Every overspend permission given or taken away on the account's lines, the newest first, with the line and
    who gave it."""
    return (
        OverspendPermission.objects.filter(organiser_id=account.organiser_id, sub_account__account=account)
        .select_related("sub_account", "given_by")
        .order_by("-given_at", "-id")
    )


def flexible_lines(account: BudgetAccount):
    return open_lines(account).filter(flexible=True)


def funding_rule(organiser_id: int) -> FundingRule:
    """The organiser's rule, or the defaults (an unsaved rule) when none has been set."""
    return FundingRule.objects.filter(organiser_id=organiser_id).first() or FundingRule(organiser_id=organiser_id)


def closed_account_for_client(client: Client) -> BudgetAccount | None:
    """The client's most recently closed budget account."""
    return (
        BudgetAccount.objects.filter(organiser_id=client.organiser_id, client=client, status=AccountStatus.CLOSED)
        .order_by("-closed_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class StatementLine:
    description: str
    replaced: bool
    planned: Decimal
    granted: Decimal
    spent: Decimal
    paid: Decimal
    unpaid: Decimal
    released: Decimal


@dataclass(frozen=True)
class ReleasedAfterClosing:
    """An invoice rejected after the budget was closed, whose money was released then (``invoices._give_money_back``):
    the statement stays as it stood at closing, so the page tells of these below it."""

    rejected_on: dt.date
    invoice_number: str
    amount: Decimal


@dataclass(frozen=True)
class ClosingStatement:
    account: BudgetAccount
    closed_at: dt.datetime
    closed_by: str
    agreements_ended: int
    lines: tuple[StatementLine, ...]
    totals: StatementLine
    released_after: tuple[ReleasedAfterClosing, ...] = ()


def closing_statement(account: BudgetAccount) -> ClosingStatement | None:
    data = account.closing_statement
    if account.status != AccountStatus.CLOSED or not data:
        return None

    def line(row: dict, description: str = "", replaced: bool = False) -> StatementLine:
        return StatementLine(
            description=row.get("description", description),
            replaced=row.get("replaced", replaced),
            **{name: Decimal(row[name]) for name in FIGURES},
        )

    closed_at = dt.datetime.fromisoformat(data["closed_at"])
    released_after = (
        LedgerEntry.objects.filter(
            organiser_id=account.organiser_id, account=account, kind=EntryKind.ADJUSTMENT,
            invoice__isnull=False, at__gt=closed_at,
        )
        .values("invoice_id", "invoice__invoice_number")
        .annotate(day=Min("at"), total=Sum("amount"))
        .order_by("day", "invoice_id")
    )
    return ClosingStatement(
        account=account,
        closed_at=dt.datetime.fromisoformat(data["closed_at"]),
        closed_by=(data.get("closed_by") or {}).get("name", ""),
        agreements_ended=data.get("agreements_ended", 0),
        lines=tuple(line(row) for row in data["lines"]),
        totals=line(data["totals"]),
        released_after=tuple(
            ReleasedAfterClosing(timezone.localdate(row["day"]), row["invoice__invoice_number"], -row["total"])
            for row in released_after
        ),
    )
