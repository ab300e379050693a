from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from avain.core.fields import MoneyField
from avain.core.validators import validate_business_id, validate_iban
from avain.organisations.models import Organiser
from avain.people.models import TargetGroup


def _localized(obj) -> str:
    """The name in the active language, for rows that keep their name in Finnish, Swedish and English."""
    language = (get_language() or "fi")[:2]
    return {"sv": obj.name_sv, "en": obj.name_en}.get(language, obj.name_fi)


class Area(models.Model):
    """A municipality or other area of the organiser, where providers serve clients."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="areas")
    name_fi = models.CharField(_("name in Finnish"), max_length=100)
    name_sv = models.CharField(_("name in Swedish"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)

    class Meta:
        ordering = ["name_fi"]
        constraints = [models.UniqueConstraint(fields=["organiser", "name_fi"], name="area_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self)


class ServiceLanguage(models.Model):
    """A language a service can be given in. Kept as data (migration 0004) so new ones need no code change;
    the sign languages matter as much as the spoken ones."""

    code = models.CharField(max_length=3, primary_key=True)
    name_fi = models.CharField(max_length=60)
    name_sv = models.CharField(max_length=60)
    name_en = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self)


class ProviderKind(models.TextChoices):
    PUBLIC = "public", _("public service unit")
    ASSOCIATION = "association", _("association or other third-sector organisation")
    COMPANY = "company", _("company")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the organiser's check")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class Provider(models.Model):
    """A service provider registered with one organiser. Only an approved provider's products reach the menu."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="providers")
    name = models.CharField(_("name"), max_length=200)
    business_id = models.CharField(_("business ID"), max_length=9, validators=[validate_business_id])
    kind = models.CharField(_("kind"), max_length=20, choices=ProviderKind.choices)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    areas = models.ManyToManyField(Area, verbose_name=_("areas served"), related_name="providers", blank=True)
    languages = models.ManyToManyField(
        ServiceLanguage, verbose_name=_("languages of service"), related_name="providers", blank=True
    )
    # A provider the organiser adds itself is approved; one that registers itself starts pending
    # (services.register_provider).
    status = models.CharField(
        _("registration"), max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.APPROVED
    )
    registered_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organiser", "business_id"], name="provider_unique_business_id"),
            models.CheckConstraint(
                condition=models.Q(status__in=RegistrationStatus.values), name="provider_status_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=RegistrationStatus.REFUSED) | ~models.Q(refusal_reason=""),
                name="provider_refusal_has_reason",
            ),
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
        return _localized(self)


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


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PROPOSED = "proposed", _("proposed, waiting for the organiser")
    PUBLISHED = "published", _("published in the service menu")
    RETURNED = "returned", _("returned to the provider")
    WITHDRAWN = "withdrawn", _("withdrawn")


class ServiceProduct(models.Model):
    """A service a provider offers to HB clients, in the provider's own plain words.

    The provider writes and proposes it; the organiser publishes it into the service menu or returns it with a
    reason (each decision is a :class:`ProductReview`). Only draft and returned products can be changed, so what a
    client reads in the menu is always exactly what the organiser published.
    """

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="products")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("name of the service"), max_length=120)
    summary = models.CharField(_("in one sentence"), max_length=200)
    description = models.TextField(_("what the client gets"))
    category = models.CharField(_("kind of support"), max_length=30, choices=ServiceCategory.choices)
    unit = models.CharField(_("priced per"), max_length=10, choices=ServiceUnit.choices)
    unit_price = MoneyField(_("price per unit, VAT included"))
    target_groups = models.JSONField(_("for whom"), default=list, blank=True)
    where = models.CharField(_("where"), max_length=300)
    when = models.CharField(_("when"), max_length=300)
    accessibility = models.TextField(_("accessibility"), blank=True)
    areas = models.ManyToManyField(Area, verbose_name=_("areas"), related_name="products")
    languages = models.ManyToManyField(ServiceLanguage, verbose_name=_("languages"), related_name="products")
    status = models.CharField(max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    proposed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(unit_price__gt=0), name="product_price_positive"),
            models.CheckConstraint(condition=models.Q(status__in=ProductStatus.values), name="product_status_known"),
            models.CheckConstraint(
                condition=~models.Q(status=ProductStatus.PUBLISHED) | models.Q(published_at__isnull=False),
                name="product_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status in (ProductStatus.DRAFT, ProductStatus.RETURNED)

    def target_group_labels(self) -> list[str]:
        labels = dict(TargetGroup.choices)
        return [labels[group] for group in self.target_groups if group in labels]


class ProductReview(models.Model):
    """The organiser's decision on a proposed product: published, or returned with the reason."""

    class Outcome(models.TextChoices):
        PUBLISHED = "published", _("published")
        RETURNED = "returned", _("returned")

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT)
    product = models.ForeignKey(ServiceProduct, on_delete=models.PROTECT, related_name="reviews")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(outcome="returned") | ~models.Q(reason=""), name="product_return_has_reason"
            ),
        ]
