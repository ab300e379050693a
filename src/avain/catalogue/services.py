"""Every write of the catalogue: the price list (a price change, the import of a price-list file with its preview),
the providers' registrations and their service products on the way to the service menu.

Prices of one service never overlap. Each writer here locks the organiser's row first, so two price-list writes of
one organiser run one after the other and the overlap check sees what the other wrote; on PostgreSQL the exclusion
constraint ``price_no_overlap`` (:mod:`avain.catalogue.postgres`) backs the check up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _

from avain.core import clock
from avain.core.money import CENT
from avain.core.validators import normalise_business_id
from avain.organisations.models import Organiser
from avain.people.models import TargetGroup

from .models import (
    VAT_RATE_MAX,
    Area,
    PriceListUpload,
    ProductReview,
    ProductStatus,
    Provider,
    ProviderContact,
    RegistrationStatus,
    Service,
    ServiceLanguage,
    ServicePrice,
    ServiceProduct,
)
from .price_file import MAX_FILE_BYTES, read_table
from .price_import import (
    DETAIL_FIELDS,
    ChangeKind,
    ExistingPrice,
    ExistingService,
    ImportPlan,
    PriceAddition,
    PriceChange,
    PriceRow,
    RowError,
    ServiceChange,
    fingerprint,
    parse_rows,
    plan_import,
)

ONE_DAY = dt.timedelta(days=1)
UPLOAD_KEPT_UNCONFIRMED = dt.timedelta(days=1)


def _lock_organiser(organiser: Organiser) -> None:
    Organiser.objects.select_for_update().get(pk=organiser.pk)


def _date_text(day: dt.date | None) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else _("until further notice")


# --- One price change ------------------------------------------------------------------------------------------


def _check_price(unit_price: Decimal, vat_rate: Decimal, valid_from: dt.date, valid_to: dt.date | None) -> None:
    if not isinstance(unit_price, Decimal) or not unit_price.is_finite() or unit_price < 0:
        raise ValidationError(_("The price must be zero or more."), code="price_negative")
    if unit_price != unit_price.quantize(CENT):
        raise ValidationError(_("Give the price in euros and cents: at most two decimals."), code="price_too_precise")
    if not isinstance(vat_rate, Decimal) or not vat_rate.is_finite() or not 0 <= vat_rate <= VAT_RATE_MAX:
        raise ValidationError(_("Give the VAT rate in percent from 0 to 100."), code="vat_rate_invalid")
    if vat_rate != vat_rate.quantize(CENT):
        raise ValidationError(_("Give the VAT rate with at most two decimals."), code="vat_rate_invalid")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError(_("The price cannot end before it starts."), code="valid_to_before_valid_from")


def add_price_change(
    *,
    service: Service,
    unit_price: Decimal,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    vat_rate: Decimal = Decimal(0),
    actor=None,
) -> ServicePrice:
    """Give ``service`` the price ``unit_price`` from ``valid_from`` (to ``valid_to``, or until further notice).

    The service's open-ended price that started earlier is closed the day before ``valid_from``. Any other overlap
    with an existing price is refused: a price that already has an end date is never shortened here.
    """
    _check_price(unit_price, vat_rate, valid_from, valid_to)
    with transaction.atomic():
        _lock_organiser(service.organiser)
        prices = ServicePrice.objects.filter(organiser_id=service.organiser_id, service=service)
        open_price = prices.filter(valid_to__isnull=True, valid_from__lt=valid_from).first()
        overlapping = prices.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
        if open_price is not None:
            overlapping = overlapping.exclude(pk=open_price.pk)
        if valid_to is not None:
            overlapping = overlapping.filter(valid_from__lte=valid_to)
        clash = overlapping.order_by("valid_from").first()
        if clash is not None:
            raise ValidationError(
                _(
                    "The service %(code)s already has a price from %(start)s to %(end)s. "
                    "Prices of one service cannot overlap."
                ),
                code="price_overlaps",
                params={"code": service.code, "start": _date_text(clash.valid_from), "end": _date_text(clash.valid_to)},
            )
        if open_price is not None:
            open_price.valid_to = valid_from - ONE_DAY
            open_price.save(update_fields=["valid_to"])
        return ServicePrice.objects.create(
            organiser_id=service.organiser_id,
            service=service,
            unit_price=unit_price,
            vat_rate=vat_rate,
            valid_from=valid_from,
            valid_to=valid_to,
        )


# --- The price-list import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceListPreview:
    """What importing a file would do, as the person checks it before the import. Immutable; writes nothing."""

    filename: str
    sha256: str
    rows_read: int
    ignored_columns: tuple[str, ...]
    new_services: tuple[PriceRow, ...]
    service_changes: tuple[ServiceChange, ...]
    additions: tuple[PriceAddition, ...]
    changes: tuple[PriceChange, ...]
    unchanged: tuple[PriceRow, ...]
    errors: tuple[RowError, ...]
    fingerprint: str

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def changes_anything(self) -> bool:
        return bool(self.new_services or self.service_changes or self.additions or self.changes)

    @property
    def can_import(self) -> bool:
        return self.is_valid and self.changes_anything


@dataclass(frozen=True)
class PriceListImportResult:
    preview: PriceListPreview
    changed: bool


def _existing_services(organiser_id: int, codes: set[str]) -> dict[str, ExistingService]:
    services = Service.objects.filter(organiser_id=organiser_id, code__in=codes)
    prices: dict[int, list[ExistingPrice]] = {}
    for price in ServicePrice.objects.filter(organiser_id=organiser_id, service__in=services).order_by("valid_from"):
        prices.setdefault(price.service_id, []).append(
            ExistingPrice(price.pk, price.unit_price, price.vat_rate, price.valid_from, price.valid_to)
        )
    return {
        s.code: ExistingService(
            s.pk, s.code, s.name_fi, s.name_sv, s.name_en, s.category, s.unit, s.legal_basis, tuple(prices.get(s.pk, ()))
        )
        for s in services
    }


def preview_price_list(organiser: Organiser, file_bytes: bytes, filename: str) -> PriceListPreview:
    """Read a price-list file and tell what importing it would change. Writes nothing.

    Raises ``ValidationError`` when the file as a whole cannot be read (too large, not a spreadsheet, empty,
    missing columns); a readable file with bad rows gives a preview whose ``errors`` name every bad row.
    How rows relate to existing prices: see :mod:`avain.catalogue.price_import`.
    """
    parsed = parse_rows(read_table(file_bytes, filename))
    plan: ImportPlan = plan_import(parsed, _existing_services(organiser.pk, {row.code for row in parsed.rows}))
    return PriceListPreview(
        filename=filename,
        sha256=hashlib.sha256(file_bytes).hexdigest(),
        rows_read=parsed.rows_read,
        ignored_columns=parsed.ignored_columns,
        new_services=plan.new_services,
        service_changes=plan.service_changes,
        additions=plan.additions,
        changes=plan.changes,
        unchanged=plan.unchanged,
        errors=plan.errors,
        fingerprint=fingerprint(plan),
    )


def describe_row_error(error: RowError) -> str:
    return _("Row %(row)s, column “%(column)s”: %(reason)s") % {
        "row": error.row,
        "column": error.column,
        "reason": error.message,
    }


def import_price_list(
    organiser: Organiser, file_bytes: bytes, filename: str, actor, *, expected_fingerprint: str | None = None
) -> PriceListImportResult:
    """Import a price-list file all or nothing, in one transaction. Importing the same file again changes nothing.

    The file is read and checked again under the organiser's lock; while any row is bad nothing is imported and
    the ``ValidationError`` lists every bad row. With ``expected_fingerprint`` (the preview's), the import is refused
    if the price list changed since that preview, so a person confirms exactly what they saw.
    """
    with transaction.atomic():
        _lock_organiser(organiser)
        preview = preview_price_list(organiser, file_bytes, filename)
        if preview.errors:
            raise ValidationError(
                [ValidationError(describe_row_error(e), code="bad_row") for e in preview.errors],
                code="bad_rows",
            )
        if expected_fingerprint is not None and expected_fingerprint != preview.fingerprint:
            raise ValidationError(
                _("The price list has changed since the preview. Check the new preview before importing."),
                code="preview_outdated",
            )
        if not preview.changes_anything:
            return PriceListImportResult(preview, changed=False)
        _apply(organiser, preview)
    return PriceListImportResult(preview, changed=True)


def _apply(organiser: Organiser, preview: PriceListPreview) -> None:
    """Write the previewed changes set-based: a fixed number of queries whatever the number of rows."""
    Service.objects.bulk_create(
        Service(
            organiser=organiser,
            code=r.code,
            name_fi=r.name_fi,
            name_sv=r.name_sv,
            name_en=r.name_en,
            category=r.category,
            unit=r.unit,
            legal_basis=r.legal_basis,
        )
        for r in preview.new_services
    )
    if preview.service_changes:
        Service.objects.bulk_update(
            [
                Service(pk=c.service_id, organiser=organiser, **{name: getattr(c.source, name) for name in DETAIL_FIELDS})
                for c in preview.service_changes
            ],
            list(DETAIL_FIELDS),
        )

    # Prices: shorten first, then lengthen, then add, so that no moment has two prices of a service overlapping
    # (PostgreSQL checks the exclusion constraint row by row).
    updates: list[tuple[ServicePrice, ExistingPrice]] = []
    for change in preview.changes:
        if change.kind == ChangeKind.NEW_PRICE:
            price = ServicePrice(pk=change.old.id, unit_price=change.old.unit_price, vat_rate=change.old.vat_rate)
            price.valid_to = change.row.valid_from - ONE_DAY
        else:
            price = ServicePrice(pk=change.old.id, unit_price=change.row.unit_price, vat_rate=change.row.vat_rate)
            price.valid_to = change.row.valid_to
        updates.append((price, change.old))

    def shortens(price: ServicePrice, old: ExistingPrice) -> bool:
        return (price.valid_to or dt.date.max) <= (old.valid_to or dt.date.max)

    for phase in (True, False):
        batch = [price for price, old in updates if shortens(price, old) is phase]
        if batch:
            ServicePrice.objects.bulk_update(batch, ["unit_price", "vat_rate", "valid_to"])

    service_ids = dict(
        Service.objects.filter(organiser=organiser, code__in={r.code for r in _rows_to_add(preview)}).values_list(
            "code", "pk"
        )
    )
    ServicePrice.objects.bulk_create(
        ServicePrice(
            organiser=organiser,
            service_id=service_ids[r.code],
            unit_price=r.unit_price,
            vat_rate=r.vat_rate,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
        )
        for r in _rows_to_add(preview)
    )


def _rows_to_add(preview: PriceListPreview) -> list[PriceRow]:
    return [a.row for a in preview.additions] + [c.row for c in preview.changes if c.kind == ChangeKind.NEW_PRICE]


# --- Uploads kept between the preview and the confirmation -------------------------------------------------------


def store_price_list_upload(*, organiser: Organiser, actor, file_bytes: bytes, filename: str) -> PriceListUpload:
    """Keep an uploaded file for its preview and confirmation. Unconfirmed uploads older than a day are removed."""
    if len(file_bytes) > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is too large: a price list can be at most %(limit)s MB."),
            code="file_too_large",
            params={"limit": MAX_FILE_BYTES // (1024 * 1024)},
        )
    now = clock.now()
    with transaction.atomic():
        PriceListUpload.objects.filter(
            organiser=organiser, imported_at__isnull=True, uploaded_at__lt=now - UPLOAD_KEPT_UNCONFIRMED
        ).delete()
        return PriceListUpload.objects.create(
            organiser=organiser,
            filename=(filename or "")[-255:],
            sha256=hashlib.sha256(file_bytes).hexdigest(),
            content=file_bytes,
            uploaded_by=actor,
            uploaded_at=now,
        )


def import_price_list_upload(
    *, upload: PriceListUpload, actor, sha256: str, expected_fingerprint: str
) -> PriceListImportResult:
    """Import the upload a person previewed and confirmed: exactly that file (by its SHA-256) and that preview."""
    with transaction.atomic():
        upload = PriceListUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.imported_at is not None:
            raise ValidationError(_("This file has already been imported."), code="already_imported")
        content = bytes(upload.content)
        if sha256 != upload.sha256 or hashlib.sha256(content).hexdigest() != upload.sha256:
            raise ValidationError(
                _("The file is not the one that was previewed. Upload it again."), code="file_not_previewed"
            )
        result = import_price_list(
            upload.organiser, content, upload.filename, actor, expected_fingerprint=expected_fingerprint
        )
        upload.imported_at = clock.now()
        upload.imported_by = actor
        upload.save(update_fields=["imported_at", "imported_by"])
    return result


# --- Providers and their service products -------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """What a provider tells about itself when it registers, and who will sign in for it."""

    name: str
    business_id: str
    kind: str
    iban: str
    email: str
    phone: str
    areas: list[Area]
    languages: list[ServiceLanguage]
    contact_first_name: str
    contact_last_name: str
    password: str


def _check_areas(organiser_id: int, areas) -> None:
    if not areas:
        raise ValidationError(_("Choose at least one area."), code="no_areas")
    if any(area.organiser_id != organiser_id for area in areas):
        raise ValidationError(_("Choose areas of this organiser only."), code="foreign_area")


def register_provider(*, organiser: Organiser, registration: Registration) -> Provider:
    """A provider registers itself and its first contact person. The organiser checks it before its products can
    be published. The business ID and IBAN are validated by the model fields (python-stdnum)."""
    User = get_user_model()
    email = registration.email.strip().lower()
    if not registration.languages:
        raise ValidationError(_("Choose at least one language."), code="no_languages")
    _check_areas(organiser.pk, registration.areas)
    provider = Provider(
        organiser=organiser,
        name=registration.name.strip(),
        business_id=registration.business_id.strip(),
        kind=registration.kind,
        iban=registration.iban.replace(" ", "").upper(),
        email=email,
        phone=registration.phone.strip(),
        status=RegistrationStatus.PENDING,
        registered_at=clock.now(),
    )
    provider.full_clean(exclude=["organiser"], validate_unique=False)
    # One business ID has one spelling (1234567-8), so that "12345678" is recognised as the same provider.
    provider.business_id = normalise_business_id(provider.business_id)
    user = User(
        username=email,
        email=email,
        first_name=registration.contact_first_name.strip(),
        last_name=registration.contact_last_name.strip(),
    )
    validate_password(registration.password, user)
    with transaction.atomic():
        _lock_organiser(organiser)
        if Provider.objects.filter(organiser=organiser, business_id=provider.business_id).exists():
            raise ValidationError(
                _("A provider with this business ID is already registered with this organiser."),
                code="provider_exists",
            )
        if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
            raise ValidationError(
                _("This e-mail address already has a user. Sign in with it, or use another address."),
                code="email_taken",
            )
        provider.save()
        provider.areas.set(registration.areas)
        provider.languages.set(registration.languages)
        user.set_password(registration.password)
        user.save()
        ProviderContact.objects.create(organiser=organiser, provider=provider, user=user)
    return provider


def decide_registration(*, provider: Provider, actor, approve: bool, reason: str = "") -> Provider:
    """The organiser approves a pending registration, or refuses it with a reason the provider sees."""
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError(_("Write why the registration is refused."), code="reason_required")
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        if provider.status != RegistrationStatus.PENDING:
            raise ValidationError(_("This registration has already been decided."), code="already_decided")
        provider.status = RegistrationStatus.APPROVED if approve else RegistrationStatus.REFUSED
        provider.refusal_reason = "" if approve else reason
        provider.decided_by = actor
        provider.decided_at = clock.now()
        provider.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at"])
    return provider


@dataclass(frozen=True)
class ProductDetails:
    """What a provider writes about a product; the same for a new product and a change to a draft."""

    name: str
    summary: str
    description: str
    category: str
    unit: str
    unit_price: Decimal
    target_groups: list[str]
    where: str
    when: str
    accessibility: str
    areas: list[Area]
    languages: list[ServiceLanguage]


def _locked_product(product: ServiceProduct) -> ServiceProduct:
    return ServiceProduct.objects.select_for_update().select_related("provider").get(pk=product.pk)


def save_product(*, provider: Provider, details: ProductDetails, product: ServiceProduct | None = None) -> ServiceProduct:
    """Create a product as a draft, or change a draft or a returned product. Published products do not change:
    what clients have read and planned with stays as it was."""
    if provider.status == RegistrationStatus.REFUSED:
        raise ValidationError(_("Your registration was refused, so you cannot offer products."), code="provider_refused")
    if details.unit_price is None or not details.unit_price.is_finite() or details.unit_price <= 0:
        raise ValidationError(_("The price must be more than zero euros."), code="price_not_positive")
    if details.unit_price != details.unit_price.quantize(CENT):
        raise ValidationError(_("Give the price in whole cents."), code="price_sub_cent")
    if not details.languages:
        raise ValidationError(_("Choose at least one language."), code="no_languages")
    if not set(details.target_groups) <= set(TargetGroup.values):
        raise ValidationError(_("Choose the target groups from the list."), code="unknown_target_group")
    _check_areas(provider.organiser_id, details.areas)
    now = clock.now()
    fields = {
        "name": details.name.strip(),
        "summary": details.summary.strip(),
        "description": details.description.strip(),
        "category": details.category,
        "unit": details.unit,
        "unit_price": details.unit_price,
        "target_groups": sorted(set(details.target_groups)),
        "where": details.where.strip(),
        "when": details.when.strip(),
        "accessibility": details.accessibility.strip(),
    }
    with transaction.atomic():
        if product is None:
            product = ServiceProduct(organiser_id=provider.organiser_id, provider=provider, created_at=now, **fields)
        else:
            product = _locked_product(product)
            if product.provider_id != provider.pk:
                raise ValidationError(_("This product is not yours."), code="not_own_product")
            if not product.is_editable:
                raise ValidationError(
                    _("A product that is waiting for the organiser or published cannot be changed."),
                    code="product_frozen",
                )
            for name, value in fields.items():
                setattr(product, name, value)
        product.updated_at = now
        product.full_clean(exclude=["organiser", "provider"])
        product.save()
        product.areas.set(details.areas)
        product.languages.set(details.languages)
    return product


def propose_product(*, product: ServiceProduct) -> ServiceProduct:
    """The provider sends a draft or a returned product to the organiser to be published."""
    with transaction.atomic():
        product = _locked_product(product)
        if product.provider.status == RegistrationStatus.REFUSED:
            raise ValidationError(
                _("Your registration was refused, so you cannot offer products."), code="provider_refused"
            )
        if not product.is_editable:
            raise ValidationError(_("This product has already been sent to the organiser."), code="already_proposed")
        product.status = ProductStatus.PROPOSED
        product.proposed_at = clock.now()
        product.save(update_fields=["status", "proposed_at"])
    return product


def review_product(*, product: ServiceProduct, reviewer, publish: bool, reason: str = "") -> ProductReview:
    """The organiser publishes a proposed product into the service menu, or returns it with a reason."""
    reason = reason.strip()
    if not publish and not reason:
        raise ValidationError(_("Write why the product is returned, so the provider can correct it."), code="reason_required")
    with transaction.atomic():
        product = _locked_product(product)
        if product.status != ProductStatus.PROPOSED:
            raise ValidationError(_("This product is not waiting for review."), code="not_proposed")
        if publish and product.provider.status != RegistrationStatus.APPROVED:
            raise ValidationError(
                _("Approve the provider's registration before publishing its products."), code="provider_not_approved"
            )
        now = clock.now()
        product.status = ProductStatus.PUBLISHED if publish else ProductStatus.RETURNED
        if publish:
            product.published_at = now
        product.save(update_fields=["status", "published_at"])
        return ProductReview.objects.create(
            organiser_id=product.organiser_id,
            product=product,
            outcome=ProductReview.Outcome.PUBLISHED if publish else ProductReview.Outcome.RETURNED,
            reason=reason,
            reviewer=reviewer,
            at=now,
        )


def withdraw_product(*, product: ServiceProduct) -> ServiceProduct:
    """The provider takes a product out of the menu. Plans that already use it keep their lines."""
    with transaction.atomic():
        product = _locked_product(product)
        if product.status == ProductStatus.WITHDRAWN:
            raise ValidationError(_("This product has already been withdrawn."), code="already_withdrawn")
        product.status = ProductStatus.WITHDRAWN
        product.save(update_fields=["status"])
    return product


def add_area(*, organiser: Organiser, name_fi: str, name_sv: str, name_en: str) -> Area:
    """Add a municipality or other area where the organiser's providers serve clients."""
    names = {"name_fi": name_fi.strip(), "name_sv": name_sv.strip(), "name_en": name_en.strip()}
    if not all(names.values()):
        raise ValidationError(_("Give the area's name in Finnish, Swedish and English."), code="area_name_missing")
    with transaction.atomic():
        _lock_organiser(organiser)
        if Area.objects.filter(organiser=organiser, name_fi__iexact=names["name_fi"]).exists():
            raise ValidationError(
                _("The area %(name)s is already in the list."), code="area_exists", params={"name": names["name_fi"]}
            )
        return Area.objects.create(organiser=organiser, **names)
