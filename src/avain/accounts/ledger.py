"""The one way money moves on a budget account: add entries and update the sub-accounts' stored totals with them.

Callers lock what they change first (:func:`lock_sub_accounts`, always in id order, so that two postings never wait
for each other in a circle) and then call :func:`post` inside the same transaction. ``post`` is set-based: one insert
of the entries and one update of the totals per call, however many entries, so bulk imports stay fast.
The database's check constraints on ``SubAccount`` are the last safety net: a posting that would overdraw a line is
refused by the database even if a check above it were wrong.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum

from avain.core.money import ZERO

from .models import BUCKET_OF_KIND, EntryKind, LedgerEntry, SubAccount

BUCKETS = ("granted", "committed", "spent", "paid")


@dataclass(frozen=True)
class Posting:
    """One entry to add. ``amount`` is the change of the kind's bucket (see ``models.BUCKET_OF_KIND``)."""

    sub_account: SubAccount
    kind: EntryKind
    amount: Decimal
    invoice_id: int | None = None
    agreement_id: int | None = None
    payment_id: int | None = None
    memo: str = ""


def lock_sub_accounts(ids) -> dict[int, SubAccount]:
    """Lock the sub-accounts (``SELECT … FOR UPDATE``, in id order) and return them fresh from the database."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = SubAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {row.pk: row for row in rows}


def post(postings: list[Posting], *, by, at: dt.datetime) -> list[LedgerEntry]:
    """Add the entries and move each sub-account's stored totals by them, in memory and in the database.

    The sub-accounts must be locked by the caller in the current transaction; their in-memory totals are updated too,
    so a caller that posts in several steps keeps checking against the right figures."""
    if not postings:
        return []
    by_id = getattr(by, "pk", by)
    entries = [
        LedgerEntry(
            organiser_id=p.sub_account.organiser_id,
            account_id=p.sub_account.account_id,
            sub_account_id=p.sub_account.pk,
            kind=p.kind,
            amount=p.amount,
            invoice_id=p.invoice_id,
            agreement_id=p.agreement_id,
            payment_id=p.payment_id,
            memo=p.memo,
            at=at,
            by_id=by_id,
        )
        for p in postings
    ]
    LedgerEntry.objects.bulk_create(entries, batch_size=5000)
    deltas: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BUCKETS, ZERO))
    sub_accounts: dict[int, SubAccount] = {}
    for p in postings:
        deltas[p.sub_account.pk][BUCKET_OF_KIND[p.kind]] += p.amount
        sub_accounts[p.sub_account.pk] = p.sub_account
    _apply_deltas(deltas)
    for pk, delta in deltas.items():
        sub = sub_accounts[pk]
        for bucket in BUCKETS:
            setattr(sub, bucket, getattr(sub, bucket) + delta[bucket])
    return entries


def _apply_deltas(deltas: dict[int, dict[str, Decimal]]) -> None:
    """One UPDATE for all sub-accounts on PostgreSQL; one per sub-account elsewhere. Amounts are whole cents."""
    cents = {pk: [int(delta[b].scaleb(2)) for b in BUCKETS] for pk, delta in deltas.items()}
    table = SubAccount._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS s SET granted = s.granted + d.g, committed = s.committed + d.c, "
                "spent = s.spent + d.s, paid = s.paid + d.p "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) AS d(id, g, c, s, p) "
                "WHERE s.id = d.id",
                [list(cents), *([c[i] for c in cents.values()] for i in range(4))],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET granted = granted + %s, committed = committed + %s, spent = spent + %s, "
                "paid = paid + %s WHERE id = %s",
                [(*c, pk) for pk, c in cents.items()],
            )


@dataclass(frozen=True)
class Mismatch:
    sub_account_id: int
    bucket: str
    stored: Decimal
    entries: Decimal


def verify(sub_accounts=None) -> list[Mismatch]:
    """Compare every sub-account's stored totals with the sums of its entries, in one query. Empty: all agree."""
    queryset = SubAccount.objects.all() if sub_accounts is None else sub_accounts
    sums = {
        f"sum_{bucket}": Sum(
            "entries__amount",
            filter=Q(entries__kind__in=[kind for kind, b in BUCKET_OF_KIND.items() if b == bucket]),
            default=ZERO,
        )
        for bucket in BUCKETS
    }
    mismatches = []
    for row in queryset.annotate(**sums).values("pk", *BUCKETS, *sums).order_by("pk").iterator(chunk_size=5000):
        for bucket in BUCKETS:
            if row[bucket] != row[f"sum_{bucket}"]:
                mismatches.append(Mismatch(row["pk"], bucket, row[bucket], row[f"sum_{bucket}"]))
    return mismatches
