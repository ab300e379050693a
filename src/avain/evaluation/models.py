"""Questionnaires as data: instruments in versions, their measurements, answers and stored scores.

See docs/evaluation.md. An instrument is written in JSON (``instruments/*.json`` for the shipped ones, or uploaded
by an organiser), validated by ``instrument_format`` and installed by ``services``. A published version never
changes: answers and scores point at it, and research compares like with like.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from avain.organisations.models import Organiser
from avain.people.models import Client
from avain.planning.models import HBCase

LANGUAGES = ("fi", "sv", "en")


def in_language(obj, field: str, language: str | None = None) -> str:
    """``obj.<field>_<language>`` in the active language, falling back to Finnish (which is always written)."""
    language = (language or get_language() or "fi")[:2]
    if language not in LANGUAGES:
        language = "fi"
    return getattr(obj, f"{field}_{language}") or getattr(obj, f"{field}_fi")


class FrozenInstrumentError(ValueError):
    """A write to a published or retired instrument version, or to its parts."""


class InstrumentStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class Instrument(models.Model):
    """One version of a questionnaire. ``organiser`` is empty for the instruments shipped with Avain (for all)."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, null=True, blank=True)
    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=InstrumentStatus.choices, default="draft")
    name_fi = models.CharField(max_length=200)
    name_sv = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    intro_fi = models.TextField(blank=True)
    intro_sv = models.TextField(blank=True)
    intro_en = models.TextField(blank=True)
    # Score a domain (and the whole) only if at most this share of its scale items is unanswered.
    max_missing_share = models.DecimalField(max_digits=3, decimal_places=2, default="0.34")
    # The SHA-256 of the JSON it was installed from: the loader refuses a changed file under the same version.
    source_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organiser", "code", "version"], name="instrument_unique_version"),
            # NULL organisers are distinct in a unique constraint: the shipped versions need their own.
            models.UniqueConstraint(
                fields=["code", "version"], condition=models.Q(organiser__isnull=True), name="instrument_shipped_unique"
            ),
            models.CheckConstraint(condition=models.Q(status__in=InstrumentStatus.values), name="instrument_status"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="instrument_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def name(self) -> str:
        return in_language(self, "name")

    @property
    def intro(self) -> str:
        return in_language(self, "intro")

    @property
    def is_draft(self) -> bool:
        return self.status == InstrumentStatus.DRAFT

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = Instrument.objects.filter(pk=self.pk).first()
            if stored is not None and stored.status != InstrumentStatus.DRAFT:
                changed = [
                    f.attname
                    for f in self._meta.concrete_fields
                    if f.attname != "status" and getattr(stored, f.attname) != getattr(self, f.attname)
                ]
                if changed or (stored.status, self.status) not in {
                    (InstrumentStatus.PUBLISHED, InstrumentStatus.PUBLISHED),
                    (InstrumentStatus.PUBLISHED, InstrumentStatus.RETIRED),
                    (InstrumentStatus.RETIRED, InstrumentStatus.RETIRED),
                }:
                    raise FrozenInstrumentError("A published instrument version is never changed; only retired.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != InstrumentStatus.DRAFT:
            raise FrozenInstrumentError("A published instrument version is never deleted.")
        return super().delete(*args, **kwargs)


class _InstrumentPart(models.Model):
    """A part of an instrument version: writable only while the version is a draft."""

    class Meta:
        abstract = True

    def _check_draft(self):
        status = Instrument.objects.filter(pk=self.instrument_id).values_list("status", flat=True).first()
        if status not in (None, InstrumentStatus.DRAFT):
            raise FrozenInstrumentError("The parts of a published instrument version are never changed.")

    def save(self, *args, **kwargs):
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)


class Domain(_InstrumentPart):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="domains")
    code = models.SlugField(max_length=50)
    order = models.PositiveSmallIntegerField()
    name_fi = models.CharField(max_length=200)
    name_sv = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [models.UniqueConstraint(fields=["instrument", "code"], name="domain_unique_code")]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return in_language(self, "name")


class ItemKind(models.TextChoices):
    SCALE = "scale", _("scale")
    CHOICE = "choice", _("choice")
    TEXT = "text", _("text")


class Item(_InstrumentPart):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, null=True, blank=True, related_name="items")
    code = models.SlugField(max_length=50)
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    text_fi = models.TextField()
    text_sv = models.TextField()
    text_en = models.TextField()
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    min_label_fi = models.CharField(max_length=100, blank=True)
    min_label_sv = models.CharField(max_length=100, blank=True)
    min_label_en = models.CharField(max_length=100, blank=True)
    max_label_fi = models.CharField(max_length=100, blank=True)
    max_label_sv = models.CharField(max_length=100, blank=True)
    max_label_en = models.CharField(max_length=100, blank=True)
    # [{"value": "18-24", "fi": "…", "sv": "…", "en": "…"}, …]
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    reverse_scored = models.BooleanField(default=False)

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="item_unique_code"),
            models.CheckConstraint(condition=models.Q(kind__in=ItemKind.values), name="item_kind_known"),
            models.CheckConstraint(
                condition=~models.Q(kind="scale")
                | models.Q(scale_min__isnull=False, scale_max__isnull=False, scale_max__gt=models.F("scale_min")),
                name="item_scale_has_range",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def text(self) -> str:
        return in_language(self, "text")

    @property
    def min_label(self) -> str:
        return in_language(self, "min_label")

    @property
    def max_label(self) -> str:
        return in_language(self, "max_label")

    def choice_label(self, value: str) -> str:
        language = (get_language() or "fi")[:2]
        for choice in self.choices:
            if choice["value"] == value:
                return choice.get(language) or choice["fi"]
        return value


class ScoreBand(_InstrumentPart):
    """The feedback shown for a score from ``low`` to ``high`` (inclusive) of a domain, or of the whole instrument
    when ``domain`` is empty: the instrument's suggestions to the respondent."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="bands")
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, null=True, blank=True, related_name="bands")
    low = models.DecimalField(max_digits=5, decimal_places=2)
    high = models.DecimalField(max_digits=5, decimal_places=2)
    feedback_fi = models.TextField()
    feedback_sv = models.TextField()
    feedback_en = models.TextField()

    class Meta:
        ordering = ["instrument", "domain", "low"]
        constraints = [models.CheckConstraint(condition=models.Q(high__gte=models.F("low")), name="band_ordered")]

    @property
    def feedback(self) -> str:
        return in_language(self, "feedback")


class MeasurementPoint(models.TextChoices):
    START = "start", _("at the start")
    MIDDLE = "middle", _("in the middle")
    END = "end", _("at the end")
    OTHER = "other", _("other time")


class MeasurementStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("waiting to be answered")
    IN_PROGRESS = "in_progress", _("started")
    COMPLETED = "completed", _("answered")
    CANCELLED = "cancelled", _("cancelled")


OPEN_MEASUREMENT_STATUSES = (MeasurementStatus.SCHEDULED, MeasurementStatus.IN_PROGRESS)


class MeasurementMode(models.TextChoices):
    PORTAL = "portal", _("answered in the portal")
    PAPER = "paper", _("paper form entered by a worker")


class Measurement(models.Model):
    """One time a client answers one instrument version: scheduled, started, answered or cancelled.

    ``case`` is the HB case it belongs to; empty for a control client's follow-up. ``entered_by`` is empty when the
    client (or a delegate) answered in the portal, and the worker who entered a paper form otherwise."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="measurements")
    case = models.ForeignKey(HBCase, on_delete=models.PROTECT, null=True, blank=True, related_name="measurements")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="measurements")
    point = models.CharField(_("when"), max_length=10, choices=MeasurementPoint.choices)
    due_on = models.DateField(_("to be answered by"))
    status = models.CharField(
        _("status"), max_length=12, choices=MeasurementStatus.choices, default=MeasurementStatus.SCHEDULED
    )
    mode = models.CharField(max_length=6, choices=MeasurementMode.choices, default=MeasurementMode.PORTAL)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["organiser", "client", "due_on"], name="measurement_client_due")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=MeasurementStatus.values), name="measurement_status"),
            models.CheckConstraint(condition=models.Q(point__in=MeasurementPoint.values), name="measurement_point"),
            models.CheckConstraint(
                condition=models.Q(status="completed", completed_at__isnull=False)
                | (~models.Q(status="completed") & models.Q(completed_at__isnull=True)),
                name="measurement_completed_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(mode="portal", entered_by__isnull=True)
                | models.Q(mode="paper", entered_by__isnull=False),
                name="measurement_paper_has_worker",
            ),
            # Scheduling twice (a second run of the command, a double click) never doubles a measurement.
            models.UniqueConstraint(
                fields=["organiser", "client", "case", "instrument", "point"],
                condition=~models.Q(status="cancelled") & ~models.Q(point="other"),
                name="measurement_once_per_point",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.instrument} {self.point}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_MEASUREMENT_STATUSES


class Answer(models.Model):
    measurement = models.ForeignKey(Measurement, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measurement", "item"], name="answer_once_per_item"),
            models.CheckConstraint(
                condition=models.Q(number__isnull=True) | models.Q(text=""), name="answer_number_or_text"
            ),
        ]


class MeasurementScore(models.Model):
    """A score stored when the measurement was completed, for fast reports: one row per domain and one for the
    whole instrument (``domain`` empty). ``score`` is empty when too many items were left unanswered."""

    measurement = models.ForeignKey(Measurement, on_delete=models.CASCADE, related_name="scores")
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    answered = models.PositiveSmallIntegerField()
    missing = models.PositiveSmallIntegerField()
    band = models.ForeignKey(ScoreBand, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measurement", "domain"], name="score_once_per_domain"),
            models.UniqueConstraint(
                fields=["measurement"], condition=models.Q(domain__isnull=True), name="score_once_for_whole"
            ),
        ]
