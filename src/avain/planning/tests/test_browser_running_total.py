"""The plan editor's running total follows what the client types, in the client's language, without a round trip."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avain.testing import TEST_PASSWORD, case_in_planning, make_client, make_organiser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_totals_follow_the_amounts_as_the_client_types(live_server, new_page, assert_accessible, sign_in):
    organiser = make_organiser()
    client = make_client(organiser, username="aino.summa", password=TEST_PASSWORD)
    TOTPDevice.objects.create(user=client.user, name="puhelin", confirmed=True)
    case_in_planning(organiser=organiser, client=client)  # a budget of 3 000,00 €
    page = new_page("en")
    sign_in(page, client.user)
    # The client then chooses Finnish, as with the language menu, and reads Finnish amounts.
    page.context.add_cookies([{"name": "django_language", "value": "fi", "url": live_server.url}])
    page.goto(f"{live_server.url}/my/{client.pk}/plan/")
    total = page.locator("[data-total]")
    left = page.locator("[data-left]")

    page.locator("#id_line-0-amount").fill("1 200,50")
    expect(total).to_have_text("1\u00a0200,50\u00a0€")
    expect(left).to_have_text("1\u00a0799,50\u00a0€")
    page.locator("#id_line-1-amount").fill("1800")
    expect(left).to_have_text("−0,50\u00a0€")
    expect(page.locator("[data-over]")).to_have_text("Tämä on enemmän kuin budjettisi. Vähennä euroja riveiltä.")
    assert_accessible(page)
    page.locator("#id_line-1-amount").fill("1799,50")
    expect(left).to_have_text("0,00\u00a0€")
    expect(page.locator("[data-over]")).to_have_text("")
