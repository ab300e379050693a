"""Recording time through the real pages: who may, in whose name, and what others get."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.testing import (
    case_in_needs_assessment,
    db_snapshot,
    login_verified,
    make_assistant,
    make_client,
    make_close_one,
    make_organiser,
    make_staff,
)
from avain.timeuse.models import CostRate, SamplingPeriod, TimeEntry, TimeRole

pytestmark = pytest.mark.django_db

FORM = {"on": "2027-03-10", "activity": "finding_services", "minutes": "60", "note": ""}


def _url(client):
    return reverse("portal_time", args=[client.pk])


def test_the_client_records_time_on_their_own_page(django_client, period, client):
    django_client.force_login(client.user)
    assert django_client.get(_url(client)).status_code == 200
    response = django_client.post(_url(client), FORM)
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.person, entry.role, entry.client, entry.minutes) == (client.user, TimeRole.CLIENT, client, 60)
    assert '<td class="num">60</td>' in django_client.get(_url(client)).content.decode()


def test_a_refused_entry_shows_the_reason_and_saves_nothing(django_client, period, client):
    django_client.force_login(client.user)
    response = django_client.post(_url(client), {**FORM, "on": "2027-02-10"})
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    response = django_client.post(_url(client), {**FORM, "minutes": "1441"})
    assert response.status_code == 400
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize(("kind", "role"), [("assistant", TimeRole.HB_ASSISTANT), ("close_one", TimeRole.CLOSE_ONE)])
def test_an_edit_delegate_records_time_in_their_own_name(django_client, period, client, organiser, kind, role):
    helper = make_assistant(organiser) if kind == "assistant" else make_close_one(client, with_login=True).user
    grant_delegation(client=client, user=helper, access="edit")
    django_client.force_login(helper)
    assert django_client.post(_url(client), FORM).status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.person, entry.role, entry.client) == (helper, role, client)
    assert AccessLogEntry.objects.filter(client=client, actor=helper, grounds="delegation").exists()


def test_a_read_delegate_sees_but_cannot_record(django_client, period, client, organiser):
    helper = make_assistant(organiser)
    grant_delegation(client=client, user=helper, access="read")
    django_client.force_login(helper)
    page = django_client.get(_url(client))
    assert page.status_code == 200 and "<form method=\"post\"" not in page.content.decode()
    before = db_snapshot("timeuse")
    assert django_client.post(_url(client), FORM).status_code == 403
    assert db_snapshot("timeuse") == before


def test_others_get_not_found(django_client, period, client, organiser):
    outsiders = [
        make_staff(make_organiser()),
        make_staff(organiser),  # the client's own worker has the staff page, not the client's portal page
        make_client(organiser, login=True).user,
        make_assistant(organiser),  # no permission from this client
    ]
    for outsider in outsiders:
        django_client.force_login(outsider)
        assert django_client.get(_url(client)).status_code == 404
        assert django_client.post(_url(client), FORM).status_code == 404
    assert not TimeEntry.objects.exists()


def test_a_worker_records_time_for_their_own_client_or_general_work(django_client, period, organiser):
    case = case_in_needs_assessment(organiser=organiser)
    worker = case.worker
    not_mine = make_client(organiser)
    login_verified(django_client, worker)
    page = django_client.get(reverse("staff_time")).content.decode()
    assert case.client.last_name in page and not_mine.last_name not in page
    assert django_client.post(reverse("staff_time"), {**FORM, "client": case.client.pk}).status_code == 302
    assert django_client.post(reverse("staff_time"), {**FORM, "client": ""}).status_code == 302
    assert django_client.post(reverse("staff_time"), {**FORM, "client": not_mine.pk}).status_code == 400
    rows = list(TimeEntry.objects.order_by("pk").values_list("person", "role", "client"))
    assert rows == [(worker.pk, TimeRole.SOCIAL_WORKER, case.client.pk), (worker.pk, TimeRole.SOCIAL_WORKER, None)]


def test_other_staff_record_as_other_staff(django_client, period, organiser):
    finance = make_staff(organiser, Role.FINANCE)
    login_verified(django_client, finance)
    assert django_client.post(reverse("staff_time"), FORM).status_code == 302
    assert TimeEntry.objects.get().role == TimeRole.OTHER_STAFF


def test_researchers_have_no_time_page(django_client, period, organiser):
    login_verified(django_client, make_staff(organiser, Role.RESEARCHER))
    assert django_client.get(reverse("staff_time")).status_code == 403


def test_the_organiser_administrator_opens_periods_and_sets_rates(django_client, today, organiser, admin):
    login_verified(django_client, admin)
    assert django_client.get(reverse("timeuse_periods")).status_code == 200
    response = django_client.post(
        reverse("timeuse_periods"), {"name": "Huhtikuu", "starts_on": "2027-04-01", "ends_on": "2027-04-30"}
    )
    assert response.status_code == 302
    response = django_client.post(
        reverse("timeuse_periods"), {"name": "Päällekkäin", "starts_on": "2027-04-30", "ends_on": "2027-05-30"}
    )
    assert response.status_code == 400
    assert list(SamplingPeriod.objects.values_list("name", flat=True)) == ["Huhtikuu"]

    assert django_client.get(reverse("timeuse_rates")).status_code == 200
    response = django_client.post(
        reverse("timeuse_rates"), {"role": "social_worker", "euros_per_hour": "48,50", "valid_from": "2027-01-01"}
    )
    assert response.status_code == 302
    rate = CostRate.objects.get()
    assert (rate.euros_per_hour, rate.valid_from, rate.valid_to) == (Decimal("48.50"), dt.date(2027, 1, 1), None)


def test_a_social_worker_cannot_manage_periods_or_rates(django_client, today, organiser):
    login_verified(django_client, make_staff(organiser))
    assert django_client.get(reverse("timeuse_periods")).status_code == 403
    assert django_client.post(reverse("timeuse_rates"), {}).status_code == 403
