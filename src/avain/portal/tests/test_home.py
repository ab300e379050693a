"""Where each person lands: providers see only their own invoices, researchers only suppressed aggregates."""

import datetime as dt

import pytest
from django.urls import reverse

from avain.accounts.models import InvoiceSource
from avain.accounts.posting import post_provider_invoices
from avain.core.clock import frozen_at
from avain.organisations.models import Role
from avain.planning.services import decline_hb
from avain.testing import (
    account_of,
    case_active,
    case_in_needs_assessment,
    current_plan,
    login_verified,
    make_client,
    make_organiser,
    make_provider,
    invoice_claim,
    make_agreement,
    make_provider_contact,
    make_service,
    make_staff,
)

pytestmark = pytest.mark.django_db


def test_a_provider_sees_its_own_invoices_and_nothing_of_the_clients_plan(client):
    case = case_active()
    ours, theirs = make_provider(case.organiser, "Martat ry"), make_provider(case.organiser, "Toinen Oy")
    line = current_plan(case).lines.first()
    for provider, number in ((ours, "M-1"), (theirs, "T-1")):
        with frozen_at(dt.datetime.combine(case.period_start, dt.time(12), tzinfo=dt.UTC)):
            agreement = make_agreement(account_of(case), provider=provider)
            posted = post_provider_invoices(
                provider=provider,
                claims=[invoice_claim(agreement, (case.period_start, "1"), number=number)],
                source=InvoiceSource.PORTAL,
                recorded_by=case.worker,
            )
        assert posted.problems == []
    client.force_login(make_provider_contact(ours))
    page = client.get(reverse("home")).content.decode()
    assert "M-1" in page
    assert "T-1" not in page
    assert line.description not in page
    assert case.client.last_name not in page


def test_a_researcher_sees_counts_by_step_with_small_counts_suppressed(client):
    organiser = make_organiser()
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    for _ in range(5):
        decline_hb(client=make_client(organiser, last_name="Tunnistettava"), worker=worker, reason="")
    case_in_needs_assessment(organiser=organiser)
    login_verified(client, make_staff(organiser, Role.RESEARCHER))
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    rows = dict(response.context["step_counts"])
    assert rows["the client chose ordinary services"] == 5
    assert rows["wishes and needs are being assessed"] is None  # one case: suppressed
    page = response.content.decode()
    assert "fewer than 5" in page
    assert "Tunnistettava" not in page


def test_an_organiser_admin_sees_todays_price_list_and_staff(client):
    organiser = make_organiser()
    make_service(organiser, "KOTIP", unit_price="45.00", name="Kotipalvelu")
    admin = make_staff(organiser, Role.ORGANISER_ADMIN, first_name="Pia", last_name="Pääkäyttäjä")
    login_verified(client, admin)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert "KOTIP" in page and "45,00" in page
    assert "Pääkäyttäjä" in page


def test_staff_must_pass_the_second_factor_before_their_home(client):
    user = make_staff(make_organiser(), Role.RESEARCHER)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("login_second_factor")
