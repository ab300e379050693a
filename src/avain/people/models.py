from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from avain.core.validators import validate_personal_identity_code
from avain.organisations.models import Organiser


class TargetGroup(models.TextChoices):
    FAMILIES = "families", _("families under strain")
    YOUNG_PARENTS = "young_parents", _("young parents")
    AFTERCARE = "aftercare", _("young adults in child-protection aftercare")
    ADULTS = "adults", _("adults who need support in everyday life")
    DISABILITY = "disability", _("disability services")


class Language(models.TextChoices):
    FINNISH = "fi", _("Finnish")
    SWEDISH = "sv", _("Swedish")
    ENGLISH = "en", _("English")


class Client(models.Model):
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    personal_identity_code = models.CharField(
        _("personal identity code"), max_length=11, validators=[validate_personal_identity_code]
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FINNISH)
    target_group = models.CharField(_("target group"), max_length=30, choices=TargetGroup.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="client"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organiser", "personal_identity_code"], name="client_unique_identity_code_per_organiser"
            ),
            models.UniqueConstraint(fields=["organiser", "id"], name="client_unique_organiser_id"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class CloseOne(models.Model):
    """A person in the client's network map: who they are to the client and what they help with."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="close_ones")
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=100)
    helps_with = models.TextField(_("helps with"), blank=True)
    # Set when the close one has their own sign-in; only then can the client let them see or edit the plan.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="close_one_of"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AssistantBackground(models.TextChoices):
    CLOSE_ONE = "close_one", _("close one or relative")
    VOLUNTEER = "volunteer", _("trained volunteer")
    WORKER = "worker", _("worker")


class HBAssistant(models.Model):
    """A person coached to help clients plan and use their budget. Acts only within what a client delegates."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="assistants")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hb_assistant")
    background = models.CharField(_("background"), max_length=20, choices=AssistantBackground.choices)
    coached_on = models.DateField(_("coached on"), null=True, blank=True)

    def __str__(self) -> str:
        return str(self.user)


class Delegation(models.Model):
    """The client's permission for another user (a close one, an HB assistant) to see or edit their plan and budget."""

    class Access(models.TextChoices):
        READ = "read", _("may read")
        EDIT = "edit", _("may read and edit")

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="delegations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations")
    access = models.CharField(_("access"), max_length=10, choices=Access.choices)
    granted_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organiser", "client", "user"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="delegation_one_active_per_user",
            )
        ]


class AccessLogEntry(models.Model):
    """One read of a client's personal data by someone other than the client (Finnish client-data law).

    Rows are only ever added. The client sees their own entries in the portal.
    """

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="access_log")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    class What(models.TextChoices):
        CLIENT_OVERVIEW = "client_overview", _("client overview")
        NEEDS = "needs", _("wishes, needs and budget")
        PLAN = "plan", _("support plan")
        DECISION = "decision", _("decision")
        ACCOUNT = "account", _("budget account")
        INVOICE = "invoice", _("invoices")
        AGREEMENT = "agreement", _("agreements with providers")
        QUESTIONNAIRES = "questionnaires", _("questionnaires")
        TIME_USE = "time_use", _("time use")
        FEEDBACK = "feedback", _("diary and feedback")
        RESEARCH = "research", _("research consent and studies")

    class Grounds(models.TextChoices):
        CLIENT_RELATIONSHIP = "client_relationship", _("client relationship in the organiser's social services")
        DELEGATION = "delegation", _("permission given by the client")
        AGREEMENT = "agreement", _("the client's agreement with the provider")

    actor_role = models.CharField(max_length=30)
    what = models.CharField(max_length=30, choices=What.choices)
    grounds = models.CharField(max_length=30, choices=Grounds.choices)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organiser", "client", "-at"], name="accesslog_client_time")]
