from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Service
from avain.core.fields import MoneyField
from avain.organisations.models import Organiser
from avain.people.models import Client


class CaseStatus(models.TextChoices):
    NEEDS_ASSESSMENT = "needs_assessment", _("wishes and needs are being assessed")
    PLANNING = "planning", _("the client is writing the support plan")
    REVIEW = "review", _("the social worker is reviewing the plan")
    APPROVAL = "approval", _("waiting for approval")
    APPROVED = "approved", _("approved, waiting for the decision")
    ACTIVE = "active", _("budget granted and in use")
    DECLINED = "declined", _("the client chose ordinary services")


class HBCase(models.Model):
    """One client's personal-budgeting case, from the first meeting to the decision and its follow-up."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="cases")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=30, choices=CaseStatus.choices, default=CaseStatus.NEEDS_ASSESSMENT
    )
    opened_at = models.DateTimeField()
    period_start = models.DateField(_("budget period starts"), null=True, blank=True)
    period_end = models.DateField(_("budget period ends"), null=True, blank=True)
    wishes = models.TextField(_("what the client wants from life"), blank=True)
    needs_summary = models.TextField(_("what help and support the client needs"), blank=True)
    budget_total = MoneyField(_("computed budget"), null=True, blank=True)
    budget_computed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("why the client chose ordinary services"), blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CaseStatus.values), name="case_status_known"),
            models.UniqueConstraint(
                fields=["organiser", "client"],
                condition=~models.Q(status=CaseStatus.DECLINED),
                name="case_one_open_per_client",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__isnull=True) | models.Q(period_end__gte=models.F("period_start")),
                name="case_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"HB {self.client}"


class NeedLine(models.Model):
    """A service the client would otherwise get, and how much of it over the budget period."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    case = models.ForeignKey(HBCase, on_delete=models.CASCADE, related_name="needs")
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="need_quantity_positive")]


class BudgetLine(models.Model):
    """One explained line of the computed budget: quantity × unit price = amount, as priced at computation time."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    case = models.ForeignKey(HBCase, on_delete=models.CASCADE, related_name="budget_lines")
    service_code = models.CharField(max_length=20)
    service_name = models.CharField(max_length=200)
    unit = models.CharField(max_length=10)
    valid_from = models.DateField()
    valid_to = models.DateField()
    quantity = models.DecimalField(max_digits=12, decimal_places=4)
    unit_price = MoneyField()
    amount = MoneyField()

    class Meta:
        ordering = ["id"]


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for review")
    RETURNED = "returned", _("returned with comments")
    FORWARDED = "forwarded", _("forwarded for approval")
    APPROVED = "approved", _("approved")


class SupportPlan(models.Model):
    """A version of the client's own support plan. Once submitted a version never changes; edits make a new one."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    case = models.ForeignKey(HBCase, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    what_matters = models.TextField(_("What is important to me?"), blank=True)
    goals = models.TextField(_("What do we want to change or achieve?"), blank=True)
    how_support_is_arranged = models.TextField(_("How do I arrange the support I need?"), blank=True)
    who_helps = models.TextField(_("Who helps me with what?"), blank=True)
    responsibilities = models.TextField(_("Who is responsible for what?"), blank=True)
    keeping_control = models.TextField(_("How do I keep control myself?"), blank=True)
    decision_support = models.TextField(_("Who helps me make decisions?"), blank=True)
    who_decides = models.TextField(_("Who decides what?"), blank=True)
    follow_up = models.TextField(_("How do I go on with the plan: schedules, responsibilities, follow-up?"), blank=True)
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    ANSWER_FIELDS = (
        "what_matters",
        "goals",
        "how_support_is_arranged",
        "who_helps",
        "responsibilities",
        "keeping_control",
        "decision_support",
        "who_decides",
        "follow_up",
    )

    class Meta:
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organiser", "case", "version"], name="plan_unique_version"),
            models.UniqueConstraint(
                fields=["organiser", "case"], condition=models.Q(status="draft"), name="plan_one_draft_per_case"
            ),
            models.CheckConstraint(condition=models.Q(status__in=PlanStatus.values), name="plan_status_known"),
        ]

    @property
    def is_editable(self) -> bool:
        return self.status == PlanStatus.DRAFT


class PlanLine(models.Model):
    """What the client uses part of the budget for."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(_("what for"), max_length=200)
    amount = MoneyField(_("amount"))

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="plan_line_amount_positive")]

    def __str__(self) -> str:
        return self.description


class PlanReview(models.Model):
    class Outcome(models.TextChoices):
        RETURNED = "returned", _("returned to the client with comments")
        FORWARDED = "forwarded", _("forwarded for approval")

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    comment = models.TextField(_("comments"), blank=True)
    at = models.DateTimeField()


class PlanApproval(models.Model):
    """The approver's approval of exactly one frozen plan version."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    plan = models.OneToOneField(SupportPlan, on_delete=models.PROTECT, related_name="approval")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()


class Decision(models.Model):
    """The administrative decision granting the budget. Keeps a snapshot of what it was computed from."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    case = models.OneToOneField(HBCase, on_delete=models.PROTECT, related_name="decision")
    plan = models.OneToOneField(SupportPlan, on_delete=models.PROTECT, related_name="decision")
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    amount = MoneyField(_("granted amount"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    snapshot = models.JSONField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="decision_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="decision_period_ordered"
            ),
        ]


