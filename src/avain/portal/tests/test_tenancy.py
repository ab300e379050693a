"""Tenancy: nobody reaches a client's data across organisers or outside their role."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.testing import (
    case_active,
    case_in_review,
    login_verified,
    make_agreement,
    make_assistant,
    make_client,
    make_measurement,
    make_organiser,
    make_product,
    make_receipt,
    make_staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _receipts_in_a_temporary_directory(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _patterns(resolvers=None, prefix=""):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry


def client_url_names(kwarg: str) -> list[str]:
    """Every named URL that takes a client or a case: the list grows by itself as pages are added."""
    return sorted({p.name for p in _patterns() if kwarg in p.pattern.converters})


def _account(organiser, kwargs):
    """The budget account of the client or case in ``kwargs``, else any account of the organiser."""
    from avain.accounts.models import BudgetAccount

    accounts = BudgetAccount.objects.filter(organiser=organiser).order_by("pk")
    if "client_id" in kwargs:
        accounts = accounts.filter(client_id=kwargs["client_id"]) or accounts
    if "case_id" in kwargs:
        accounts = accounts.filter(decision__case_id=kwargs["case_id"]) or accounts
    return accounts.first()


# A real object of the organiser for each further kind of URL argument.
_REAL_OBJECTS = {
    "product_id": lambda organiser, kwargs: make_product(organiser).pk,
    "invoice_id": lambda organiser, kwargs: make_receipt(_account(organiser, kwargs)).pk,
    "agreement_id": lambda organiser, kwargs: make_agreement(_account(organiser, kwargs)).pk,
    "measurement_id": lambda organiser, kwargs: make_measurement(organiser, client_id=kwargs.get("client_id")).pk,
}


def _url(name: str, organiser, **kwargs) -> str:
    """The URL ``name`` with the given client or case and, for any further argument, a real object of
    ``organiser``. A new kind of argument fails here until it is added, so no URL goes unchecked."""
    pattern = next(p for p in _patterns() if p.name == name)
    for kwarg in set(pattern.pattern.converters) - set(kwargs):
        if kwarg not in _REAL_OBJECTS:
            raise AssertionError(f"{name}: add a real {kwarg} to the tenancy test")
        kwargs[kwarg] = _REAL_OBJECTS[kwarg](organiser, dict(kwargs))
    return reverse(name, kwargs=kwargs)


def _assert_refused(client, url: str, name: str) -> int:
    # A POST-only URL answers a GET with 405 before it looks anything up: that tells nothing about the client.
    assert client.get(url).status_code in (403, 404, 405), f"GET {url} ({name})"
    assert client.post(url).status_code in (403, 404), f"POST {url} ({name})"
    return 2


@pytest.fixture
def other_organiser_data():
    """Organiser B with an active case (every case page exists) and a client whose plan waits for review."""
    organiser = make_organiser("toinen")
    active = case_active(organiser=organiser)
    in_review = case_in_review(organiser=organiser)
    return organiser, active, in_review


def test_there_are_client_and_case_urls_to_check():
    assert len(client_url_names("client_id")) >= 5
    assert len(client_url_names("case_id")) >= 5


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE, Role.RESEARCHER, Role.ORGANISER_ADMIN])
def test_staff_of_one_organiser_get_404_or_403_for_every_client_url_of_another(client, other_organiser_data, role):
    _, active, in_review = other_organiser_data
    login_verified(client, make_staff(make_organiser("oma"), role))
    checked = 0
    for case in (active, in_review):
        for name in client_url_names("client_id"):
            url = _url(name, case.organiser, client_id=case.client_id)
            checked += _assert_refused(client, url, name)
        for name in client_url_names("case_id"):
            url = _url(name, case.organiser, case_id=case.pk)
            checked += _assert_refused(client, url, name)
    assert checked >= 40
    assert not AccessLogEntry.objects.filter(client__in=[active.client, in_review.client]).exists()


def test_the_ids_are_real_the_organisers_own_worker_reaches_the_same_pages(client, other_organiser_data):
    _, active, _ = other_organiser_data
    login_verified(client, active.worker)
    for name in ("client_detail",):
        assert client.get(reverse(name, kwargs={"client_id": active.client_id})).status_code == 200
    for name in ("case_needs", "case_account"):
        assert client.get(reverse(name, kwargs={"case_id": active.pk})).status_code == 200


def test_a_client_reaches_only_their_own_portal(client, other_organiser_data):
    _, active, _ = other_organiser_data
    # With a decision of their own, so that every portal page exists for them (the decision PDF only then).
    someone = case_active(client=make_client(make_organiser("kolmas"), login=True)).client
    client.force_login(someone.user)
    for name in client_url_names("client_id"):
        if name.startswith("portal_"):
            assert client.get(_url(name, active.organiser, client_id=active.client_id)).status_code == 404, name
            assert client.get(_url(name, someone.organiser, client_id=someone.pk)).status_code == 200, name


def test_a_delegate_loses_access_when_the_client_withdraws_it(client, other_organiser_data):
    from avain.core import clock

    _, active, _ = other_organiser_data
    helper = make_assistant(active.organiser, "avustaja")
    delegation = grant_delegation(client=active.client, user=helper, access="read")
    client.force_login(helper)
    url = reverse("portal_account", kwargs={"client_id": active.client_id})
    assert client.get(url).status_code == 200
    delegation.withdrawn_at = clock.now()
    delegation.save()
    assert client.get(url).status_code == 404


def test_a_read_only_delegate_cannot_change_the_plan(client):
    from avain.testing import case_in_planning, current_plan

    case = case_in_planning()
    helper = make_assistant(case.organiser, "lukija")
    grant_delegation(client=case.client, user=helper, access="read")
    client.force_login(helper)
    url = reverse("portal_plan", kwargs={"client_id": case.client_id})
    assert client.get(url).status_code == 200
    response = client.post(url, {"what_matters": "muutettu", "line-TOTAL_FORMS": "0", "line-INITIAL_FORMS": "0"})
    assert response.status_code == 403
    assert current_plan(case).what_matters == ""


def test_a_delegate_cannot_see_the_clients_access_log(client):
    case = case_active()
    helper = make_assistant(case.organiser, "avustaja2")
    grant_delegation(client=case.client, user=helper, access="edit")
    client.force_login(helper)
    assert client.get(reverse("portal_access_log", kwargs={"client_id": case.client_id})).status_code == 404
