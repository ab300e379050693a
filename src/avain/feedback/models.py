"""Diaries of sampled clients and workers, and the clients' feedback and development ideas."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from avain.organisations.models import Organiser
from avain.people.models import Client
from avain.timeuse.models import SamplingPeriod, TimeRole

MAX_TEXT = 5000


class DiaryPrompt(models.Model):
    """A question that helps start a diary entry, e.g. "What went well with the budget this week?"."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="+")
    text_fi = models.CharField(_("question in Finnish"), max_length=300)
    text_sv = models.CharField(_("question in Swedish"), max_length=300)
    text_en = models.CharField(_("question in English"), max_length=300)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        language = (get_language() or "fi")[:2]
        return getattr(self, f"text_{language}", None) or self.text_fi


class DiaryEntry(models.Model):
    """One dated entry. With a client it belongs to that client's diary (written by the client or, with the
    client's permission to edit, by a helper); without, it is a worker's own diary."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(SamplingPeriod, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=TimeRole.choices)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    written_on = models.DateField(_("date"))
    prompt = models.ForeignKey(
        DiaryPrompt, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("question")
    )
    text = models.TextField(_("text"), max_length=MAX_TEXT)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-written_on", "-pk"]
        indexes = [models.Index(fields=["organiser", "client", "written_on"])]


class Topic(models.TextChoices):
    SERVICE = "service", _("a service")
    HB_MODEL = "hb_model", _("personal budgeting as a whole")
    PORTAL = "portal", _("this online service")
    OTHER = "other", _("something else")


class FeedbackStatus(models.TextChoices):
    NEW = "new", _("waiting for an answer")
    ANSWERED = "answered", _("answered")
    ACTED_ON = "acted_on", _("acted on")


class Feedback(models.Model):
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    text = models.TextField(_("feedback or idea"), max_length=MAX_TEXT)
    submitted_at = models.DateTimeField()
    status = models.CharField(_("status"), max_length=20, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW)
    answer = models.TextField(_("answer"), blank=True, max_length=MAX_TEXT)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    acted_on_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acted_on_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # Each step of the lifecycle keeps who took it and when.
            models.CheckConstraint(
                condition=Q(status="new", answered_at__isnull=True, acted_on_at__isnull=True)
                | Q(status="answered", answered_at__isnull=False, answered_by__isnull=False, acted_on_at__isnull=True)
                | Q(status="acted_on", answered_at__isnull=False, acted_on_at__isnull=False, acted_on_by__isnull=False),
                name="feedback_status_matches_stamps",
            ),
        ]
        indexes = [models.Index(fields=["organiser", "status", "submitted_at"])]
