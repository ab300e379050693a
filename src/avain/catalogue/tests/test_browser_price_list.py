"""Importing a price list in Chromium, without JavaScript on our side: upload, preview with a bad row, a corrected
file, confirm. Every page is checked with axe-core; the browser asks for English, so the test reads source strings."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from avain.catalogue.models import ServicePrice
from avain.organisations.models import Role
from avain.testing import TEST_PASSWORD, make_organiser, make_service, make_staff, totp_token

from .files import GOOD_ROWS, row, xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sign_in(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Six-digit code").fill(totp_token(user))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def choose_file(page, content: bytes, name: str = "hinnasto.xlsx") -> None:
    page.get_by_label("Price list file").set_input_files({"name": name, "mimeType": XLSX_TYPE, "buffer": content})
    page.get_by_role("button", name="Check the file").click()


def test_finance_imports_a_price_list_through_the_pages(live_server, new_page, assert_accessible):
    organiser = make_organiser("selain", name="Selaimen hyvinvointialue")
    make_service(organiser, "KOTIP", unit_price="44.00", valid_from=dt.date(2026, 1, 1), name="Kotipalvelu")
    finance = make_staff(organiser, Role.FINANCE, "talous", password=TEST_PASSWORD)
    page = new_page("en")
    sign_in(page, live_server.url, finance)

    page.get_by_role("link", name="Price list", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Price list")
    assert_accessible(page)
    page.get_by_role("link", name="Import a price list").click()
    assert_accessible(page)

    # A file that is not a spreadsheet: a message on the form, nothing kept.
    choose_file(page, b"not a spreadsheet", "hinnasto.xlsx")
    expect(page.locator(".error-summary")).to_contain_text("not a valid XLSX")
    assert_accessible(page)

    # One bad row: the preview names it and offers no import.
    price_change = row("KOTIP", 47.5, dt.date(2026, 7, 1), name_fi="Kotipalvelu")
    choose_file(page, xlsx([price_change, row("VERTA", -15.0, category="peer_support", unit="visit")]))
    expect(page.get_by_role("table", name="Errors in the file")).to_contain_text("The price cannot be negative.")
    expect(page.get_by_role("button", name="Import the price list")).to_have_count(0)
    assert_accessible(page)

    # The corrected file: the preview shows the price change, and the import makes it.
    page.get_by_role("link", name="Upload a corrected file").click()
    choose_file(page, xlsx([price_change, *GOOD_ROWS[1:]]))
    expect(page.get_by_role("table", name="Price changes")).to_contain_text("the current price ends on 06/30/2026")
    assert_accessible(page)
    page.get_by_role("button", name="Import the price list").click()
    expect(page.locator(".messages")).to_contain_text("The price list was imported.")
    assert_accessible(page)

    assert list(
        ServicePrice.objects.filter(organiser=organiser, service__code="KOTIP")
        .order_by("valid_from")
        .values_list("unit_price", "valid_to")
    ) == [(Decimal("44.00"), dt.date(2026, 6, 30)), (Decimal("47.50"), None)]
    assert ServicePrice.objects.filter(organiser=organiser).count() == 5
