"""From a provider's registration to a product in a client's plan, through the real pages in Chromium.

A provider registers and sets up its sign-in app, proposes a product; the organiser approves the registration,
returns the product once with a reason and publishes the corrected one; the client finds it in the service menu by
search and adds it to the support plan. Every page is checked with axe-core. The browser asks for English.
"""

from decimal import Decimal

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avain.catalogue.models import ProductStatus, Provider
from avain.organisations.models import Role
from avain.planning.models import PlanLine
from avain.testing import (
    TEST_PASSWORD,
    case_in_planning,
    make_area,
    make_client,
    make_organiser,
    make_product,
    make_staff,
    valid_business_id,
    valid_iban,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code_of_new_device(email: str) -> str:
    """The code the provider's authenticator app shows after scanning the set-up page's QR code."""
    device = TOTPDevice.objects.get(user__username=email, confirmed=False)
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_a_providers_product_goes_from_proposal_to_a_clients_plan(live_server, new_page, assert_accessible, sign_in):
    check = assert_accessible
    organiser = make_organiser("valikko", name="Valikon hyvinvointialue")
    kuopio = make_area(organiser, "Kuopio")
    make_area(organiser, "Siilinjärvi")
    admin = make_staff(organiser, Role.ORGANISER_ADMIN, "anna.admin", password=TEST_PASSWORD)
    aino = make_client(organiser, first_name="Aino", last_name="Asiakas", username="aino", password=TEST_PASSWORD)
    TOTPDevice.objects.create(user=aino.user, name="puhelin", confirmed=True)
    case = case_in_planning(organiser=organiser, client=aino)  # a budget of 3 000 €
    make_product(organiser, "Kuntosaliohjaus ryhmässä", unit_price="12.00", areas=[kuopio])  # another product (and the service languages)

    # --- The provider registers, sets up the sign-in app and proposes a product.
    p = new_page("en")
    p.goto(f"{live_server.url}/providers/register/")
    check(p)
    p.get_by_role("link", name="Valikon hyvinvointialue").click()
    p.get_by_label("Name of the organisation or company").fill("Savon Tukijat ry")
    p.get_by_label("Business ID (Y-tunnus)").fill("1234567-8")  # wrong check digit
    p.get_by_label("Kind of provider").select_option("association")
    p.get_by_label("Bank account (IBAN)").fill(valid_iban(7))
    p.get_by_label("E-mail").fill("tuki@savontukijat.example")
    p.get_by_label("Kuopio").check()
    p.get_by_label("Finnish", exact=True).check()
    p.get_by_label("Finnish Sign Language").check()
    p.get_by_label("Your first name").fill("Tuula")
    p.get_by_label("Your last name").fill("Tukija")
    p.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    p.get_by_label("Password again").fill(TEST_PASSWORD)
    p.get_by_role("button", name="Register").click()
    expect(p.locator(".error-summary")).to_contain_text("Business ID")
    assert not Provider.objects.filter(name="Savon Tukijat ry").exists()
    check(p)
    p.get_by_label("Business ID (Y-tunnus)").fill(valid_business_id(424_242))
    p.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    p.get_by_label("Password again").fill(TEST_PASSWORD)
    p.get_by_role("button", name="Register").click()
    expect(p.locator(".messages")).to_contain_text("Your registration is saved")
    p.get_by_label("Username").fill("tuki@savontukijat.example")
    p.get_by_label("Password").fill(TEST_PASSWORD)
    p.get_by_role("button", name="Continue").click()
    check(p)  # the sign-in app set-up
    p.get_by_label("Six-digit code").fill(_code_of_new_device("tuki@savontukijat.example"))
    p.get_by_role("button", name="Sign in").click()
    p.get_by_role("link", name="My service products").click()
    expect(p.get_by_text("The organiser has not yet checked your registration.")).to_be_visible()
    check(p)
    p.get_by_role("link", name="Write a new product").click()
    p.get_by_label("Name of the service").fill("Vertaistukiryhmä viittomakielellä")
    p.get_by_label("The service in one sentence").fill("Tapaamme kerran viikossa ja juttelemme arjesta.")
    p.get_by_label("What the client gets").fill("Ohjattu ryhmä, jossa on enintään kahdeksan osallistujaa.")
    p.get_by_label("Kind of support").select_option("peer_support")
    p.get_by_label("Priced per").select_option("visit")
    p.get_by_label("Price per unit in euros, VAT included").fill("25")
    p.get_by_label("Adults who need support in everyday life").check()
    p.get_by_label("Where").fill("Kuopion kirjasto, Maaherrankatu 12")
    p.get_by_label("When").fill("Tiistaisin klo 17–19")
    p.get_by_label("Accessibility").fill("Esteetön sisäänkäynti ja induktiosilmukka.")
    check(p)
    p.get_by_role("button", name="Send to the organiser to be published").click()
    expect(p.get_by_role("table", name="Your products")).to_contain_text("Proposed, waiting for the organiser")
    check(p)

    # --- The organiser approves the registration and returns the product once.
    a = new_page("en")
    sign_in(a, admin, check)
    a.get_by_role("link", name="Provider registrations").click()
    check(a)
    a.get_by_role("button", name="Approve").click()
    expect(a.locator(".messages")).to_contain_text("Savon Tukijat ry is approved.")
    a.get_by_role("link", name="Products to publish").click()
    check(a)
    a.get_by_role("link", name="Vertaistukiryhmä viittomakielellä").click()
    check(a)
    a.get_by_role("button", name="Return to the provider").click()
    expect(a.locator(".error-summary")).to_contain_text("Write why the product is returned")
    check(a)
    a.get_by_label("Reason").fill("Kertokaa, mitä yksi kerta maksaa ja kuinka kauan se kestää.")
    a.get_by_role("button", name="Return to the provider").click()
    expect(a.locator(".messages")).to_contain_text("The product is returned to the provider.")

    # --- The provider reads the reason, corrects the product and sends it again; the organiser publishes it.
    p.reload()
    p.get_by_role("link", name="Vertaistukiryhmä viittomakielellä").click()
    expect(p.locator(".panel")).to_contain_text("mitä yksi kerta maksaa")
    check(p)
    p.get_by_label("What the client gets").fill("Ohjattu ryhmä, enintään kahdeksan osallistujaa. Yksi kerta kestää kaksi tuntia.")
    p.get_by_role("button", name="Send to the organiser to be published").click()
    a.get_by_role("link", name="Products to publish").click()
    a.get_by_role("link", name="Vertaistukiryhmä viittomakielellä").click()
    a.get_by_role("button", name="Publish in the service menu").click()
    expect(a.locator(".messages")).to_contain_text("The product is published in the service menu.")

    # --- The client finds it by search and adds it to the plan.
    c = new_page("en")
    sign_in(c, aino.user, check)
    c.get_by_role("link", name="Service menu").click()
    check(c)
    c.get_by_label("Search words").fill("ryhmä")
    c.get_by_label("Language of the service").select_option(label="Finnish Sign Language")
    c.get_by_role("button", name="Search").click()
    expect(c.get_by_role("heading", name="1 service found")).to_be_visible()
    check(c)
    c.get_by_role("link", name="Vertaistukiryhmä viittomakielellä").click()
    expect(c.get_by_text("Esteetön sisäänkäynti ja induktiosilmukka.")).to_be_visible()
    check(c)
    c.get_by_label("How much do you plan to use?").fill("20")
    c.get_by_role("button", name="Add to my plan").click()
    expect(c.locator(".messages")).to_contain_text("Vertaistukiryhmä viittomakielellä is now in your plan.")
    expect(c.get_by_text("Chosen from the service menu.")).to_be_visible()
    check(c)

    line = PlanLine.objects.get(plan__case=case, product__name="Vertaistukiryhmä viittomakielellä")
    assert line.amount == Decimal("500.00")  # 20 visits × 25,00 €
    assert line.product.status == ProductStatus.PUBLISHED
    assert len(check.checked) >= 17
