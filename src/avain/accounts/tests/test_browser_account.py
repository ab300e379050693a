"""The client's account page in Chromium, with most of the budget spent: the warning is announced, the chart and its
table are there, the statement downloads, and axe-core finds no serious or critical problem. The browser asks for
English. The live server runs on the real clock, so the budget period is placed around today."""

import datetime as dt
from decimal import Decimal

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from avain.accounts.models import InvoiceSource
from avain.accounts.posting import post_provider_invoices
from avain.core import clock
from avain.core.periods import Period
from avain.testing import (
    TEST_PASSWORD,
    account_of,
    case_active,
    invoice_claim,
    make_agreement,
    make_client,
    make_organiser,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_clients_account_page_warns_and_is_accessible(live_server, new_page, assert_accessible, sign_in):
    today = clock.today()
    organiser = make_organiser("tili", name="Tilin hyvinvointialue")
    aino = make_client(organiser, first_name="Aino", last_name="Asiakas", username="aino.tili", password=TEST_PASSWORD)
    TOTPDevice.objects.create(user=aino.user, name="puhelin", confirmed=True)
    period = Period(today - dt.timedelta(days=100), today + dt.timedelta(days=265))
    case = case_active(organiser=organiser, client=aino, period=period, plan_lines=[("Avustaja", Decimal("1000.00"))])
    agreement = make_agreement(account_of(case), unit_price="10.00", quantity="100")
    post_provider_invoices(
        provider=agreement.provider,
        claims=[invoice_claim(agreement, (today - dt.timedelta(days=20), "50")),
                invoice_claim(agreement, (today - dt.timedelta(days=5), "40"))],
        source=InvoiceSource.PORTAL,
        recorded_by=agreement.made_by,
    )

    page = new_page("en")
    sign_in(page, aino.user)
    page.goto(f"{live_server.url}/my/{aino.pk}/account/")
    expect(page.get_by_role("heading", name="My budget")).to_be_visible()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("90 % of the budget has been spent")
    expect(alert).to_contain_text("the money runs out around")
    expect(page.get_by_role("img", name="Money spent each month compared with an even pace")).to_be_visible()
    months = page.get_by_role("table", name="Spending per month in figures")
    expect(months).to_contain_text("900.00")
    expect(page.get_by_role("table", name="Money per line of the plan")).to_contain_text("Avustaja")
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the statement as a CSV file").click()
    assert download.value.suggested_filename == f"hb-statement-{account_of(case).pk}-{today.isoformat()}.csv"
