"""Every read of a client's data by someone other than the client is logged once, and the client sees it."""

import pytest
from django.urls import reverse

from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.testing import (
    case_active,
    case_approved,
    case_in_approval,
    case_in_review,
    login_verified,
    make_client,
    make_organiser,
    make_staff,
    make_assistant,
)

pytestmark = pytest.mark.django_db


def _entries(client_record):
    return AccessLogEntry.objects.filter(client=client_record)


def _read_once_and_check(http, user, client_record, url, what):
    before = _entries(client_record).count()
    response = http.get(url)
    assert response.status_code == 200, url
    new = list(_entries(client_record).order_by("-id")[: _entries(client_record).count() - before])
    assert len(new) == 1, f"{url} wrote {len(new)} access-log entries"
    assert new[0].actor == user
    assert new[0].what == what
    return new[0]


def test_each_staff_read_of_a_client_page_adds_exactly_one_entry_the_client_then_sees(client):
    worker_pages = [
        (case_in_review(), "case_review", AccessLogEntry.What.PLAN),
        (case_approved(), "case_decision", AccessLogEntry.What.DECISION),
    ]
    active = case_active(client=make_client(make_organiser(), login=True))
    worker = active.worker
    login_verified(client, worker)
    _read_once_and_check(
        client, worker, active.client, reverse("client_detail", args=[active.client_id]), AccessLogEntry.What.CLIENT_OVERVIEW
    )
    _read_once_and_check(client, worker, active.client, reverse("case_needs", args=[active.pk]), AccessLogEntry.What.NEEDS)
    _read_once_and_check(client, worker, active.client, reverse("case_account", args=[active.pk]), AccessLogEntry.What.ACCOUNT)
    for case, name, what in worker_pages:
        login_verified(client, case.worker)
        _read_once_and_check(client, case.worker, case.client, reverse(name, args=[case.pk]), what)

    # The client sees who looked, and reading their own log adds nothing.
    client.force_login(active.client.user)
    before = _entries(active.client).count()
    response = client.get(reverse("portal_access_log", args=[active.client_id]))
    assert response.status_code == 200
    assert _entries(active.client).count() == before == 3
    assert response.content.decode().count(worker.get_full_name()) == 3


def test_the_approvers_read_is_logged_too(client):
    case = case_in_approval()
    approver = make_staff(case.organiser, Role.APPROVER)
    login_verified(client, approver)
    entry = _read_once_and_check(client, approver, case.client, reverse("case_approval", args=[case.pk]), AccessLogEntry.What.PLAN)
    assert entry.actor_role == Role.APPROVER
    assert entry.grounds == AccessLogEntry.Grounds.CLIENT_RELATIONSHIP


def test_a_delegates_read_is_logged_with_the_delegation_as_grounds(client):
    case = case_active()
    helper = make_assistant(case.organiser, "auttaja")
    grant_delegation(client=case.client, user=helper, access="read")
    client.force_login(helper)
    entry = _read_once_and_check(
        client, helper, case.client, reverse("portal_account", args=[case.client_id]), AccessLogEntry.What.ACCOUNT
    )
    assert entry.grounds == AccessLogEntry.Grounds.DELEGATION


def test_the_clients_own_reads_are_not_logged(client):
    case = case_active(client=make_client(make_organiser(), login=True))
    client.force_login(case.client.user)
    for name in ("portal_home", "portal_plan", "portal_account", "portal_access_log"):
        assert client.get(reverse(name, args=[case.client_id])).status_code == 200
    assert not _entries(case.client).exists()


def test_listing_clients_by_name_is_not_a_read_of_their_data(client):
    case = case_active()
    login_verified(client, case.worker)
    response = client.get(reverse("client_list"))
    assert response.status_code == 200
    assert case.client.last_name in response.content.decode()
    assert not _entries(case.client).exists()
