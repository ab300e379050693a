"""The whole HB journey through the real pages in Chromium, as the worker, the client, the client's HB assistant
(who corrects the returned plan with the client's permission) and the approver.

Each person signs in through the real sign-in pages (password, then a TOTP code) in a browser context of their own,
and every page they see is checked with axe-core. The browser asks for English, so the test reads the source
strings; the Finnish and Swedish messages are checked in test_bad_input.py.
"""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from avain.accounts.models import InvoiceSource
from avain.accounts.posting import post_provider_invoices
from avain.core import clock
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry, CloseOne
from avain.planning.models import CaseStatus, HBCase
from avain.testing import (
    TEST_PASSWORD,
    current_plan,
    invoice_claim,
    make_agreement,
    make_assistant,
    make_client,
    make_organiser,
    make_provider,
    make_service,
    make_staff,
    totp_token,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base_url: str, user, check) -> None:
    page.goto(f"{base_url}/login/")
    check(page)
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("code")
    check(page)
    page.get_by_label("Six-digit code").fill(totp_token(user))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_the_hb_journey_end_to_end(live_server, new_page, assert_accessible):
    base = live_server.url
    check = assert_accessible
    organiser = make_organiser("eksote", name="Etelä-Karjalan hyvinvointialue")
    worker = make_staff(organiser, Role.SOCIAL_WORKER, "sanna.sosiaalityontekija", password=TEST_PASSWORD, first_name="Sanna", last_name="Virtanen")
    approver = make_staff(organiser, Role.APPROVER, "hanna.hyvaksyja", password=TEST_PASSWORD, first_name="Hanna", last_name="Hyväksyjä")
    home_help = make_service(organiser, "KOTIP", unit_price="45.00", name="Kotipalvelu")
    provider = make_provider(organiser, "Etelä-Karjalan Martat ry")
    aino = make_client(organiser, first_name="Aino", last_name="Asiakas", username="aino", password=TEST_PASSWORD)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=aino.user, name="puhelin", confirmed=True)
    sari = make_assistant(organiser, "sari.avustaja", password=TEST_PASSWORD)
    sari.first_name, sari.last_name = "Sari", "Avustaja"
    sari.save()
    TOTPDevice.objects.create(user=sari, name="puhelin", confirmed=True)
    make_client(organiser, first_name="Olli", last_name="Tavallinen")

    # --- The worker opens the case, records wishes and needs, and the budget is computed from the price list.
    w = new_page("en")
    sign_in(w, base, worker, check)
    check(w)  # the work queue
    w.get_by_role("link", name="Clients", exact=True).click()
    w.get_by_label("Search by name").fill("Aino")
    w.get_by_role("button", name="Search").click()
    check(w)
    w.get_by_role("link", name="Asiakas, Aino").click()
    check(w)
    w.get_by_label("Budget period starts").fill("2026-01-01")
    w.get_by_label("Budget period ends").fill("2026-12-31")
    w.get_by_role("button", name="Open the HB case").click()
    expect(w.get_by_role("heading", level=1)).to_have_text("Wishes, needs and budget")
    check(w)
    w.get_by_label("What the client wants from life").fill("Haluan asua omassa kodissa ja käydä uimassa.")
    w.get_by_label("What help and support the client needs").fill("Apua kotitöihin ja asiointiin.")
    w.locator("#id_need-0-service").select_option(value=str(home_help.pk))
    w.locator("#id_need-0-quantity").fill("100")
    w.get_by_role("button", name="Save and compute the budget").click()
    budget_table = w.get_by_role("table", name="How the budget is computed")
    expect(budget_table).to_contain_text("45.00\u00a0€")
    expect(budget_table).to_contain_text("4,500.00\u00a0€")
    check(w)
    w.get_by_role("button", name="Let the client write the plan").click()
    check(w)

    # --- The client writes the support plan within the budget and sends it.
    c = new_page("en")
    sign_in(c, base, aino.user, check)
    check(c)  # "My HB"
    c.get_by_role("link", name="Write my support plan").click()
    check(c)
    c.get_by_label("What is important to me?").fill("Oma koti ja ystävät.")
    c.get_by_label("What do we want to change or achieve?").fill("Haluan käydä uimassa joka viikko.")
    c.locator("#id_line-0-description").fill("Kotiapu Martoilta")
    c.locator("#id_line-0-amount").fill("3000")
    c.locator("#id_line-1-description").fill("Uimahallin sarjakortti")
    c.locator("#id_line-1-amount").fill("400.50")
    c.get_by_role("button", name="Send the plan to my social worker").click()
    expect(c.locator(".messages")).to_contain_text("has been sent")
    check(c)

    # --- The worker returns it once with comments. The client lets her HB assistant edit the plan; the assistant
    # corrects it and sends it again; the worker forwards it.
    w.goto(f"{base}/work/")
    w.get_by_role("link", name="Review the plan of Aino Asiakas").click()
    expect(w.get_by_role("heading", level=1)).to_have_text("Review the support plan")
    check(w)
    w.get_by_label("Comments to the client").fill("Kerro vielä, kuka auttaa sinua uimahallille.")
    w.get_by_role("button", name="Return to the client with comments").click()
    check(w)

    c.goto(f"{base}/")
    c.get_by_role("link", name="My close people and helpers").click()
    expect(c.get_by_role("heading", level=1)).to_have_text("My close people and helpers")
    check(c)
    c.get_by_label("Name", exact=True).fill("Liisa Läheinen")
    c.get_by_label("Who they are to you").fill("sisko")
    c.get_by_label("What they help you with").fill("Lähtee mukaan uimahalliin.")
    c.get_by_role("button", name="Add to my network map").click()
    expect(c.get_by_role("table", name="My network map")).to_contain_text("Lähtee mukaan uimahalliin.")
    check(c)
    c.get_by_label("Who may help", exact=True).select_option(label="Sari Avustaja (HB assistant)")
    c.get_by_label("Read and edit", exact=False).check()
    c.get_by_role("button", name="Give the permission").click()
    expect(c.locator(".messages")).to_contain_text("Sari Avustaja may now read and edit your plan and budget.")
    expect(c.get_by_role("table", name="Who may help me in Avain")).to_contain_text("May read and edit")
    check(c)

    s = new_page("en")
    sign_in(s, base, sari, check)
    s.get_by_role("link", name="Aino Asiakas").click()
    expect(s.get_by_role("heading", level=1)).to_have_text("Personal budget of Aino Asiakas")
    check(s)
    s.get_by_role("link", name="Write my support plan").click()
    expect(s.locator(".panel")).to_contain_text("kuka auttaa sinua uimahallille")
    check(s)
    s.get_by_label("Who helps me with what?").fill("Sisko lähtee mukaan uimahallille.")
    s.get_by_role("button", name="Send the plan to my social worker").click()
    expect(s.locator(".messages")).to_contain_text("has been sent")
    check(s)

    w.goto(f"{base}/work/")
    w.get_by_role("link", name="Review the plan of Aino Asiakas").click()
    expect(w.locator(".plan-answer")).to_contain_text("Sisko lähtee mukaan")
    w.get_by_role("button", name="Forward for approval").click()
    check(w)

    # --- The approver approves the plan version.
    a = new_page("en")
    sign_in(a, base, approver, check)
    check(a)
    a.get_by_role("link", name="Approve the plan of Aino Asiakas").click()
    check(a)
    a.get_by_role("button", name="Approve this plan version").click()
    check(a)

    # --- The worker makes the decision; the account opens. An agreement and the provider's invoice follow (their
    # pages are walked in accounts/tests/test_browser_agreements.py).
    w.goto(f"{base}/work/")
    w.get_by_role("link", name="Make the decision for Aino Asiakas").click()
    check(w)
    w.get_by_role("button", name="Grant the budget").click()
    expect(w.get_by_role("heading", level=1)).to_have_text("Budget account")
    expect(w.get_by_test_id("granted")).to_have_text("3,400.50\u00a0€")
    check(w)
    account = HBCase.objects.get(client=aino).decision.account
    line = [sub.description for sub in account.sub_accounts.order_by("pk")].index("Kotiapu Martoilta")
    served = min(clock.today() - dt.timedelta(days=5), dt.date(2026, 12, 20))
    agreement = make_agreement(
        account, line=line, provider=provider, unit_price="123.45", quantity="1", valid_from=served, made_by=aino.user
    )
    posted = post_provider_invoices(
        provider=provider,
        claims=[invoice_claim(agreement, (served, "1"), number="2026-0042")],
        source=InvoiceSource.PORTAL,
        recorded_by=worker,
    )
    assert posted.problems == []

    # --- The client sees granted, spent and left, and who has looked at their data.
    c.goto(f"{base}/")
    c.get_by_role("link", name="See my budget").click()
    expect(c.get_by_test_id("granted")).to_have_text("3,400.50\u00a0€")
    expect(c.get_by_test_id("spent")).to_have_text("123.45\u00a0€")
    expect(c.get_by_test_id("left")).to_have_text("3,277.05\u00a0€")
    check(c)
    c.get_by_role("link", name="Who has seen my data").click()
    expect(c.get_by_role("table")).to_contain_text("Sanna Virtanen")
    expect(c.get_by_role("table")).to_contain_text("Hanna Hyväksyjä")
    expect(c.get_by_role("table")).to_contain_text("Sari Avustaja")
    expect(c.get_by_role("row", name="Sari Avustaja").first).to_contain_text("Permission given by the client")
    check(c)

    # --- Another client declines HB and stays on ordinary services.
    w.goto(f"{base}/clients/")
    w.get_by_role("link", name="Tavallinen, Olli").click()
    w.get_by_label("Why the client chose ordinary services").fill("Haluaa pitää nykyisen kotipalvelun.")
    w.get_by_role("button", name="Record: continues with ordinary services").click()
    expect(w.locator(".messages")).to_contain_text("continues with ordinary services")
    check(w)

    case = HBCase.objects.get(client=aino)
    assert case.status == CaseStatus.ACTIVE
    assert case.decision.amount == Decimal("3400.50")
    assert sum(sub.left for sub in case.decision.account.sub_accounts.all()) == Decimal("3277.05")
    assert HBCase.objects.get(client__first_name="Olli").status == CaseStatus.DECLINED
    assert AccessLogEntry.objects.filter(client=aino, actor=worker).exists()
    # The first version was sent by the client, the corrected one by the assistant in her own name.
    assert [(p.version, p.submitted_by) for p in case.plans.order_by("version")] == [(1, aino.user), (2, sari)]
    assert current_plan(case).who_helps == "Sisko lähtee mukaan uimahallille."
    assert set(AccessLogEntry.objects.filter(client=aino, actor=sari).values_list("grounds", flat=True)) == {
        AccessLogEntry.Grounds.DELEGATION
    }
    assert CloseOne.objects.get(client=aino).helps_with == "Lähtee mukaan uimahalliin."
    assert len(check.checked) >= 25
