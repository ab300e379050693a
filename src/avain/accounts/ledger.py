"""The one way money moves on a budget account: add entries and update the sub-accounts' stored totals with them.

Callers lock what they change first (:func:`lock_sub_accounts`, always in id order, so that two postings never wait
for each other in a circle) and then call :func:`post` inside the same transaction. ``post`` is set-based: the same few
queries per call (see :mod:`.bulk`), however many entries, so bulk imports stay fast.
The database's check constraints on ``SubAccount`` are the last safety net: a posting that would overdraw a line is
refused by the database even if a check above it were wrong.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from avain.core.money import ZERO

from . import bulk
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
    rows = SubAccount.objects.select_for_update().filter(bulk.any_of("pk", ids)).order_by("pk")
    return {row.pk: row for row in rows}


ENTRY_FIELDS = (
    "organiser_id", "account_id", "sub_account_id", "kind", "amount", "invoice_id", "agreement_id", "payment_id",
    "memo", "at", "by_id",
)


def post(postings: list[Posting], *, by, at: dt.datetime) -> list[int]:
    """Add the entries and move each sub-account's stored totals by them, in memory and in the database. Returns
    the new entries' ids, in the order of ``postings``.

    The sub-accounts must be locked by the caller in the current transaction; their in-memory totals are updated too,
    so a caller that posts in several steps keeps checking against the right figures."""
    if not postings:
        return []
    by_id = getattr(by, "pk", by)
    ids = bulk.insert(
        LedgerEntry,
        ENTRY_FIELDS,
        [
            (
                p.sub_account.organiser_id, p.sub_account.account_id, p.sub_account.pk, p.kind, p.amount,
                p.invoice_id, p.agreement_id, p.payment_id, p.memo, at, by_id,
            )
            for p in postings
        ],
    )
    deltas: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BUCKETS, ZERO))
    sub_accounts: dict[int, SubAccount] = {}
    for p in postings:
        deltas[p.sub_account.pk][BUCKET_OF_KIND[p.kind]] += p.amount
        sub_accounts[p.sub_account.pk] = p.sub_account
    bulk.update(SubAccount, BUCKETS, [(pk, *(delta[b] for b in BUCKETS)) for pk, delta in deltas.items()], add=True)
    for pk, delta in deltas.items():
        sub = sub_accounts[pk]
        for bucket in BUCKETS:
            setattr(sub, bucket, getattr(sub, bucket) + delta[bucket])
    return ids


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
