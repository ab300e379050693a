"""Accepting, approving and rejecting invoices: the client accepts before the worker or finance approves, the funding
rule decides which steps apply, a second click changes nothing, and a rejection gives the money back exactly.

The scenario: a budget for 2025 with the lines 1 800 € and 1 000 €; an agreement of 10 × 40,00 € on the first line;
the provider invoices 3 × 40,00 € = 120,00 € on 31 March 2025.
"""

import datetime as dt
from decimal import Decimal

import pytest

from avain.accounts import ledger
from avain.accounts.agreements import end_agreement
from avain.accounts.invoices import accept_invoice, approve_invoice, reject_invoice
from avain.accounts.models import (
    Agreement,
    BudgetAccount,
    EntryKind,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    LedgerEntry,
    SubAccount,
)
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
    make_agreement,
    make_assistant,
    make_client,
    make_organiser,
    make_provider_contact,
    make_staff,
    refused,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
IN_APRIL = dt.datetime(2025, 4, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def account():
    with frozen_at(dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)):
        organiser = make_organiser()
        return account_of(case_active(client=make_client(organiser, login=True), period=PERIOD))


@pytest.fixture
def agreement(account):
    with frozen_at(IN_MARCH):
        return make_agreement(account, unit_price="40.00", quantity="10")


def set_rule(account, **fields) -> BudgetAccount:
    BudgetAccount.objects.filter(pk=account.pk).update(**fields)
    return BudgetAccount.objects.get(pk=account.pk)


def invoice_under(agreement, quantity: str = "3") -> Invoice:
    with frozen_at(IN_MARCH):
        result = post_provider_invoices(
            provider=agreement.provider,
            claims=[invoice_claim(agreement, (dt.date(2025, 3, 10), quantity))],
            source=InvoiceSource.PORTAL,
            recorded_by=agreement.made_by,
        )
    assert result.problems == []
    return result.invoices[0]


def totals(sub_id) -> tuple:
    sub = SubAccount.objects.get(pk=sub_id)
    return sub.granted, sub.committed, sub.spent, sub.left


def fresh(invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def test_the_client_accepts_then_the_worker_approves(account, agreement):
    invoice = invoice_under(agreement)
    assert invoice.status == InvoiceStatus.AWAITING_ACCEPTANCE
    client_user = account.client.user
    with frozen_at(IN_MARCH):
        accept_invoice(invoice=invoice, by=client_user)
    invoice = fresh(invoice)
    assert (invoice.status, invoice.accepted_by, invoice.accepted_at) == (
        InvoiceStatus.AWAITING_APPROVAL, client_user, IN_MARCH
    )
    worker = make_staff(account.organiser, Role.SOCIAL_WORKER)
    with frozen_at(IN_APRIL):
        approve_invoice(invoice=invoice, by=worker)
    invoice = fresh(invoice)
    assert (invoice.status, invoice.approved_by, invoice.approved_at) == (InvoiceStatus.APPROVED, worker, IN_APRIL)
    assert invoice.rejected_by is None
    # Acceptance and approval move no money: it was spent when the invoice came in.
    assert totals(agreement.sub_account_id) == (Decimal("1800.00"), Decimal("280.00"), Decimal("120.00"), Decimal("1400.00"))


def test_an_edit_delegate_accepts_and_finance_approves(account, agreement):
    helper = make_assistant(account.organiser)
    grant_delegation(client=account.client, user=helper, access="edit")
    invoice = accept_invoice(invoice=invoice_under(agreement), by=helper)
    finance = make_staff(account.organiser, Role.FINANCE)
    approve_invoice(invoice=invoice, by=finance)
    invoice = fresh(invoice)
    assert (invoice.status, invoice.accepted_by, invoice.approved_by) == (InvoiceStatus.APPROVED, helper, finance)


def test_a_second_click_changes_nothing(account, agreement):
    invoice = invoice_under(agreement)
    accept_invoice(invoice=invoice, by=account.client.user)
    before = db_snapshot()
    accept_invoice(invoice=invoice, by=account.client.user)
    assert db_snapshot() == before
    worker = make_staff(account.organiser)
    approve_invoice(invoice=invoice, by=worker)
    before = db_snapshot()
    approve_invoice(invoice=invoice, by=worker)
    accept_invoice(invoice=invoice, by=account.client.user)
    assert db_snapshot() == before
    assert fresh(invoice).approved_by == worker


def test_who_may_accept_and_approve(account, agreement):
    invoice = invoice_under(agreement)
    reader = make_assistant(account.organiser)
    grant_delegation(client=account.client, user=reader, access="read")
    refused("not_allowed", accept_invoice, invoice=invoice, by=reader)
    refused("not_allowed", accept_invoice, invoice=invoice, by=make_staff(account.organiser))
    refused("not_allowed", accept_invoice, invoice=invoice, by=make_provider_contact(agreement.provider))
    accept_invoice(invoice=invoice, by=account.client.user)
    refused("not_allowed", approve_invoice, invoice=invoice, by=account.client.user)
    refused("not_allowed", approve_invoice, invoice=invoice, by=make_staff(account.organiser, Role.APPROVER))
    refused("not_allowed", approve_invoice, invoice=invoice, by=make_staff(account.organiser, Role.RESEARCHER))
    refused("not_allowed", approve_invoice, invoice=invoice, by=make_staff(make_organiser(), Role.FINANCE))
    refused("not_allowed", approve_invoice, invoice=invoice, by=make_provider_contact(agreement.provider))
    assert fresh(invoice).status == InvoiceStatus.AWAITING_APPROVAL


def test_the_worker_cannot_approve_before_the_client_accepts(account, agreement):
    invoice = invoice_under(agreement)
    refused("not_accepted_yet", approve_invoice, invoice=invoice, by=make_staff(account.organiser))


def test_rejecting_reverses_exactly_and_commits_again_under_an_agreement_in_force(account, agreement):
    sub_id = agreement.sub_account_id
    before_invoice = totals(sub_id)
    invoice = invoice_under(agreement)
    assert totals(sub_id) != before_invoice
    client_user = account.client.user
    with frozen_at(IN_APRIL):
        reject_invoice(invoice=invoice, by=client_user, reason="En saanut palvelua 10.3.")
    assert totals(sub_id) == before_invoice == (Decimal("1800.00"), Decimal("400.00"), Decimal("0.00"), Decimal("1400.00"))
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert (agreement.used_amount, agreement.used_quantity) == (Decimal("0.00"), Decimal("0.00"))
    assert sorted(LedgerEntry.objects.filter(invoice=invoice).values_list("kind", "amount")) == sorted([
        (EntryKind.RELEASE, Decimal("-120.00")),
        (EntryKind.SPENDING, Decimal("120.00")),
        (EntryKind.REVERSAL, Decimal("-120.00")),
        (EntryKind.COMMITMENT, Decimal("120.00")),
    ])
    invoice = fresh(invoice)
    assert (invoice.status, invoice.rejected_by, invoice.rejected_at, invoice.rejection_reason) == (
        InvoiceStatus.REJECTED, client_user, IN_APRIL, "En saanut palvelua 10.3."
    )
    assert invoice.total == Decimal("120.00")  # what was claimed stays on record
    assert ledger.verify() == []
    # The re-committed money can be invoiced again, up to the whole agreement.
    assert invoice_under(agreement, quantity="10").total == Decimal("400.00")
    assert ledger.verify() == []


def test_rejecting_under_an_ended_agreement_gives_the_money_back_to_the_line(account, agreement):
    sub_id = agreement.sub_account_id
    invoice = invoice_under(agreement)
    end_agreement(agreement=agreement, ended_by=agreement.made_by)
    assert totals(sub_id) == (Decimal("1800.00"), Decimal("0.00"), Decimal("120.00"), Decimal("1680.00"))
    reject_invoice(invoice=invoice, by=make_staff(account.organiser, Role.FINANCE), reason="Väärä asiakas.")
    assert totals(sub_id) == (Decimal("1800.00"), Decimal("0.00"), Decimal("0.00"), Decimal("1800.00"))
    assert not LedgerEntry.objects.filter(invoice=invoice, kind=EntryKind.COMMITMENT).exists()
    assert Agreement.objects.get(pk=agreement.pk).used_amount == Decimal("0.00")
    assert ledger.verify() == []


def test_who_may_reject_and_when(account, agreement):
    invoice = invoice_under(agreement)
    refused("no_reason", reject_invoice, invoice=invoice, by=account.client.user, reason="  ")
    reader = make_assistant(account.organiser)
    grant_delegation(client=account.client, user=reader, access="read")
    refused("not_allowed", reject_invoice, invoice=invoice, by=reader, reason="Ei.")
    refused("not_allowed", reject_invoice, invoice=invoice, by=make_staff(make_organiser()), reason="Ei.")
    refused("not_allowed", reject_invoice, invoice=invoice, by=make_provider_contact(agreement.provider), reason="Ei.")
    accept_invoice(invoice=invoice, by=account.client.user)
    refused("already_accepted", reject_invoice, invoice=invoice, by=account.client.user, reason="Sittenkin ei.")
    worker = make_staff(account.organiser)
    approve_invoice(invoice=invoice, by=worker)
    refused("already_approved", reject_invoice, invoice=invoice, by=worker, reason="Myöhässä.")


def test_staff_reject_while_waiting_for_approval_and_a_second_reject_changes_nothing(account, agreement):
    invoice = invoice_under(agreement)
    accept_invoice(invoice=invoice, by=account.client.user)
    worker = make_staff(account.organiser)
    reject_invoice(invoice=invoice, by=worker, reason="Hinta ei vastaa sopimusta.")
    before = db_snapshot()
    reject_invoice(invoice=invoice, by=worker, reason="Uudestaan.")
    assert db_snapshot() == before
    refused("already_rejected", accept_invoice, invoice=invoice, by=account.client.user)
    refused("already_rejected", approve_invoice, invoice=invoice, by=worker)
    assert fresh(invoice).rejection_reason == "Hinta ei vastaa sopimusta."
    assert ledger.verify() == []


def test_without_client_acceptance_invoices_wait_for_approval_only(account, agreement):
    set_rule(account, client_acceptance=False)
    invoice = invoice_under(agreement)
    assert invoice.status == InvoiceStatus.AWAITING_APPROVAL
    refused("acceptance_not_needed", accept_invoice, invoice=invoice, by=account.client.user)
    approve_invoice(invoice=invoice, by=make_staff(account.organiser))
    assert fresh(invoice).status == InvoiceStatus.APPROVED


def test_without_staff_approval_the_clients_acceptance_approves(account, agreement):
    set_rule(account, staff_approval=False)
    invoice = invoice_under(agreement)
    assert invoice.status == InvoiceStatus.AWAITING_ACCEPTANCE
    accept_invoice(invoice=invoice, by=account.client.user)
    invoice = fresh(invoice)
    assert (invoice.status, invoice.accepted_by, invoice.approved_by) == (
        InvoiceStatus.APPROVED, account.client.user, None
    )
    worker = make_staff(account.organiser)
    before = db_snapshot()
    approve_invoice(invoice=invoice, by=worker)  # nothing left to approve
    assert db_snapshot() == before


def test_with_neither_step_invoices_are_approved_when_they_come_in(account, agreement):
    set_rule(account, client_acceptance=False, staff_approval=False)
    invoice = invoice_under(agreement)
    assert invoice.status == InvoiceStatus.APPROVED
    refused("already_approved", reject_invoice, invoice=invoice, by=make_staff(account.organiser), reason="Ei.")


def test_rejecting_a_receipt_gives_its_money_back(account, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from avain.accounts.receipts import claim_receipt

    settings.MEDIA_ROOT = tmp_path
    sub = SubAccount.objects.filter(account=account).order_by("pk").last()
    before = totals(sub.pk)
    with frozen_at(IN_MARCH):
        invoice = claim_receipt(
            account=account,
            sub_account=sub,
            purchase_date=dt.date(2025, 3, 30),
            amount=Decimal("15.50"),
            description="Bussilippu",
            payee_iban="FI2112345600000785",
            attachment=SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + bytes(20)),
            claimed_by=account.client.user,
        )
    refused("already_accepted", reject_invoice, invoice=invoice, by=account.client.user, reason="Väärä.")
    reject_invoice(invoice=invoice, by=make_staff(account.organiser), reason="Ei kuulu suunnitelmaan.")
    assert totals(sub.pk) == before
    assert list(LedgerEntry.objects.filter(invoice=invoice).order_by("pk").values_list("kind", "amount")) == [
        (EntryKind.SPENDING, Decimal("15.50")),
        (EntryKind.REVERSAL, Decimal("-15.50")),
    ]
    assert ledger.verify() == []
