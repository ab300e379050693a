"""Moving the budget account onto an approved change of the plan (accounts.funding.apply_plan_change, run by the
approval itself through planning.signals.plan_change_approved).

The exact money in several shapes: a line raised and another lowered, a line removed and one added, the total
lowered, with the budget released at once and quarterly; agreements follow their line; the account has exactly as
much unspent money after the change as before; later instalments grant the rest of each new line; refusals change
nothing at all, not even the approval."""

import datetime as dt
from decimal import Decimal

import pytest

from avain.accounts import ledger, selectors
from avain.accounts.agreements import end_agreement
from avain.accounts.funding import close_account, release_due_instalments
from avain.accounts.invoices import reject_invoice
from avain.accounts.models import Agreement, AgreementStatus, EntryKind, FundingRule, InvoiceSource, LedgerEntry, SubAccount
from avain.accounts.posting import post_provider_invoices
from avain.core.clock import frozen_at
from avain.core.money import ZERO, money_sum
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.planning.models import ApprovalRule, CaseStatus, PlanStatus
from avain.planning.services import (
    PlanLineEntry,
    approve_plan,
    review_plan,
    save_plan_draft,
    set_approval_rule,
    start_change,
    submit_plan,
)
from avain.testing import (
    account_of,
    case_active,
    current_plan,
    invoice_claim,
    make_agreement,
    make_organiser,
    make_staff,
    refused,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OPENED = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)
IN_FEBRUARY = dt.datetime(2025, 2, 10, 9, 0, tzinfo=dt.UTC)
ASSISTANT, HOBBIES = "Avustaja", "Harrastukset"
LINES = [(ASSISTANT, Decimal("1800.00")), (HOBBIES, Decimal("1000.00"))]
D = Decimal


def opened(instalments: int = 1, *, rollover: bool = True, lines=LINES):
    organiser = make_organiser()
    FundingRule.objects.create(organiser=organiser, instalments=instalments, rollover=rollover)
    with frozen_at(OPENED):
        case = case_active(organiser=organiser, period=PERIOD, plan_lines=lines)
    return case, account_of(case)


def decided_lines(case) -> dict:
    return {line.description: line for line in case.decision.plan.lines.all()}


def change_forwarded(case, lines):
    """The client changes the plan to ``lines`` — (description, amount, the decided line it continues or None) —
    and the worker forwards the change for approval. Returns the forwarded version."""
    author = case.client.user or case.worker
    start_change(case=case, actor=author)
    draft = current_plan(case)
    save_plan_draft(
        plan=draft,
        actor=author,
        answers={field: getattr(draft, field) for field in draft.ANSWER_FIELDS},
        lines=[PlanLineEntry(text, D(amount), None, old.pk if old else None) for text, amount, old in lines],
    )
    submit_plan(plan=draft, actor=author)
    review_plan(plan=draft, reviewer=case.worker, forward=True, comment="")
    draft.refresh_from_db()
    return draft


def approve_change(case, lines):
    plan = change_forwarded(case, lines)
    approve_plan(plan=plan, approver=make_staff(case.organiser, Role.APPROVER))
    return plan


def subs_of(account, *, open_: bool) -> dict:
    return {s.description: s for s in SubAccount.objects.filter(account=account, is_open=open_).order_by("pk")}


def buckets(sub) -> tuple:
    sub = SubAccount.objects.get(pk=sub.pk)
    return sub.planned, sub.granted, sub.committed, sub.spent


def unspent(account) -> Decimal:
    """Granted minus spent over the whole account: the money the client has, free or held in agreements."""
    return money_sum(s.granted - s.spent for s in SubAccount.objects.filter(account=account))


def spend(agreement, quantity: str, day=dt.date(2025, 2, 3)):
    result = post_provider_invoices(
        provider=agreement.provider,
        claims=[invoice_claim(agreement, (day, quantity))],
        source=InvoiceSource.PORTAL,
        recorded_by=agreement.made_by,
    )
    assert result.problems == []


def test_budget_at_once_a_line_raised_and_another_lowered_with_an_agreement_following_its_line():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=0, unit_price="50.00", quantity="10")  # 500 committed
        spend(agreement, "2")  # 100 spent, 400 still committed
        before = unspent(account)
        approve_change(case, [(ASSISTANT, "1000.00", old[ASSISTANT]), (HOBBIES, "1800.00", old[HOBBIES])])

    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    closed, new = subs_of(account, open_=False), subs_of(account, open_=True)
    # The old lines keep their spending as history, granted down to what they used.
    assert buckets(closed[ASSISTANT]) == (D("1800.00"), D("100.00"), ZERO, D("100.00"))
    assert buckets(closed[HOBBIES]) == (D("1000.00"), ZERO, ZERO, ZERO)
    # The new lines: planned is the line less what was spent on it; the agreement's 400 goes with the assistant.
    assert buckets(new[ASSISTANT]) == (D("900.00"), D("900.00"), D("400.00"), ZERO)
    assert buckets(new[HOBBIES]) == (D("1800.00"), D("1800.00"), ZERO, ZERO)
    assert unspent(account) == before == D("2700.00")
    agreement.refresh_from_db()
    assert agreement.sub_account_id == new[ASSISTANT].pk
    assert sorted(LedgerEntry.objects.filter(agreement=agreement, invoice__isnull=True).values_list("kind", "amount")) == sorted(
        [(EntryKind.COMMITMENT, D("500.00")), (EntryKind.RELEASE, D("-400.00")), (EntryKind.COMMITMENT, D("400.00"))]
    )
    assert ledger.verify() == []

    # A later invoice under the agreement is paid from the new line.
    with frozen_at(dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)):
        spend(agreement, "1", day=dt.date(2025, 3, 3))
    assert buckets(new[ASSISTANT]) == (D("900.00"), D("900.00"), D("350.00"), D("50.00"))
    assert buckets(closed[ASSISTANT])[3] == D("100.00")


def test_quarterly_budget_the_released_money_is_shared_and_later_instalments_grant_the_rest():
    case, account = opened(4)
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=0, unit_price="30.00", quantity="10")  # 300 of the 450 released
        spend(agreement, "2")  # 60 spent, 240 committed
        assert unspent(account) == D("640.00")  # 450 + 250 released, 60 spent
        approve_change(case, [(ASSISTANT, "1000.00", old[ASSISTANT]), (HOBBIES, "1800.00", old[HOBBIES])])
    new = subs_of(account, open_=True)
    # The assistant would have 250 − 60 = 190 by now but must hold its agreement's 240; the hobbies would have 450;
    # only 640 was released, so the hobbies give up the missing 50.
    assert buckets(new[ASSISTANT]) == (D("940.00"), D("240.00"), D("240.00"), ZERO)
    assert buckets(new[HOBBIES]) == (D("1800.00"), D("400.00"), ZERO, ZERO)
    assert unspent(account) == D("640.00")

    with frozen_at(dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC)):
        assert release_due_instalments() == 3
    # Each new line ends granted exactly its planned amount, spread evenly over the three instalments left.
    assert buckets(new[ASSISTANT])[:2] == (D("940.00"), D("940.00"))
    assert buckets(new[HOBBIES])[:2] == (D("1800.00"), D("1800.00"))
    grants = list(
        LedgerEntry.objects.filter(sub_account=new[ASSISTANT], kind=EntryKind.GRANT).order_by("at", "pk").values_list("amount", flat=True)
    )
    assert grants == [D("240.00"), D("233.33"), D("233.33"), D("233.34")]
    # Over the year the account grants the decided 2 800 € and no more: 60 on the closed line, the rest on the new.
    assert money_sum(s.granted for s in SubAccount.objects.filter(account=account)) == D("2800.00")
    assert ledger.verify() == []


def test_a_line_removed_and_one_added():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=0, unit_price="50.00", quantity="10")
        spend(agreement, "4")  # 200 spent on the assistant
        approve_change(case, [(ASSISTANT, "1800.00", old[ASSISTANT]), ("Kuljetus", "1000.00", None)])
    closed, new = subs_of(account, open_=False), subs_of(account, open_=True)
    assert set(new) == {ASSISTANT, "Kuljetus"}
    assert buckets(closed[HOBBIES]) == (D("1000.00"), ZERO, ZERO, ZERO)
    assert buckets(new[ASSISTANT]) == (D("1600.00"), D("1600.00"), D("300.00"), ZERO)
    assert buckets(new["Kuljetus"]) == (D("1000.00"), D("1000.00"), ZERO, ZERO)
    assert unspent(account) == D("2600.00")
    assert ledger.verify() == []


def test_a_lower_total_keeps_the_released_money_and_grants_less_later():
    case, account = opened(4)
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        approve_change(case, [(ASSISTANT, "1000.00", old[ASSISTANT]), (HOBBIES, "1000.00", old[HOBBIES])])
    new = subs_of(account, open_=True)
    # 700 was released; each line's share by now is 250, and the 200 over goes where there is room, half each.
    assert buckets(new[ASSISTANT]) == (D("1000.00"), D("350.00"), ZERO, ZERO)
    assert buckets(new[HOBBIES]) == (D("1000.00"), D("350.00"), ZERO, ZERO)
    with frozen_at(dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC)):
        release_due_instalments()
    assert money_sum(s.granted for s in SubAccount.objects.filter(account=account, is_open=True)) == D("2000.00")
    assert ledger.verify() == []


def test_a_second_change_counts_what_was_spent_before_the_first():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=0, unit_price="50.00", quantity="10")
        spend(agreement, "2")  # 100 on the decided line
        first = approve_change(case, [(ASSISTANT, "1800.00", old[ASSISTANT]), (HOBBIES, "1000.00", old[HOBBIES])])
        spend(agreement, "1", day=dt.date(2025, 2, 4))  # 50 on the first change's line
        middle = {line.description: line for line in first.lines.all()}
        approve_change(case, [(ASSISTANT, "2000.00", middle[ASSISTANT]), (HOBBIES, "800.00", middle[HOBBIES])])
    new = subs_of(account, open_=True)
    # 150 was spent on the assistant's purpose in all: the line's 2 000 less that.
    assert buckets(new[ASSISTANT]) == (D("1850.00"), D("1850.00"), D("350.00"), ZERO)
    assert buckets(new[HOBBIES]) == (D("800.00"), D("800.00"), ZERO, ZERO)
    assert unspent(account) == D("2650.00")
    assert SubAccount.objects.filter(account=account).count() == 6
    assert ledger.verify() == []


def test_the_worker_alone_approving_a_change_moves_the_account_too():
    case, account = opened()
    set_approval_rule(organiser=case.organiser, actor=make_staff(case.organiser, Role.ORGANISER_ADMIN), rule=ApprovalRule.WORKER)
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        plan = change_forwarded(case, [(ASSISTANT, "2000.00", old[ASSISTANT]), (HOBBIES, "800.00", old[HOBBIES])])
    assert plan.status == PlanStatus.APPROVED
    new = subs_of(account, open_=True)
    assert [buckets(new[ASSISTANT])[1], buckets(new[HOBBIES])[1]] == [D("2000.00"), D("800.00")]


def test_a_line_below_what_it_spent_and_holds_is_refused_and_the_approval_with_it():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=1, unit_price="50.00", quantity="10")  # 500 held on hobbies
        spend(agreement, "2")
        plan = change_forwarded(case, [(ASSISTANT, "2300.01", old[ASSISTANT]), (HOBBIES, "499.99", old[HOBBIES])])
        error = refused("line_below_used", approve_plan, plan=plan, approver=make_staff(case.organiser, Role.APPROVER))
    assert "500,00" in error.messages[0] or "500.00" in error.messages[0]
    case.refresh_from_db()
    assert case.status == CaseStatus.CHANGE_APPROVAL


def test_removing_a_line_with_agreements_in_force_is_refused():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        make_agreement(account, line=1, unit_price="50.00", quantity="2")
        plan = change_forwarded(case, [(ASSISTANT, "2800.00", old[ASSISTANT])])
        refused("removed_line_has_agreements", approve_plan, plan=plan, approver=make_staff(case.organiser, Role.APPROVER))


def test_spending_on_a_removed_line_counts_against_the_budget():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=1, unit_price="50.00", quantity="2")
        spend(agreement, "2")  # 100 spent on hobbies, nothing left committed
        plan = change_forwarded(case, [(ASSISTANT, "2800.00", old[ASSISTANT])])
        refused("change_over_budget", approve_plan, plan=plan, approver=make_staff(case.organiser, Role.APPROVER))
        # 2 700 fits: 100 spent on the removed line and 2 700 for the assistant make the decided 2 800.
        # (A new change is needed: the refused one is still waiting.)


def test_a_closed_account_is_not_moved():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        plan = change_forwarded(case, [(ASSISTANT, "1000.00", old[ASSISTANT]), (HOBBIES, "1800.00", old[HOBBIES])])
        close_account(account=account, by=case.worker)
        approve_plan(plan=plan, approver=make_staff(case.organiser, Role.APPROVER))
    assert not SubAccount.objects.filter(account=account, plan_line__plan=plan).exists()


# --- The next instalment shown is the one released ---------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        "raised_and_lowered",  # both lines changed: neither is on its schedule share any more
        "line_added",  # the hobbies removed, a new line opened mid-period
    ],
)
def test_the_next_instalment_shown_is_what_its_release_grants_after_a_change(change, django_assert_num_queries):
    case, account = opened(4)
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=0, unit_price="30.00", quantity="10")
        spend(agreement, "2")
        if change == "raised_and_lowered":
            approve_change(case, [(ASSISTANT, "1000.00", old[ASSISTANT]), (HOBBIES, "1800.00", old[HOBBIES])])
        else:
            approve_change(case, [(ASSISTANT, "1800.00", old[ASSISTANT]), ("Kuljetus", "600.00", None)])

    for number, day in ((2, dt.date(2025, 4, 2)), (3, dt.date(2025, 7, 2)), (4, dt.date(2025, 10, 1))):
        account.refresh_from_db()
        overview, schedule = selectors.account_overview(account), selectors.instalment_schedule(account)
        with django_assert_num_queries(0):  # the page's reads carry all it needs
            shown = selectors.next_instalment(overview, schedule)
        _client, portal_overview, _activity = selectors.client_with_account(case.client_id)
        assert selectors.next_instalment(portal_overview, schedule) == shown
        assert (shown.number, shown.count, shown.due_on) == (number, 4, day)

        with frozen_at(dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)):
            assert release_due_instalments() == 1
        released = LedgerEntry.objects.filter(account=account, kind=EntryKind.GRANT, memo=f"instalment {number}/4")
        assert shown.amount == money_sum(released.values_list("amount", flat=True)) > 0

    # Every open line ends at its planned amount, and nothing is left to show.
    assert all(s.granted == s.planned for s in SubAccount.objects.filter(account=account, is_open=True))
    assert selectors.next_instalment(selectors.account_overview(account), selectors.instalment_schedule(account)) is None
    assert ledger.verify() == []


# --- An invoice rejected after its line was replaced, or after closing -------------------------------------------


def invoice_of(agreement, quantity: str, day=dt.date(2025, 2, 3)):
    result = post_provider_invoices(
        provider=agreement.provider,
        claims=[invoice_claim(agreement, (day, quantity))],
        source=InvoiceSource.PORTAL,
        recorded_by=agreement.made_by,
    )
    assert result.problems == []
    return result.invoices[0]


def left(sub) -> Decimal:
    return SubAccount.objects.get(pk=sub.pk).left


def period_total(account) -> Decimal:
    return selectors.account_overview(account).planned


def test_rejected_after_its_line_was_replaced_the_money_goes_on_to_the_line_that_continues_it():
    case, account = opened(4)
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=0, unit_price="30.00", quantity="10")
        invoice = invoice_of(agreement, "2")  # 60 spent on the decided assistant line, waits for acceptance
        approve_change(case, [(ASSISTANT, "1000.00", old[ASSISTANT]), (HOBBIES, "1800.00", old[HOBBIES])])
    closed, new = subs_of(account, open_=False), subs_of(account, open_=True)
    assert buckets(new[ASSISTANT]) == (D("940.00"), D("240.00"), D("240.00"), ZERO)
    assert period_total(account) == D("2800.00")
    before = unspent(account)

    with frozen_at(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)):
        reject_invoice(invoice=invoice, by=case.worker, reason="Palvelua ei annettu.")
    # The replaced line is back to nothing and has nothing to spend; its 60 went on to the line that continues it,
    # which plans 60 more (the change had planned it less the 60 spent) and holds it for the agreement again.
    assert buckets(closed[ASSISTANT]) == (D("1800.00"), ZERO, ZERO, ZERO) and left(closed[ASSISTANT]) == ZERO
    assert buckets(new[ASSISTANT]) == (D("1000.00"), D("300.00"), D("300.00"), ZERO)
    assert left(new[ASSISTANT]) == ZERO and left(new[HOBBIES]) == D("400.00")
    assert unspent(account) == before + D("60.00")  # the 60 is no longer spent: the client has it, once
    assert period_total(account) == D("2800.00")
    assert ledger.verify() == []

    # The agreement's money can be invoiced again, from the line that continues it; the later instalments grant the
    # rest of each new line, and the year grants the decided 2 800 € and no more.
    with frozen_at(dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)):
        spend(agreement, "10", day=dt.date(2025, 3, 3))
    with frozen_at(dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC)):
        assert release_due_instalments() == 3
    assert buckets(new[ASSISTANT])[:2] == (D("1000.00"), D("1000.00"))
    assert money_sum(s.granted for s in SubAccount.objects.filter(account=account)) == D("2800.00")
    assert ledger.verify() == []


def test_rejected_after_two_changes_the_money_follows_the_line_to_the_newest_one():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=0, unit_price="50.00", quantity="10")
        invoice = invoice_of(agreement, "2")  # 100 on the decided line
        first = approve_change(case, [(ASSISTANT, "1800.00", old[ASSISTANT]), (HOBBIES, "1000.00", old[HOBBIES])])
        middle = {line.description: line for line in first.lines.all()}
        approve_change(case, [(ASSISTANT, "2000.00", middle[ASSISTANT]), (HOBBIES, "800.00", middle[HOBBIES])])
        newest = subs_of(account, open_=True)
        assert buckets(newest[ASSISTANT]) == (D("1900.00"), D("1900.00"), D("400.00"), ZERO)
        reject_invoice(invoice=invoice, by=case.worker, reason="Väärä asiakas.")
    assert buckets(newest[ASSISTANT]) == (D("2000.00"), D("2000.00"), D("500.00"), ZERO)
    assert all(left(sub) == ZERO for sub in SubAccount.objects.filter(account=account, is_open=False))
    assert money_sum(s.granted for s in SubAccount.objects.filter(account=account)) == D("2800.00")
    assert period_total(account) == D("2800.00")
    assert ledger.verify() == []


def test_rejected_after_its_line_was_removed_the_money_is_released():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=1, unit_price="50.00", quantity="2")
        invoice = invoice_of(agreement, "2")  # 100 on hobbies, the agreement used up
        end_agreement(agreement=agreement, ended_by=agreement.made_by)
        approve_change(case, [(ASSISTANT, "2700.00", old[ASSISTANT])])
        closed = subs_of(account, open_=False)
        assert period_total(account) == D("2800.00")  # 100 used on the removed line and 2 700 planned
        reject_invoice(invoice=invoice, by=case.worker, reason="Väärä asiakas.")
    # The approved plan has no such line any more: the 100 goes back to the organiser, as unused money at closing.
    assert buckets(closed[HOBBIES]) == (D("1000.00"), ZERO, ZERO, ZERO) and left(closed[HOBBIES]) == ZERO
    assert buckets(subs_of(account, open_=True)[ASSISTANT]) == (D("2700.00"), D("2700.00"), ZERO, ZERO)
    assert period_total(account) == D("2700.00")
    assert LedgerEntry.objects.get(invoice=invoice, kind=EntryKind.ADJUSTMENT).amount == D("-100.00")
    assert ledger.verify() == []


def test_a_used_up_agreement_on_a_removed_line_ends_with_the_line_and_a_later_rejection_releases_its_money():
    case, account = opened()
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=1, unit_price="50.00", quantity="2")
        invoice = invoice_of(agreement, "2")  # 100 on hobbies, the agreement used up but still in force
        approve_change(case, [(ASSISTANT, "2700.00", old[ASSISTANT])])
        agreement.refresh_from_db()
        assert agreement.status == AgreementStatus.ENDED and agreement.ended_by is not None  # by the approver
        assert agreement.ended_at == IN_FEBRUARY
        reject_invoice(invoice=invoice, by=case.worker, reason="Väärä asiakas.")
    closed = subs_of(account, open_=False)
    # Nothing is committed again to an agreement on a line the plan no longer has: the 100 is released.
    assert buckets(closed[HOBBIES]) == (D("1000.00"), ZERO, ZERO, ZERO) and left(closed[HOBBIES]) == ZERO
    assert period_total(account) == D("2700.00")
    agreement.refresh_from_db()
    assert (agreement.status, agreement.used_amount) == (AgreementStatus.ENDED, ZERO)
    assert ledger.verify() == []


def test_rejected_after_closing_the_money_is_released_and_a_closed_line_too():
    case, account = opened(4)
    old = decided_lines(case)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=0, unit_price="30.00", quantity="10")
        on_replaced = invoice_of(agreement, "2")  # 60, then its line is replaced
        approve_change(case, [(ASSISTANT, "1000.00", old[ASSISTANT]), (HOBBIES, "1800.00", old[HOBBIES])])
        on_open = invoice_of(agreement, "1", day=dt.date(2025, 2, 4))  # 30 on the line that continues it
    with frozen_at(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)):
        close_account(account=account, by=case.worker)
    account.refresh_from_db()
    statement = account.closing_statement
    assert all(left(sub) == ZERO for sub in SubAccount.objects.filter(account=account))
    granted_before = money_sum(s.granted for s in SubAccount.objects.filter(account=account))

    with frozen_at(dt.datetime(2025, 3, 5, 9, 0, tzinfo=dt.UTC)):
        reject_invoice(invoice=on_replaced, by=case.worker, reason="Palvelua ei annettu.")
        reject_invoice(invoice=on_open, by=case.worker, reason="Palvelua ei annettu.")
    subs = SubAccount.objects.filter(account=account)
    assert all(sub.left == ZERO and sub.committed == ZERO for sub in subs)  # nothing spendable on a closed budget
    assert money_sum(s.spent for s in subs) == ZERO
    assert money_sum(s.granted for s in subs) == granted_before - D("90.00")  # released, as at closing
    released = LedgerEntry.objects.filter(account=account, kind=EntryKind.ADJUSTMENT, invoice__isnull=False)
    assert sorted(released.values_list("amount", "memo")) == [
        (D("-60.00"), "released: invoice rejected after closing"),
        (D("-30.00"), "released: invoice rejected after closing"),
    ]
    account.refresh_from_db()
    assert account.closing_statement == statement  # the statement is as it stood at closing
    assert ledger.verify() == []
