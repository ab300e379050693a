"""Opening a budget account. Other writes live beside it by business action: ``agreements.py``, ``posting.py``
(invoices and receipts), ``invoices.py`` (acceptance, approval, rejection), ``payments.py``, ``funding.py``
(instalments, moving money, closing). All of them move money only through ``ledger.post``."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from avain.core import clock
from avain.core.money import ZERO, round_money
from avain.core.periods import Period
from avain.planning.models import HBCase
from avain.planning.services import record_decision

from . import ledger
from .models import BudgetAccount, EntryKind, FundingRule, Instalment, LedgerEntry, SubAccount


def instalment_amount(planned: Decimal, number: int, count: int) -> Decimal:
    """The ``number``-th of ``count`` instalments of ``planned`` euros. Each is the difference of two cumulative
    amounts rounded once, so the instalments always add up to the planned amount exactly."""
    return round_money(planned * number / count) - round_money(planned * (number - 1) / count)


def instalment_grant(planned: Decimal, granted_so_far: Decimal, number: int, count: int) -> Decimal:
    """What the ``number``-th of ``count`` instalments grants a line of ``planned`` euros that has been granted
    ``granted_so_far`` (its grant entries) before it. The one rule for both the release (:func:`instalment_postings`)
    and what the account pages show as the next instalment (``selectors.next_instalment``).

    A line on the schedule (granted exactly its share of the instalments before this one) gets
    :func:`instalment_amount`. A line opened or changed by an approved change of the plan was granted, at the change,
    its share of the money released so far (``funding.apply_plan_change``), which need not be its schedule share: the
    rest of its planned amount is spread evenly over the instalments still to come (this one included), so that its
    grants still add up to its planned amount exactly. Never less than zero."""
    so_far = granted_so_far or ZERO
    if so_far == round_money(planned * (number - 1) / count):
        return instalment_amount(planned, number, count)
    remaining = count - number + 1
    rest = max(planned - so_far, ZERO)
    return rest - round_money(rest * (remaining - 1) / remaining)


def instalment_due_dates(period: Period, count: int) -> list[dt.date]:
    """The first instalment on the first day; the others spread evenly over the period."""
    days = (period.end - period.start).days + 1
    return [period.start + dt.timedelta(days=days * k // count) for k in range(count)]


def grant_budget(*, case: HBCase, decided_by, period: Period) -> BudgetAccount:
    """Make the decision and open the client's budget account, in one transaction: a sub-account per plan line, the
    organiser's funding rule as it stands today, the instalment schedule and the grant of the first instalment."""
    with transaction.atomic():
        decision = record_decision(case=case, decided_by=decided_by, period=period)
        rule = FundingRule.objects.filter(organiser_id=decision.organiser_id).first() or FundingRule()
        now = clock.now()
        account = BudgetAccount.objects.create(
            organiser_id=decision.organiser_id,
            client_id=case.client_id,
            decision=decision,
            opened_at=now,
            period_start=decision.period_start,
            period_end=decision.period_end,
            instalments=rule.instalments,
            rollover=rule.rollover,
            no_receipt_allowance=rule.no_receipt_allowance,
            claim_deadline_days=rule.claim_deadline_days,
            client_acceptance=rule.client_acceptance,
            staff_approval=rule.staff_approval,
            warning_percent=rule.warning_percent,
        )
        subs = SubAccount.objects.bulk_create(
            SubAccount(
                organiser_id=account.organiser_id,
                account=account,
                plan_line=line,
                description=line.description,
                planned=line.amount,
                flexible=rule.lines_flexible,
            )
            for line in decision.plan.lines.all()
        )
        schedule = Instalment.objects.bulk_create(
            Instalment(organiser_id=account.organiser_id, account=account, number=k + 1, due_on=due)
            for k, due in enumerate(instalment_due_dates(period, account.instalments))
        )
        release_instalment(account, schedule[0], subs, by=decided_by, at=now)
    return account


def release_instalment(account: BudgetAccount, instalment: Instalment, subs: list[SubAccount], *, by, at) -> None:
    """Grant one instalment on each open sub-account (see :func:`instalment_postings`). The caller holds the locks
    on ``subs``."""
    ledger.post(instalment_postings(account, instalment, subs, granted_so_far(subs)), by=by, at=at)
    instalment.released_at = at
    instalment.save(update_fields=["released_at"])


def granted_so_far(subs: list[SubAccount]) -> dict[int, Decimal]:
    """What each sub-account has been granted until now, by sub-account id (absent: nothing)."""
    return dict(
        LedgerEntry.objects.filter(sub_account_id__in=[sub.pk for sub in subs], kind=EntryKind.GRANT)
        .values("sub_account_id")
        .annotate(total=Sum("amount"))
        .values_list("sub_account_id", "total")
    )


def instalment_postings(
    account: BudgetAccount, instalment: Instalment, subs: list[SubAccount], granted: dict[int, Decimal]
) -> list[ledger.Posting]:
    """The entries that release one instalment on each open sub-account, given what each was ``granted`` so far.
    Without rollover, what was left unused of the earlier instalments is taken back first (an adjustment), so the
    client has this instalment's money and no more.

    Each open line gets :func:`instalment_grant`, the same rule the account pages use to show the next
    instalment."""
    count = account.instalments
    postings = []
    for sub in subs:
        if not sub.is_open:
            continue
        if not account.rollover and instalment.number > 1 and sub.left > 0:
            postings.append(
                ledger.Posting(sub, EntryKind.ADJUSTMENT, -sub.left, memo="instalment not rolled over")
            )
        amount = instalment_grant(sub.planned, granted.get(sub.pk) or ZERO, instalment.number, count)
        if amount > 0:
            postings.append(ledger.Posting(sub, EntryKind.GRANT, amount, memo=f"instalment {instalment.number}/{count}"))
    return postings
