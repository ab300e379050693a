from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Provider
from avain.core.fields import MoneyField
from avain.organisations.models import Organiser
from avain.people.models import Client
from avain.planning.models import Decision, PlanLine


class BudgetAccount(models.Model):
    """The client's HB account for one granted budget: an append-only ledger of entries per plan line."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="accounts")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="account")
    opened_at = models.DateTimeField()


class Invoice(models.Model):
    """A provider's invoice for a service bought with the budget, recorded against one plan line."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    account = models.ForeignKey(BudgetAccount, on_delete=models.PROTECT, related_name="invoices")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="invoices")
    invoice_number = models.CharField(_("invoice number"), max_length=40)
    plan_line = models.ForeignKey(PlanLine, on_delete=models.PROTECT, related_name="invoices")
    service_date = models.DateField(_("service date"))
    amount = MoneyField(_("amount"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-service_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organiser", "provider", "invoice_number"], name="invoice_unique_number_per_provider"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="invoice_amount_positive"),
        ]


class EntryKind(models.TextChoices):
    GRANT = "grant", _("granted")
    SPENDING = "spending", _("spent")
    REVERSAL = "reversal", _("reversal")


class LedgerEntry(models.Model):
    """A movement on a plan line of a budget account. Grants are positive, spending negative; never updated."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    account = models.ForeignKey(BudgetAccount, on_delete=models.PROTECT, related_name="entries")
    plan_line = models.ForeignKey(PlanLine, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    amount = MoneyField()
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="entry")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=EntryKind.values), name="entry_kind_known"),
            models.CheckConstraint(
                condition=(models.Q(kind="grant", amount__gt=0) | models.Q(kind="spending", amount__lt=0) | models.Q(kind="reversal")),
                name="entry_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="spending", invoice__isnull=False) | ~models.Q(kind="spending"),
                name="entry_spending_has_invoice",
            ),
        ]
