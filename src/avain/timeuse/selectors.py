"""Reads of time use, always scoped by organiser. The research app reads time use only through
:func:`time_cost_per_client` and :func:`time_entries_for_export`; the feedback app finds the sampling period of a
diary entry through :func:`recording_period`."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import formats
from django.utils.translation import gettext as _

from avain.core import clock
from avain.core.money import ZERO
from avain.organisations.models import Role
from avain.people.models import Client, HBAssistant
from avain.planning.models import CaseStatus, HBCase

from .models import CostRate, SamplingPeriod, TimeEntry, TimeRole
from .valuation import cost_per_client, value_time

# Entries may still be written for this many days after a period ends: last Friday's work is often written down
# on Monday. After that the period is closed and its material stays as it is.
LATE_ENTRY_DAYS = 14


def sampling_periods(organiser_id: int) -> QuerySet[SamplingPeriod]:
    return SamplingPeriod.objects.filter(organiser_id=organiser_id).prefetch_related("clients")


def open_periods(organiser_id: int, today: dt.date | None = None) -> list[SamplingPeriod]:
    """The periods in which something may be recorded today (from the first day to ``LATE_ENTRY_DAYS`` after the
    last), earliest first."""
    today = today or clock.today()
    return list(
        sampling_periods(organiser_id)
        .filter(starts_on__lte=today, ends_on__gte=today - dt.timedelta(days=LATE_ENTRY_DAYS))
        .order_by("starts_on")
    )


def is_sampled(period: SamplingPeriod, client_id: int | None) -> bool:
    """Whether time for (or the diary of) this client is recorded in the period: every client when the period names
    none, otherwise only the clients it names. General work (no client) is always recorded."""
    if client_id is None:
        return True
    chosen = {c.pk for c in period.clients.all()}
    return not chosen or client_id in chosen


def _short(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def recording_period(organiser_id: int, day: dt.date, client_id: int | None = None) -> SamplingPeriod:
    """The open sampling period that ``day`` falls in, for this client (None: a worker's own, general record).

    Refuses with a ValidationError: ``no_open_period`` (nothing is being recorded now), ``date_in_future``,
    ``outside_period`` (the date is in no open period) or ``client_not_sampled``.
    """
    today = clock.today()
    periods = open_periods(organiser_id, today)
    if not periods:
        raise ValidationError(_("Nothing is being recorded right now: there is no open recording period."), code="no_open_period")
    if day > today:
        raise ValidationError(_("The date cannot be in the future."), code="date_in_future")
    period = next((p for p in periods if p.covers(day)), None)
    if period is None:
        spans = ", ".join(f"{_short(p.starts_on)}–{_short(p.ends_on)}" for p in periods)
        raise ValidationError(
            _("The date must be within the recording period (%(periods)s).") % {"periods": spans},
            code="outside_period",
        )
    if not is_sampled(period, client_id):
        raise ValidationError(
            _("This client is not part of the recording period “%(name)s”.") % {"name": period.name},
            code="client_not_sampled",
        )
    return period


def sampled_in_open_period(organiser_id: int, client_id: int | None) -> bool:
    """Whether anything can be recorded today for this client (or, with None, for a worker)."""
    return any(is_sampled(p, client_id) for p in open_periods(organiser_id))


def clients_for_worker(membership) -> QuerySet[Client]:
    """The clients a staff member may log time for: those whose HB case they are the named worker of (the same
    clients their work queue shows)."""
    return (
        Client.objects.filter(
            organiser_id=membership.organiser_id,
            cases__worker=membership.user,
        )
        .exclude(cases__status=CaseStatus.DECLINED)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def delegate_role(user, organiser_id: int) -> str:
    """The role a client's delegate records time in: an HB assistant of the organiser, otherwise a close one."""
    if HBAssistant.objects.filter(organiser_id=organiser_id, user=user).exists():
        return TimeRole.HB_ASSISTANT
    return TimeRole.CLOSE_ONE


def staff_role(membership) -> str:
    return TimeRole.SOCIAL_WORKER if membership.role == Role.SOCIAL_WORKER else TimeRole.OTHER_STAFF


def sampling_candidates(organiser_id: int) -> QuerySet[Client]:
    """The clients a random sample is drawn from: those with an HB case that was not declined."""
    return (
        Client.objects.filter(organiser_id=organiser_id, cases__isnull=False)
        .exclude(cases__status=CaseStatus.DECLINED)
        .distinct()
    )


def worker_has_case(membership, client_id: int) -> bool:
    return HBCase.objects.filter(
        organiser_id=membership.organiser_id, worker=membership.user, client_id=client_id
    ).exists()


def entries_of_person(organiser_id: int, user) -> QuerySet[TimeEntry]:
    """The person's own entries in the periods still open, newest first."""
    periods = [p.pk for p in open_periods(organiser_id)]
    return TimeEntry.objects.filter(organiser_id=organiser_id, person=user, period_id__in=periods).select_related(
        "client"
    )


def entries_for_client(client: Client) -> QuerySet[TimeEntry]:
    """Time recorded for the client's HB in the periods still open, by anyone, newest first."""
    periods = [p.pk for p in open_periods(client.organiser_id)]
    return TimeEntry.objects.filter(
        organiser_id=client.organiser_id, client=client, period_id__in=periods
    ).select_related("person")


def minutes_total(entries) -> int:
    return sum(entry.minutes for entry in entries)


def cost_rates(organiser_id: int) -> QuerySet[CostRate]:
    return CostRate.objects.filter(organiser_id=organiser_id).order_by("role", "valid_from")


def _rates_between(organiser_id: int, start: dt.date | None, end: dt.date | None) -> list[CostRate]:
    rates = cost_rates(organiser_id)
    if end is not None:
        rates = rates.filter(valid_from__lte=end)
    if start is not None:
        rates = rates.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
    return list(rates)


def _entries_between(organiser_id: int, start: dt.date | None, end: dt.date | None) -> QuerySet[TimeEntry]:
    entries = TimeEntry.objects.filter(organiser_id=organiser_id)
    if start is not None:
        entries = entries.filter(on__gte=start)
    if end is not None:
        entries = entries.filter(on__lte=end)
    return entries


def time_cost_per_client(organiser, clients: Iterable, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """Euros of time spent on each client's HB between ``start`` and ``end`` (inclusive), by everyone.

    ``clients`` are Client objects or ids; every one asked for is in the answer (0.00 when no time was recorded).
    Each total is rounded once (see :mod:`avain.timeuse.valuation`). Entries whose role had no cost rate on the day
    add nothing: :func:`entries_without_rate` counts them.
    """
    organiser_id = getattr(organiser, "pk", organiser)
    client_ids = [getattr(c, "pk", c) for c in clients]
    entries = list(_entries_between(organiser_id, start, end).filter(client_id__in=client_ids))
    totals = cost_per_client(entries, _rates_between(organiser_id, start, end))
    return {client_id: totals.get(client_id, ZERO) for client_id in client_ids}


def entries_without_rate(organiser, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """How many entries no cost rate covers: their time is not in any euro figure until a rate is set."""
    organiser_id = getattr(organiser, "pk", organiser)
    entries = list(_entries_between(organiser_id, start, end))
    values = value_time(entries, _rates_between(organiser_id, start, end))
    return sum(1 for value in values.values() if value is None)


def time_entries_for_export(
    organiser, client_ids: Iterable[int] | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> list[dict]:
    """Time entries as plain rows for research: no names, no identity codes and no free-text notes.

    ``client_id`` and ``person_id`` are database ids for the caller to pseudonymise; ``client_id`` is None for
    general work. With ``client_ids`` only those clients' entries are included (general work is left out).
    ``euros`` is the entry's exact, unrounded value, or None when no cost rate covered it: round only totals.
    """
    organiser_id = getattr(organiser, "pk", organiser)
    entries = _entries_between(organiser_id, start, end).order_by("on", "pk")
    if client_ids is not None:
        entries = entries.filter(client_id__in=list(client_ids))
    entries = list(entries)
    values = value_time(entries, _rates_between(organiser_id, start, end))
    return [
        {
            "entry_id": entry.pk,
            "period_id": entry.period_id,
            "client_id": entry.client_id,
            "person_id": entry.person_id,
            "role": entry.role,
            "activity": entry.activity,
            "minutes": entry.minutes,
            "on": entry.on,
            "euros": values[entry.pk],
        }
        for entry in entries
    ]
