import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404

from .models import PriceListUpload, Provider, ProviderContact, Service, ServicePrice


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
