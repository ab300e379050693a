from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from avain.core.fields import MoneyField
from avain.core.validators import validate_business_id, validate_iban
from avain.organisations.models import Organiser


class ProviderKind(models.TextChoices):
    PUBLIC = "public", _("public service unit")
    ASSOCIATION = "association", _("association or other third-sector organisation")
    COMPANY = "company", _("company")


class Provider(models.Model):
    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="providers")
    name = models.CharField(_("name"), max_length=200)
    business_id = models.CharField(_("business ID"), max_length=9, validators=[validate_business_id])
    kind = models.CharField(_("kind"), max_length=20, choices=ProviderKind.choices)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organiser", "business_id"], name="provider_unique_business_id")
        ]

    def __str__(self) -> str:
        return self.name


class ProviderContact(models.Model):
    """A user who acts for a provider (sends invoices, sees its agreements)."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="contacts")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider_contact")


class ServiceUnit(models.TextChoices):
    HOUR = "hour", _("hour")
    VISIT = "visit", _("visit")
    DAY = "day", _("day")
    MONTH = "month", _("month")
    PIECE = "piece", _("piece")
    KM = "km", _("kilometre")


class Service(models.Model):
    """A service in the organiser's price list, the kind of service a client would otherwise get."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="services")
    code = models.CharField(_("service code"), max_length=20)
    name_fi = models.CharField(_("name in Finnish"), max_length=200)
    name_sv = models.CharField(_("name in Swedish"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    unit = models.CharField(_("unit"), max_length=10, choices=ServiceUnit.choices)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["organiser", "code"], name="service_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        language = (get_language() or "fi")[:2]
        return {"sv": self.name_sv, "en": self.name_en}.get(language, self.name_fi)


class ServicePrice(models.Model):
    """The unit price of a service, in force from ``valid_from`` to ``valid_to`` inclusive (open-ended if empty)."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="prices")
    unit_price = MoneyField(_("unit price"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["service", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["organiser", "service", "valid_from"], name="price_unique_start"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="price_valid_to_after_from",
            ),
        ]
