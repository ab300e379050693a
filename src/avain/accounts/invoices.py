"""The client's acceptance and the staff's approval of invoices and receipts, and their rejection.

An invoice's money is spent the moment it is posted (``posting.py``, ``receipts.py``); acceptance and approval only
move its status on: awaiting acceptance → awaiting approval → approved. Which steps apply is the organiser's funding
rule as copied onto the account: without client acceptance an invoice starts at awaiting approval; without staff
approval the client's acceptance approves it. Rejecting gives the money back: the spending is reversed, and what was
invoiced under an agreement is taken off the agreement's use and, while the agreement is in force, committed to it
again.

Each move takes the row locks first (the account, then the invoice, then agreements, then sub-accounts, the same
order as every other writer) and checks the status under them, so a double click moves an invoice once; the second
click finds it already moved and changes nothing.
"""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from avain.core import clock
from avain.core.money import ZERO
from avain.organisations.models import Role, StaffMembership

from . import funding, ledger
from .models import (
    AccountStatus,
    Agreement,
    AgreementStatus,
    BudgetAccount,
    EntryKind,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    SubAccount,
)
from .receipts import may_act_for_client

# The staff who approve and reject invoices: the organiser's social workers and finance.
APPROVING_ROLES = (Role.SOCIAL_WORKER, Role.FINANCE)
# Once an invoice is in a payment batch or paid, it is settled through the payments, never rejected.
SETTLED = (InvoiceStatus.IN_PAYMENT, InvoiceStatus.PAID)
ACCEPTED = (InvoiceStatus.AWAITING_APPROVAL, InvoiceStatus.APPROVED, *SETTLED)
APPROVED = (InvoiceStatus.APPROVED, *SETTLED)


def is_approver_of(user, organiser_id: int) -> bool:
    """A social worker or finance, active in the invoice's organiser."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return StaffMembership.objects.filter(
        user=user, organiser_id=organiser_id, role__in=APPROVING_ROLES, active=True
    ).exists()


def _lock(invoice: Invoice) -> tuple[BudgetAccount, Invoice]:
    account = BudgetAccount.objects.select_for_update().get(pk=invoice.account_id)
    return account, Invoice.objects.select_for_update().select_related("account__client").get(pk=invoice.pk)


def _refuse_rejected(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.REJECTED:
        raise ValidationError(
            _("This invoice has been rejected. A rejected invoice cannot be accepted or approved."),
            code="already_rejected",
        )


def accept_invoice(*, invoice: Invoice, by) -> Invoice:
    """The client (or a delegate with edit access) accepts an invoice: the service was given as invoiced. Accepting
    an invoice that is already accepted changes nothing."""
    with transaction.atomic():
        account, invoice = _lock(invoice)
        if not may_act_for_client(by, account.client):
            raise ValidationError(
                _("Only the client, or someone the client has let edit their budget, can accept an invoice."),
                code="not_allowed",
            )
        _refuse_rejected(invoice)
        if invoice.status != InvoiceStatus.AWAITING_ACCEPTANCE:
            if invoice.accepted_at is not None:
                return invoice  # a second click: already accepted
            raise ValidationError(
                _("This invoice does not need your acceptance."), code="acceptance_not_needed"
            )
        invoice.status = InvoiceStatus.AWAITING_APPROVAL if account.staff_approval else InvoiceStatus.APPROVED
        invoice.accepted_by = by
        invoice.accepted_at = clock.now()
        invoice.save(update_fields=["status", "accepted_by", "accepted_at"])
    return invoice


def approve_invoice(*, invoice: Invoice, by) -> Invoice:
    """A social worker of the organiser or finance approves an invoice for payment, after the client accepted it
    where the funding rule asks for that. Approving an approved invoice changes nothing."""
    with transaction.atomic():
        account, invoice = _lock(invoice)
        if not is_approver_of(by, invoice.organiser_id):
            raise ValidationError(
                _("Only the organiser's social workers and finance can approve invoices."), code="not_allowed"
            )
        _refuse_rejected(invoice)
        if invoice.status in APPROVED:
            return invoice  # a second click, or approved already by the funding rule
        if invoice.status == InvoiceStatus.AWAITING_ACCEPTANCE:
            raise ValidationError(
                _("The client has not accepted this invoice yet. It can be approved once the client has accepted it."),
                code="not_accepted_yet",
            )
        invoice.status = InvoiceStatus.APPROVED
        invoice.approved_by = by
        invoice.approved_at = clock.now()
        invoice.save(update_fields=["status", "approved_by", "approved_at"])
    return invoice


def reject_invoice(*, invoice: Invoice, by, reason: str) -> Invoice:
    """Reject an invoice and give its money back to the plan lines. The client (or an edit delegate) may reject while
    it waits for their acceptance; the organiser's social workers and finance while it waits for acceptance or
    approval. Rejecting a rejected invoice changes nothing.

    The returned invoice's ``money_released`` (zero for a second click) is what went back to the organiser
    rather than to the budget: the budget was closed, or a change of the plan removed the line (see
    :func:`_give_money_back`)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the invoice is rejected."), code="no_reason")
    with transaction.atomic():
        account, invoice = _lock(invoice)
        client_side = may_act_for_client(by, account.client)
        staff_side = is_approver_of(by, invoice.organiser_id)
        if not client_side and not staff_side:
            raise ValidationError(
                _("Only the client, their edit delegate, the organiser's social workers or finance can reject an invoice."),
                code="not_allowed",
            )
        if invoice.status == InvoiceStatus.REJECTED:
            invoice.money_released = ZERO
            return invoice  # a second click
        if invoice.status in SETTLED or invoice.status == InvoiceStatus.APPROVED:
            raise ValidationError(
                _("This invoice has already been approved for payment and can no longer be rejected."),
                code="already_approved",
            )
        if invoice.status == InvoiceStatus.AWAITING_APPROVAL and not staff_side:
            raise ValidationError(
                _("You have already accepted this invoice. If something is wrong with it, contact your social worker."),
                code="already_accepted",
            )
        now = clock.now()
        released = _give_money_back(account, invoice, by=by, at=now)
        invoice.status = InvoiceStatus.REJECTED
        invoice.rejected_by = by
        invoice.rejected_at = now
        invoice.rejection_reason = reason
        invoice.save(update_fields=["status", "rejected_by", "rejected_at", "rejection_reason"])
        invoice.money_released = released
    return invoice


def _give_money_back(account: BudgetAccount, invoice: Invoice, *, by, at) -> Decimal:
    """Reverse what the invoice spent on each sub-account, and per agreement take the lines off its use and commit
    them again while the agreement is in force. The caller holds the account's and the invoice's locks.

    Money that comes back to a line no longer in use is never left there as spendable (docs/funding-rules.md, "An
    invoice rejected after a change or after closing"): on a closed account it is released, as closing released the
    unused money; on a line an approved change replaced, it goes on to the open line that continues the line's purpose
    (a grant, and that line plans as much more, since the change planned it less what had been spent), or is released
    when the change removed the line. What an agreement in force commits again stays with the agreement.

    Returns the money released (gone back to the organiser), zero when all of it is back on the budget."""
    per_agreement: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, Decimal(0)])  # pk → [amount, quantity]
    for agreement_id, amount, quantity in invoice.lines.filter(agreement__isnull=False).values_list(
        "agreement_id", "amount", "quantity"
    ):
        per_agreement[agreement_id][0] += amount
        per_agreement[agreement_id][1] += quantity
    agreements = list(Agreement.objects.select_for_update().filter(pk__in=per_agreement).order_by("pk"))
    # What the entries say was spent, per sub-account: exactly what is reversed, whatever the lines add up to.
    spent = dict(
        LedgerEntry.objects.filter(
            invoice=invoice, kind__in=[EntryKind.SPENDING, EntryKind.REVERSAL]
        )
        .values_list("sub_account_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    account_open = account.status == AccountStatus.OPEN
    # Which line continues a replaced one. Read before the sub-accounts are locked, so that all of them are locked in
    # one go in id order; no change of the plan can close a line meanwhile, as it waits for the account's lock.
    successors = {}
    if account_open:
        all_subs = list(SubAccount.objects.filter(account=account).order_by("pk"))
        if any(not sub.is_open for sub in all_subs if sub.pk in spent):
            successors = funding.open_successors(account, all_subs)
    subs = ledger.lock_sub_accounts(
        [*spent, *(agreement.sub_account_id for agreement in agreements), *(s.pk for s in successors.values())]
    )
    postings = [
        ledger.Posting(subs[sub_id], EntryKind.REVERSAL, -total, invoice_id=invoice.pk, memo="invoice rejected")
        for sub_id, total in sorted(spent.items())
        if total > 0
    ]
    committed_again: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for agreement in agreements:
        amount, quantity = per_agreement[agreement.pk]
        agreement.used_amount -= amount
        agreement.used_quantity -= quantity
        if agreement.status == AgreementStatus.ACTIVE and amount > 0:
            committed_again[agreement.sub_account_id] += amount
            postings.append(
                ledger.Posting(
                    subs[agreement.sub_account_id],
                    EntryKind.COMMITMENT,
                    amount,
                    invoice_id=invoice.pk,
                    agreement_id=agreement.pk,
                    memo="invoice rejected",
                )
            )
    raised, released = [], ZERO
    for sub_id, total in sorted(spent.items()):
        sub = subs[sub_id]
        if account_open and sub.is_open:
            continue  # the line is in use: the money is simply back on it
        freed = total - committed_again[sub_id]
        if freed <= 0:
            continue
        successor = successors.get(sub_id) if account_open else None
        if successor is None:
            memo = (
                "released: invoice rejected after closing" if not account_open
                else "released: invoice rejected, line removed"
            )
            postings.append(ledger.Posting(sub, EntryKind.ADJUSTMENT, -freed, invoice_id=invoice.pk, memo=memo))
            released += freed
            continue
        successor = subs[successor.pk]
        postings.append(
            ledger.Posting(
                sub, EntryKind.ADJUSTMENT, -freed, invoice_id=invoice.pk,
                memo=f"invoice rejected: to plan line {successor.plan_line_id}",
            )
        )
        postings.append(
            ledger.Posting(
                successor, EntryKind.GRANT, freed, invoice_id=invoice.pk,
                memo=f"invoice rejected: from plan line {sub.plan_line_id}",
            )
        )
        successor.planned += freed
        raised.append(successor)
    ledger.post(postings, by=by, at=at)
    Agreement.objects.bulk_update(agreements, ["used_amount", "used_quantity"])
    if raised:
        SubAccount.objects.bulk_update(raised, ["planned"])
    return released
