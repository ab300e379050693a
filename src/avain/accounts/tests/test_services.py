"""The budget account: granting the budget and posting invoices (avain.accounts.services, .selectors).

The ledger is append-only: a grant entry per plan line, a negative spending entry per invoice. Every refused
posting writes nothing, and whatever was posted, the balance equals the sum of the entries.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avain.accounts.models import BudgetAccount, EntryKind, Invoice, LedgerEntry
from avain.accounts.selectors import account_balance, account_for_client, invoices_of
from avain.accounts.services import grant_budget, record_invoice
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.planning.models import CaseStatus, Decision, HBCase
from avain.planning.services import review_plan
from avain.testing import (
    refused,
    DEFAULT_PLAN_LINES,
    DEFAULT_PLAN_TOTAL,
    account_of,
    case_active,
    case_approved,
    case_in_approval,
    case_in_review,
    current_plan,
    db_snapshot,
    make_organiser,
    make_provider,
    make_staff,
)

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
MOMENT = dt.datetime(2025, 1, 10, 9, 0, tzinfo=HELSINKI)
ASSISTANT, HOBBIES = (description for description, _ in DEFAULT_PLAN_LINES)  # 1800.00 and 1000.00


@pytest.fixture
def active():
    """An active case with an open account; its plan lines are 1800.00 (assistant) and 1000.00 (hobbies)."""
    case = case_active(period=PERIOD)
    account = account_of(case)
    lines = {line.description: line for line in current_plan(case).lines.all()}
    provider = make_provider(case.organiser, "Uimaseura ry")
    finance = make_staff(case.organiser, Role.FINANCE)
    return case, account, lines, provider, finance


def post(active_case, *, line=ASSISTANT, number="1001", amount="100.00", date=dt.date(2025, 3, 1), provider=None):
    case, account, lines, default_provider, finance = active_case
    return record_invoice(
        account=account,
        provider=provider or default_provider,
        invoice_number=number,
        plan_line=lines[line] if isinstance(line, str) else line,
        service_date=date,
        amount=Decimal(amount) if isinstance(amount, str) else amount,
        recorded_by=finance,
    )



def entries_total(account) -> Decimal:
    return LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]


# --- Granting the budget -----------------------------------------------------------------------------------------


def test_grant_budget_opens_the_account_with_one_grant_per_plan_line():
    case = case_approved(period=PERIOD)
    plan = current_plan(case)
    with frozen_at(MOMENT):
        account = grant_budget(case=case, decided_by=case.worker, period=PERIOD)
    account = BudgetAccount.objects.get(pk=account.pk)
    decision = Decision.objects.get(case=case)
    assert (account.organiser_id, account.client_id, account.decision_id, account.opened_at) == (
        case.organiser_id,
        case.client_id,
        decision.pk,
        MOMENT,
    )
    assert decision.amount == DEFAULT_PLAN_TOTAL
    assert HBCase.objects.get(pk=case.pk).status == CaseStatus.ACTIVE
    entries = list(LedgerEntry.objects.filter(account=account).order_by("plan_line_id"))
    assert [(e.plan_line.description, e.kind, e.amount) for e in entries] == [
        (d, EntryKind.GRANT, a) for d, a in DEFAULT_PLAN_LINES
    ]
    assert {e.plan_line.plan_id for e in entries} == {plan.pk}
    assert {(e.by_id, e.at, e.organiser_id, e.invoice_id) for e in entries} == {
        (case.worker_id, MOMENT, case.organiser_id, None)
    }
    assert entries_total(account) == decision.amount == Decimal("2800.00")
    assert account_for_client(case.client) == account


@pytest.mark.parametrize("helper", [case_in_review, case_in_approval])
def test_grant_budget_before_approval_is_refused_and_opens_nothing(helper):
    case = helper(period=PERIOD)
    refused("wrong_step", grant_budget, case=case, decided_by=case.worker, period=PERIOD)
    assert not BudgetAccount.objects.exists()
    assert not Decision.objects.exists()


def test_grant_budget_twice_is_refused(active):
    case = active[0]
    refused("wrong_step", grant_budget, case=case, decided_by=case.worker, period=PERIOD)
    assert BudgetAccount.objects.filter(client=case.client).count() == 1


def test_a_fresh_account_has_everything_left(active):
    _, account, lines, _, _ = active
    balance = account_balance(account)
    assert [(l.plan_line_id, l.description, l.granted, l.spent, l.left) for l in balance.lines] == [
        (lines[ASSISTANT].pk, ASSISTANT, Decimal("1800.00"), Decimal("0.00"), Decimal("1800.00")),
        (lines[HOBBIES].pk, HOBBIES, Decimal("1000.00"), Decimal("0.00"), Decimal("1000.00")),
    ]
    assert (balance.granted, balance.spent, balance.left) == (Decimal("2800.00"), Decimal("0.00"), Decimal("2800.00"))


# --- Posting invoices ----------------------------------------------------------------------------------------------


def test_record_invoice_posts_a_negative_spending_entry(active):
    case, account, lines, provider, finance = active
    with frozen_at(MOMENT):
        invoice = post(active, number=" INV-7 ", amount="123.455")  # rounded half up once, to 123.46
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.invoice_number, invoice.amount, invoice.service_date) == ("INV-7", Decimal("123.46"), dt.date(2025, 3, 1))
    assert (invoice.account_id, invoice.provider_id, invoice.plan_line_id) == (account.pk, provider.pk, lines[ASSISTANT].pk)
    assert (invoice.recorded_by_id, invoice.recorded_at, invoice.organiser_id) == (finance.pk, MOMENT, case.organiser_id)
    entry = LedgerEntry.objects.get(invoice=invoice)
    assert (entry.kind, entry.amount, entry.plan_line_id, entry.account_id) == (
        EntryKind.SPENDING,
        Decimal("-123.46"),
        lines[ASSISTANT].pk,
        account.pk,
    )
    assert (entry.by_id, entry.at) == (finance.pk, MOMENT)
    assert list(invoices_of(account)) == [invoice]
    balance = account_balance(account)
    assert [(l.granted, l.spent, l.left) for l in balance.lines] == [
        (Decimal("1800.00"), Decimal("123.46"), Decimal("1676.54")),
        (Decimal("1000.00"), Decimal("0.00"), Decimal("1000.00")),
    ]
    assert balance.left == Decimal("2676.54") == entries_total(account)


def test_a_duplicate_invoice_number_from_the_same_provider_is_posted_once(active):
    post(active, number="2024-55", amount="10.00")
    error = refused("duplicate_invoice", post, active, number="2024-55", amount="10.00")
    assert error.params["number"] == "2024-55"
    refused("duplicate_invoice", post, active, number=" 2024-55  ", line=HOBBIES, amount="1.00")
    assert Invoice.objects.count() == 1
    assert account_balance(active[1]).spent == Decimal("10.00")


def test_the_same_invoice_number_from_another_provider_is_a_different_invoice(active):
    post(active, number="1")
    post(active, number="1", provider=make_provider(active[0].organiser, "Toinen ry"))
    assert Invoice.objects.count() == 2
    assert account_balance(active[1]).spent == Decimal("200.00")


def test_an_invoice_above_what_is_left_on_the_line_is_refused(active):
    post(active, number="1", amount="1700.00")
    error = refused("insufficient_funds", post, active, number="2", amount="100.01")
    assert error.params["left"] in {"100,00", "100.00"}
    assert error.params["line"] == ASSISTANT
    # What is left on another line does not help.
    refused("insufficient_funds", post, active, number="3", line=HOBBIES, amount="1000.01")
    # Exactly what is left is fine; after that, not a cent more.
    post(active, number="4", amount="100.00")
    refused("insufficient_funds", post, active, number="5", amount="0.01")
    balance = account_balance(active[1])
    assert [l.left for l in balance.lines] == [Decimal("0.00"), Decimal("1000.00")]


@pytest.mark.parametrize("date", [dt.date(2024, 12, 31), dt.date(2026, 1, 1), dt.date(2020, 6, 1)])
def test_a_service_date_outside_the_period_is_refused(active, date):
    refused("date_outside_period", post, active, date=date)


@pytest.mark.parametrize("date", [PERIOD.start, PERIOD.end])
def test_the_first_and_last_day_of_the_period_are_inside(active, date):
    post(active, date=date)
    assert Invoice.objects.get().service_date == date


def test_a_plan_line_of_another_plan_is_refused(active):
    other_case = case_active(period=PERIOD, organiser=active[0].organiser)
    other_line = current_plan(other_case).lines.first()
    refused("foreign_plan_line", post, active, line=other_line)


def test_a_plan_line_of_an_earlier_version_of_the_same_plan_is_refused():
    case = case_in_review(period=PERIOD)
    returned = current_plan(case)
    review_plan(plan=returned, reviewer=case.worker, forward=False, comment="Korjaa.")
    # Go on through the journey on version 2; version 1's lines stay in the database.
    from avain.planning.services import approve_plan, submit_plan

    v2 = current_plan(case)
    submit_plan(plan=v2, actor=case.worker)
    review_plan(plan=v2, reviewer=case.worker, forward=True, comment="")
    approve_plan(plan=v2, approver=make_staff(case.organiser, Role.APPROVER))
    account = grant_budget(case=case, decided_by=case.worker, period=PERIOD)
    assert {e.plan_line.plan_id for e in account.entries.all()} == {v2.pk}
    refused(
        "foreign_plan_line",
        record_invoice,
        account=account,
        provider=make_provider(case.organiser),
        invoice_number="1",
        plan_line=returned.lines.first(),
        service_date=dt.date(2025, 2, 1),
        amount=Decimal("10"),
        recorded_by=case.worker,
    )


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "0.004", "-0.005"])
def test_a_zero_or_negative_amount_is_refused(active, amount):
    refused("amount_not_positive", post, active, amount=amount)


def test_a_float_amount_is_refused(active):
    before = db_snapshot()
    with pytest.raises(TypeError):
        post(active, amount=12.5)
    assert db_snapshot() == before


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_an_amount_that_is_not_a_number_is_refused(active, amount):
    refused("amount_not_positive", post, active, amount=amount)


@pytest.mark.parametrize("number", ["", "   "])
def test_an_invoice_without_a_number_is_refused(active, number):
    refused("no_invoice_number", post, active, number=number)


def test_a_provider_of_another_organiser_is_refused(active):
    refused("foreign_provider", post, active, provider=make_provider(make_organiser()))


def test_balances_equal_granted_minus_spent_per_line_and_in_total(active):
    post(active, number="1", amount="250.25")
    post(active, number="2", amount="49.75")
    post(active, number="3", line=HOBBIES, amount="999.99")
    balance = account_balance(active[1])
    assert [(l.description, l.granted, l.spent, l.left) for l in balance.lines] == [
        (ASSISTANT, Decimal("1800.00"), Decimal("300.00"), Decimal("1500.00")),
        (HOBBIES, Decimal("1000.00"), Decimal("999.99"), Decimal("0.01")),
    ]
    assert (balance.granted, balance.spent, balance.left) == (Decimal("2800.00"), Decimal("1299.99"), Decimal("1500.01"))
    assert entries_total(active[1]) == balance.left


def test_balances_of_one_account_ignore_other_accounts(active):
    other_case = case_active(period=PERIOD, organiser=active[0].organiser)
    other_account = account_of(other_case)
    other_line = current_plan(other_case).lines.first()
    record_invoice(
        account=other_account,
        provider=active[3],
        invoice_number="X",
        plan_line=other_line,
        service_date=dt.date(2025, 5, 5),
        amount=Decimal("500"),
        recorded_by=active[4],
    )
    assert account_balance(active[1]).spent == Decimal("0.00")
    assert account_balance(other_account).spent == Decimal("500.00")


invoice_sequences = st.lists(
    st.tuples(
        st.sampled_from([ASSISTANT, HOBBIES]),
        st.one_of(st.integers(1, 120_000), st.integers(-500, 0), st.sampled_from([100_000, 180_000, 1])),  # cents
        st.integers(0, 3),  # which of four invoice numbers (repeats are duplicates)
        st.integers(-5, 370),  # service day offset from the period start (some fall outside)
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=invoice_sequences)
def test_after_any_sequence_of_invoices_the_entries_sum_to_what_is_left(sequence):
    with transaction.atomic():
        case = case_active(period=PERIOD)
        account = account_of(case)
        lines = {line.description: line for line in current_plan(case).lines.all()}
        provider = make_provider(case.organiser)
        finance = make_staff(case.organiser, Role.FINANCE)
        spent = {ASSISTANT: Decimal("0.00"), HOBBIES: Decimal("0.00")}
        granted = dict(DEFAULT_PLAN_LINES)
        numbers_used = set()
        for i, (line, cents, number, day) in enumerate(sequence):
            amount = Decimal(cents) / 100
            date = PERIOD.start + dt.timedelta(days=day)
            number = f"N{number}-{i % 2}"
            expected_ok = (
                amount > 0
                and PERIOD.contains(date)
                and number not in numbers_used
                and amount <= granted[line] - spent[line]
            )
            before = db_snapshot("accounts")
            try:
                record_invoice(
                    account=account,
                    provider=provider,
                    invoice_number=number,
                    plan_line=lines[line],
                    service_date=date,
                    amount=amount,
                    recorded_by=finance,
                )
            except ValidationError:
                assert not expected_ok
                assert db_snapshot("accounts") == before
            else:
                assert expected_ok
                spent[line] += amount
                numbers_used.add(number)
            balance = account_balance(account)
            assert entries_total(account) == balance.left == balance.granted - balance.spent
            assert [(l.description, l.granted, l.spent, l.left) for l in balance.lines] == [
                (d, granted[d], spent[d], granted[d] - spent[d]) for d in (ASSISTANT, HOBBIES)
            ]
            assert all(l.left >= 0 for l in balance.lines)
        assert Invoice.objects.filter(account=account).count() == len(numbers_used)
        assert LedgerEntry.objects.filter(account=account, kind=EntryKind.SPENDING).count() == len(numbers_used)
        transaction.set_rollback(True)


def test_a_decision_period_outside_the_budget_period_is_refused():
    from avain.testing import case_approved

    case = case_approved()
    late = Period(case.period_start, case.period_end + dt.timedelta(days=1))
    refused("period_outside_budget", grant_budget, case=case, decided_by=case.worker, period=late)
    account = grant_budget(case=case, decided_by=case.worker, period=Period(case.period_start, case.period_end))
    assert account.decision.period_end == case.period_end
