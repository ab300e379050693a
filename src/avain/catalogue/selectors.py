import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404

from .models import (
    Area,
    PriceListUpload,
    ProductStatus,
    Provider,
    ProviderContact,
    RegistrationStatus,
    Service,
    ServiceLanguage,
    ServicePrice,
    ServiceProduct,
)


def user_roles_sql(user: str) -> str:
    """Two columns of plain SQL (see core.sql): whether the user whose id ``user`` gives (an SQL expression: a column,
    or a placeholder, which then asks for the user's id twice) works for an organiser (an active staff membership)
    and for a provider (as a provider contact). Every page's navigation shows what the user's roles open, so the page's
    own first read can carry them (accounts.selectors.client_with_account) rather than cost a query of their own."""
    return (
        f"EXISTS (SELECT 1 FROM organisations_staffmembership m WHERE m.user_id = {user} AND m.active = true), "
        f"EXISTS (SELECT 1 FROM catalogue_providercontact pc WHERE pc.user_id = {user})"
    )


def provider_of_user(user) -> Provider | None:
    if not user.is_authenticated:
        return None
    contact = ProviderContact.objects.filter(user=user).select_related("provider").first()
    return contact.provider if contact else None


def services_of(organiser_id: int):
    return Service.objects.filter(organiser_id=organiser_id).order_by("code")


def providers_of(organiser_id: int):
    return Provider.objects.filter(organiser_id=organiser_id).order_by("name")


def current_prices(organiser_id: int, day: dt.date):
    """The organiser's price list as it is in force on ``day``."""
    return (
        ServicePrice.objects.filter(organiser_id=organiser_id, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("service")
        .order_by("service__code")
    )


@dataclass(frozen=True)
class PriceListEntry:
    """One service of the price list: its price on the day asked, the next price if one is set, and every price."""

    service: Service
    current: ServicePrice | None
    upcoming: ServicePrice | None
    history: tuple[ServicePrice, ...]


def price_list(organiser_id: int, day: dt.date, *, category: str = "") -> list[PriceListEntry]:
    """The organiser's services with their prices, in two queries whatever the size of the list."""
    services = services_of(organiser_id).prefetch_related(
        Prefetch("prices", queryset=ServicePrice.objects.filter(organiser_id=organiser_id).order_by("valid_from"))
    )
    if category:
        services = services.filter(category=category)
    entries = []
    for service in services:
        prices = tuple(service.prices.all())
        current = next((p for p in prices if p.valid_from <= day and (p.valid_to is None or p.valid_to >= day)), None)
        upcoming = next((p for p in prices if p.valid_from > day), None)
        entries.append(PriceListEntry(service, current, upcoming, prices))
    return entries


def price_list_upload(organiser_id: int, upload_id: int, user) -> PriceListUpload:
    """An upload of the organiser that ``user`` made; 404 for anyone else's."""
    return get_object_or_404(PriceListUpload, pk=upload_id, organiser_id=organiser_id, uploaded_by=user)


def recent_price_list_imports(organiser_id: int, limit: int = 10):
    return (
        PriceListUpload.objects.filter(organiser_id=organiser_id, imported_at__isnull=False)
        .select_related("imported_by")
        .defer("content")
        .order_by("-imported_at")[:limit]
    )


# --- Providers and the service menu -------------------------------------------------------------------------------


def areas_of(organiser_id: int):
    return Area.objects.filter(organiser_id=organiser_id)


def service_languages():
    return ServiceLanguage.objects.all()


def pending_registrations(organiser_id: int):
    return (
        Provider.objects.filter(organiser_id=organiser_id, status=RegistrationStatus.PENDING)
        .prefetch_related("areas", "languages", "contacts__user")
        .order_by("registered_at")
    )


def products_of_provider(provider: Provider):
    return ServiceProduct.objects.filter(organiser_id=provider.organiser_id, provider=provider).prefetch_related(
        "reviews"
    )


def product_of_provider(provider: Provider, product_id: int) -> ServiceProduct:
    """The provider's own product; 404 for anyone else's."""
    return get_object_or_404(ServiceProduct, pk=product_id, organiser_id=provider.organiser_id, provider=provider)


def products_waiting_review(organiser_id: int):
    return (
        ServiceProduct.objects.filter(organiser_id=organiser_id, status=ProductStatus.PROPOSED)
        .select_related("provider")
        .order_by("proposed_at")
    )


def product_for_review(organiser_id: int, product_id: int) -> ServiceProduct:
    return get_object_or_404(
        ServiceProduct.objects.select_related("provider").prefetch_related("areas", "languages", "reviews__reviewer"),
        pk=product_id,
        organiser_id=organiser_id,
        status__in=[ProductStatus.PROPOSED, ProductStatus.PUBLISHED, ProductStatus.RETURNED, ProductStatus.WITHDRAWN],
    )


def _published(organiser_id: int):
    return ServiceProduct.objects.filter(
        organiser_id=organiser_id, status=ProductStatus.PUBLISHED, provider__status=RegistrationStatus.APPROVED
    )


@dataclass(frozen=True)
class MenuSearch:
    """What a client looks for in the service menu. Empty values do not narrow the search."""

    text: str = ""
    categories: tuple[str, ...] = ()
    area: Area | None = None
    language: ServiceLanguage | None = None
    max_price: Decimal | None = None
    provider_kind: str = ""


def _spellings(word: str) -> set[str]:
    """The word as typed, in lower case, in capitals and capitalised. SQLite ignores case only for the letters a–z,
    so without these "äänikirja" would not find "Äänikirjat kotiin" there; PostgreSQL needs only the first."""
    return {word, word.lower(), word.upper(), word.capitalize()}


def menu_products(organiser_id: int, search: MenuSearch):
    """The organiser's published products that match every given criterion, cheapest first."""
    products = _published(organiser_id)
    for word in search.text.split():
        match = Q()
        for spelling in _spellings(word):
            match |= (
                Q(name__icontains=spelling)
                | Q(summary__icontains=spelling)
                | Q(description__icontains=spelling)
                | Q(provider__name__icontains=spelling)
            )
        products = products.filter(match)
    if search.categories:
        products = products.filter(category__in=search.categories)
    if search.area is not None:
        products = products.filter(areas=search.area)
    if search.language is not None:
        products = products.filter(languages=search.language)
    if search.max_price is not None:
        products = products.filter(unit_price__lte=search.max_price)
    if search.provider_kind:
        products = products.filter(provider__kind=search.provider_kind)
    return (
        products.distinct()
        .select_related("provider")
        .prefetch_related("areas", "languages")
        .order_by("unit_price", "name", "pk")
    )


def published_product_ids(organiser_id: int, product_ids: set[int]) -> set[int]:
    """Which of ``product_ids`` are in the organiser's service menu now."""
    if not product_ids:
        return set()
    return set(_published(organiser_id).filter(pk__in=product_ids).values_list("pk", flat=True))


def menu_product(organiser_id: int, product_id: int) -> ServiceProduct:
    """A product a client may read: published, of an approved provider of the client's organiser; 404 otherwise."""
    return get_object_or_404(
        _published(organiser_id).select_related("provider").prefetch_related("areas", "languages"), pk=product_id
    )
