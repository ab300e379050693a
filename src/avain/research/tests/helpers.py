"""Shared set-up of the research tests: studies, consents and enrolments made through the real services."""

import datetime as dt

from avain.core import clock
from avain.organisations.models import Role
from avain.research import services
from avain.research.models import ConsentScope
from avain.testing import make_client, make_staff

ALL_SCOPES = list(ConsentScope.values)


def make_study(organiser, *, design="randomised", code=None, others=(), admin=None):
    admin = admin or make_staff(organiser, Role.ORGANISER_ADMIN)
    year = clock.today().year
    return services.create_study(
        owner=organiser,
        by=admin,
        code=code or f"tutkimus-{organiser.pk}-{design}",
        name="HB ja tavalliset palvelut",
        design=design,
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        other_organisers=others,
    )


def consent(client, worker, *, scopes=None, study=None):
    return services.give_consent(
        client=client, recorded_by=worker, scopes=scopes or ALL_SCOPES, given_on=clock.today(), study=study
    )


def enrolled_clients(study, organiser, worker, n, *, target_group="adults", scopes=None):
    clients = []
    for _ in range(n):
        client = make_client(organiser, target_group=target_group)
        consent(client, worker, scopes=scopes)
        services.enrol_client(study=study, client=client, by=worker)
        clients.append(client)
    return clients
