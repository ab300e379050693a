"""The funding rules at work (accounts.funding): instalments released when due, money moved between flexible lines,
the worker's overspend permission, closing the account with its statement, closing it with the case whichever way
the case closes, and the organiser's funding rule."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from avain.accounts import funding_selectors, ledger
from avain.accounts.funding import (
    allow_overspend,
    close_account,
    move_money,
    release_due_instalments,
    set_funding_rule,
    set_line_flexible,
)
from avain.accounts.models import (
    AccountStatus,
    Agreement,
    AgreementStatus,
    EntryKind,
    FundingRule,
    Instalment,
    InvoiceSource,
    InvoiceStatus,
    LedgerEntry,
    OverspendPermission,
    SubAccount,
)
from avain.accounts.posting import post_provider_invoices
from avain.accounts.services import instalment_due_dates
from avain.core.clock import frozen_at
from avain.core.money import ZERO
from avain.core.periods import Period
from avain.followup.services import close_ended_periods, record_outcome, schedule_series
from avain.organisations.models import Role
from avain.planning.models import CaseStatus
from avain.planning.services import close_case
from avain.testing import (
    account_of,
    case_active,
    db_snapshot,
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
D = Decimal
ODD_LINES = [("Avustaja", D("1000.01")), ("Harrastukset", D("1799.99"))]
LINES = [("Avustaja", D("1800.00")), ("Harrastukset", D("1000.00"))]


def opened(*, lines=LINES, **rule):
    organiser = make_organiser()
    FundingRule.objects.create(organiser=organiser, **rule)
    with frozen_at(OPENED):
        case = case_active(organiser=organiser, period=PERIOD, plan_lines=lines)
    return case, account_of(case)


def subs(account) -> list[SubAccount]:
    return list(SubAccount.objects.filter(account=account).order_by("pk"))


def granted(account) -> list[Decimal]:
    return [sub.granted for sub in subs(account)]


def spend(agreement, quantity: str, day=dt.date(2025, 2, 3)):
    result = post_provider_invoices(
        provider=agreement.provider,
        claims=[invoice_claim(agreement, (day, quantity))],
        source=InvoiceSource.PORTAL,
        recorded_by=agreement.made_by,
    )
    assert result.problems == []
    return result.invoices[0]


# --- Instalments --------------------------------------------------------------------------------------------------


def test_quarterly_instalments_fall_due_through_the_year_and_add_up_exactly():
    case, account = opened(lines=ODD_LINES, instalments=4)
    schedule = list(Instalment.objects.filter(account=account).order_by("number"))
    assert [i.due_on for i in schedule] == [dt.date(2025, 1, 1), dt.date(2025, 4, 2), dt.date(2025, 7, 2), dt.date(2025, 10, 1)]
    assert [i.due_on for i in schedule] == instalment_due_dates(PERIOD, 4)
    assert schedule[0].released_at is not None and all(i.released_at is None for i in schedule[1:])
    assert granted(account) == [D("250.00"), D("450.00")]

    assert release_due_instalments(dt.date(2025, 4, 1)) == 0
    assert release_due_instalments(dt.date(2025, 4, 2)) == 1
    assert granted(account) == [D("500.01"), D("900.00")]
    before = db_snapshot()
    assert release_due_instalments(dt.date(2025, 4, 2)) == 0  # released once
    assert db_snapshot() == before

    assert release_due_instalments(dt.date(2025, 12, 31)) == 2
    assert granted(account) == [D("1000.01"), D("1799.99")]  # exactly the plan lines
    assert Instalment.objects.filter(account=account, released_at__isnull=True).count() == 0
    grants = LedgerEntry.objects.filter(account=account, kind=EntryKind.GRANT)
    assert grants.count() == 8
    assert ledger.verify() == []


def test_with_rollover_unused_money_carries_on():
    case, account = opened(instalments=4, rollover=True)
    with frozen_at(IN_FEBRUARY):
        spend(make_agreement(account, line=0, unit_price="50.00", quantity="2"), "2")  # 100 spent of 450
    release_due_instalments(dt.date(2025, 4, 2))
    first = subs(account)[0]
    assert (first.granted, first.spent, first.left) == (D("900.00"), D("100.00"), D("800.00"))


def test_without_rollover_only_this_instalments_money_is_left():
    case, account = opened(instalments=4, rollover=False)
    with frozen_at(IN_FEBRUARY):
        spend(make_agreement(account, line=0, unit_price="50.00", quantity="2"), "2")  # 100 spent of 450
    release_due_instalments(dt.date(2025, 4, 2))
    first, second = subs(account)
    assert (first.granted, first.spent, first.left) == (D("550.00"), D("100.00"), D("450.00"))
    assert (second.granted, second.left) == (D("250.00"), D("250.00"))
    taken_back = LedgerEntry.objects.filter(account=account, kind=EntryKind.ADJUSTMENT).values_list("amount", flat=True)
    assert sorted(taken_back) == [D("-350.00"), D("-250.00")]
    assert ledger.verify() == []


def entries(account) -> list[tuple]:
    """The account's entries as (line, kind, amount, memo), in the order they were written."""
    lines = {sub.pk: n for n, sub in enumerate(subs(account))}
    return [
        (lines[sub_id], kind, amount, memo)
        for sub_id, kind, amount, memo in LedgerEntry.objects.filter(account=account)
        .order_by("pk")
        .values_list("sub_account_id", "kind", "amount", "memo")
    ]


@pytest.mark.parametrize("rollover", [True, False])
def test_catching_up_on_several_instalments_at_once_writes_what_releasing_them_one_by_one_writes(rollover):
    one_by_one = opened(lines=ODD_LINES, instalments=4, rollover=rollover)[1]
    at_once = opened(lines=ODD_LINES, instalments=4, rollover=rollover)[1]
    for account in (one_by_one, at_once):
        with frozen_at(IN_FEBRUARY):
            spend(make_agreement(account, line=0, unit_price="50.00", quantity="2"), "2")
    for day in (dt.date(2025, 4, 2), dt.date(2025, 7, 2), dt.date(2025, 10, 1)):
        release_due_instalments_of(one_by_one, day)
    release_due_instalments_of(at_once, dt.date(2025, 12, 31))

    assert entries(at_once) == entries(one_by_one)
    assert granted(at_once) == ([D("1000.01"), D("1799.99")] if rollover else granted(one_by_one))
    assert ledger.verify() == []


def release_due_instalments_of(account, day):
    """Release what is due on ``day`` with only this account's instalments due (the others' pushed later)."""
    others = Instalment.objects.exclude(account=account).filter(released_at__isnull=True)
    moved = list(others.values_list("pk", "due_on"))
    others.update(due_on=dt.date(2099, 1, 1))
    try:
        release_due_instalments(day)
    finally:
        for pk, due_on in moved:
            Instalment.objects.filter(pk=pk).update(due_on=due_on)


def test_many_accounts_are_released_in_batches_with_the_same_few_queries(monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from avain.accounts import funding

    first = [opened(instalments=4)[1]]
    with CaptureQueriesContext(connection) as one:
        assert release_due_instalments(dt.date(2025, 4, 2)) == 1
    many = [opened(instalments=4)[1] for _ in range(5)]
    with CaptureQueriesContext(connection) as five:
        assert release_due_instalments(dt.date(2025, 4, 2)) == 5
    assert len(five) == len(one)

    monkeypatch.setattr(funding, "RELEASE_BATCH", 2)
    assert release_due_instalments(dt.date(2025, 7, 2)) == 6  # in three batches
    assert all(granted(account) == [D("1350.00"), D("750.00")] for account in first + many)  # 3 of 4
    assert ledger.verify() == []


def test_a_closed_account_gets_no_more_instalments_and_the_command_says_how_many_were_released():
    case, account = opened(instalments=12)
    other_case, other = opened(instalments=4)
    close_account(account=account, by=case.worker)
    out = io.StringIO()
    with frozen_at(dt.datetime(2025, 4, 2, 6, 0, tzinfo=dt.UTC)):
        call_command("release_instalments", stdout=out)
    assert out.getvalue().strip() == "released: 1"
    assert Instalment.objects.filter(account=account, released_at__isnull=False).count() == 1
    assert Instalment.objects.filter(account=other, released_at__isnull=False).count() == 2


# --- Moving money -------------------------------------------------------------------------------------------------


def test_money_moves_between_flexible_lines_with_two_adjustments():
    case, account = opened(lines_flexible=True)
    first, second = subs(account)
    with frozen_at(IN_FEBRUARY):
        move_money(account=account, from_sub=first, to_sub=second, amount=D("250.50"), by=case.client.user or case.worker)
    first, second = subs(account)
    assert (first.granted, second.granted) == (D("1549.50"), D("1250.50"))
    entries = LedgerEntry.objects.filter(account=account, kind=EntryKind.ADJUSTMENT).order_by("pk")
    assert [(e.sub_account_id, e.amount) for e in entries] == [(first.pk, D("-250.50")), (second.pk, D("250.50"))]
    assert ledger.verify() == []


@pytest.mark.parametrize(
    ("amount", "code"),
    [(D("0"), "amount_not_positive"), (D("-5.00"), "amount_not_positive"), (D("1.005"), "amount_too_precise"), ("abc", "amount_not_positive")],
)
def test_the_amount_must_be_whole_cents_and_more_than_zero(amount, code):
    case, account = opened(lines_flexible=True)
    first, second = subs(account)
    refused(code, move_money, account=account, from_sub=first, to_sub=second, amount=amount, by=case.worker)


def test_only_what_is_free_on_the_line_moves():
    case, account = opened(lines_flexible=True)
    first, second = subs(account)
    with frozen_at(IN_FEBRUARY):
        make_agreement(account, line=1, unit_price="50.00", quantity="10")  # 500 of 1000 promised
    error = refused("more_than_left", move_money, account=account, from_sub=second, to_sub=first, amount=D("500.01"), by=case.worker)
    assert "500,00" in error.messages[0] or "500.00" in error.messages[0]
    move_money(account=account, from_sub=second, to_sub=first, amount=D("500.00"), by=case.worker)
    assert subs(account)[1].left == ZERO


def test_a_fixed_line_keeps_its_money():
    case, account = opened(lines_flexible=False)
    first, second = subs(account)
    error = refused("line_fixed", move_money, account=account, from_sub=first, to_sub=second, amount=D("1.00"), by=case.worker)
    assert first.description in error.messages[0]
    set_line_flexible(sub_account=first, flexible=True, by=case.worker)
    error = refused("line_fixed", move_money, account=account, from_sub=first, to_sub=second, amount=D("1.00"), by=case.worker)
    assert second.description in error.messages[0]
    set_line_flexible(sub_account=second, flexible=True, by=case.worker)
    move_money(account=account, from_sub=first, to_sub=second, amount=D("1.00"), by=case.worker)


def test_money_moves_only_inside_one_open_account():
    case, account = opened(lines_flexible=True)
    other_case, other = opened(lines_flexible=True)
    first, second = subs(account)
    refused("same_line", move_money, account=account, from_sub=first, to_sub=first, amount=D("1.00"), by=case.worker)
    refused("foreign_line", move_money, account=account, from_sub=first, to_sub=subs(other)[0], amount=D("1.00"), by=case.worker)
    close_account(account=account, by=case.worker)
    refused("account_closed", move_money, account=account, from_sub=first, to_sub=second, amount=D("1.00"), by=case.worker)


# --- Overspend ------------------------------------------------------------------------------------------------------


def test_an_approved_overspend_lets_a_line_go_below_zero_as_far_as_allowed():
    case, account = opened()
    sub = subs(account)[1]

    def commit(amount):
        with transaction.atomic():
            locked = ledger.lock_sub_accounts([sub.pk])[sub.pk]
            ledger.post([ledger.Posting(locked, EntryKind.COMMITMENT, amount)], by=case.worker, at=OPENED)

    with pytest.raises(IntegrityError):  # the database refuses to overdraw the line
        commit(D("1000.01"))
    refused("no_reason", allow_overspend, sub_account=sub, amount=D("50.00"), reason=" ", by=case.worker)
    allow_overspend(sub_account=sub, amount=D("50.00"), reason="Kuljetukset kallistuivat", by=case.worker)
    commit(D("1050.00"))
    permission = SubAccount.objects.get(pk=sub.pk)
    assert (permission.overspend_reason, permission.overspend_by) == ("Kuljetukset kallistuivat", case.worker)
    assert SubAccount.objects.get(pk=sub.pk).left == D("-50.00")
    # The permission cannot go below what the line already uses of it.
    refused("overspend_in_use", allow_overspend, sub_account=sub, amount=D("49.99"), reason="x", by=case.worker)
    refused("amount_negative", allow_overspend, sub_account=sub, amount=D("-1.00"), by=case.worker)
    refused("amount_too_precise", allow_overspend, sub_account=sub, amount=D("60.001"), by=case.worker)
    assert ledger.verify() == []


def test_zero_takes_the_overspend_permission_away():
    case, account = opened()
    sub = subs(account)[0]
    allow_overspend(sub_account=sub, amount=D("20.00"), reason="Lisätarve", by=case.worker)
    allow_overspend(sub_account=sub, amount=D("0"), by=case.worker)
    sub = SubAccount.objects.get(pk=sub.pk)
    assert (sub.overspend_allowed, sub.overspend_reason) == (ZERO, "")


def test_every_overspend_permission_is_kept_as_given_and_a_refused_one_is_not():
    case, account = opened()
    first, second = subs(account)[:2]
    with frozen_at(dt.datetime(2025, 2, 3, 9, 0, tzinfo=dt.UTC)):
        allow_overspend(sub_account=first, amount=D("20.00"), reason="Lisätarve", by=case.worker)
    other_worker = make_staff(case.organiser, Role.SOCIAL_WORKER)
    with frozen_at(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)):
        allow_overspend(sub_account=first, amount=D("35.00"), reason="Kuljetukset", by=other_worker)
        allow_overspend(sub_account=second, amount=D("10.00"), reason="Välineet", by=case.worker)
    with frozen_at(dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.UTC)):
        allow_overspend(sub_account=first, amount=D("0"), by=case.worker)
        refused("no_reason", allow_overspend, sub_account=second, amount=D("5.00"), reason="", by=case.worker)
    kept = [
        (p.sub_account_id, p.amount, p.reason, p.given_by_id, p.given_at.month)
        for p in funding_selectors.overspend_permissions(account)
    ]
    assert kept == [
        (first.pk, ZERO, "", case.worker.pk, 4),
        (second.pk, D("10.00"), "Välineet", case.worker.pk, 3),
        (first.pk, D("35.00"), "Kuljetukset", other_worker.pk, 3),
        (first.pk, D("20.00"), "Lisätarve", case.worker.pk, 2),
    ]
    # The line holds the newest one, which the database's check honours.
    assert SubAccount.objects.get(pk=second.pk).overspend_allowed == D("10.00")


def test_the_permission_in_force_before_the_history_was_kept_is_filled_in():
    import importlib

    from django.apps import apps as django_apps

    fill = importlib.import_module("avain.accounts.migrations.0009_overspend_permissions").permissions_in_force
    case, account = opened()
    first, second = subs(account)[:2]
    with frozen_at(IN_FEBRUARY):
        allow_overspend(sub_account=first, amount=D("20.00"), reason="Lisätarve", by=case.worker)
    OverspendPermission.objects.all().delete()

    fill(django_apps, None)

    kept = [(p.sub_account_id, p.amount, p.reason, p.given_by_id, p.given_at) for p in OverspendPermission.objects.all()]
    assert kept == [(first.pk, D("20.00"), "Lisätarve", case.worker.pk, IN_FEBRUARY)]  # none for a line never given one


def test_the_database_keeps_a_permission_with_its_reason_and_never_negative():
    case, account = opened()
    sub = subs(account)[0]
    common = {"organiser_id": sub.organiser_id, "sub_account": sub, "given_by": case.worker, "given_at": OPENED}
    for amount, reason in ((D("10.00"), ""), (D("-1.00"), "x")):
        with pytest.raises(IntegrityError), transaction.atomic():
            OverspendPermission.objects.create(amount=amount, reason=reason, **common)
    OverspendPermission.objects.create(amount=ZERO, reason="", **common)  # taking a permission away needs no reason


# --- Closing --------------------------------------------------------------------------------------------------------


def test_closing_releases_what_is_unused_ends_agreements_and_keeps_a_statement():
    case, account = opened(instalments=4)
    with frozen_at(IN_FEBRUARY):
        agreement = make_agreement(account, line=0, unit_price="50.00", quantity="6")  # 300 committed of 450
        invoice = spend(agreement, "2")  # 100 spent, waits for the client's acceptance
    assert invoice.status == InvoiceStatus.AWAITING_ACCEPTANCE
    closed_at = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    with frozen_at(closed_at):
        close_account(account=account, by=case.worker)

    account.refresh_from_db()
    assert account.status == AccountStatus.CLOSED and account.closed_at == closed_at
    first, second = subs(account)
    assert (first.granted, first.committed, first.spent, first.left) == (D("100.00"), ZERO, D("100.00"), ZERO)
    assert (second.granted, second.committed, second.left) == (ZERO, ZERO, ZERO)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ENDED and agreement.ended_by == case.worker
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.AWAITING_ACCEPTANCE  # spent is spent: it is still paid
    statement = account.closing_statement
    assert [(line["description"], line["planned"], line["granted"], line["spent"], line["paid"], line["unpaid"], line["released"]) for line in statement["lines"]] == [
        ("Avustaja", "1800.00", "450.00", "100.00", "0.00", "100.00", "350.00"),
        ("Harrastukset", "1000.00", "250.00", "0.00", "0.00", "0.00", "250.00"),
    ]
    assert statement["totals"] == {
        "planned": "2800.00", "granted": "700.00", "spent": "100.00", "paid": "0.00", "unpaid": "100.00", "released": "600.00"
    }
    assert statement["agreements_ended"] == 1 and statement["closed_by"]["id"] == case.worker.pk
    assert statement["closed_at"] == closed_at.isoformat()
    released = LedgerEntry.objects.filter(account=account, kind=EntryKind.ADJUSTMENT).values_list("amount", "memo")
    assert sorted(released) == [(D("-350.00"), "released at closing"), (D("-250.00"), "released at closing")]
    assert ledger.verify() == []

    before = db_snapshot()
    with frozen_at(dt.datetime(2025, 3, 2, 12, 0, tzinfo=dt.UTC)):
        close_account(account=account, by=case.worker)  # idempotent
    assert db_snapshot() == before


def test_closing_the_case_closes_the_account_in_the_same_step():
    case, account = opened()
    with frozen_at(IN_FEBRUARY):
        make_agreement(account, line=1, unit_price="50.00", quantity="2")
        close_case(case=case, actor=case.worker, reason="Asiakas muuttaa toiselle paikkakunnalle.")
    account.refresh_from_db()
    assert account.status == AccountStatus.CLOSED
    assert not Agreement.objects.filter(account=account, status=AgreementStatus.ACTIVE).exists()
    assert sum((s.granted for s in subs(account)), ZERO) == ZERO
    assert ledger.verify() == []


def test_a_refused_close_of_the_case_leaves_the_account_open():
    case, account = opened()
    refused("reason_required", close_case, case=case, actor=case.worker, reason="  ")
    account.refresh_from_db()
    assert account.status == AccountStatus.OPEN


def test_the_end_of_the_period_closes_the_account():
    case, account = opened()
    with frozen_at(dt.datetime(2026, 1, 1, 6, 0, tzinfo=dt.UTC)):
        closed = close_ended_periods()
    assert [c.pk for c in closed] == [case.pk]
    account.refresh_from_db()
    assert account.status == AccountStatus.CLOSED
    assert account.closing_statement["totals"]["released"] == "2800.00"


def test_a_follow_up_meeting_returning_the_client_to_ordinary_services_closes_the_account():
    case, account = opened()
    with frozen_at(OPENED):
        meeting = schedule_series(case=case, actor=case.worker)[0]
    with frozen_at(dt.datetime.combine(meeting.scheduled_on, dt.time(12), tzinfo=dt.UTC)):
        record_outcome(
            case=case, meeting_id=meeting.pk, actor=case.worker, how_it_worked="Hyvin.", plan_changes=False, ends_hb=True
        )
    case.refresh_from_db()
    account.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and account.status == AccountStatus.CLOSED


# --- The organiser's funding rule ---------------------------------------------------------------------------------

RULE = {
    "instalments": 4,
    "rollover": False,
    "lines_flexible": True,
    "no_receipt_allowance": D("50.00"),
    "claim_deadline_days": 60,
    "client_acceptance": False,
    "staff_approval": True,
    "warning_percent": 80,
}


def test_the_rule_applies_to_budgets_granted_after_it():
    organiser = make_organiser()
    with frozen_at(OPENED):
        earlier = account_of(case_active(organiser=organiser, period=PERIOD))
    set_funding_rule(organiser=organiser, actor=None, **RULE)
    with frozen_at(OPENED):
        later = account_of(case_active(organiser=organiser, period=PERIOD))
    assert (earlier.instalments, earlier.rollover) == (1, True)
    assert (later.instalments, later.rollover, later.no_receipt_allowance, later.warning_percent) == (4, False, D("50.00"), 80)
    assert all(sub.flexible for sub in subs(later)) and not any(sub.flexible for sub in subs(earlier))
    set_funding_rule(organiser=organiser, actor=None, **{**RULE, "instalments": 12})
    assert FundingRule.objects.get(organiser=organiser).instalments == 12


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"instalments": 0}, "instalments_out_of_range"),
        ({"instalments": 13}, "instalments_out_of_range"),
        ({"no_receipt_allowance": D("-1")}, "amount_negative"),
        ({"no_receipt_allowance": D("0.001")}, "amount_too_precise"),
        ({"claim_deadline_days": 0}, "claim_deadline_out_of_range"),
        ({"warning_percent": 101}, "warning_percent_out_of_range"),
    ],
)
def test_a_rule_out_of_range_is_refused(change, code):
    organiser = make_organiser()
    refused(code, set_funding_rule, organiser=organiser, actor=None, **{**RULE, **change})
