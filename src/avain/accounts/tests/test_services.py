"""Granting the budget (avain.accounts.services.grant_budget) and reading the account's totals (selectors).

Posting invoices, agreements and the ledger's consistency are tested in test_ledger_core.py.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from avain.accounts import ledger
from avain.accounts.models import BudgetAccount, EntryKind, InvoiceSource, LedgerEntry
from avain.accounts.posting import post_provider_invoices
from avain.accounts.selectors import account_for_client, account_overview
from avain.accounts.services import grant_budget
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.planning.models import CaseStatus, Decision, HBCase
from avain.testing import (
    DEFAULT_PLAN_LINES,
    DEFAULT_PLAN_TOTAL,
    account_of,
    case_active,
    case_approved,
    case_in_approval,
    case_in_review,
    current_plan,
    invoice_claim,
    make_agreement,
    refused,
)

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
MOMENT = dt.datetime(2025, 1, 10, 9, 0, tzinfo=HELSINKI)


def test_grant_budget_opens_the_account_with_one_grant_per_plan_line():
    case = case_approved(period=PERIOD)
    plan = current_plan(case)
    with frozen_at(MOMENT):
        account = grant_budget(case=case, decided_by=case.worker, period=PERIOD)
    account = BudgetAccount.objects.get(pk=account.pk)
    decision = Decision.objects.get(case=case)
    assert (account.organiser_id, account.client_id, account.decision_id, account.opened_at) == (
        case.organiser_id, case.client_id, decision.pk, MOMENT
    )
    assert (account.period_start, account.period_end) == (PERIOD.start, PERIOD.end)
    assert decision.amount == DEFAULT_PLAN_TOTAL
    assert HBCase.objects.get(pk=case.pk).status == CaseStatus.ACTIVE
    entries = list(LedgerEntry.objects.filter(account=account).select_related("sub_account__plan_line").order_by("pk"))
    assert [(e.sub_account.description, e.kind, e.amount) for e in entries] == [
        (d, EntryKind.GRANT, a) for d, a in DEFAULT_PLAN_LINES
    ]
    assert {e.sub_account.plan_line.plan_id for e in entries} == {plan.pk}
    assert {(e.by_id, e.at, e.organiser_id, e.invoice_id) for e in entries} == {
        (case.worker_id, MOMENT, case.organiser_id, None)
    }
    assert account_for_client(case.client) == account
    assert ledger.verify() == []


@pytest.mark.parametrize("helper", [case_in_review, case_in_approval])
def test_grant_budget_before_approval_is_refused_and_opens_nothing(helper):
    case = helper(period=PERIOD)
    refused("wrong_step", grant_budget, case=case, decided_by=case.worker, period=PERIOD)
    assert not BudgetAccount.objects.exists()
    assert not Decision.objects.exists()


def test_grant_budget_twice_is_refused():
    case = case_active(period=PERIOD)
    refused("wrong_step", grant_budget, case=case, decided_by=case.worker, period=PERIOD)
    assert BudgetAccount.objects.filter(client=case.client).count() == 1


def test_a_decision_period_outside_the_budget_period_is_refused():
    case = case_approved()
    late = Period(case.period_start, case.period_end + dt.timedelta(days=1))
    refused("period_outside_budget", grant_budget, case=case, decided_by=case.worker, period=late)
    account = grant_budget(case=case, decided_by=case.worker, period=Period(case.period_start, case.period_end))
    assert account.decision.period_end == case.period_end


def test_a_fresh_account_has_everything_left():
    case = case_active(period=PERIOD)
    overview = account_overview(account_of(case))
    lines = {line.description: line for line in current_plan(case).lines.all()}
    assert [(l.plan_line_id, l.description, l.planned, l.granted, l.committed, l.spent, l.paid, l.left)
            for l in overview.lines] == [
        (lines[d].pk, d, a, a, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), a) for d, a in DEFAULT_PLAN_LINES
    ]
    assert (overview.planned, overview.granted, overview.left) == (DEFAULT_PLAN_TOTAL,) * 3


def test_the_overview_of_one_account_ignores_other_accounts():
    with frozen_at(dt.datetime(2025, 1, 2, 9, tzinfo=dt.UTC)):
        case = case_active(period=PERIOD)
        other = case_active(period=PERIOD, organiser=case.organiser)
        agreement = make_agreement(account_of(other), unit_price="25.00", quantity="20")
    with frozen_at(dt.datetime(2025, 3, 5, 12, tzinfo=dt.UTC)):
        post_provider_invoices(
            provider=agreement.provider,
            claims=[invoice_claim(agreement, (dt.date(2025, 3, 4), "2"))],
            source=InvoiceSource.PORTAL,
            recorded_by=agreement.made_by,
        )
    mine, theirs = account_overview(account_of(case)), account_overview(account_of(other))
    assert (mine.committed, mine.spent, mine.left) == (Decimal("0.00"), Decimal("0.00"), DEFAULT_PLAN_TOTAL)
    assert (theirs.committed, theirs.spent, theirs.left) == (
        Decimal("450.00"), Decimal("50.00"), DEFAULT_PLAN_TOTAL - Decimal("500.00")
    )
