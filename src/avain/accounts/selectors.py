from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from avain.core.money import ZERO, money_sum
from avain.people.models import Client

from .models import BudgetAccount, EntryKind, Invoice, LedgerEntry


@dataclass(frozen=True)
class LineBalance:
    plan_line_id: int
    description: str
    granted: Decimal
    spent: Decimal

    @property
    def left(self) -> Decimal:
        return self.granted - self.spent


@dataclass(frozen=True)
class AccountBalance:
    account: BudgetAccount
    lines: tuple[LineBalance, ...]

    @property
    def granted(self) -> Decimal:
        return money_sum(line.granted for line in self.lines)

    @property
    def spent(self) -> Decimal:
        return money_sum(line.spent for line in self.lines)

    @property
    def left(self) -> Decimal:
        return self.granted - self.spent


def account_for_client(client: Client) -> BudgetAccount | None:
    return (
        BudgetAccount.objects.filter(organiser_id=client.organiser_id, client=client)
        .select_related("decision")
        .order_by("-opened_at")
        .first()
    )


def account_balance(account: BudgetAccount) -> AccountBalance:
    """Granted, spent and left per plan line, summed from the ledger in one query."""
    rows = (
        LedgerEntry.objects.filter(organiser_id=account.organiser_id, account=account)
        .values("plan_line_id", "plan_line__description")
        .annotate(
            granted=Sum("amount", filter=Q(kind=EntryKind.GRANT)),
            spending=Sum("amount", filter=~Q(kind=EntryKind.GRANT)),
        )
        .order_by("plan_line_id")
    )
    return AccountBalance(
        account=account,
        lines=tuple(
            LineBalance(
                plan_line_id=row["plan_line_id"],
                description=row["plan_line__description"],
                granted=row["granted"] or ZERO,
                spent=-(row["spending"] or ZERO),
            )
            for row in rows
        ),
    )


def invoices_of(account: BudgetAccount):
    return Invoice.objects.filter(organiser_id=account.organiser_id, account=account).select_related(
        "provider", "plan_line"
    )


def invoices_for_provider(provider):
    """A provider's own invoices: amounts and dates only, nothing of the client's plan."""
    return Invoice.objects.filter(organiser_id=provider.organiser_id, provider=provider).only(
        "invoice_number", "service_date", "amount", "recorded_at"
    )
