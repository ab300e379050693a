"""The decision page explains the budget it grants; the account pages explain the budget as decided, from the
decision's snapshot, so a later price change never alters what they show.

The scenario: KP Kotipalvelu at 30.00 € an hour, 100 hours in the budget period 2025: 100 × 30.00 = 3 000.00 €.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from avain.catalogue.models import ServicePrice
from avain.core.periods import Period
from avain.planning.models import CaseStatus, HBCase
from avain.testing import case_approved, login_verified, make_client, make_organiser, make_service

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
NBSP = "\N{NO-BREAK SPACE}"
DECIDED = [
    "KP Kotipalvelu",
    "100 tuntia koko kaudella",
    f"× 30,00{NBSP}€",
    "× koko kausi",
    f"= 3{NBSP}000,00{NBSP}€",
]


def approved_case():
    organiser = make_organiser()
    client = make_client(organiser, login=True)
    home_help = make_service(organiser, "KP", "30.00", dt.date(2024, 1, 1), name="Kotipalvelu")
    return case_approved(client=client, period=PERIOD, needs=[(home_help, Decimal("100"))]), home_help


def page(client, name: str, arg) -> str:
    response = client.get(reverse(name, args=[arg]), HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 200
    return response.content.decode()


def test_the_decision_and_account_pages_show_the_decided_lines_after_prices_change(client):
    case, home_help = approved_case()
    login_verified(client, case.worker)

    # The organiser changes its prices before the decision: the decision grants the budget as it was computed.
    ServicePrice.objects.filter(service=home_help).update(unit_price=Decimal("99.99"))
    html = page(client, "case_decision", case.pk)
    for text in DECIDED:
        assert text in html
    assert "99,99" not in html

    response = client.post(reverse("case_decision", args=[case.pk]), {"period_start": "2025-01-01", "period_end": "2025-12-31"})
    assert response.status_code == 302
    assert HBCase.objects.get(pk=case.pk).status == CaseStatus.ACTIVE

    # And again after the decision: the worker's and the client's account pages show the budget as decided.
    ServicePrice.objects.filter(service=home_help).update(unit_price=Decimal("55.55"))
    home_help.name_fi = "Uusi nimi"
    home_help.save()
    html = page(client, "case_account", case.pk)
    for text in DECIDED:
        assert text in html
    assert "55,55" not in html and "Uusi nimi" not in html
    client.force_login(case.client.user)
    html = page(client, "portal_account", case.client_id)
    assert reverse("portal_budget_explanation", args=[case.client_id]) in html  # on a page of its own
    html = page(client, "portal_budget_explanation", case.client_id)
    assert "Näin budjettisi laskettiin" in html
    for text in DECIDED:
        assert text in html
    assert "55,55" not in html and "Uusi nimi" not in html
