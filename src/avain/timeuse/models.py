"""Time use in sampled periods, and the hourly cost rates that turn time into money."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from avain.core.fields import MoneyField
from avain.organisations.models import Organiser
from avain.people.models import Client

MAX_MINUTES = 24 * 60


class TimeRole(models.TextChoices):
    """In what capacity the person spent the time; cost rates are per role."""

    CLIENT = "client", _("client")
    CLOSE_ONE = "close_one", _("close one")
    HB_ASSISTANT = "hb_assistant", _("HB assistant")
    SOCIAL_WORKER = "social_worker", _("social worker")
    OTHER_STAFF = "other_staff", _("other staff")


class Activity(models.TextChoices):
    PLANNING = "planning", _("planning the budget")
    MEETINGS = "meetings", _("meetings")
    PAPERWORK = "paperwork", _("paperwork")
    FINDING_SERVICES = "finding_services", _("finding services")
    TRAVEL = "travel", _("travel")
    OTHER = "other", _("other")


class SamplingPeriod(models.Model):
    """A period in which time use (and diaries) are recorded. It applies to the whole organiser; with clients
    chosen, only time for those clients (and those clients' own diaries) is recorded."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    clients = models.ManyToManyField(Client, blank=True, related_name="+", verbose_name=_("sampled clients"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="samplingperiod_ends_after_start"),
            models.UniqueConstraint(fields=["organiser", "name"], name="samplingperiod_unique_name_per_organiser"),
        ]

    def __str__(self) -> str:
        return self.name

    def covers(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class TimeEntry(models.Model):
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(SamplingPeriod, on_delete=models.PROTECT, related_name="entries")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=TimeRole.choices)
    # Whose HB the time was for; empty for general HB work (training, development, the organiser's own meetings).
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("client")
    )
    activity = models.CharField(_("activity"), max_length=20, choices=Activity.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=MAX_MINUTES), name="timeentry_minutes_in_range"
            ),
        ]
        indexes = [models.Index(fields=["organiser", "client", "on"])]


class CostRate(models.Model):
    """What an hour of one role's time costs, from ``valid_from`` to ``valid_to`` (inclusive; empty = open end).
    Two rates of one role never overlap: :func:`avain.timeuse.services.set_cost_rate` refuses it."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=TimeRole.choices)
    euros_per_hour = MoneyField(_("euros per hour"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["role", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="costrate_valid_to_after_from",
            ),
            models.CheckConstraint(condition=Q(euros_per_hour__gte=0), name="costrate_not_negative"),
            models.UniqueConstraint(fields=["organiser", "role", "valid_from"], name="costrate_unique_start"),
        ]

    def covers(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
