from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Service, ServiceProduct
from avain.core.fields import MoneyField
from avain.core.periods import Period
from avain.organisations.models import Organiser
from avain.people.models import Client

from . import calculation


class CaseStatus(models.TextChoices):
    NEEDS_ASSESSMENT = "needs_assessment", _("wishes and needs are being assessed")
    PLANNING = "planning", _("the client is writing the support plan")
    REVIEW = "review", _("the social worker is reviewing the plan")
    APPROVAL = "approval", _("waiting for approval")
    APPROVED = "approved", _("approved, waiting for the decision")
    ACTIVE = "active", _("budget granted and in use")
    DECLINED = "declined", _("the client chose ordinary services")
    CLOSED = "closed", _("the HB has ended and the case is closed")
    # A change of the plan while the budget is in use: the account keeps using the approved version meanwhile.
    CHANGE_PLANNING = "change_planning", _("budget in use; the client is writing a change to the plan")
    CHANGE_REVIEW = "change_review", _("budget in use; the social worker is reviewing a change to the plan")
    CHANGE_APPROVAL = "change_approval", _("budget in use; a change to the plan is waiting for approval")


# The steps a case no longer leaves; any other step is an open case (planning.journey has the moves between them).
ENDED_STATUSES = (CaseStatus.DECLINED, CaseStatus.CLOSED)


class CaseAction(models.TextChoices):
    """The named moves of the journey, as the case history reads them: who did what."""

    OPEN = "open", _("opened the HB case")
    START_PLANNING = "start_planning", _("let the client write the support plan")
    SUBMIT_PLAN = "submit_plan", _("sent the support plan for review")
    RETURN_PLAN = "return_plan", _("returned the plan to the client with comments")
    FORWARD_PLAN = "forward_plan", _("forwarded the plan for approval")
    APPROVE_PLAN = "approve_plan", _("approved the plan")
    DECIDE = "decide", _("made the decision and opened the budget account")
    DECLINE = "decline", _("recorded that the client continues with ordinary services")
    CLOSE = "close", _("closed the HB")
    APPROVE_AT_REVIEW = "approve_at_review", _("approved the plan at review")
    RETURN_FROM_APPROVAL = "return_from_approval", _("returned the plan from approval with a reason")
    START_CHANGE = "start_change", _("started a change to the plan while the budget is in use")
    SUBMIT_CHANGE = "submit_change", _("sent the change to the plan for review")
    RETURN_CHANGE = "return_change", _("returned the change to the client with comments")
    FORWARD_CHANGE = "forward_change", _("forwarded the change for approval")
    APPROVE_CHANGE = "approve_change", _("approved the change to the plan")
    APPROVE_CHANGE_AT_REVIEW = "approve_change_at_review", _("approved the change to the plan at review")
    RETURN_CHANGE_FROM_APPROVAL = "return_change_from_approval", _("returned the change from approval with a reason")


class ApprovalRule(models.TextChoices):
    """Who approves a plan version once the social worker forwards it; the organiser chooses (``ApprovalSetting``)."""

    WORKER = "worker", _("the social worker alone: forwarding approves the plan")
    WORKER_THEN_MANAGER = "worker_then_manager", _("the social worker, then an approver")
    MANAGEMENT_GROUP = "management_group", _("the social worker, then a meeting of the management group")


# The rule of an organiser that has not chosen one.
DEFAULT_APPROVAL_RULE = ApprovalRule.WORKER_THEN_MANAGER


class Frequency(models.TextChoices):
    """How a need's quantity is counted: "quantity per <frequency>" (see calculation.period_units)."""

    PERIOD = calculation.PER_PERIOD, _("in the whole period (total)")
    WEEK = calculation.PER_WEEK, _("per week")
    MONTH = calculation.PER_MONTH, _("per month")


class Rounding(models.TextChoices):
    CENT = calculation.TO_CENT, _("to the cent")
    EURO = calculation.TO_EURO, _("to the whole euro, half up")


class BudgetRule(models.Model):
    """The organiser's rule that shapes the computed budget, in force from ``valid_from`` to ``valid_to`` inclusive.

    The rule in force on the first day of a case's budget period applies to the whole period
    (see docs/budget-calculation.md). Rules are added with ``services.add_budget_rule``, which refuses overlaps.
    """

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="budget_rules")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    percentage = models.DecimalField(
        _("percentage of the computed value"), max_digits=5, decimal_places=2, default=Decimal(100)
    )
    cap = MoneyField(_("upper limit of the budget"), null=True, blank=True)
    rounding = models.CharField(_("rounding of the budget"), max_length=10, choices=Rounding.choices, default=Rounding.CENT)
    # How much of the budget the client may plan for purposes in their own words (a gym card, a course, help from
    # a neighbour) rather than products of the service menu; 100 lets the whole budget go to them.
    free_form_share = models.DecimalField(
        _("share of the budget for purposes outside the service menu (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(100),
    )

    class Meta:
        ordering = ["organiser", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["organiser", "valid_from"], name="budget_rule_unique_start"),
            models.CheckConstraint(condition=models.Q(percentage__gte=0), name="budget_rule_percentage_not_negative"),
            models.CheckConstraint(
                condition=models.Q(cap__isnull=True) | models.Q(cap__gte=0), name="budget_rule_cap_not_negative"
            ),
            models.CheckConstraint(condition=models.Q(rounding__in=Rounding.values), name="budget_rule_rounding_known"),
            models.CheckConstraint(
                condition=models.Q(free_form_share__gte=0, free_form_share__lte=100),
                name="budget_rule_free_form_share_0_to_100",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="budget_rule_valid_to_after_from",
            ),
            # Rounding up to the euro must never go over the cap: with euro rounding the cap is whole euros.
            models.CheckConstraint(
                condition=models.Q(rounding=Rounding.CENT)
                | models.Q(cap__isnull=True)
                | Exact(Mod(models.F("cap"), models.Value(100), output_field=models.BigIntegerField()), 0),
                name="budget_rule_euro_cap_whole_euros",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organiser_id} {self.valid_from}"

    def as_input(self) -> calculation.RuleInput:
        return calculation.RuleInput(self.valid_from, self.valid_to, self.percentage, self.cap, self.rounding)


class ApprovalSetting(models.Model):
    """The organiser's approval rule. A plan keeps the rule in force when it was forwarded
    (``SupportPlan.approval_rule``), so a change of the rule applies to plans forwarded after it."""

    organiser = models.OneToOneField(Organiser, on_delete=models.PROTECT, related_name="approval_setting")
    rule = models.CharField(_("who approves the support plans"), max_length=30, choices=ApprovalRule.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(rule__in=ApprovalRule.values), name="approval_setting_rule_known")
        ]


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
    # How the organiser's rule shaped the budget, stored with it so the page explains it as it was computed.
    # budget_lines_total + the three effects == budget_total (see calculation.apply_rules).
    budget_lines_total = MoneyField(_("services in total"), null=True, blank=True)
    budget_rule = models.ForeignKey(BudgetRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    budget_percentage = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    budget_percentage_effect = MoneyField(null=True, blank=True)
    budget_cap = MoneyField(null=True, blank=True)
    budget_cap_effect = MoneyField(null=True, blank=True)
    budget_rounding = models.CharField(max_length=10, choices=Rounding.choices, blank=True)
    budget_rounding_effect = MoneyField(null=True, blank=True)
    budget_computed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("why the client chose ordinary services"), blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CaseStatus.values), name="case_status_known"),
            models.UniqueConstraint(
                fields=["organiser", "client"],
                condition=~models.Q(status__in=ENDED_STATUSES),
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
    """A service the client would otherwise get, and how much of it: ``quantity`` per ``frequency``."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    case = models.ForeignKey(HBCase, on_delete=models.CASCADE, related_name="needs")
    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2)
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices, default=Frequency.PERIOD)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="need_quantity_positive"),
            models.CheckConstraint(condition=models.Q(frequency__in=Frequency.values), name="need_frequency_known"),
        ]


class BudgetLine(models.Model):
    """One explained line of the computed budget, as priced at computation time:
    quantity per frequency × unit price × the piece ``valid_from``–``valid_to`` in the frequency's units = amount.

    The piece's units (share of the period, weeks or months) follow exactly from the frequency, the dates and the
    case's budget period (``calculation.period_units``).
    """

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    case = models.ForeignKey(HBCase, on_delete=models.CASCADE, related_name="budget_lines")
    service_code = models.CharField(max_length=20)
    service_name_fi = models.CharField(max_length=200)
    service_name_sv = models.CharField(max_length=200, blank=True)
    service_name_en = models.CharField(max_length=200, blank=True)
    unit = models.CharField(max_length=10)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.PERIOD)
    valid_from = models.DateField()
    valid_to = models.DateField()
    quantity = models.DecimalField(max_digits=12, decimal_places=4)  # per frequency
    unit_price = MoneyField()
    amount = MoneyField()

    class Meta:
        ordering = ["id"]

    @property
    def service_name(self) -> calculation.LocalizedName:
        return calculation.LocalizedName(self.service_name_fi, self.service_name_sv, self.service_name_en)

    def explained(self, budget_period: Period) -> calculation.ExplainedLine:
        piece = Period(self.valid_from, self.valid_to)
        return calculation.ExplainedLine(
            service_code=self.service_code,
            service_name=self.service_name,
            unit=self.unit,
            frequency=self.frequency,
            quantity=self.quantity,
            period=piece,
            period_days=budget_period.days,
            units=calculation.period_units(self.frequency, piece, budget_period),
            unit_price=self.unit_price,
            amount=self.amount,
        )


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
    # The approved version a change made while the budget is in use starts from; empty for the first plan.
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    # The organiser's approval rule when the worker forwarded this version; empty until then.
    approval_rule = models.CharField(max_length=30, choices=ApprovalRule.choices, blank=True)

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
            models.CheckConstraint(
                condition=models.Q(approval_rule__in=[*ApprovalRule.values, ""]), name="plan_approval_rule_known"
            ),
        ]

    @property
    def is_editable(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def is_change(self) -> bool:
        return self.based_on_id is not None

    def save(self, *args, **kwargs):
        # A safety net under the services: an approved version never changes, and a sent version changes only its
        # status (sent → returned, forwarded, approved). A later change is a new version.
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values("status", *self.ANSWER_FIELDS).first()
            if stored is not None:
                if stored["status"] == PlanStatus.APPROVED:
                    raise FrozenPlanError("An approved plan version is never changed.")
                if stored["status"] != PlanStatus.DRAFT and any(
                    stored[field] != getattr(self, field) for field in self.ANSWER_FIELDS
                ):
                    raise FrozenPlanError("A sent plan version is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if type(self).objects.filter(pk=self.pk).exclude(status=PlanStatus.DRAFT).exists():
            raise FrozenPlanError("A sent plan version is never deleted.")
        return super().delete(*args, **kwargs)


class FrozenPlanError(ValueError):
    """A write that would change a sent or approved plan version. The services refuse these first, with a message;
    this is the safety net under them."""


class PlanLine(models.Model):
    """What the client uses part of the budget for: a product of the service menu, or a purpose in the client's
    own words (a gym card, a course, help from a neighbour) where the organiser allows it."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(_("what for"), max_length=200)
    amount = MoneyField(_("amount"))
    product = models.ForeignKey(
        ServiceProduct, on_delete=models.PROTECT, null=True, blank=True, related_name="plan_lines"
    )
    # The line of an earlier version of the same case this line continues (a returned version's line, or the
    # approved version's line a change starts from): the comments on that line are shown next to this one.
    copied_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="copies"
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="plan_line_amount_positive")]

    def __str__(self) -> str:
        return self.description

    def _plan_is_draft(self) -> bool:
        return SupportPlan.objects.filter(pk=self.plan_id, status=PlanStatus.DRAFT).exists()

    def save(self, *args, **kwargs):
        # Lines of a sent or approved version never change (see SupportPlan.save).
        if not self._plan_is_draft():
            raise FrozenPlanError("The lines of a sent plan version are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self._plan_is_draft():
            raise FrozenPlanError("The lines of a sent plan version are never deleted.")
        return super().delete(*args, **kwargs)


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
    # Set when the plan was returned from approval at a meeting of the management group.
    meeting = models.ForeignKey(
        "ApprovalMeeting", on_delete=models.PROTECT, null=True, blank=True, related_name="returns"
    )


class PlanLineComment(models.Model):
    """The reviewer's comment on one line of the reviewed version, kept with the review."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    review = models.ForeignKey(PlanReview, on_delete=models.PROTECT, related_name="line_comments")
    plan_line = models.ForeignKey(PlanLine, on_delete=models.PROTECT, related_name="comments")
    text = models.TextField(_("comment"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "plan_line"], name="line_comment_one_per_line_and_review"),
            models.CheckConstraint(condition=~models.Q(text=""), name="line_comment_not_empty"),
        ]


class ApprovalMeeting(models.Model):
    """A meeting of the management group that approved or returned the plans waiting for it, in one go."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    held_on = models.DateField(_("date of the meeting"))
    members = models.TextField(_("members present"))
    minutes = models.TextField(_("minutes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [models.CheckConstraint(condition=~models.Q(members=""), name="meeting_members_named")]


class PlanApproval(models.Model):
    """The approval of exactly one frozen plan version, under the rule the plan was forwarded with: by the worker
    at forward, by an approver, or at a meeting of the management group."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    plan = models.OneToOneField(SupportPlan, on_delete=models.PROTECT, related_name="approval")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    rule = models.CharField(max_length=30, choices=ApprovalRule.choices, default=ApprovalRule.WORKER_THEN_MANAGER)
    meeting = models.ForeignKey(
        ApprovalMeeting, on_delete=models.PROTECT, null=True, blank=True, related_name="approvals"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(rule__in=ApprovalRule.values), name="approval_rule_known"),
            # An approval at a meeting names the meeting; no other approval does.
            models.CheckConstraint(
                condition=models.Q(rule=ApprovalRule.MANAGEMENT_GROUP, meeting__isnull=False)
                | (~models.Q(rule=ApprovalRule.MANAGEMENT_GROUP) & models.Q(meeting__isnull=True)),
                name="approval_meeting_iff_group",
            ),
        ]


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




class CaseTransition(models.Model):
    """One move of a case from one step to the next: who, when, what and why. Written only by
    ``services.move_case`` and never changed or deleted, so the history and the "waiting since" of the work queue
    read the same tomorrow as today."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    case = models.ForeignKey(HBCase, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField(_("what happened"), max_length=30, choices=CaseAction.choices)
    # Empty for the move that opened the case (or recorded a decline before any case existed).
    from_status = models.CharField(_("from step"), max_length=30, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("to step"), max_length=30, choices=CaseStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(_("why"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "to_status", "at"], name="transition_case_step_at")]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=CaseAction.values), name="transition_action_known"),
            models.CheckConstraint(
                condition=models.Q(from_status__in=[*CaseStatus.values, ""]), name="transition_from_known"
            ),
            models.CheckConstraint(condition=models.Q(to_status__in=CaseStatus.values), name="transition_to_known"),
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")), name="transition_changes_step"
            ),
        ]

    def save(self, *args, **kwargs):
        # Append-only: a transition is history. A correction is a new move, never an edit of an old one.
        if self.pk is not None:
            raise ValueError("A case transition is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A case transition is never deleted.")
