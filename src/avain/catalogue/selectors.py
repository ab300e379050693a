from .models import Provider, ProviderContact, Service


def provider_of_user(user) -> Provider | None:
    if not user.is_authenticated:
        return None
    contact = ProviderContact.objects.filter(user=user).select_related("provider").first()
    return contact.provider if contact else None


def services_of(organiser_id: int):
    return Service.objects.filter(organiser_id=organiser_id).order_by("code")


def providers_of(organiser_id: int):
    return Provider.objects.filter(organiser_id=organiser_id).order_by("name")
