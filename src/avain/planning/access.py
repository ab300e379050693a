from avain.people.models import AccessLogEntry
from avain.people.services import log_access

from .models import HBCase
from .selectors import get_case_for_staff


def case_for_staff(request, case_id: int, what: str) -> HBCase:
    """Load a case for the staff member on ``request.staff`` and log this one read of the client's data."""
    case = get_case_for_staff(request.staff, case_id)
    log_access(
        actor=request.user,
        client=case.client,
        what=what,
        grounds=AccessLogEntry.Grounds.CLIENT_RELATIONSHIP,
        actor_role=request.staff.role,
    )
    return case
