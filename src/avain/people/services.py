from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from avain.core import clock
from avain.core.validators import normalise_personal_identity_code, validate_personal_identity_code
from avain.organisations.models import Organiser

from .models import AccessLogEntry, Client, CloseOne, Delegation
from .selectors import delegation_candidates


def create_client(
    *, organiser: Organiser, first_name: str, last_name: str, personal_identity_code: str, language: str, target_group: str
) -> Client:
    validate_personal_identity_code(personal_identity_code)
    code = normalise_personal_identity_code(personal_identity_code)
    if Client.objects.filter(organiser=organiser, personal_identity_code=code).exists():
        raise ValidationError(
            _("A client with this personal identity code is already registered."), code="duplicate_client"
        )
    client = Client(
        organiser=organiser,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        personal_identity_code=code,
        language=language,
        target_group=target_group,
        created_at=clock.now(),
    )
    client.full_clean()
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:  # a concurrent registration of the same person won the race
        raise ValidationError(
            _("A client with this personal identity code is already registered."), code="duplicate_client"
        ) from None
    return client


def log_access(*, actor, client: Client, what: str, grounds: str, actor_role: str) -> AccessLogEntry:
    """Record one read of a client's data by someone other than the client."""
    return AccessLogEntry.objects.create(
        organiser_id=client.organiser_id,
        client=client,
        actor=actor,
        actor_role=actor_role,
        what=what,
        grounds=grounds,
        at=clock.now(),
    )


def log_list_access(*, actor, organiser_id: int, client_ids, what: str, grounds: str, actor_role: str) -> None:
    """Record one read per client shown on a list page, in one insert."""
    now = clock.now()
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            organiser_id=organiser_id,
            client_id=client_id,
            actor=actor,
            actor_role=actor_role,
            what=what,
            grounds=grounds,
            at=now,
        )
        for client_id in sorted(set(client_ids))
    )


def _lock_client(client: Client) -> Client:
    """Lock the client's row: changes to who may help the client (grants, withdrawals, the network map) queue up
    behind each other, so a grant can never outlive the removal of the person it was given to."""
    return Client.objects.select_for_update().get(pk=client.pk, organiser_id=client.organiser_id)


def grant_delegation(*, client: Client, user, access: str) -> Delegation:
    """Let a close one or an HB assistant read (or also edit) the client's plan and budget; replaces an earlier grant.

    Granting the same access again keeps the earlier grant as it is (a second click changes nothing).
    """
    if access not in Delegation.Access.values:
        raise ValidationError(_("Choose whether they may only read or also edit."), code="unknown_access")
    with transaction.atomic():
        _lock_client(client)
        if user not in delegation_candidates(client):
            raise ValidationError(
                _("You can give access only to your close ones who have a sign-in, or to an HB assistant."),
                code="not_a_candidate",
            )
        current = Delegation.objects.select_for_update().filter(
            organiser_id=client.organiser_id, client=client, user=user, withdrawn_at__isnull=True
        )
        same = current.filter(access=access).first()
        if same is not None:
            return same
        current.update(withdrawn_at=clock.now())
        return Delegation.objects.create(
            organiser_id=client.organiser_id, client=client, user=user, access=access, granted_at=clock.now()
        )


def withdraw_delegation(*, client: Client, delegation_id: int) -> Delegation:
    """The client takes back a permission. From the next request on, the delegate is refused."""
    with transaction.atomic():
        _lock_client(client)
        delegation = (
            Delegation.objects.select_for_update()
            .filter(organiser_id=client.organiser_id, client=client, pk=delegation_id, withdrawn_at__isnull=True)
            .first()
        )
        if delegation is None:
            raise ValidationError(_("This permission has already been withdrawn."), code="already_withdrawn")
        delegation.withdrawn_at = clock.now()
        delegation.save(update_fields=["withdrawn_at"])
    return delegation


def add_close_one(*, client: Client, name: str, relationship: str, helps_with: str = "") -> CloseOne:
    close_one = CloseOne(
        organiser_id=client.organiser_id,
        client=client,
        name=name.strip(),
        relationship=relationship.strip(),
        helps_with=helps_with.strip(),
    )
    close_one.full_clean()
    close_one.save()
    return close_one


def remove_close_one(*, client: Client, close_one_id: int) -> CloseOne:
    """Remove a person from the network map; any access they were given goes with them."""
    with transaction.atomic():
        _lock_client(client)
        close_one = CloseOne.objects.filter(organiser_id=client.organiser_id, client=client, pk=close_one_id).first()
        if close_one is None:
            raise ValidationError(_("This person is no longer in your network map."), code="not_found")
        if close_one.user_id:
            Delegation.objects.filter(
                organiser_id=client.organiser_id, client=client, user_id=close_one.user_id, withdrawn_at__isnull=True
            ).update(withdrawn_at=clock.now())
        close_one.delete()
    return close_one
