"""Recording time: what is accepted, what is refused (each with its own code) and that a refusal changes nothing."""

import datetime as dt

import pytest
from django.utils import translation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from avain.people.services import grant_delegation
from avain.testing import db_snapshot, make_assistant, make_client, make_close_one, make_organiser, make_staff
from avain.timeuse import selectors, services
from avain.timeuse.models import Activity, TimeEntry, TimeRole

pytestmark = pytest.mark.django_db

APPS = ("timeuse", "people", "organisations")


def refused_here(code, call, **kwargs):
    before = db_snapshot(*APPS)
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    assert error.value.code == code, error.value
    assert db_snapshot(*APPS) == before
    return error.value


def _log(for_client, **overrides):
    arguments = {
        "organiser": for_client.organiser,
        "person": for_client.user,
        "role": TimeRole.CLIENT,
        "client": for_client,
        "activity": Activity.PLANNING,
        "minutes": 45,
        "on": dt.date(2027, 3, 10),
    }
    arguments.update(overrides)
    return arguments


def test_the_client_records_time_in_the_open_period(period, client):
    entry = services.log_time(**_log(client), note="  budjetin suunnittelu  ")
    assert (entry.period, entry.person, entry.role, entry.client, entry.minutes, entry.on, entry.note) == (
        period,
        client.user,
        TimeRole.CLIENT,
        client,
        45,
        dt.date(2027, 3, 10),
        "budjetin suunnittelu",
    )


@pytest.mark.parametrize("minutes", [0, 1441, -5])
def test_minutes_out_of_range_are_refused(period, client, minutes):
    refused_here("minutes_out_of_range", services.log_time, **_log(client, minutes=minutes))


def test_one_minute_and_a_whole_day_are_accepted(period, client):
    services.log_time(**_log(client, minutes=1))
    services.log_time(**_log(client, minutes=1440))
    assert sorted(TimeEntry.objects.values_list("minutes", flat=True)) == [1, 1440]


def test_the_database_refuses_minutes_out_of_range_too(period, client):
    for minutes in (0, 1441):
        with pytest.raises(IntegrityError), transaction.atomic():
            TimeEntry.objects.create(
                organiser=client.organiser, period=period, person=client.user, role=TimeRole.CLIENT, client=client,
                activity=Activity.OTHER, minutes=minutes, on=dt.date(2027, 3, 2), created_at=period.created_at,
            )


def test_a_date_outside_the_period_is_refused_with_the_period_named(period, client):
    with translation.override("fi"):
        error = refused_here("outside_period", services.log_time, **_log(client, on=dt.date(2027, 2, 28)))
    assert "1.3.2027–31.3.2027" in error.messages[0]  # the open period, in Finnish date format


def test_a_future_date_is_refused(period, client):
    refused_here("date_in_future", services.log_time, **_log(client, on=dt.date(2027, 3, 16)))


def test_without_an_open_period_nothing_is_recorded(today, client):
    refused_here("no_open_period", services.log_time, **_log(client))


def test_a_period_that_ended_long_ago_is_closed(today, organiser, admin, client):
    services.create_sampling_period(
        organiser=organiser, name="Tammikuu", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 1, 31), actor=admin
    )
    refused_here("no_open_period", services.log_time, **_log(client, on=dt.date(2027, 1, 20)))


def test_late_entries_are_accepted_for_two_weeks_after_the_period(today, organiser, admin, client):
    services.create_sampling_period(
        organiser=organiser, name="Helmikuu", starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 3, 1), actor=admin
    )
    entry = services.log_time(**_log(client, on=dt.date(2027, 2, 26)))
    assert entry.period.name == "Helmikuu"


def test_only_the_sampled_clients_are_recorded_when_the_period_names_some(today, organiser, admin, client):
    sampled = make_client(organiser, login=True)
    period = services.create_sampling_period(
        organiser=organiser, name="Otos", starts_on=dt.date(2027, 3, 1), ends_on=dt.date(2027, 3, 31),
        clients=[sampled], actor=admin,
    )
    assert services.log_time(**_log(sampled)).period == period
    refused_here("client_not_sampled", services.log_time, **_log(client))


def test_someone_else_cannot_record_as_the_client(period, client, organiser):
    other = make_client(organiser, login=True)
    refused_here("not_allowed", services.log_time, **_log(client, person=other.user))


def test_a_delegate_records_only_with_edit_permission(period, client, organiser):
    reader = make_assistant(organiser)
    grant_delegation(client=client, user=reader, access="read")
    refused_here("not_allowed", services.log_time, **_log(client, person=reader, role=TimeRole.HB_ASSISTANT))
    editor = make_close_one(client, with_login=True).user
    grant_delegation(client=client, user=editor, access="edit")
    entry = services.log_time(**_log(client, person=editor, role=TimeRole.CLOSE_ONE))
    assert (entry.person, entry.role) == (editor, TimeRole.CLOSE_ONE)


def test_staff_of_another_organiser_cannot_record_time_here(period, client):
    outsider = make_staff(make_organiser())
    refused_here("not_allowed", services.log_time, **_log(client, person=outsider, role=TimeRole.SOCIAL_WORKER))


def test_a_worker_records_general_work_without_a_client(period, organiser):
    worker = make_staff(organiser)
    entry = services.log_time(
        **_log(make_client(organiser), person=worker, role=TimeRole.SOCIAL_WORKER, client=None, activity=Activity.TRAVEL)
    )
    assert entry.client is None and entry.role == TimeRole.SOCIAL_WORKER


def test_periods_cannot_overlap_or_end_before_they_start(period, organiser, admin):
    refused_here(
        "period_overlap", services.create_sampling_period, organiser=organiser, name="Päällekkäinen",
        starts_on=dt.date(2027, 3, 31), ends_on=dt.date(2027, 4, 30), actor=admin,
    )
    refused_here(
        "period_dates", services.create_sampling_period, organiser=organiser, name="Väärin päin",
        starts_on=dt.date(2027, 5, 2), ends_on=dt.date(2027, 5, 1), actor=admin,
    )
    # Another organiser's period is its own business.
    other = make_organiser()
    services.create_sampling_period(
        organiser=other, name="Maaliskuu 2027", starts_on=dt.date(2027, 3, 1), ends_on=dt.date(2027, 3, 31),
        actor=make_staff(other),
    )


def test_a_random_sample_draws_that_many_of_the_organisers_hb_clients(today, organiser, admin):
    from avain.testing import case_in_needs_assessment

    hb_clients = {case_in_needs_assessment(organiser=organiser).client_id for _ in range(3)}
    make_client(organiser)  # no HB case: never drawn
    period = services.create_sampling_period(
        organiser=organiser, name="Otos", starts_on=dt.date(2027, 3, 1), ends_on=dt.date(2027, 3, 31),
        sample_size=2, actor=admin,
    )
    drawn = {c.pk for c in period.clients.all()}
    assert len(drawn) == 2 and drawn <= hb_clients
    refused_here(
        "sample_size", services.create_sampling_period, organiser=organiser, name="Liian iso",
        starts_on=dt.date(2027, 4, 1), ends_on=dt.date(2027, 4, 30), sample_size=4, actor=admin,
    )


def test_the_recording_period_selector_is_scoped_by_organiser(period, client):
    assert selectors.recording_period(client.organiser_id, dt.date(2027, 3, 3), client.pk) == period
    with pytest.raises(ValidationError) as error:
        selectors.recording_period(make_organiser().pk, dt.date(2027, 3, 3))
    assert error.value.code == "no_open_period"
