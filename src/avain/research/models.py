"""Research use of evaluation data: the client's consent, studies with an HB arm and a control arm, the control
clients' service use imported from the organiser's records, and the log of every allocation.

Researchers never read these rows directly: they get the pseudonymised export (``export.py``) and counts where
small numbers are suppressed."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Service
from avain.core.fields import MoneyField
from avain.organisations.models import Organiser
from avain.people.models import Client, TargetGroup

USER = settings.AUTH_USER_MODEL


class ConsentScope(models.TextChoices):
    QUESTIONNAIRES = "questionnaires", _("questionnaire answers and scores")
    COSTS = "costs", _("costs and use of services")
    TIME_USE = "time_use", _("time use")
    DIARIES = "diaries", _("diaries and feedback")


class Consent(models.Model):
    """The client's consent to research use of their data, as the worker recorded it from the signed form.

    ``study`` empty means every study the client's organiser takes part in. ``scopes`` lists the ConsentScope
    values consented to. A withdrawn consent stays as a record; from then on the client is left out of every export
    and analysis that needs it."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="research_consents")
    study = models.ForeignKey("Study", on_delete=models.PROTECT, null=True, blank=True, related_name="consents")
    scopes = models.JSONField(_("what the consent covers"), default=list)
    given_on = models.DateField(_("consent given on"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            # One consent in force per client and study, and one for "all research": a second would make it
            # unclear which scopes hold.
            models.UniqueConstraint(
                fields=["organiser", "client", "study"],
                condition=Q(withdrawn_at__isnull=True, study__isnull=False),
                name="consent_one_active_per_study",
            ),
            models.UniqueConstraint(
                fields=["organiser", "client"],
                condition=Q(withdrawn_at__isnull=True, study__isnull=True),
                name="consent_one_active_for_all",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="consent_withdrawal_has_who_and_when",
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    def scope_labels(self) -> list[str]:
        return [str(ConsentScope(value).label) for value in self.scopes if value in ConsentScope.values]


class StudyDesign(models.TextChoices):
    RANDOMISED = "randomised", _("randomised: the arm is drawn")
    SELF_SELECTED = "self_selected", _("self-selected: controls chose ordinary services")


class StudyStatus(models.TextChoices):
    ENROLLING = "enrolling", _("enrolling clients")
    FINAL = "final", _("enrolment final, arms allocated")
    CLOSED = "closed", _("closed")


class Arm(models.TextChoices):
    HB = "hb", _("personal budget (HB)")
    CONTROL = "control", _("control: ordinary services")


def new_pseudonym_key() -> str:
    return secrets.token_hex(32)


class Study(models.Model):
    """A comparison of HB clients with a control group over a period. ``owner`` manages it; ``organisers`` are all
    the organisers whose clients take part (the owner among them).

    ``pseudonym_key`` is the secret of this study's pseudonyms: it never leaves the database, and a new one per
    study makes the same client's pseudonyms differ between studies. ``seed`` is recorded when enrolment is made
    final and reproduces the allocation (``randomisation.allocate``)."""

    owner = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="owned_studies")
    organisers = models.ManyToManyField(Organiser, related_name="studies")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    design = models.CharField(_("design"), max_length=20, choices=StudyDesign.choices)
    status = models.CharField(_("status"), max_length=10, choices=StudyStatus.choices, default=StudyStatus.ENROLLING)
    starts_on = models.DateField(_("study period starts"))
    ends_on = models.DateField(_("study period ends"))
    seed = models.BigIntegerField(null=True, blank=True)
    pseudonym_key = models.CharField(max_length=64, default=new_pseudonym_key, editable=False)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    finalised_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "studies"
        constraints = [
            models.UniqueConstraint(fields=["owner", "code"], name="study_unique_code_per_owner"),
            models.CheckConstraint(condition=Q(design__in=StudyDesign.values), name="study_design_known"),
            models.CheckConstraint(condition=Q(status__in=StudyStatus.values), name="study_status_known"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="study_period_in_order"),
            # A randomised study past enrolment always has the seed that reproduces its allocation.
            models.CheckConstraint(
                condition=Q(status="enrolling") | Q(design="self_selected") | Q(seed__isnull=False),
                name="study_final_randomised_has_seed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    @property
    def is_self_selected(self) -> bool:
        return self.design == StudyDesign.SELF_SELECTED

    @property
    def arms_revealed(self) -> bool:
        return self.status != StudyStatus.ENROLLING


class Enrolment(models.Model):
    """A client in a study. ``arm`` stays empty until enrolment is made final; the stratum (organiser, target
    group) is taken when the client is enrolled, so a later change of target group does not move them."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="enrolments")
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="research_enrolments")
    target_group = models.CharField(max_length=30, choices=TargetGroup.choices)
    arm = models.CharField(max_length=10, choices=Arm.choices, null=True, blank=True)
    self_selected = models.BooleanField(default=False)
    enrolled_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    enrolled_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "client"], name="enrolment_once_per_study"),
            models.CheckConstraint(condition=Q(arm__isnull=True) | Q(arm__in=Arm.values), name="enrolment_arm_known"),
        ]


class AllocationLog(models.Model):
    """One row per client per allocation: who made enrolment final, when, the arm, the seed and the stratum.
    Rows are only ever added."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="allocation_log")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="+")
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="+")
    target_group = models.CharField(max_length=30)
    arm = models.CharField(max_length=10, choices=Arm.choices)
    seed = models.BigIntegerField(null=True, blank=True)  # empty for a self-selected study: nothing was drawn
    allocated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    allocated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class ServiceUseFile(models.Model):
    """A CSV file of clients' service use from the organiser's own records. The same bytes are imported once per
    organiser. ``problems``: ``[{"line": 3, "code": "unknown_service", "params": {...}}]``."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    lines_total = models.PositiveIntegerField(default=0)
    lines_imported = models.PositiveIntegerField(default=0)
    rejected = models.BooleanField(default=False)
    problems = models.JSONField(default=list)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organiser", "sha256"], name="service_use_file_once")]


class ServiceUse(models.Model):
    """One line of service use, priced from the organiser's price list on the day of use when imported."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="service_use")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    used_on = models.DateField()
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = MoneyField()
    amount = MoneyField()
    source = models.ForeignKey(ServiceUseFile, on_delete=models.PROTECT, related_name="lines")
    line = models.PositiveIntegerField()

    class Meta:
        ordering = ["used_on", "id"]
        indexes = [models.Index(fields=["organiser", "client", "used_on"], name="service_use_client_day")]
        constraints = [
            models.UniqueConstraint(fields=["source", "line"], name="service_use_once_per_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="service_use_quantity_positive"),
        ]
