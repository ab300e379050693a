"""The funding rules at work on a budget account: releasing instalments when they fall due, moving money between
flexible plan lines, an approved overspend on a line, closing the account with its closing statement, moving the
account onto an approved change of the plan, and the organiser's funding rule itself.

Every write locks in the order every writer of the ledger uses (accounts, then agreements, then sub-accounts, each
in id order) and moves money only through ``ledger.post``. Closing and moving onto a change run inside the planning
step that causes them: ``planning.signals`` are received at the bottom of this module (connected in
``AccountsConfig.ready``), so the case's step and the account never disagree. See docs/funding-rules.md.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from avain.core.formatting import money_text
from avain.core import clock
from avain.core.money import CENT, ZERO, money_sum, round_money
from avain.planning.models import PlanLine, PlanStatus

from . import ledger
from .models import (
    AccountStatus,
    Agreement,
    AgreementStatus,
    BudgetAccount,
    EntryKind,
    FundingRule,
    OverspendPermission,
    Instalment,
    SubAccount,
)
from .services import granted_so_far, instalment_postings

MAX_INSTALMENTS = 12
MAX_CLAIM_DEADLINE_DAYS = 365



def _amount(value, *, allow_zero: bool = False) -> Decimal:
    """An amount typed by a person: a number of whole cents, more than zero (or zero where allowed). Never rounded:
    an amount finer than a cent is refused, so nobody moves a different sum than they typed."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        if allow_zero:
            raise ValidationError(_("The amount must be zero euros or more."), code="amount_negative")
        raise ValidationError(_("The amount must be more than zero euros."), code="amount_not_positive")
    if amount != amount.quantize(CENT):
        raise ValidationError(_("Give the amount in euros and cents, with at most two decimals."), code="amount_too_precise")
    return round_money(amount)


def _locked_account(account: BudgetAccount) -> BudgetAccount:
    return BudgetAccount.objects.select_for_update().get(pk=account.pk, organiser_id=account.organiser_id)


def _refuse_if_closed(account: BudgetAccount) -> None:
    if account.status != AccountStatus.OPEN:
        raise ValidationError(_("This budget has been closed. Its money can no longer be changed."), code="account_closed")


# --- Instalments --------------------------------------------------------------------------------------------------


# Accounts released per transaction: each batch costs the same few queries however many accounts it holds, and its
# locks are held only while it runs.
RELEASE_BATCH = 500


def release_due_instalments(today: dt.date | None = None) -> int:
    """Release every instalment due on or before ``today`` (the clock's today by default) on the open accounts, in
    order of number, and return how many were released. Accounts go in batches, each in one transaction under locks
    on its accounts, instalments and open sub-accounts (in that order, each in id order, as every other writer takes
    them), so running this twice, or twice at once, releases each instalment exactly once."""
    today = today or clock.today()
    account_ids = list(
        Instalment.objects.filter(due_on__lte=today, released_at__isnull=True, account__status=AccountStatus.OPEN)
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()
    )
    return sum(
        _release_batch(account_ids[start : start + RELEASE_BATCH], today)
        for start in range(0, len(account_ids), RELEASE_BATCH)
    )


def _release_batch(account_ids: list[int], today: dt.date) -> int:
    with transaction.atomic():
        accounts = {
            account.pk: account
            for account in BudgetAccount.objects.select_for_update()
            .filter(pk__in=account_ids, status=AccountStatus.OPEN)
            .order_by("pk")
        }
        due = list(
            Instalment.objects.select_for_update()
            .filter(account_id__in=list(accounts), due_on__lte=today, released_at__isnull=True)
            .order_by("account_id", "number")
        )  # closed meanwhile, or released by another run first: not here
        open_ids = SubAccount.objects.filter(account_id__in=list(accounts), is_open=True).values_list("pk", flat=True)
        subs = ledger.lock_sub_accounts(list(open_ids))
        subs_of = defaultdict(list)
        for sub in subs.values():  # in id order
            subs_of[sub.account_id].append(sub)
        granted = granted_so_far(list(subs.values()))
        now = clock.now()
        # An account catching up on several instalments releases them in order, one round each, so that each round
        # sees the grants (and, without rollover, the money left) after the one before.
        rounds: dict[int, list[Instalment]] = defaultdict(list)
        position: dict[int, int] = defaultdict(int)
        for instalment in due:
            rounds[position[instalment.account_id]].append(instalment)
            position[instalment.account_id] += 1
        for number in sorted(rounds):
            postings = []
            for instalment in rounds[number]:
                postings += instalment_postings(
                    accounts[instalment.account_id], instalment, subs_of[instalment.account_id], granted
                )
            for posting in postings:
                if posting.kind == EntryKind.GRANT:
                    granted[posting.sub_account.pk] = granted.get(posting.sub_account.pk, ZERO) + posting.amount
            ledger.post(postings, by=None, at=now)  # also moves the in-memory totals the next round reads
        Instalment.objects.filter(pk__in=[instalment.pk for instalment in due]).update(released_at=now)
    return len(due)


# --- Moving money between lines and an approved overspend -------------------------------------------------------


def move_money(*, account: BudgetAccount, from_sub: SubAccount, to_sub: SubAccount, amount, by) -> None:
    """Move money the client has now from one plan line to another: an adjustment taking it off the one line and an
    adjustment adding it to the other. Both lines must be open and flexible, of the same open account, and the money
    must be left on the line it comes from (what agreements hold there is not free to move)."""
    amount = _amount(amount)
    if from_sub.pk == to_sub.pk:
        raise ValidationError(_("Choose two different lines: one to take the money from and one to move it to."), code="same_line")
    with transaction.atomic():
        account = _locked_account(account)
        _refuse_if_closed(account)
        subs = ledger.lock_sub_accounts([from_sub.pk, to_sub.pk])
        source, target = subs.get(from_sub.pk), subs.get(to_sub.pk)
        if source is None or target is None or source.account_id != account.pk or target.account_id != account.pk:
            raise ValidationError(_("Choose lines of this budget."), code="foreign_line")
        for sub in (source, target):
            if not sub.is_open:
                raise ValidationError(
                    _("“%(line)s” is no longer in use: an approved change of the plan replaced it."),
                    code="line_closed",
                    params={"line": sub.description},
                )
            if not sub.flexible:
                raise ValidationError(
                    _("The money of “%(line)s” is fixed to its purpose and cannot be moved to or from it."),
                    code="line_fixed",
                    params={"line": sub.description},
                )
        if amount > source.left:
            raise ValidationError(
                _("Only %(left)s € is free on “%(line)s”. You cannot move %(amount)s € from it."),
                code="more_than_left",
                params={"left": money_text(max(source.left, ZERO)), "line": source.description, "amount": money_text(amount)},
            )
        ledger.post(
            [
                ledger.Posting(source, EntryKind.ADJUSTMENT, -amount, memo=f"moved to plan line {target.plan_line_id}"),
                ledger.Posting(target, EntryKind.ADJUSTMENT, amount, memo=f"moved from plan line {source.plan_line_id}"),
            ],
            by=by,
            at=clock.now(),
        )


def allow_overspend(*, sub_account: SubAccount, amount, reason: str = "", by) -> SubAccount:
    """The social worker allows a line to go over what it was granted by at most ``amount`` (zero takes the
    permission away), with the reason, kept with who gave it and when. An allowance smaller than the line's
    overdraft today is refused: it would leave the line overdrawn without permission."""
    amount = _amount(amount, allow_zero=True)
    reason = reason.strip()
    if amount > 0 and not reason:
        raise ValidationError(_("Write why the line may go over its money."), code="no_reason")
    with transaction.atomic():
        account = _locked_account(sub_account.account)
        _refuse_if_closed(account)
        sub = ledger.lock_sub_accounts([sub_account.pk])[sub_account.pk]
        if not sub.is_open:
            raise ValidationError(
                _("“%(line)s” is no longer in use: an approved change of the plan replaced it."),
                code="line_closed",
                params={"line": sub.description},
            )
        overdrawn = -sub.left if sub.left < 0 else ZERO
        if amount < overdrawn:
            raise ValidationError(
                _("“%(line)s” is already %(over)s € over its money. The permission cannot be less than that."),
                code="overspend_in_use",
                params={"line": sub.description, "over": money_text(overdrawn)},
            )
        sub.overspend_allowed = amount
        sub.overspend_reason = reason if amount > 0 else ""
        sub.overspend_by = by
        sub.overspend_at = clock.now()
        sub.save(update_fields=["overspend_allowed", "overspend_reason", "overspend_by", "overspend_at"])
        OverspendPermission.objects.create(
            organiser_id=sub.organiser_id,
            sub_account=sub,
            amount=amount,
            reason=sub.overspend_reason,
            given_by=by,
            given_at=sub.overspend_at,
        )
    return sub


def set_line_flexible(*, sub_account: SubAccount, flexible: bool, by) -> SubAccount:
    """The social worker marks one line flexible (money may move to and from it) or fixed to its purpose."""
    with transaction.atomic():
        account = _locked_account(sub_account.account)
        _refuse_if_closed(account)
        sub = ledger.lock_sub_accounts([sub_account.pk])[sub_account.pk]
        if sub.flexible != flexible:
            sub.flexible = flexible
            sub.save(update_fields=["flexible"])
    return sub


# --- Closing --------------------------------------------------------------------------------------------------------


def close_account(*, account: BudgetAccount, by) -> BudgetAccount:
    """Close the account at the end of the HB: every agreement in force ends and what it did not use is released,
    what is left on every open line is taken back (an adjustment "released at closing"), and the closing statement
    is stored. Invoices already received stay payable: their money is spent, not left. Closing twice changes
    nothing."""
    with transaction.atomic():
        account = _locked_account(account)
        if account.status == AccountStatus.CLOSED:
            return account
        now = clock.now()
        agreements = list(
            Agreement.objects.select_for_update()
            .filter(account=account, status=AgreementStatus.ACTIVE)
            .order_by("pk")
        )
        subs = ledger.lock_sub_accounts(list(SubAccount.objects.filter(account=account).values_list("pk", flat=True)))
        ledger.post(
            [
                ledger.Posting(subs[a.sub_account_id], EntryKind.RELEASE, -a.remaining, agreement_id=a.pk)
                for a in agreements
                if a.remaining > 0
            ],
            by=by,
            at=now,
        )
        Agreement.objects.filter(pk__in=[a.pk for a in agreements]).update(
            status=AgreementStatus.ENDED, ended_by=by, ended_at=now
        )
        released = {sub.pk: sub.left for sub in subs.values() if sub.is_open and sub.left > 0}
        ledger.post(
            [
                ledger.Posting(subs[pk], EntryKind.ADJUSTMENT, -amount, memo="released at closing")
                for pk, amount in released.items()
            ],
            by=by,
            at=now,
        )
        account.status = AccountStatus.CLOSED
        account.closed_at = now
        account.closing_statement = _closing_statement(account, list(subs.values()), released, len(agreements), by, now)
        account.save(update_fields=["status", "closed_at", "closing_statement"])
    return account


STATEMENT_FIGURES = ("planned", "granted", "spent", "paid", "unpaid", "released")


def _closing_statement(account, subs, released, agreements_ended: int, by, now) -> dict:
    """Per line and in total: planned for the period, granted, spent, paid, still to pay, released at closing.
    Amounts are strings of euros ("1234.50") so the JSON keeps them exact. ``granted`` is what the line had before
    the closing released its rest. A line replaced by an approved change of the plan counts what it used."""
    lines = []
    for sub in sorted(subs, key=lambda s: s.pk):
        back = released.get(sub.pk, ZERO)
        granted = sub.granted + back
        lines.append(
            {
                "sub_account": sub.pk,
                "plan_line": sub.plan_line_id,
                "description": sub.description,
                "replaced": not sub.is_open,
                "planned": sub.planned if sub.is_open else granted,
                "granted": granted,
                "spent": sub.spent,
                "paid": sub.paid,
                "unpaid": sub.spent - sub.paid,
                "released": back,
            }
        )
    totals = {name: money_sum(line[name] for line in lines) for name in STATEMENT_FIGURES}
    for line in lines:
        for name in STATEMENT_FIGURES:
            line[name] = str(line[name])
    return {
        "closed_at": now.isoformat(),
        "closed_by": {"id": by.pk, "name": by.get_full_name() or by.get_username()} if by is not None else None,
        "period": {"start": account.period_start.isoformat(), "end": account.period_end.isoformat()},
        "agreements_ended": agreements_ended,
        "lines": lines,
        "totals": {name: str(value) for name, value in totals.items()},
    }


# --- Moving the account onto an approved change of the plan ------------------------------------------------------


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _share(total: int, weights: list[int]) -> list[int]:
    """``total`` cents split in proportion to ``weights`` (whole cents; the cents left by rounding down go to the
    largest remainders, the first line first on a tie). Each share stays within its weight when total ≤ Σ weights."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _predecessors(case_id: int, new_lines: list[PlanLine], open_by_line: dict[int, SubAccount]) -> dict[int, SubAccount]:
    """Which open sub-account each new line continues: follow ``copied_from`` back through the versions (a returned
    version's copy continues that version's line) to a line the account has now. A line continued by two new lines
    goes on in the first of them; the other starts afresh."""
    copied_from = dict(PlanLine.objects.filter(plan__case_id=case_id).values_list("pk", "copied_from_id"))
    taken: set[int] = set()
    found: dict[int, SubAccount] = {}
    for line in new_lines:
        current = _first_known(copied_from, line.copied_from_id, open_by_line)
        if current is not None and current not in taken:
            taken.add(current)
            found[line.pk] = open_by_line[current]
    return found


def _first_known(copied_from: dict[int, int | None], line_id: int | None, known) -> int | None:
    """The first plan line in ``known`` that ``line_id``'s ``copied_from`` chain leads back to, ``line_id`` itself
    included, or None; a chain that comes round to a line seen before ends there."""
    seen = set()
    while line_id is not None and line_id not in known and line_id not in seen:
        seen.add(line_id)
        line_id = copied_from.get(line_id)
    return line_id if line_id in known else None


def open_successors(account: BudgetAccount, all_subs: list[SubAccount]) -> dict[int, SubAccount]:
    """For each line of the account closed by an approved change, the open line that continues its purpose now
    (following later changes too), by sub-account id; absent when a change removed it. The same rule as
    :func:`_predecessors` at the change: a line continues the first line with a sub-account that its ``copied_from``
    chain leads to, and of two lines continuing one, the first (by id) goes on in it. ``all_subs``: every
    sub-account of the account; one query for the case's plan lines."""
    if all(sub.is_open for sub in all_subs):
        return {}
    copied_from = dict(
        PlanLine.objects.filter(plan__case__decision__id=account.decision_id).values_list("pk", "copied_from_id")
    )
    by_line = {sub.plan_line_id: sub for sub in all_subs}
    next_of: dict[int, SubAccount] = {}
    for sub in sorted(all_subs, key=lambda s: s.pk):
        before = by_line.get(_first_known(copied_from, copied_from.get(sub.plan_line_id), by_line))
        if before is not None and before.pk < sub.pk and not before.is_open and before.pk not in next_of:
            next_of[before.pk] = sub
    found = {}
    for sub in all_subs:
        if sub.is_open:
            continue
        seen, successor = set(), next_of.get(sub.pk)
        while successor is not None and not successor.is_open and successor.pk not in seen:
            seen.add(successor.pk)
            successor = next_of.get(successor.pk)
        if successor is not None and successor.is_open:
            found[sub.pk] = successor
    return found


def apply_plan_change(*, case, by) -> list[SubAccount]:
    """Move the case's budget account onto its newest approved version (a change approved while the budget is in
    use), in the caller's transaction. Returns the new sub-accounts ([] when there is nothing to move).

    - Each new line gets a sub-account; its ``planned`` is the line's amount less what the line it continues has
      already spent.
    - A new line that continues an old one takes over the old line's agreements in force, with their commitment
      (a release on the old line, a commitment on the new one).
    - The money released so far and not spent (granted − spent, summed over the old lines) moves to the new lines,
      so the account has exactly as much as before: taken off the old lines by adjustments and granted on the new
      ones. Each new line gets what the released instalments would have given it by now (its share of its amount,
      less what was spent), at least what its agreements hold; a difference is shared in proportion (see
      docs/funding-rules.md). Later instalments grant the rest of each new line's planned amount.
    - The old lines close (``is_open`` False) with their spending as history, granted down to what they used.

    Refused, with nothing changed, when a new line is smaller than what its old line already spent and holds in
    agreements, when a removed line still holds agreements, or when the changed plan and what was already spent on
    removed lines together exceed the budget.
    """
    with transaction.atomic():
        account = (
            BudgetAccount.objects.select_for_update()
            .filter(organiser_id=case.organiser_id, decision__case_id=case.pk)
            .first()
        )
        if account is None or account.status != AccountStatus.OPEN:
            return []
        plan = case.plans.filter(status=PlanStatus.APPROVED).order_by("-version").first()
        new_lines = list(plan.lines.order_by("pk"))
        all_subs = list(SubAccount.objects.filter(account=account).order_by("pk"))
        if {line.pk for line in new_lines} <= {sub.plan_line_id for sub in all_subs}:
            return []  # the account is on this version already
        agreements = list(
            Agreement.objects.select_for_update()
            .filter(account=account, status=AgreementStatus.ACTIVE)
            .order_by("pk")
        )
        subs = ledger.lock_sub_accounts([sub.pk for sub in all_subs if sub.is_open])
        old = list(subs.values())
        closed_before = [sub for sub in all_subs if not sub.is_open]
        predecessor = _predecessors(case.pk, new_lines, {sub.plan_line_id: sub for sub in old})
        continued = {sub.pk for sub in predecessor.values()}
        # What was spent on each old line's purpose, on it and on the lines it continues itself: a line opened by an
        # earlier change planned its amount less what had been spent before it.
        amounts = dict(PlanLine.objects.filter(pk__in=[sub.plan_line_id for sub in old]).values_list("pk", "amount"))
        spent_on = {sub.pk: amounts[sub.plan_line_id] - sub.planned + sub.spent for sub in old}
        spent_before = {
            line.pk: spent_on[predecessor[line.pk].pk] if line.pk in predecessor else ZERO for line in new_lines
        }

        _check_change(new_lines, predecessor, spent_before, [sub for sub in old if sub.pk not in continued], old, closed_before)

        planned = {line.pk: line.amount - spent_before[line.pk] for line in new_lines}
        grants = _grants_for_new_lines(account, new_lines, predecessor, spent_before, planned, old)

        first = all_subs[0]  # opened with the organiser's rule when the budget was granted
        new_subs = SubAccount.objects.bulk_create(
            SubAccount(
                organiser_id=account.organiser_id,
                account=account,
                plan_line=line,
                description=line.description,
                planned=planned[line.pk],
                flexible=predecessor[line.pk].flexible if line.pk in predecessor else first.flexible,
            )
            for line in new_lines
        )
        new_of_old = {predecessor[sub.plan_line_id].pk: sub for sub in new_subs if sub.plan_line_id in predecessor}
        now = clock.now()
        postings = []
        moved_agreements, ended_agreements = [], []
        for agreement in agreements:
            target = new_of_old.get(agreement.sub_account_id)
            if target is None:
                # On a removed line, used up (checked above): it ends with its line, so nothing more is invoiced
                # under it and money coming back to it later is not committed to it again.
                agreement.status, agreement.ended_by, agreement.ended_at = AgreementStatus.ENDED, by, now
                ended_agreements.append(agreement)
                continue
            if agreement.remaining > 0:
                postings.append(
                    ledger.Posting(subs[agreement.sub_account_id], EntryKind.RELEASE, -agreement.remaining, agreement_id=agreement.pk)
                )
                postings.append(ledger.Posting(target, EntryKind.COMMITMENT, agreement.remaining, agreement_id=agreement.pk))
            agreement.sub_account = target
            moved_agreements.append(agreement)
        for sub in old:
            unused = sub.granted - sub.spent
            if unused > 0:
                postings.append(ledger.Posting(sub, EntryKind.ADJUSTMENT, -unused, memo=f"plan change: to version {plan.version}"))
        for sub in new_subs:
            if grants[sub.plan_line_id] > 0:
                postings.append(
                    ledger.Posting(sub, EntryKind.GRANT, grants[sub.plan_line_id], memo=f"plan change: version {plan.version}")
                )
        ledger.post(postings, by=by, at=now)
        Agreement.objects.bulk_update(moved_agreements, ["sub_account"])
        Agreement.objects.bulk_update(ended_agreements, ["status", "ended_by", "ended_at"])
        SubAccount.objects.filter(pk__in=[sub.pk for sub in old]).update(is_open=False)
    return new_subs


def _check_change(new_lines, predecessor, spent_before, removed, old, closed_before) -> None:
    for line in new_lines:
        sub = predecessor.get(line.pk)
        used = spent_before[line.pk] + (sub.committed if sub is not None else ZERO)
        if line.amount < used:
            raise ValidationError(
                _(
                    "“%(line)s” would get %(amount)s €, but %(used)s € of it is already spent or promised in "
                    "agreements. The line must be at least %(used)s €."
                ),
                code="line_below_used",
                params={"line": line.description, "amount": money_text(line.amount), "used": money_text(used)},
            )
    for sub in removed:
        if sub.committed > 0:
            raise ValidationError(
                _("The change removes “%(line)s”, which still has agreements in force. End them first or keep the line."),
                code="removed_line_has_agreements",
                params={"line": sub.description},
            )
    # What the account will have granted over the whole period may not grow: the lines closed earlier and now keep
    # what they used, the new lines their planned amounts.
    before = money_sum(sub.planned for sub in old) + money_sum(sub.granted for sub in closed_before)
    after = (
        money_sum(sub.granted for sub in closed_before)
        + money_sum(min(sub.granted, sub.spent) for sub in old)
        + money_sum(line.amount - spent_before[line.pk] for line in new_lines)
    )
    if after > before:
        raise ValidationError(
            _(
                "The changed plan and what was already spent on the lines it removes come to %(over)s € more than "
                "the budget. Lower the lines by %(over)s €."
            ),
            code="change_over_budget",
            params={"over": money_text(after - before)},
        )


def _grants_for_new_lines(account, new_lines, predecessor, spent_before, planned, old) -> dict[int, Decimal]:
    """How the money released and not spent is shared between the new lines; the sum is exactly that money.

    Each line starts from what the instalments released so far would have given it under the changed plan, less what
    its old line spent (``round(amount × released / count) − spent``), and never below what its agreements hold.
    If that leaves money over, it goes to the lines that have room below their planned amount, in proportion to the
    room (and, when every line is full, in proportion to the planned amounts); if it asks for more than there is,
    the lines give up the difference in proportion to what they have above their agreements."""
    released = Instalment.objects.filter(account=account, released_at__isnull=False).count()
    count = account.instalments
    pool = _cents(money_sum(max(sub.granted - sub.spent, ZERO) for sub in old))
    floors, grants = [], []
    for line in new_lines:
        sub = predecessor.get(line.pk)
        held = sub.committed if sub is not None else ZERO
        target = round_money(line.amount * released / count) - spent_before[line.pk]
        floors.append(_cents(held))
        grants.append(max(_cents(target), _cents(held)))
    difference = pool - sum(grants)
    if difference > 0:
        room = [max(_cents(planned[line.pk]) - g, 0) for line, g in zip(new_lines, grants, strict=True)]
        extra = _share(min(difference, sum(room)), room)
        grants = [g + e for g, e in zip(grants, extra, strict=True)]
        rest = difference - sum(extra)
        if rest > 0:
            weights = [_cents(planned[line.pk]) for line in new_lines]
            if sum(weights) == 0:
                weights = [1] + [0] * (len(weights) - 1)
            grants = [g + e for g, e in zip(grants, _share(rest, weights), strict=True)]
    elif difference < 0:
        slack = [g - f for g, f in zip(grants, floors, strict=True)]
        if sum(slack) < -difference:
            raise ValidationError(
                _("The money released so far does not cover the agreements in force on the changed lines."),
                code="agreements_not_covered",
            )
        grants = [g - s for g, s in zip(grants, _share(-difference, slack), strict=True)]
    return {line.pk: Decimal(g).scaleb(-2) for line, g in zip(new_lines, grants, strict=True)}


# --- The organiser's funding rule ---------------------------------------------------------------------------------


def set_funding_rule(
    *,
    organiser,
    actor,
    instalments: int,
    rollover: bool,
    lines_flexible: bool,
    no_receipt_allowance,
    claim_deadline_days: int,
    client_acceptance: bool,
    staff_approval: bool,
    warning_percent: int,
) -> FundingRule:
    """The organiser administrator sets how budgets are funded. The rule is copied onto each account when the budget
    is granted, so a change applies to budgets granted from now on; accounts already open keep their rule."""
    if instalments is None or not 1 <= instalments <= MAX_INSTALMENTS:
        raise ValidationError(_("The budget is released in 1 to 12 instalments."), code="instalments_out_of_range")
    allowance = _amount(no_receipt_allowance, allow_zero=True)
    if claim_deadline_days is None or not 1 <= claim_deadline_days <= MAX_CLAIM_DEADLINE_DAYS:
        raise ValidationError(_("The time to send an invoice is 1 to 365 days."), code="claim_deadline_out_of_range")
    if warning_percent is None or not 1 <= warning_percent <= 100:
        raise ValidationError(_("The warning share is 1 to 100 percent."), code="warning_percent_out_of_range")
    with transaction.atomic():
        type(organiser).objects.select_for_update().get(pk=organiser.pk)
        rule, _created = FundingRule.objects.update_or_create(
            organiser_id=organiser.pk,
            defaults={
                "instalments": instalments,
                "rollover": rollover,
                "lines_flexible": lines_flexible,
                "no_receipt_allowance": allowance,
                "claim_deadline_days": claim_deadline_days,
                "client_acceptance": client_acceptance,
                "staff_approval": staff_approval,
                "warning_percent": warning_percent,
            },
        )
    return rule


# --- Receivers of the planning steps (connected in AccountsConfig.ready) -------------------------------------------


def on_case_closed(sender, *, case, actor, **kwargs) -> None:
    """The HB closed, whichever way: close its account in the same transaction."""
    account = BudgetAccount.objects.filter(organiser_id=case.organiser_id, decision__case_id=case.pk).first()
    if account is not None:
        close_account(account=account, by=actor)


def on_plan_change_approved(sender, *, case, actor, **kwargs) -> None:
    """A change of the plan was approved: move the account onto its lines in the same transaction (a refusal rolls
    the approval back)."""
    apply_plan_change(case=case, by=actor)
