"""The budget account (HB-tili): a ledger per granted budget, the agreements and invoices that move its money, and
the payments that settle them.

Every movement is a :class:`LedgerEntry`, only ever added. Each entry changes one *bucket* of one sub-account by its
``amount`` (see ``BUCKET_OF_KIND``); the sub-account stores the running totals of its buckets so that pages read a
handful of rows, and ``python -m avain verify_ledger`` proves the stored totals equal the sums of the entries.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Provider
from avain.core.fields import MoneyField
from avain.organisations.models import Organiser
from avain.people.models import Client
from avain.planning.models import Decision, PlanLine

USER = settings.AUTH_USER_MODEL


class FundingRule(models.Model):
    """How an organiser releases and controls budget money. Copied onto each account when it opens, so a later change
    of the rule never alters a budget already granted."""

    organiser = models.OneToOneField(Organiser, on_delete=models.PROTECT, related_name="funding_rule")
    instalments = models.PositiveSmallIntegerField(
        _("instalments"), default=1, help_text=_("1 releases the whole budget at once, 4 quarterly, 12 monthly.")
    )
    rollover = models.BooleanField(_("unused money rolls over to the next instalment"), default=True)
    lines_flexible = models.BooleanField(_("money may move between plan lines"), default=False)
    no_receipt_allowance = MoneyField(_("spending allowed without receipts in a budget period"), default=0)
    claim_deadline_days = models.PositiveSmallIntegerField(_("days to send an invoice after the service"), default=90)
    client_acceptance = models.BooleanField(_("the client accepts each invoice"), default=True)
    staff_approval = models.BooleanField(_("the worker or finance approves each invoice"), default=True)
    warning_percent = models.PositiveSmallIntegerField(_("warn when this share of the budget is used (%)"), default=85)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(instalments__gte=1, instalments__lte=12), name="funding_instalments_1_12"),
            models.CheckConstraint(condition=Q(no_receipt_allowance__gte=0), name="funding_allowance_not_negative"),
            models.CheckConstraint(
                condition=Q(warning_percent__gte=1, warning_percent__lte=100), name="funding_warning_percent_range"
            ),
        ]


class PayerAccount(models.Model):
    """The organiser's own bank account, the debtor of every payment batch."""

    organiser = models.OneToOneField(Organiser, on_delete=models.PROTECT, related_name="payer_account")
    name = models.CharField(_("account holder"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)


class AccountStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class BudgetAccount(models.Model):
    """The client's HB account for one granted budget: a sub-account per plan line and the ledger of entries."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="accounts")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="account")
    opened_at = models.DateTimeField()
    # Copied from the decision so that the checks of an invoice line need no join.
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=AccountStatus.choices, default=AccountStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The closing statement: what was granted, spent, paid and released per line, as it stood at closing.
    closing_statement = models.JSONField(null=True, blank=True)
    # The funding rule as it was when the account opened (see FundingRule).
    instalments = models.PositiveSmallIntegerField(default=1)
    rollover = models.BooleanField(default=True)
    no_receipt_allowance = MoneyField(default=0)
    claim_deadline_days = models.PositiveSmallIntegerField(default=90)
    client_acceptance = models.BooleanField(default=True)
    staff_approval = models.BooleanField(default=True)
    warning_percent = models.PositiveSmallIntegerField(default=85)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=AccountStatus.values), name="account_status_known"),
            models.CheckConstraint(
                condition=Q(status=AccountStatus.OPEN, closed_at__isnull=True)
                | Q(status=AccountStatus.CLOSED, closed_at__isnull=False),
                name="account_closed_has_time",
            ),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="account_period_ordered"),
        ]


class SubAccount(models.Model):
    """One plan line's part of a budget account, with the running totals of its ledger buckets.

    ``left`` = granted − committed − spent. The database refuses any state where that goes below zero, unless the
    worker has approved an overspend on this line (``overspend_allowed``)."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    account = models.ForeignKey(BudgetAccount, on_delete=models.PROTECT, related_name="sub_accounts")
    plan_line = models.ForeignKey(PlanLine, on_delete=models.PROTECT, related_name="sub_accounts")
    description = models.CharField(max_length=200)
    planned = MoneyField()  # the plan line's amount: what the instalments add up to
    flexible = models.BooleanField(default=False)
    is_open = models.BooleanField(default=True)  # False once an approved change moved its money to new lines
    overspend_allowed = MoneyField(default=0)
    # Who allowed the overspend, when and why: a worker's decision that finance and audit must be able to read.
    overspend_reason = models.TextField(blank=True)
    overspend_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    overspend_at = models.DateTimeField(null=True, blank=True)
    granted = MoneyField(default=0)
    committed = MoneyField(default=0)
    spent = MoneyField(default=0)
    paid = MoneyField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "plan_line"], name="sub_account_one_per_plan_line"),
            models.CheckConstraint(
                condition=Q(granted__gte=F("committed") + F("spent") - F("overspend_allowed")),
                name="sub_account_never_overdrawn",
            ),
            models.CheckConstraint(
                condition=Q(committed__gte=0, spent__gte=0, paid__gte=0, overspend_allowed__gte=0),
                name="sub_account_buckets_not_negative",
            ),
            models.CheckConstraint(condition=Q(paid__lte=F("spent")), name="sub_account_paid_within_spent"),
            models.CheckConstraint(
                condition=Q(overspend_allowed=0) | ~Q(overspend_reason=""), name="sub_account_overspend_has_reason"
            ),
        ]

    @property
    def left(self):
        return self.granted - self.committed - self.spent


class OverspendPermission(models.Model):
    """Each permission a worker gave a line to go over its money, or took away (``amount`` 0), as given: the line
    keeps only the one in force (``SubAccount.overspend_allowed``, which the database's check honours), this keeps
    them all, for finance and audit. Written only by ``funding.allow_overspend``, never changed."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    sub_account = models.ForeignKey(SubAccount, on_delete=models.PROTECT, related_name="overspend_permissions")
    amount = MoneyField()
    reason = models.TextField(blank=True)
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField()

    class Meta:
        ordering = ["given_at", "id"]
        indexes = [models.Index(fields=["sub_account", "given_at"], name="overspend_by_line_and_time")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="overspend_permission_not_negative"),
            models.CheckConstraint(
                condition=Q(amount=0) | ~Q(reason=""), name="overspend_permission_has_reason"
            ),
        ]


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", _("in force")
    ENDED = "ended", _("ended")


class Agreement(models.Model):
    """The client's agreement with a provider for a service paid from one plan line. Its cap is committed on the line
    when it is made; invoices under it turn commitment into spending; ending it releases what is unused.

    ``number`` is what the provider quotes on its invoices (Finvoice ``BuyerReferenceIdentifier`` or the CSV's
    ``agreement`` column)."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    account = models.ForeignKey(BudgetAccount, on_delete=models.PROTECT, related_name="agreements")
    sub_account = models.ForeignKey(SubAccount, on_delete=models.PROTECT, related_name="agreements")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="agreements")
    number = models.CharField(_("agreement number"), max_length=20)
    service = models.CharField(_("service"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    unit_price = MoneyField(_("price per unit"))
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, null=True, blank=True)
    cap = MoneyField(_("at most, euros"))  # quantity × unit price, or the amount agreed when there is no quantity
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE)
    used_amount = MoneyField(default=0)
    used_quantity = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    made_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField()
    ended_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organiser", "number"], name="agreement_unique_number"),
            models.CheckConstraint(condition=Q(status__in=AgreementStatus.values), name="agreement_status_known"),
            models.CheckConstraint(condition=Q(unit_price__gt=0, cap__gt=0), name="agreement_amounts_positive"),
            models.CheckConstraint(condition=Q(quantity__isnull=True) | Q(quantity__gt=0), name="agreement_quantity_positive"),
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="agreement_validity_ordered"),
            models.CheckConstraint(condition=Q(used_amount__gte=0, used_amount__lte=F("cap")), name="agreement_within_cap"),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(used_quantity__lte=F("quantity")),
                name="agreement_within_quantity",
            ),
        ]

    @property
    def remaining(self):
        return self.cap - self.used_amount


class ImportKind(models.TextChoices):
    FINVOICE = "finvoice", _("Finvoice e-invoice")
    CSV = "csv", _("CSV file")
    CAMT054 = "camt054", _("bank notification (camt.054)")


class ImportStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    PROCESSED = "processed", _("processed")
    REJECTED = "rejected", _("rejected")


class ImportFile(models.Model):
    """A file received for import. The same bytes (same SHA-256) are imported once per organiser and kind: sending
    the file again shows the first result. ``problems`` lists what failed, as codes and parameters that the page
    turns into messages in the reader's language: ``[{"line": 3, "code": "price_above_agreed", "params": {...}}]``
    (line None for the file as a whole)."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="imports")
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content = models.BinaryField()  # the file as received, for audit and for a rerun after a crash
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.RECEIVED)
    lines_total = models.PositiveIntegerField(default=0)
    lines_posted = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list)
    received_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organiser", "kind", "sha256"], name="import_file_once"),
            models.CheckConstraint(condition=Q(kind__in=ImportKind.values), name="import_kind_known"),
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="import_status_known"),
        ]


class InvoiceSource(models.TextChoices):
    PORTAL = "portal", _("typed in the portal")
    FINVOICE = "finvoice", _("Finvoice e-invoice")
    CSV = "csv", _("CSV file")
    RECEIPT = "receipt", _("receipt from the client")


class InvoiceStatus(models.TextChoices):
    AWAITING_ACCEPTANCE = "awaiting_acceptance", _("waiting for the client's acceptance")
    AWAITING_APPROVAL = "awaiting_approval", _("waiting for approval")
    APPROVED = "approved", _("approved for payment")
    IN_PAYMENT = "in_payment", _("in a payment batch")
    PAID = "paid", _("paid")
    REJECTED = "rejected", _("rejected")


class Invoice(models.Model):
    """A provider's invoice, or a client's receipt claimed for reimbursement, for one budget account.

    Its lines are posted as spending the moment it is received, so that two invoices can never spend the same euro;
    rejecting it reverses them. ``total`` is the sum of the lines that were posted."""

    # Invoices, their lines and ledger entries arrive by the hundred thousand in one import. Their foreign keys have
    # no row-level constraint (db_constraint=False): PostgreSQL would check each one row by row, which costs more
    # than the rest of the import. Triggers check them once per statement instead (core.foreign_key_triggers,
    # installed by migration 0003), so a parent must be written before the statement that refers to it ends. See
    # docs/set-based-foreign-keys.md. PROTECT is still enforced by Django when a parent is deleted.
    # No index of their own where none is read: the organiser leads the status index, and nothing looks invoices up
    # by who recorded, accepted, approved or rejected them; every index costs each of a file's invoices.
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, db_index=False, db_constraint=False)
    account = models.ForeignKey(BudgetAccount, on_delete=models.PROTECT, related_name="invoices", db_constraint=False)
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices", db_constraint=False
    )
    source = models.CharField(max_length=10, choices=InvoiceSource.choices)
    import_file = models.ForeignKey(
        ImportFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_constraint=False
    )
    invoice_number = models.CharField(_("invoice number"), max_length=40)
    invoice_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    payee_name = models.CharField(_("payee"), max_length=200)
    payee_iban = models.CharField(_("IBAN"), max_length=34)
    reference = models.CharField(_("payment reference"), max_length=35, blank=True)
    total = MoneyField(_("total"))
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices)
    attachment = models.FileField(upload_to="receipts/%Y/%m/", blank=True)
    without_receipt = models.BooleanField(default=False)  # a small purchase within the no-receipt allowance
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    recorded_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False, db_constraint=False
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False, db_constraint=False
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False, db_constraint=False
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-invoice_date", "-id"]
        indexes = [models.Index(fields=["organiser", "status"], name="invoice_by_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["organiser", "provider", "invoice_number"],
                condition=Q(provider__isnull=False),
                name="invoice_unique_number_per_provider",
            ),
            models.UniqueConstraint(
                fields=["account", "invoice_number"],
                condition=Q(provider__isnull=True),
                name="receipt_unique_number_per_account",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_known"),
            models.CheckConstraint(condition=Q(source__in=InvoiceSource.values), name="invoice_source_known"),
            models.CheckConstraint(
                condition=Q(source=InvoiceSource.RECEIPT, provider__isnull=True)
                | (~Q(source=InvoiceSource.RECEIPT) & Q(provider__isnull=False)),
                name="invoice_receipt_has_no_provider",
            ),
            models.CheckConstraint(
                condition=~Q(status=InvoiceStatus.REJECTED) | ~Q(rejection_reason=""),
                name="invoice_rejection_has_reason",
            ),
        ]


class InvoiceLine(models.Model):
    """One posted line of an invoice: a service on one date, paid from one sub-account, under an agreement unless it
    is a client's receipt."""

    # Foreign keys checked once per statement by triggers, not row by row: see Invoice.
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, db_index=False, db_constraint=False)
    # No index of its own: the unique constraint on (invoice, line_number) is an index that starts with it.
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="lines", db_index=False, db_constraint=False
    )
    # Lines are read by invoice only; an index on these would cost every line of a file for nothing.
    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.PROTECT, related_name="invoice_lines", db_index=False, db_constraint=False
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
        db_index=False,
        db_constraint=False,
    )
    line_number = models.PositiveIntegerField()
    service_date = models.DateField(_("service date"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_price = MoneyField(_("price per unit"))
    amount = MoneyField(_("amount"))

    class Meta:
        ordering = ["invoice_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "line_number"], name="invoice_line_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0, quantity__gt=0), name="invoice_line_positive"),
        ]


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("being prepared")
    EXPORTED = "exported", _("sent to the bank")
    CANCELLED = "cancelled", _("cancelled")


class PaymentBatch(models.Model):
    """Approved invoices gathered for one SEPA credit transfer file (pain.001). It can be cancelled until exported."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    message_id = models.CharField(max_length=35, unique=True)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    execution_date = models.DateField(_("payment date"))
    total = MoneyField(default=0)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    exported_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    exported_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    pain001 = models.BinaryField(null=True, blank=True)  # the file exactly as exported

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=BatchStatus.values), name="batch_status_known"),
            models.CheckConstraint(
                condition=~Q(status=BatchStatus.EXPORTED) | Q(pain001__isnull=False, exported_at__isnull=False),
                name="batch_exported_has_file",
            ),
        ]


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the bank")
    PAID = "paid", _("paid")
    RETURNED = "returned", _("returned by the bank")
    CANCELLED = "cancelled", _("cancelled")


class Payment(models.Model):
    """One credit transfer in a batch, paying one invoice in full. An invoice has at most one payment that is not
    cancelled or returned: nothing is paid twice."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    end_to_end_id = models.CharField(max_length=35, unique=True)
    amount = MoneyField()
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    booked_on = models.DateField(null=True, blank=True)
    notification = models.ForeignKey(ImportFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=["pending", "paid"]),
                name="payment_one_live_per_invoice",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payment_status_known"),
        ]


class NoticeOutcome(models.TextChoices):
    """What one transaction of the bank's notification did to the payment it names (``payments.import_camt054``)."""

    PAID = "paid", _("marked paid")
    RETURNED = "returned", _("returned by the bank")
    ALREADY_PAID = "already_paid", _("already paid: nothing changed")
    ALREADY_RETURNED = "already_returned", _("already returned: nothing changed")
    NOT_BOOKED = "not_booked", _("not booked by the bank yet: nothing changed")
    AMOUNT_MISMATCH = "amount_mismatch", _("another amount: not marked paid")
    OTHER_BATCH = "other_batch", _("under another payment file: nothing changed")
    NOT_EXPORTED = "not_exported", _("the batch was not sent: nothing changed")
    PAYMENT_CANCELLED = "payment_cancelled", _("the payment was cancelled: nothing changed")


class PaymentNotice(models.Model):
    """One transaction of a bank notification (camt.054) that names one of our payments, kept as a row of its own
    whatever it did, so a payment's history holds every notification: booked in one file, returned in a later one,
    the same booking notified again. Only ``paid`` and ``returned`` change anything, and the database allows each at
    most once per payment: nothing is paid, or paid back, twice. ``position`` is the transaction's place among the
    file's transactions (1-based; None for a payment paid or returned before notices were kept)."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="notices")
    notification = models.ForeignKey(ImportFile, on_delete=models.PROTECT, related_name="payment_notices")
    position = models.PositiveIntegerField(null=True, blank=True)
    entry_number = models.PositiveIntegerField(null=True, blank=True)  # the bank's entry (Ntry) in the file
    outcome = models.CharField(max_length=20, choices=NoticeOutcome.choices)
    is_return = models.BooleanField(default=False)  # a credit, a reversal or a return reason
    amount = models.DecimalField(max_digits=18, decimal_places=5, null=True, blank=True)  # as the bank wrote it
    currency = models.CharField(max_length=3, blank=True)
    booking_date = models.DateField(null=True, blank=True)
    return_reason = models.CharField(max_length=35, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]  # the order they were applied in
        constraints = [
            models.UniqueConstraint(fields=["notification", "position"], name="payment_notice_once_per_transaction"),
            models.UniqueConstraint(
                fields=["payment"], condition=Q(outcome="paid"), name="payment_notice_paid_once"
            ),
            models.UniqueConstraint(
                fields=["payment"], condition=Q(outcome="returned"), name="payment_notice_returned_once"
            ),
            models.CheckConstraint(condition=Q(outcome__in=NoticeOutcome.values), name="payment_notice_outcome_known"),
            models.CheckConstraint(
                condition=(~Q(outcome="paid") | Q(is_return=False)) & (~Q(outcome="returned") | Q(is_return=True)),
                name="payment_notice_outcome_matches_direction",
            ),
        ]


class EntryKind(models.TextChoices):
    GRANT = "grant", _("granted")
    ADJUSTMENT = "adjustment", _("adjustment")
    COMMITMENT = "commitment", _("committed")
    RELEASE = "release", _("released")
    SPENDING = "spending", _("spent")
    REVERSAL = "reversal", _("reversed")
    PAYMENT = "payment", _("paid")


# Which stored total of a sub-account each kind of entry changes, by its amount.
BUCKET_OF_KIND = {
    EntryKind.GRANT: "granted",
    EntryKind.ADJUSTMENT: "granted",
    EntryKind.COMMITMENT: "committed",
    EntryKind.RELEASE: "committed",
    EntryKind.SPENDING: "spent",
    EntryKind.REVERSAL: "spent",
    EntryKind.PAYMENT: "paid",
}


class LedgerEntry(models.Model):
    """A movement on one sub-account, never updated or deleted; a correction is a new entry.

    Signs: grant, commitment and spending are positive; release and reversal negative; an adjustment (money moved
    between lines, released at closing, an instalment not rolled over) and a payment (negative when the bank returns
    it) may be either, but never zero."""

    # Foreign keys checked once per statement by triggers, not row by row: see Invoice.
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, db_index=False, db_constraint=False)
    account = models.ForeignKey(
        BudgetAccount, on_delete=models.PROTECT, related_name="entries", db_index=False, db_constraint=False
    )
    sub_account = models.ForeignKey(SubAccount, on_delete=models.PROTECT, related_name="entries", db_constraint=False)
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    amount = MoneyField()
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", db_constraint=False
    )
    # Entries are never looked up by agreement (an agreement's figures are its own stored totals): no index.
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    # Indexed only where set (see Meta): most entries are not payments.
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    # An internal note for finance and audit ("instalment 2/4", "moved to line 12"); pages describe an entry from
    # its kind and what it points at, in the reader's language.
    memo = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(  # None: a job. Never looked up by, so no index.
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False, db_constraint=False
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["account", "at"], name="entry_by_account_and_time"),
            models.Index(fields=["payment"], condition=Q(payment__isnull=False), name="entry_by_payment"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="entry_kind_known"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["grant", "commitment", "spending"], amount__gt=0)
                    | Q(kind__in=["release", "reversal"], amount__lt=0)
                    | (Q(kind__in=["adjustment", "payment"]) & ~Q(amount=0))
                ),
                name="entry_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["spending", "reversal"]) | Q(invoice__isnull=False),
                name="entry_spending_has_invoice",
            ),
            models.CheckConstraint(
                condition=~Q(kind="payment") | Q(payment__isnull=False), name="entry_payment_has_payment"
            ),
        ]


class Instalment(models.Model):
    """One release of a budget paid in instalments. Released once (``released_at``), by ``release_instalments``."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    account = models.ForeignKey(BudgetAccount, on_delete=models.PROTECT, related_name="instalment_schedule")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account_id", "number"]
        constraints = [models.UniqueConstraint(fields=["account", "number"], name="instalment_once")]
