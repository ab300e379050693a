"""Turning time into money: pure functions over plain values, no database.

The one rounding of time costs happens in :func:`cost_per_client`: each client's total is the exact sum of
minutes × hourly rate over the client's entries, divided by 60 once and rounded half up to the cent once
(:func:`avain.core.money.round_money`). Single entries are not rounded, so a client's total does not drift by a
cent for every entry it is made of.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from avain.core.money import round_money

MINUTES_PER_HOUR = Decimal(60)


def rate_for(rates: Iterable, role: str, day):
    """The rate of ``role`` in force on ``day`` (rates of one role never overlap), or None."""
    for rate in rates:
        if rate.role == role and rate.valid_from <= day and (rate.valid_to is None or day <= rate.valid_to):
            return rate
    return None


def value_time(entries: Iterable, rates: Iterable) -> dict[int, Decimal | None]:
    """The exact, unrounded euros of each entry (by its ``pk``): minutes × the role's rate on the entry's date ÷ 60.

    An entry whose role has no rate on its date is valued None: a missing rate is shown, never counted as zero.
    Entries need ``pk``, ``role``, ``on`` and ``minutes``; rates ``role``, ``valid_from``, ``valid_to`` and
    ``euros_per_hour`` (a Decimal).
    """
    rates = list(rates)
    values: dict[int, Decimal | None] = {}
    for entry in entries:
        rate = rate_for(rates, entry.role, entry.on)
        values[entry.pk] = None if rate is None else Decimal(entry.minutes) * rate.euros_per_hour / MINUTES_PER_HOUR
    return values


def cost_per_client(entries: Iterable, rates: Iterable) -> dict[int | None, Decimal]:
    """Each client's time cost in euros, rounded once per client (key None: general work for no one client).

    Entries without a rate add nothing here; :func:`value_time` shows which they are.
    """
    rates = list(rates)
    # Minutes × euros per hour is exact (whole minutes times whole cents); dividing by 60 is not, so it is done
    # once per client, just before the one rounding.
    minute_euros: dict[int | None, Decimal] = defaultdict(Decimal)
    for entry in entries:
        rate = rate_for(rates, entry.role, entry.on)
        minute_euros[entry.client_id] += Decimal(entry.minutes) * rate.euros_per_hour if rate else Decimal(0)
    return {client_id: round_money(total / MINUTES_PER_HOUR) for client_id, total in minute_euros.items()}
