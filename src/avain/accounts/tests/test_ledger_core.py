"""The ledger core: opening an account, agreements, posting invoices line by line, and the totals staying equal
to the entries."""

import datetime as dt
from decimal import Decimal

import pytest

from avain.accounts import ledger
from avain.accounts.agreements import end_agreement
from avain.accounts.models import EntryKind, Invoice, InvoiceSource, InvoiceStatus, LedgerEntry, SubAccount
from avain.accounts.posting import post_provider_invoices
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.testing import account_of, case_active, db_snapshot, invoice_claim, make_agreement

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def account():
    with frozen_at(dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)):
        return account_of(case_active(period=PERIOD))


def _totals(sub):
    sub = SubAccount.objects.get(pk=sub.pk)
    return sub.granted, sub.committed, sub.spent, sub.left


def test_opening_grants_each_plan_line_into_its_own_sub_account(account):
    subs = list(account.sub_accounts.all())
    assert [(s.description, s.granted, s.planned) for s in subs] == [
        (s.plan_line.description, s.plan_line.amount, s.plan_line.amount) for s in subs
    ]
    assert ledger.verify() == []


def test_an_agreement_commits_and_an_invoice_turns_commitment_into_spending(account):
    with frozen_at(IN_MARCH):
        agreement = make_agreement(account, unit_price="40.00", quantity="10")
        sub = agreement.sub_account
        assert _totals(sub) == (Decimal("1800.00"), Decimal("400.00"), Decimal("0.00"), Decimal("1400.00"))
        result = post_provider_invoices(
            provider=agreement.provider,
            claims=[invoice_claim(agreement, (dt.date(2025, 3, 3), "2"), (dt.date(2025, 3, 10), "1"))],
            source=InvoiceSource.PORTAL,
            recorded_by=agreement.made_by,
        )
    assert result.problems == []
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("120.00") and invoice.status == InvoiceStatus.AWAITING_ACCEPTANCE
    assert _totals(sub) == (Decimal("1800.00"), Decimal("280.00"), Decimal("120.00"), Decimal("1400.00"))
    assert sorted(LedgerEntry.objects.filter(invoice=invoice).values_list("kind", "amount")) == [
        (EntryKind.RELEASE, Decimal("-120.00")),
        (EntryKind.SPENDING, Decimal("120.00")),
    ]
    end_agreement(agreement=agreement, ended_by=agreement.made_by)
    assert _totals(sub) == (Decimal("1800.00"), Decimal("0.00"), Decimal("120.00"), Decimal("1680.00"))
    assert ledger.verify() == []


def test_one_bad_line_never_sinks_the_good_lines(account):
    with frozen_at(IN_MARCH):
        agreement = make_agreement(account, unit_price="40.00", quantity="3")
        claim = invoice_claim(
            agreement,
            (dt.date(2025, 3, 3), "1"),
            (dt.date(2025, 3, 4), "1", "45.00", "45.00"),  # above the agreed price
            (dt.date(2026, 3, 4), "1"),  # in the future
            (dt.date(2025, 3, 5), "3"),  # more than is left
            (dt.date(2025, 3, 6), "2"),
        )
        result = post_provider_invoices(
            provider=agreement.provider, claims=[claim], source=InvoiceSource.CSV, recorded_by=agreement.made_by
        )
    assert [(p.line, p.code) for p in result.problems] == [
        (2, "price_above_agreed"),
        (3, "date_in_future"),
        (4, "quantity_over_agreement"),
    ]
    assert result.lines_posted == 2
    assert Invoice.objects.get().total == Decimal("120.00")
    assert "45,00" in result.problems[0].message() or "45.00" in result.problems[0].message()


def test_the_same_invoice_is_never_posted_twice(account):
    with frozen_at(IN_MARCH):
        agreement = make_agreement(account)
        claim = invoice_claim(agreement, (dt.date(2025, 3, 3), "1"), number="X-1")
        post_provider_invoices(provider=agreement.provider, claims=[claim], source=InvoiceSource.CSV, recorded_by=agreement.made_by)
        before = db_snapshot("accounts")
        again = post_provider_invoices(
            provider=agreement.provider, claims=[claim], source=InvoiceSource.CSV, recorded_by=agreement.made_by
        )
    assert [p.code for p in again.problems] == ["duplicate_invoice"]
    assert db_snapshot("accounts") == before
