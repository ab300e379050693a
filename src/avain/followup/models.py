"""Follow-up of a budget in use (meetings and their outcomes) and the e-mail outbox. See docs/follow-up-and-notifications.md."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from avain.organisations.models import Organiser
from avain.planning.models import HBCase

DEFAULT_INTERVAL_MONTHS = 3
DEFAULT_REMINDER_DAYS = 7


class FollowUpSettings(models.Model):
    """The organiser's follow-up rhythm. Without a row the defaults apply: a meeting every three months, and a
    reminder seven days before each."""

    organiser = models.OneToOneField(Organiser, on_delete=models.PROTECT, related_name="follow_up_settings")
    interval_months = models.PositiveSmallIntegerField(
        _("follow-up meeting every … months"), default=DEFAULT_INTERVAL_MONTHS
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder … days before the meeting"), default=DEFAULT_REMINDER_DAYS
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_months__gte=1, interval_months__lte=12), name="followup_interval_1_to_12"
            ),
            models.CheckConstraint(condition=models.Q(reminder_days__lte=60), name="followup_reminder_at_most_60"),
        ]


class PlanChange(models.TextChoices):
    NO = "no", _("the plan continues as it is")
    YES = "yes", _("the plan changes")


class FollowUpMeeting(models.Model):
    """A follow-up meeting of an HB case in use, and once held, its outcome.

    A meeting is never deleted: cancelling keeps it with the time and the reason, and moving cancels it and adds a
    new one, so a reminder already sent for the old date is never mistaken for the new one.
    """

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    case = models.ForeignKey(HBCase, on_delete=models.PROTECT, related_name="follow_up_meetings")
    scheduled_on = models.DateField(_("meeting date"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(_("why the meeting was cancelled"), max_length=300, blank=True)
    # The outcome, recorded at the meeting.
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    how_it_worked = models.TextField(_("how the plan has worked"), blank=True)
    plan_changes = models.CharField(_("does the plan change"), max_length=3, choices=PlanChange.choices, blank=True)
    ends_hb = models.BooleanField(_("the client returns to ordinary services"), default=False)

    class Meta:
        ordering = ["scheduled_on", "id"]
        indexes = [models.Index(fields=["organiser", "scheduled_on"], name="followup_meeting_date")]
        constraints = [
            # One planned meeting a day per case; cancelled ones stay as history.
            models.UniqueConstraint(
                fields=["organiser", "case", "scheduled_on"],
                condition=models.Q(cancelled_at__isnull=True),
                name="followup_one_meeting_a_day",
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=True) | models.Q(recorded_at__isnull=True),
                name="followup_cancelled_or_held",
            ),
            # An outcome is all there or not at all.
            models.CheckConstraint(
                condition=(
                    models.Q(recorded_at__isnull=True, recorded_by__isnull=True, plan_changes="", ends_hb=False)
                    | (
                        models.Q(recorded_at__isnull=False, recorded_by__isnull=False)
                        & models.Q(plan_changes__in=PlanChange.values)
                        & ~models.Q(how_it_worked="")
                    )
                ),
                name="followup_outcome_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=True, cancelled_by__isnull=True)
                | models.Q(cancelled_at__isnull=False, cancelled_by__isnull=False),
                name="followup_cancel_has_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.scheduled_on}"

    @property
    def is_planned(self) -> bool:
        return self.cancelled_at is None and self.recorded_at is None


class NotificationKind(models.TextChoices):
    PLAN_SUBMITTED = "plan_submitted", _("a plan was sent for review")
    PLAN_RETURNED = "plan_returned", _("a plan was returned with comments")
    PLAN_APPROVED = "plan_approved", _("a plan was approved")
    BUDGET_DECIDED = "budget_decided", _("the budget was decided")
    MEETING_REMINDER = "meeting_reminder", _("a follow-up meeting is coming")


class Notification(models.Model):
    """One e-mail in the outbox. ``object_id`` is the event it tells about: a ``planning.CaseTransition`` for the
    plan and decision kinds, a ``FollowUpMeeting`` for reminders. The unique key (kind, object, recipient) makes
    sure that the same event never mails the same person twice, however often the queue runs."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    object_id = models.BigIntegerField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    language = models.CharField(max_length=2)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="notification_pending")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "recipient"], name="notification_once_per_event"),
            models.CheckConstraint(condition=models.Q(kind__in=NotificationKind.values), name="notification_kind_known"),
            models.CheckConstraint(condition=~models.Q(email=""), name="notification_has_address"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.email}"
