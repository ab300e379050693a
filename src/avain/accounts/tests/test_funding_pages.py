"""The funding pages: moving money in the client's portal and on the worker's page, the worker's permissions on a
line, the closing statement for the worker and the client, and the organiser's funding rule page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from avain.accounts.funding import close_account
from avain.accounts.invoices import reject_invoice
from avain.accounts.models import FundingRule, InvoiceSource, SubAccount
from avain.accounts.posting import post_provider_invoices
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.people.services import grant_delegation
from avain.testing import (
    account_of,
    case_active,
    db_snapshot,
    invoice_claim,
    login_verified,
    make_agreement,
    make_assistant,
    make_client,
    make_organiser,
    make_staff,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OPENED = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)
IN_FEBRUARY = dt.datetime(2025, 2, 10, 9, 0, tzinfo=dt.UTC)
D = Decimal
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def flexible():
    organiser = make_organiser()
    FundingRule.objects.create(organiser=organiser, lines_flexible=True)
    with frozen_at(OPENED):
        case = case_active(organiser=organiser, client=make_client(organiser, login=True), period=PERIOD)
    return case, account_of(case)


def lines(account):
    return list(SubAccount.objects.filter(account=account).order_by("pk"))


def move(web, url, account, amount: str):
    first, second = lines(account)
    return web.post(url, {"from_sub": first.pk, "to_sub": second.pk, "amount": amount}, **EN)


def test_the_client_moves_money_in_the_portal(client, flexible):
    case, account = flexible
    client.force_login(case.client.user)
    url = reverse("portal_move_money", args=[case.client.pk])
    page = client.get(url, **EN).content.decode()
    assert "Move money between lines" in page and '<label for="id_amount">' in page
    response = move(client, url, account, "100.50")
    assert response.status_code == 302
    assert [s.granted for s in lines(account)] == [D("1699.50"), D("1100.50")]


def test_a_bad_amount_is_explained_next_to_the_field_and_changes_nothing(client, flexible):
    case, account = flexible
    client.force_login(case.client.user)
    before = db_snapshot("accounts")
    response = move(client, reverse("portal_move_money", args=[case.client.pk]), account, "5000")
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "Only 1,800.00 € is free" in page.replace("\xa0", " ")
    assert db_snapshot("accounts") == before


def test_a_delegate_who_may_only_read_cannot_move_money(client, flexible):
    case, account = flexible
    reader = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=reader, access="read")
    client.force_login(reader)
    url = reverse("portal_move_money", args=[case.client.pk])
    assert "You may read this budget but not move its money." in client.get(url, **EN).content.decode()
    before = db_snapshot("accounts")
    assert move(client, url, account, "1").status_code == 403
    assert db_snapshot("accounts") == before


def test_the_worker_moves_money_and_sets_the_permissions_of_a_line(client, flexible):
    case, account = flexible
    login_verified(client, case.worker)
    assert move(client, reverse("case_move_money", args=[case.pk]), account, "10").status_code == 302
    first, second = lines(account)
    url = reverse("case_overspend", args=[case.pk])
    assert client.get(url, **EN).status_code == 200
    response = client.post(url, {"action": "overspend", "over-sub_account": first.pk, "over-amount": "25", "over-reason": "Lisäkäynnit"}, **EN)
    assert response.status_code == 302
    response = client.post(url, {"action": "flexible", "flex-sub_account": second.pk, "flex-flexible": "0"}, **EN)
    assert response.status_code == 302
    first, second = lines(account)
    assert (first.granted, first.overspend_allowed, second.flexible) == (D("1790.00"), D("25.00"), False)
    page = client.get(url, **EN).content.decode()
    history = page[page.index('data-testid="overspend-permissions"'):]
    assert "Lisäkäynnit" in history and "25.00" in history
    assert (case.worker.get_full_name() or case.worker.username) in history


def test_only_the_social_worker_changes_the_permissions_of_a_line(client, flexible):
    case, account = flexible
    finance = make_staff(case.organiser, Role.FINANCE)
    login_verified(client, finance)
    assert client.get(reverse("case_overspend", args=[case.pk])).status_code == 403


def test_the_closing_statement_for_the_worker_and_the_client(client, flexible):
    case, account = flexible
    login_verified(client, case.worker)
    page = client.get(reverse("case_closing_statement", args=[case.pk]), **EN).content.decode()
    assert "there is no closing statement yet" in page
    with frozen_at(dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)):
        close_account(account=account, by=case.worker)
    page = client.get(reverse("case_closing_statement", args=[case.pk]), **EN).content.decode().replace("\xa0", " ")
    assert "Released at closing" in page and "2,800.00 €" in page
    client.force_login(case.client.user)
    page = client.get(reverse("portal_closing_statement", args=[case.client.pk]), **EN).content.decode()
    assert "was closed on" in page and "replaced by a change" not in page


def test_an_invoice_rejected_after_closing_is_told_of_below_the_statement(client, flexible):
    case, account = flexible
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, unit_price="30.00", quantity="10")
        result = post_provider_invoices(
            provider=agreement.provider, claims=[invoice_claim(agreement, (dt.date(2025, 2, 3), "2"), number="R-7")],
            source=InvoiceSource.PORTAL, recorded_by=agreement.made_by,
        )
    with frozen_at(dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)):
        close_account(account=account, by=case.worker)
    login_verified(client, case.worker)
    url = reverse("case_closing_statement", args=[case.pk])
    assert "After closing" not in client.get(url, **EN).content.decode()
    with frozen_at(dt.datetime(2025, 6, 3, 9, 0, tzinfo=dt.UTC)):
        reject_invoice(invoice=result.invoices[0], by=case.worker, reason="Palvelua ei annettu.")

    page = client.get(url, **EN).content.decode().replace("\xa0", " ")
    after = page[page.index('data-testid="released-after-closing"'):]
    assert "<td>06/03/2025</td><td>R-7</td><td class=\"num\">60.00 €</td>" in after
    client.force_login(case.client.user)
    page = client.get(reverse("portal_closing_statement", args=[case.client.pk]), **EN).content.decode()
    assert "rejected after the budget was closed" in page and "R-7" in page


def test_staff_of_another_organiser_do_not_see_the_funding_pages(client, flexible):
    case, account = flexible
    stranger = make_staff(make_organiser(), Role.SOCIAL_WORKER)
    login_verified(client, stranger)
    for name in ("case_move_money", "case_overspend", "case_closing_statement"):
        assert client.get(reverse(name, args=[case.pk])).status_code == 404


def test_the_administrator_sets_the_funding_rule_and_others_read_it(client):
    organiser = make_organiser()
    admin = make_staff(organiser, Role.ORGANISER_ADMIN)
    login_verified(client, admin)
    url = reverse("funding_rule")
    page = client.get(url, **EN).content.decode()
    assert "applies to budgets granted from now on" in page
    form = {
        "instalments": "4", "rollover": "on", "no_receipt_allowance": "30.00", "claim_deadline_days": "60",
        "client_acceptance": "on", "warning_percent": "90",
    }
    assert client.post(url, form, **EN).status_code == 302
    rule = FundingRule.objects.get(organiser=organiser)
    assert (rule.instalments, rule.rollover, rule.lines_flexible, rule.no_receipt_allowance, rule.staff_approval) == (
        4, True, False, D("30.00"), False
    )
    response = client.post(url, {**form, "no_receipt_allowance": "1.005"}, **EN)
    assert response.status_code == 400 and "at most two decimals" in response.content.decode()

    finance = make_staff(organiser, Role.FINANCE)
    client.logout()
    login_verified(client, finance)
    page = client.get(url, **EN).content.decode()
    assert 'name="instalments"' not in page and "Instalments" in page
    assert client.post(url, form).status_code == 403
