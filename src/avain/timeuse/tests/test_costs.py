"""Cost rates never overlap, and time turns into euros exactly, with one rounding per client."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from avain.core.money import round_money
from avain.testing import db_snapshot, make_client, make_organiser, make_staff
from avain.timeuse import selectors, services
from avain.timeuse.models import Activity, CostRate, TimeRole
from avain.timeuse.valuation import cost_per_client, value_time


def refused_here(code, call, **kwargs):
    before = db_snapshot("timeuse")
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    assert error.value.code == code, error.value
    assert db_snapshot("timeuse") == before


def _rate(organiser, admin, role, euros, start, end=None):
    return services.set_cost_rate(
        organiser=organiser, role=role, euros_per_hour=Decimal(euros), valid_from=start, valid_to=end, actor=admin
    )


@pytest.mark.django_db
def test_a_new_rate_closes_the_earlier_open_rate_the_day_before(today, organiser, admin):
    _rate(organiser, admin, TimeRole.SOCIAL_WORKER, "48.00", dt.date(2027, 1, 1))
    _rate(organiser, admin, TimeRole.SOCIAL_WORKER, "50.00", dt.date(2027, 7, 1))
    _rate(organiser, admin, TimeRole.CLIENT, "0.00", dt.date(2027, 1, 1))  # another role is independent
    rows = list(
        CostRate.objects.filter(role=TimeRole.SOCIAL_WORKER).values_list("euros_per_hour", "valid_from", "valid_to")
    )
    assert rows == [
        (Decimal("48.00"), dt.date(2027, 1, 1), dt.date(2027, 6, 30)),
        (Decimal("50.00"), dt.date(2027, 7, 1), None),
    ]


@pytest.mark.django_db
def test_overlapping_rates_are_refused(today, organiser, admin):
    _rate(organiser, admin, TimeRole.HB_ASSISTANT, "20.00", dt.date(2027, 1, 1), dt.date(2027, 6, 30))
    _rate(organiser, admin, TimeRole.HB_ASSISTANT, "22.00", dt.date(2027, 9, 1))
    for start, end in [
        (dt.date(2027, 6, 30), dt.date(2027, 7, 31)),  # touches the first
        (dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
        (dt.date(2027, 8, 1), None),  # open end runs into the third
        (dt.date(2027, 1, 1), dt.date(2027, 1, 1)),  # same start
    ]:
        refused_here(
            "rate_overlap", services.set_cost_rate, organiser=organiser, role=TimeRole.HB_ASSISTANT,
            euros_per_hour=Decimal("21.00"), valid_from=start, valid_to=end, actor=admin,
        )
    # The gap between the two is free.
    _rate(organiser, admin, TimeRole.HB_ASSISTANT, "21.00", dt.date(2027, 7, 1), dt.date(2027, 8, 31))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("euros", "start", "end", "code"),
    [
        ("-1.00", dt.date(2027, 1, 1), None, "rate_negative"),
        ("10.005", dt.date(2027, 1, 1), None, "rate_not_cents"),
        ("10.00", dt.date(2027, 2, 1), dt.date(2027, 1, 31), "rate_dates"),
    ],
)
def test_bad_rates_are_refused(today, organiser, admin, euros, start, end, code):
    refused_here(
        code, services.set_cost_rate, organiser=organiser, role=TimeRole.CLIENT, euros_per_hour=Decimal(euros),
        valid_from=start, valid_to=end, actor=admin,
    )


# --- The pure valuation --------------------------------------------------------------------------------------


@dataclass
class Entry:
    pk: int
    role: str
    on: dt.date
    minutes: int
    client_id: int | None


@dataclass
class Rate:
    role: str
    valid_from: dt.date
    valid_to: dt.date | None
    euros_per_hour: Decimal


RATES = [
    Rate(TimeRole.SOCIAL_WORKER, dt.date(2027, 1, 1), dt.date(2027, 1, 15), Decimal("47.33")),
    Rate(TimeRole.SOCIAL_WORKER, dt.date(2027, 1, 16), None, Decimal("51.07")),
    Rate(TimeRole.HB_ASSISTANT, dt.date(2027, 1, 1), None, Decimal("19.99")),
    Rate(TimeRole.CLIENT, dt.date(2027, 1, 1), None, Decimal("0.00")),
]

entries_strategy = st.lists(
    st.builds(
        lambda role, day, minutes, client: (role, dt.date(2027, 1, 1) + dt.timedelta(days=day), minutes, client),
        st.sampled_from([TimeRole.SOCIAL_WORKER, TimeRole.HB_ASSISTANT, TimeRole.CLIENT]),
        st.integers(0, 30),
        st.integers(1, 1440),
        st.sampled_from([1, 2, 3, None]),
    ),
    max_size=40,
)


@given(entries_strategy)
def test_each_clients_total_is_the_exact_sum_rounded_once(rows):
    entries = [Entry(n, role, on, minutes, client) for n, (role, on, minutes, client) in enumerate(rows)]
    totals = cost_per_client(entries, RATES)
    for client_id in {e.client_id for e in entries}:
        mine = [e for e in entries if e.client_id == client_id]
        exact = sum(
            Decimal(e.minutes) * next(r.euros_per_hour for r in RATES if r.role == e.role and r.valid_from <= e.on
                                      and (r.valid_to is None or e.on <= r.valid_to))
            for e in mine
        ) / Decimal(60)
        assert totals[client_id] == round_money(exact)
        # Exactly the sum of the entries' own exact values, rounded once.
        values = value_time(mine, RATES)
        assert abs(sum(values.values()) - exact) < Decimal("1e-20")


def test_rounding_happens_once_per_client_not_per_entry():
    # 1 minute at 19.99 €/h is 0.33316… €: rounded per entry, three entries would be 0.99; once, 1.00 (0.9995).
    entries = [Entry(n, TimeRole.HB_ASSISTANT, dt.date(2027, 1, 5), 1, 7) for n in range(3)]
    assert cost_per_client(entries, RATES) == {7: Decimal("1.00")}


def test_an_entry_without_a_rate_is_valued_none_and_adds_nothing():
    entries = [
        Entry(1, TimeRole.OTHER_STAFF, dt.date(2027, 1, 5), 60, 7),
        Entry(2, TimeRole.SOCIAL_WORKER, dt.date(2027, 1, 20), 30, 7),
    ]
    assert value_time(entries, RATES) == {1: None, 2: Decimal("25.535")}
    assert cost_per_client(entries, RATES) == {7: Decimal("25.54")}


def test_the_rate_in_force_on_the_day_applies():
    entries = [Entry(1, TimeRole.SOCIAL_WORKER, dt.date(2027, 1, 15), 60, 1), Entry(2, TimeRole.SOCIAL_WORKER, dt.date(2027, 1, 16), 60, 2)]
    assert cost_per_client(entries, RATES) == {1: Decimal("47.33"), 2: Decimal("51.07")}


# --- The selectors research reads ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_time_cost_per_client_and_the_export(period, organiser, admin, client):
    other_client = make_client(organiser)
    worker = make_staff(organiser)
    _rate(organiser, admin, TimeRole.SOCIAL_WORKER, "50.00", dt.date(2027, 1, 1))
    _rate(organiser, admin, TimeRole.CLIENT, "12.00", dt.date(2027, 1, 1))
    services.log_time(organiser=organiser, person=worker, role=TimeRole.SOCIAL_WORKER, client=client,
                      activity=Activity.MEETINGS, minutes=90, on=dt.date(2027, 3, 2), note="Aino Asiakas, kotikäynti")
    services.log_time(organiser=organiser, person=client.user, role=TimeRole.CLIENT, client=client,
                      activity=Activity.PLANNING, minutes=20, on=dt.date(2027, 3, 3))
    services.log_time(organiser=organiser, person=worker, role=TimeRole.SOCIAL_WORKER, client=None,
                      activity=Activity.PAPERWORK, minutes=30, on=dt.date(2027, 3, 3))
    # Another organiser's time for a client with the same id is never counted.
    other = make_organiser()
    assert selectors.time_cost_per_client(other, [client.pk], dt.date(2027, 1, 1), dt.date(2027, 12, 31)) == {
        client.pk: Decimal("0.00")
    }
    costs = selectors.time_cost_per_client(organiser, [client, other_client.pk], dt.date(2027, 3, 1), dt.date(2027, 3, 31))
    assert costs == {client.pk: Decimal("79.00"), other_client.pk: Decimal("0.00")}  # 75.00 + 4.00
    assert selectors.time_cost_per_client(organiser, [client], dt.date(2027, 3, 3), dt.date(2027, 3, 31)) == {
        client.pk: Decimal("4.00")
    }

    rows = selectors.time_entries_for_export(organiser, client_ids=[client.pk])
    assert [(r["role"], r["minutes"], r["euros"]) for r in rows] == [
        (TimeRole.SOCIAL_WORKER, 90, Decimal("75")),
        (TimeRole.CLIENT, 20, Decimal("4")),
    ]
    flat = repr(rows) + repr(selectors.time_entries_for_export(organiser))
    for identifying in (client.first_name, client.last_name, client.personal_identity_code, worker.last_name, "kotikäynti"):
        assert identifying not in flat
    assert len(selectors.time_entries_for_export(organiser)) == 3  # general work too, without a client filter
    assert selectors.entries_without_rate(organiser) == 0


@pytest.mark.django_db
def test_on_postgresql_the_database_refuses_overlapping_rates_and_periods(today, organiser, admin, period):
    from django.db import IntegrityError, connection, transaction

    from avain.timeuse.models import SamplingPeriod

    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraints exist on PostgreSQL only")
    _rate(organiser, admin, TimeRole.CLIENT, "10.00", dt.date(2027, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        CostRate.objects.create(
            organiser=organiser, role=TimeRole.CLIENT, euros_per_hour=Decimal("11.00"), valid_from=dt.date(2027, 6, 1),
            created_at=period.created_at, created_by=admin,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SamplingPeriod.objects.create(
            organiser=organiser, name="Päällekkäin", starts_on=dt.date(2027, 3, 31), ends_on=dt.date(2027, 4, 30),
            created_at=period.created_at, created_by=admin,
        )
