"""From an agreement to a typed invoice, through the real pages in Chromium.

The client makes an agreement on a plan line chosen from the service menu (the product's provider and price are
suggested) and reads its number; the provider sees the agreement, types an invoice with one good line and one line
above the agreed price, and reads why that line failed; the client's agreement then shows what was used. Every page
is checked with axe-core. The browsers ask for English.
"""

from decimal import Decimal

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avain.accounts.models import Agreement, Invoice
from avain.accounts.services import grant_budget
from avain.core import clock
from avain.planning.services import PlanLineEntry, review_plan, save_plan_draft, submit_plan
from avain.testing import (
    TEST_PASSWORD,
    approve_forwarded,
    case_in_planning,
    current_plan,
    default_answers,
    default_period,
    make_client,
    make_organiser,
    make_product,
    make_provider,
    make_provider_contact,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agreement_is_made_invoiced_line_by_line_and_shows_what_was_used(live_server, new_page, assert_accessible, sign_in):
    check = assert_accessible
    organiser = make_organiser("sopimus", name="Sopimuksen hyvinvointialue")
    aino = make_client(organiser, first_name="Aino", last_name="Asiakas", username="aino", password=TEST_PASSWORD)
    TOTPDevice.objects.create(user=aino.user, name="puhelin", confirmed=True)
    provider = make_provider(organiser, "Uimakoulu Aalto Oy")
    contact = make_provider_contact(provider, "uimakoulu", password=TEST_PASSWORD)
    TOTPDevice.objects.create(user=contact, name="puhelin", confirmed=True)
    product = make_product(organiser, "Uintiohjaus", provider=provider, unit_price="25.00", unit="visit")
    period = default_period()
    case = case_in_planning(organiser=organiser, client=aino, period=period)
    plan = current_plan(case)
    save_plan_draft(
        plan=plan,
        actor=aino.user,
        answers=default_answers(),
        lines=[PlanLineEntry("Uintiohjaus", Decimal("500.00"), product.pk), PlanLineEntry("Kuntosali", Decimal("300.00"))],
    )
    submit_plan(plan=plan, actor=aino.user)
    review_plan(plan=plan, reviewer=case.worker, forward=True, comment="")
    approve_forwarded(case)
    grant_budget(case=case, decided_by=case.worker, period=period)
    today = clock.today().isoformat()

    # --- The client makes the agreement on the swimming line; the provider and price come from the product.
    c = new_page("en")
    sign_in(c, aino.user, check)
    c.goto(f"{live_server.url}/my/{aino.pk}/agreements/")
    expect(c.get_by_role("table", name="Agreements")).to_contain_text("No agreements yet.")
    check(c)
    c.get_by_role("link", name="Make an agreement for “Uintiohjaus (Uimakoulu Aalto Oy)”").click()
    expect(c.get_by_label("Provider")).to_have_value(str(provider.pk))
    expect(c.get_by_label("Price per unit in euros")).to_have_value("25.00")
    check(c)
    c.get_by_label("Quantity (optional)").fill("30")  # 750 € is more than the line's 500 €
    c.get_by_role("button", name="Make the agreement").click()
    expect(c.locator(".error-summary")).to_contain_text("Only 500.00 € is left for “Uintiohjaus (Uimakoulu Aalto Oy)”")
    assert not Agreement.objects.exists()
    check(c)
    c.get_by_label("Quantity (optional)").fill("10")
    c.get_by_role("button", name="Make the agreement").click()
    expect(c.get_by_text("Give this number to the provider.")).to_be_visible()
    agreement = Agreement.objects.get()
    expect(c.locator(".summary-cards")).to_contain_text(agreement.number)
    check(c)

    # --- The provider types an invoice: one line at the agreed price, one above it.
    p = new_page("en")
    sign_in(p, contact, check)
    p.goto(f"{live_server.url}/provider/agreements/")
    expect(p.get_by_role("table", name="Agreements")).to_contain_text("Aino A.")
    expect(p.get_by_role("table", name="Agreements")).not_to_contain_text("Asiakas")
    check(p)
    p.get_by_role("link", name="Type an invoice").click()
    p.get_by_label("Invoice number").fill("UA-2025-1")
    option = f"{agreement.number} · {agreement.service} · Aino A."
    p.get_by_label("Agreement (line 1)").select_option(label=option)
    expect(p.get_by_label("Price per unit, € (line 1)")).to_have_value("25.00")  # filled in by the script
    p.get_by_label("Service date (line 1)").fill(today)
    p.get_by_label("Quantity (line 1)").fill("2")
    p.get_by_label("Agreement (line 2)").select_option(label=option)
    p.get_by_label("Service date (line 2)").fill(today)
    p.get_by_label("Quantity (line 2)").fill("1")
    p.get_by_label("Price per unit, € (line 2)").fill("30.00")
    check(p)
    p.get_by_role("button", name="Send the invoice").click()
    expect(p.locator(".error-summary")).to_contain_text("Line 2: The price 30.00 € is more than the agreed 25.00 € per unit.")
    expect(p.get_by_role("table", name="Lines received")).to_contain_text("50.00")
    check(p)
    p.get_by_role("link", name="My invoices").first.click()
    expect(p.get_by_role("table", name="Invoices")).to_contain_text("UA-2025-1")
    check(p)

    # --- The client's agreement shows what was used and what is left.
    c.goto(f"{live_server.url}/my/{aino.pk}/agreements/")
    row = c.get_by_role("row").filter(has_text=agreement.number)
    expect(row).to_contain_text("50.00")  # used
    expect(row).to_contain_text("200.00")  # left of 250.00
    check(c)
    assert Invoice.objects.get().total == Decimal("50.00")
    assert len(check.checked) >= 10
