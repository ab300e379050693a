import datetime as dt

from django.db.models import Q

from .models import Provider, ProviderContact, Service, ServicePrice


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
