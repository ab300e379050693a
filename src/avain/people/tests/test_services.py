"""Clients, delegations and the access log (avain.people.services)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from avain.core.clock import frozen_at
from avain.organisations.models import Role, StaffMembership
from avain.people.models import AccessLogEntry, Client, Delegation
from avain.people.selectors import active_delegation, clients_for_staff, clients_helped_by
from avain.people.services import create_client, grant_delegation, log_access
from avain.testing import (
    db_snapshot,
    make_assistant,
    make_client,
    make_close_one,
    make_organiser,
    make_staff,
    make_user,
    valid_hetu,
)

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
MOMENT = dt.datetime(2025, 3, 4, 12, 0, tzinfo=HELSINKI)
LATER = dt.datetime(2025, 5, 6, 8, 30, tzinfo=HELSINKI)


def register(organiser, code, **overrides):
    data = {
        "organiser": organiser,
        "first_name": "Aino",
        "last_name": "Virtanen",
        "personal_identity_code": code,
        "language": "fi",
        "target_group": "adults",
    } | overrides
    return create_client(**data)


def test_create_client_registers_the_client_with_a_normalised_code():
    organiser = make_organiser()
    code = valid_hetu(1)
    with frozen_at(MOMENT):
        client = register(organiser, f"  {code.lower()} ", first_name=" Aino ", last_name=" Virtanen  ", language="sv")
    client = Client.objects.get(pk=client.pk)
    assert client.personal_identity_code == code
    assert (client.first_name, client.last_name, client.full_name) == ("Aino", "Virtanen", "Aino Virtanen")
    assert (client.organiser_id, client.language, client.target_group) == (organiser.pk, "sv", "adults")
    assert client.created_at == MOMENT
    assert client.user_id is None


@pytest.mark.parametrize("code", ["131052-308U", "310252-308Y", "131052-900W", "", "abc"])
def test_create_client_refuses_an_invalid_identity_code_and_saves_nothing(code):
    organiser = make_organiser()
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        register(organiser, code)
    assert error.value.code == "invalid_hetu"
    assert db_snapshot() == before


def test_create_client_refuses_a_duplicate_in_the_same_organiser():
    organiser = make_organiser()
    code = valid_hetu(2)
    first = register(organiser, code)
    before = db_snapshot()
    for same_person in (code, code.lower(), f" {code} "):
        with pytest.raises(ValidationError) as error:
            register(organiser, same_person, first_name="Toinen")
        assert error.value.code == "duplicate_client"
    assert db_snapshot() == before
    assert list(Client.objects.filter(organiser=organiser).values_list("pk", flat=True)) == [first.pk]


def test_the_same_person_can_be_a_client_of_two_organisers():
    code = valid_hetu(3)
    a = register(make_organiser(), code)
    b = register(make_organiser(), code)
    assert a.pk != b.pk
    assert Client.objects.filter(personal_identity_code=code).count() == 2


def test_grant_delegation_gives_access():
    client = make_client(make_organiser())
    helper = make_assistant(client.organiser)
    with frozen_at(MOMENT):
        delegation = grant_delegation(client=client, user=helper, access=Delegation.Access.READ)
    delegation = Delegation.objects.get(pk=delegation.pk)
    assert (delegation.organiser_id, delegation.client_id, delegation.user_id) == (client.organiser_id, client.pk, helper.pk)
    assert (delegation.access, delegation.granted_at, delegation.withdrawn_at) == ("read", MOMENT, None)
    assert active_delegation(helper, client) == delegation
    assert list(clients_helped_by(helper)) == [client]


def test_grant_delegation_replaces_the_active_delegation():
    client = make_client(make_organiser())
    helper = make_assistant(client.organiser)
    other_helper = make_close_one(client, with_login=True).user
    with frozen_at(MOMENT):
        old = grant_delegation(client=client, user=helper, access=Delegation.Access.READ)
        other = grant_delegation(client=client, user=other_helper, access=Delegation.Access.READ)
    with frozen_at(LATER):
        new = grant_delegation(client=client, user=helper, access=Delegation.Access.EDIT)
    old, new, other = (Delegation.objects.get(pk=d.pk) for d in (old, new, other))
    assert old.withdrawn_at == LATER
    assert old.access == "read"  # the old grant is kept as it was, only closed
    assert (new.access, new.granted_at, new.withdrawn_at) == ("edit", LATER, None)
    assert other.withdrawn_at is None  # another helper's delegation is untouched
    assert Delegation.objects.filter(client=client, user=helper, withdrawn_at__isnull=True).count() == 1
    assert active_delegation(helper, client) == new
    assert list(clients_helped_by(helper)) == [client]


def test_a_delegation_for_one_client_does_not_reach_another():
    organiser = make_organiser()
    client, other_client = make_client(organiser), make_client(organiser)
    helper = make_assistant(organiser)
    grant_delegation(client=client, user=helper, access=Delegation.Access.EDIT)
    assert active_delegation(helper, other_client) is None
    assert list(clients_helped_by(helper)) == [client]


def test_log_access_records_who_read_what_and_why():
    client = make_client(make_organiser())
    worker = make_staff(client.organiser)
    with frozen_at(MOMENT):
        entry = log_access(
            actor=worker,
            client=client,
            what=AccessLogEntry.What.PLAN,
            grounds=AccessLogEntry.Grounds.CLIENT_RELATIONSHIP,
            actor_role=Role.SOCIAL_WORKER,
        )
    entry = AccessLogEntry.objects.get(pk=entry.pk)
    assert (entry.organiser_id, entry.client_id, entry.actor_id) == (client.organiser_id, client.pk, worker.pk)
    assert (entry.what, entry.grounds, entry.actor_role, entry.at) == ("plan", "client_relationship", "social_worker", MOMENT)


def test_staff_see_only_their_own_organisers_clients_and_only_in_client_roles():
    organiser, other = make_organiser(), make_organiser()
    mine, theirs = make_client(organiser), make_client(other)
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    researcher = make_staff(organiser, Role.RESEARCHER)
    worker_membership = StaffMembership.objects.get(user=worker)
    researcher_membership = StaffMembership.objects.get(user=researcher)
    assert list(clients_for_staff(worker_membership)) == [mine]
    assert theirs not in clients_for_staff(worker_membership)
    assert list(clients_for_staff(researcher_membership)) == []


def test_factory_client_with_a_login():
    client = make_client(make_organiser(), login=True)
    assert client.user is not None
    assert Client.objects.get(user=client.user) == client


def test_only_close_ones_with_a_sign_in_and_hb_assistants_can_be_given_access():
    client = make_client(make_organiser())
    stranger = make_user()
    no_login = make_close_one(client, "Ville Naapuri")
    before = db_snapshot()
    with pytest.raises(ValidationError) as error:
        grant_delegation(client=client, user=stranger, access=Delegation.Access.READ)
    assert error.value.code == "not_a_candidate"
    assert no_login.user is None
    assert db_snapshot() == before
    sister = make_close_one(client, "Liisa Läheinen", with_login=True)
    assert grant_delegation(client=client, user=sister.user, access=Delegation.Access.EDIT).access == "edit"


def test_withdrawing_a_delegation_ends_it_and_a_second_withdraw_is_refused():
    from avain.people.services import withdraw_delegation

    client = make_client(make_organiser())
    delegation = grant_delegation(client=client, user=make_assistant(client.organiser), access=Delegation.Access.READ)
    withdraw_delegation(client=client, delegation_id=delegation.pk)
    assert active_delegation(delegation.user, client) is None
    with pytest.raises(ValidationError) as error:
        withdraw_delegation(client=client, delegation_id=delegation.pk)
    assert error.value.code == "already_withdrawn"


def test_removing_a_close_one_withdraws_their_access():
    from avain.people.services import remove_close_one

    client = make_client(make_organiser())
    sister = make_close_one(client, with_login=True)
    grant_delegation(client=client, user=sister.user, access=Delegation.Access.EDIT)
    remove_close_one(client=client, close_one_id=sister.pk)
    assert active_delegation(sister.user, client) is None
