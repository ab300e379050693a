from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from avain.core.validators import validate_business_id


class Organiser(models.Model):
    """The body that organises and pays for social services: a wellbeing services county, a city, a joint authority."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    business_id = models.CharField(_("business ID"), max_length=9, unique=True, validators=[validate_business_id])

    class Meta:
        ordering = ["name"]
        verbose_name = _("organiser")
        verbose_name_plural = _("organisers")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organiser", "name"], name="unit_unique_name_per_organiser")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", _("social worker")
    APPROVER = "approver", _("approver")
    FINANCE = "finance", _("finance")
    ORGANISER_ADMIN = "organiser_admin", _("organiser administrator")
    RESEARCHER = "researcher", _("researcher")


class StaffMembership(models.Model):
    """A user's role in one organiser. A person with two roles has two memberships in the same organiser."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_memberships")
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="staff")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="staff")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organiser", "user", "role"], name="staff_unique_role"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="staff_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organiser}"
