from django.db.models import QuerySet
from django.http import Http404

from avain.core.sql import fetch_one, instance_from_row
from avain.organisations.models import Organiser, StaffMembership
from avain.organisations.selectors import CLIENT_DATA_ROLES

from .models import AccessLogEntry, Client, CloseOne, Delegation, HBAssistant


def clients_for_staff(membership: StaffMembership) -> QuerySet[Client]:
    """The clients a staff member may see: their own organiser's, and only in roles that work with client data."""
    if membership.role not in CLIENT_DATA_ROLES:
        return Client.objects.none()
    return Client.objects.filter(organiser_id=membership.organiser_id)


def get_client_for_staff(membership: StaffMembership, client_id: int) -> Client:
    try:
        return clients_for_staff(membership).get(pk=client_id)
    except Client.DoesNotExist:
        raise Http404 from None


# What portal_access reads of the client on every portal page, in plain SQL (see core.sql): CLIENT_COLUMNS of the
# client (alias c), then their organiser's. created_at stays deferred, as a datetime would lose its time zone on SQLite.
_CLIENT_FIELDS = (
    "id", "organiser_id", "first_name", "last_name", "personal_identity_code", "language", "target_group", "user_id",
)  # fmt: skip
_ORGANISER_FIELDS = ("id", "code", "name", "business_id")
CLIENT_COLUMNS = ", ".join("c." + name for name in _CLIENT_FIELDS)
CLIENT_WIDTH = len(_CLIENT_FIELDS)


def client_from_row(row: tuple) -> Client:
    """The client from the first CLIENT_WIDTH values of a row that starts with CLIENT_COLUMNS; their organiser is
    loaded if asked for."""
    return instance_from_row(Client, _CLIENT_FIELDS, row[:CLIENT_WIDTH])


def client_for_portal(client_id: int) -> tuple[Client | None]:
    """The client with their organiser, in one query; portal_access's loader (which wants a tuple)."""
    row = fetch_one(
        f"""
        SELECT {CLIENT_COLUMNS}, {", ".join("o." + name for name in _ORGANISER_FIELDS)}
        FROM people_client c
        JOIN organisations_organiser o ON o.id = c.organiser_id
        WHERE c.id = %s""",
        [client_id],
    )
    if row is None:
        return (None,)
    client = client_from_row(row)
    client.organiser = instance_from_row(Organiser, _ORGANISER_FIELDS, row[CLIENT_WIDTH:])
    return (client,)


def client_of_user(user) -> Client | None:
    if not user.is_authenticated:
        return None
    return Client.objects.filter(user=user).select_related("organiser").first()


def active_delegation(user, client: Client) -> Delegation | None:
    return Delegation.objects.filter(
        organiser_id=client.organiser_id, client=client, user=user, withdrawn_at__isnull=True
    ).first()


def clients_helped_by(user) -> QuerySet[Client]:
    """Clients who have given this user (a close one or an HB assistant) access to their plan and budget."""
    if not user.is_authenticated:
        return Client.objects.none()
    return Client.objects.filter(delegations__user=user, delegations__withdrawn_at__isnull=True).distinct()


def access_log_for_client(client: Client) -> QuerySet[AccessLogEntry]:
    return AccessLogEntry.objects.filter(organiser_id=client.organiser_id, client=client).select_related("actor")


def active_delegations(client: Client) -> QuerySet[Delegation]:
    return Delegation.objects.filter(
        organiser_id=client.organiser_id, client=client, withdrawn_at__isnull=True
    ).select_related("user")


def close_ones_of(client: Client) -> QuerySet[CloseOne]:
    return CloseOne.objects.filter(organiser_id=client.organiser_id, client=client)


def delegation_candidates(client: Client) -> list:
    """Who the client may let in: their own close ones who have a sign-in, and the organiser's HB assistants."""
    users = {c.user for c in close_ones_of(client).filter(user__isnull=False).select_related("user")}
    users |= {a.user for a in HBAssistant.objects.filter(organiser_id=client.organiser_id).select_related("user")}
    users.discard(client.user)
    return sorted(users, key=lambda user: (user.last_name, user.first_name, user.pk))


def network_of(client: Client) -> dict:
    """What the client's network page shows: the close ones, who may help in Avain now, and whom the client could
    let in. Each delegation and candidate comes with the close one they are in the network map (None for an HB
    assistant who is not in it)."""
    close_ones = list(close_ones_of(client))
    by_user = {c.user_id: c for c in close_ones if c.user_id}
    delegations = list(active_delegations(client).order_by("granted_at", "pk"))
    for delegation in delegations:
        delegation.close_one = by_user.get(delegation.user_id)
    candidates = [(user, by_user.get(user.pk)) for user in delegation_candidates(client)]
    return {"close_ones": close_ones, "delegations": delegations, "candidates": candidates}
