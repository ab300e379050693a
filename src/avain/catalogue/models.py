from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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


class ServiceCategory(models.TextChoices):
    """The kind of social service, for grouping the price list and the service menu."""

    HOME_HELP = "home_help", _("home help")
    FAMILY_WORK = "family_work", _("family work")
    SUPPORT_PERSON = "support_person", _("support person")
    PERSONAL_ASSISTANCE = "personal_assistance", _("personal assistance")
    HOUSING_SUPPORT = "housing_support", _("housing support")
    DAY_ACTIVITY = "day_activity", _("day activity")
    TRANSPORT = "transport", _("transport")
    PEER_SUPPORT = "peer_support", _("peer support")
    REHABILITATION = "rehabilitation", _("rehabilitation")
    OTHER = "other", _("other")


class Service(models.Model):
    """A service in the organiser's price list, the kind of service a client would otherwise get."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="services")
    code = models.CharField(_("service code"), max_length=20)
    name_fi = models.CharField(_("name in Finnish"), max_length=200)
    name_sv = models.CharField(_("name in Swedish"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    category = models.CharField(
        _("category"), max_length=30, choices=ServiceCategory.choices, default=ServiceCategory.OTHER
    )
    unit = models.CharField(_("unit"), max_length=10, choices=ServiceUnit.choices)
    legal_basis = models.CharField(
        _("legal basis"), max_length=200, blank=True, default="", help_text=_("For example “Sosiaalihuoltolaki 19 §”.")
    )

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["organiser", "code"], name="service_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        language = (get_language() or "fi")[:2]
        return {"sv": self.name_sv, "en": self.name_en}.get(language, self.name_fi)


VAT_RATE_MAX = Decimal(100)


class ServicePrice(models.Model):
    """The unit price of a service, in force from ``valid_from`` to ``valid_to`` inclusive (open-ended if empty).

    Two prices of one service never overlap: the service layer refuses it on every database
    (:func:`avain.catalogue.services.add_price_change`, the price-list import), and on PostgreSQL the exclusion
    constraint ``price_no_overlap`` (migration 0003, :mod:`avain.catalogue.postgres`) refuses it as well.
    ``unit_price`` is the price the budget uses; ``vat_rate`` says what VAT it includes, in percent
    (social services are mostly exempt: 0).
    """

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="prices")
    unit_price = MoneyField(_("unit price"))
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(VAT_RATE_MAX)],
    )
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
            models.CheckConstraint(
                condition=models.Q(vat_rate__gte=0, vat_rate__lte=VAT_RATE_MAX), name="price_vat_rate_0_to_100"
            ),
        ]


class PriceListUpload(models.Model):
    """A price-list file kept between its preview and the confirmed import, and afterwards as the record of it.

    The confirmation imports exactly this content: its SHA-256 is checked before the import.
    """

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="price_list_uploads")
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(imported_at__isnull=True, imported_by__isnull=True)
                | models.Q(imported_at__isnull=False, imported_by__isnull=False),
                name="price_list_upload_imported_by_and_at",
            )
        ]

    def __str__(self) -> str:
        return self.filename
