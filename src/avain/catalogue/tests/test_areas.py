"""The organiser administrator keeps the list of areas."""

import pytest
from django.urls import reverse

from avain.catalogue.models import Area
from avain.organisations.models import Role
from avain.testing import db_snapshot, login_verified, make_area, make_organiser, make_staff

pytestmark = pytest.mark.django_db

NEW = {"name_fi": "Lappeenranta", "name_sv": "Villmanstrand", "name_en": "Lappeenranta"}


def test_the_admin_adds_an_area_and_sees_only_their_organisers_areas(client):
    organiser = make_organiser()
    make_area(make_organiser(), "Vantaa")
    login_verified(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    response = client.post(reverse("areas"), NEW)
    assert response.status_code == 302
    area = Area.objects.get(organiser=organiser)
    assert (area.name_fi, area.name_sv, area.name_en) == ("Lappeenranta", "Villmanstrand", "Lappeenranta")
    page = client.get(reverse("areas")).content.decode()
    assert "Villmanstrand" in page and "Vantaa" not in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({**NEW, "name_sv": " "}, "This field is required."),
        ({**NEW, "name_fi": "lappeenranta"}, "The area lappeenranta is already in the list."),
    ],
)
def test_a_missing_name_or_an_area_already_there_is_refused_and_changes_nothing(client, data, message):
    organiser = make_organiser()
    make_area(organiser, "Lappeenranta")
    login_verified(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    before = db_snapshot()
    response = client.post(reverse("areas"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.FINANCE, Role.APPROVER, Role.RESEARCHER])
def test_only_the_organisers_administrator_keeps_the_areas(client, role):
    organiser = make_organiser()
    login_verified(client, make_staff(organiser, role))
    assert client.get(reverse("areas")).status_code == 403
    assert client.post(reverse("areas"), NEW).status_code == 403
    assert not Area.objects.exists()
