import datetime as dt

import pytest

from avain.core.clock import frozen_at
from avain.organisations.models import Role
from avain.testing import make_client, make_organiser, make_staff
from avain.timeuse import services as timeuse_services


@pytest.fixture
def today():
    """Every test here runs on 15 March 2027 by the injectable clock."""
    with frozen_at(dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.UTC)):
        yield dt.date(2027, 3, 15)


@pytest.fixture
def organiser(db):
    return make_organiser()


@pytest.fixture
def admin(organiser):
    return make_staff(organiser, Role.ORGANISER_ADMIN)


@pytest.fixture
def worker(organiser):
    return make_staff(organiser, Role.SOCIAL_WORKER)


@pytest.fixture
def client(organiser):
    return make_client(organiser, login=True)


@pytest.fixture
def period(today, organiser, admin):
    """A recording period from 1 to 31 March 2027 for all clients."""
    return timeuse_services.create_sampling_period(
        organiser=organiser, name="Maaliskuu 2027", starts_on=dt.date(2027, 3, 1), ends_on=dt.date(2027, 3, 31), actor=admin
    )


@pytest.fixture
def django_client():
    """Django's test client (the name ``client`` is the HB client here)."""
    from django.test import Client

    return Client()
