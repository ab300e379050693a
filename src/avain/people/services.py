from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from avain.core import clock
from avain.core.validators import normalise_personal_identity_code, validate_personal_identity_code
from avain.organisations.models import Organiser

from .models import AccessLogEntry, Client, Delegation


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


def grant_delegation(*, client: Client, user, access: str) -> Delegation:
    with transaction.atomic():
        Delegation.objects.select_for_update().filter(
            organiser_id=client.organiser_id, client=client, user=user, withdrawn_at__isnull=True
        ).update(withdrawn_at=clock.now())
        return Delegation.objects.create(
            organiser_id=client.organiser_id, client=client, user=user, access=access, granted_at=clock.now()
        )
