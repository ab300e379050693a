"""Every write of time use: sampling periods, time entries and cost rates.

Sampling periods of one organiser never overlap, and two cost rates of one role never overlap; both writers lock
the organiser's row first, so two concurrent writes run one after the other and the overlap check sees the other's
row.
"""

import datetime as dt
import random
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _

from avain.core import clock
from avain.core.money import CENT
from avain.organisations.models import Organiser, StaffMembership
from avain.people.models import Client, Delegation

from .models import MAX_MINUTES, Activity, CostRate, SamplingPeriod, TimeEntry, TimeRole
from .selectors import recording_period, sampling_candidates

DELEGATE_ROLES = {TimeRole.CLOSE_ONE, TimeRole.HB_ASSISTANT}
STAFF_ROLES = {TimeRole.SOCIAL_WORKER, TimeRole.OTHER_STAFF}


def _lock_organiser(organiser_id: int) -> Organiser:
    return Organiser.objects.select_for_update().get(pk=organiser_id)


def _short(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


@transaction.atomic
def create_sampling_period(
    *,
    organiser: Organiser,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    clients=(),
    sample_size: int | None = None,
    actor,
) -> SamplingPeriod:
    """Open a recording period for the whole organiser. With ``clients``, only those clients are sampled; with
    ``sample_size``, that many clients are drawn at random from the organiser's HB clients (the administrator who
    opens the period never needs to see their names)."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the period a name."), code="name_missing")
    if ends_on < starts_on:
        raise ValidationError(_("The period cannot end before it starts."), code="period_dates")
    clients = list(clients)
    if sample_size is not None:
        candidates = list(sampling_candidates(organiser.pk).order_by("pk"))
        if sample_size < 1 or sample_size > len(candidates):
            raise ValidationError(
                _("The sample must be from 1 to %(count)s clients.") % {"count": len(candidates)},
                code="sample_size",
            )
        clients = random.SystemRandom().sample(candidates, sample_size)
    if any(client.organiser_id != organiser.pk for client in clients):
        raise ValidationError(_("Choose clients of your own organisation only."), code="client_other_organiser")
    _lock_organiser(organiser.pk)
    periods = SamplingPeriod.objects.filter(organiser=organiser)
    if periods.filter(name=name).exists():
        raise ValidationError(_("A period with this name already exists."), code="duplicate_name")
    clash = periods.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if clash is not None:
        raise ValidationError(
            _("The period overlaps “%(name)s” (%(start)s–%(end)s). Periods cannot overlap.")
            % {"name": clash.name, "start": _short(clash.starts_on), "end": _short(clash.ends_on)},
            code="period_overlap",
        )
    period = SamplingPeriod.objects.create(
        organiser=organiser, name=name, starts_on=starts_on, ends_on=ends_on, created_at=clock.now(), created_by=actor
    )
    period.clients.set(clients)
    return period


def _check_person(*, organiser: Organiser, person, role: str, client: Client | None) -> None:
    """The person may record time in this role (and for this client): refused with ``not_allowed`` otherwise."""
    refusal = ValidationError(_("You cannot record time in this role."), code="not_allowed")
    if client is not None and client.organiser_id != organiser.pk:
        raise refusal
    if role == TimeRole.CLIENT:
        if client is None or client.user_id != person.pk:
            raise refusal
    elif role in DELEGATE_ROLES:
        # A close one or an HB assistant records time for a client only with the client's permission to edit.
        if client is None or not Delegation.objects.filter(
            organiser_id=organiser.pk,
            client=client,
            user=person,
            access=Delegation.Access.EDIT,
            withdrawn_at__isnull=True,
        ).exists():
            raise refusal
    elif role in STAFF_ROLES:
        if not StaffMembership.objects.filter(organiser=organiser, user=person, active=True).exists():
            raise refusal
    else:
        raise refusal


@transaction.atomic
def log_time(
    *,
    organiser: Organiser,
    person,
    role: str,
    client: Client | None,
    activity: str,
    minutes: int,
    on: dt.date,
    note: str = "",
) -> TimeEntry:
    """Record time spent on one day. Refused: ``minutes_out_of_range`` (1–1440), ``unknown_activity``,
    ``not_allowed`` (see :func:`_check_person`), and the period checks of
    :func:`avain.timeuse.selectors.recording_period`: ``no_open_period``, ``date_in_future``, ``outside_period``,
    ``client_not_sampled``."""
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        raise ValidationError(
            _("Minutes must be a whole number from 1 to %(max)s (24 hours).") % {"max": MAX_MINUTES},
            code="minutes_out_of_range",
        )
    if activity not in Activity.values:
        raise ValidationError(_("Choose what the time was spent on."), code="unknown_activity")
    _check_person(organiser=organiser, person=person, role=role, client=client)
    period = recording_period(organiser.pk, on, client.pk if client else None)
    return TimeEntry.objects.create(
        organiser=organiser,
        period=period,
        person=person,
        role=role,
        client=client,
        activity=activity,
        minutes=minutes,
        on=on,
        note=note.strip(),
        created_at=clock.now(),
    )


@transaction.atomic
def set_cost_rate(
    *,
    organiser: Organiser,
    role: str,
    euros_per_hour: Decimal,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    actor,
) -> CostRate:
    """Set what an hour of a role's time costs from ``valid_from``.

    A rate of the same role that started earlier and has no end is closed the day before ``valid_from``; any other
    overlap is refused (``rate_overlap``). Also refused: ``unknown_role``, ``rate_negative``, ``rate_not_cents``
    and ``rate_dates`` (ends before it starts).
    """
    if role not in TimeRole.values:
        raise ValidationError(_("Choose a role."), code="unknown_role")
    if not isinstance(euros_per_hour, Decimal) or euros_per_hour < 0:
        raise ValidationError(_("The hourly rate cannot be negative."), code="rate_negative")
    if euros_per_hour != euros_per_hour.quantize(CENT):
        raise ValidationError(_("Give the hourly rate in euros and cents."), code="rate_not_cents")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError(_("The rate cannot end before it starts."), code="rate_dates")
    _lock_organiser(organiser.pk)
    rates = CostRate.objects.filter(organiser=organiser, role=role)
    open_earlier = rates.filter(valid_to__isnull=True, valid_from__lt=valid_from).first()
    overlapping = rates.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if open_earlier is not None:
        overlapping = overlapping.exclude(pk=open_earlier.pk)
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    clash = overlapping.order_by("valid_from").first()
    if clash is not None:
        end = _short(clash.valid_to) if clash.valid_to else _("until further notice")
        raise ValidationError(
            _("The rate overlaps the rate valid %(start)s–%(end)s. Rates of one role cannot overlap.")
            % {"start": _short(clash.valid_from), "end": end},
            code="rate_overlap",
        )
    if open_earlier is not None:
        open_earlier.valid_to = valid_from - dt.timedelta(days=1)
        open_earlier.save(update_fields=["valid_to"])
    return CostRate.objects.create(
        organiser=organiser,
        role=role,
        euros_per_hour=euros_per_hour,
        valid_from=valid_from,
        valid_to=valid_to,
        created_at=clock.now(),
        created_by=actor,
    )
