"""Access checks for the client's portal, used by the client and by the people the client lets in."""

import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect

from avain.core.sql import LARGEST_ID

from .models import AccessLogEntry, Client, Delegation
from .selectors import active_delegation, client_for_portal, get_client_for_staff
from .services import log_access


def portal_access(what: str, *, edit: bool = False, delegates: bool = True, load=client_for_portal):
    """Let in the client named by the ``client_id`` URL argument, or someone the client has delegated to.

    A delegate's visit is logged in the client's access log; a write needs an edit delegation; pages that are
    the client's alone (``delegates=False``) are not found for anyone else. Sets
    ``request.client`` and ``request.delegation`` (None when the client acts for themselves).

    ``load`` reads the client from the id: it returns a tuple of the client (None when there is none) and anything
    else the view needs, which the view gets after the client. A page opened often can so read the client and what it
    shows of them in one query; the default reads the client and their organiser alone.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, client_id: int, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"/login/?next={request.path}")
            if not 0 < client_id <= LARGEST_ID:
                raise Http404  # no client has such an id
            client, *loaded = load(client_id)
            if client is None:
                raise Http404
            delegation = None
            if client.user_id != request.user.pk:
                delegation = active_delegation(request.user, client) if delegates else None
                if delegation is None:
                    raise Http404
                if edit and delegation.access != Delegation.Access.EDIT and request.method == "POST":
                    raise PermissionDenied
                log_access(
                    actor=request.user,
                    client=client,
                    what=what,
                    grounds=AccessLogEntry.Grounds.DELEGATION,
                    actor_role="delegate",
                )
            request.client = client
            request.delegation = delegation
            return view(request, client, *loaded, *args, **kwargs)

        return wrapper

    return decorator


def client_for_staff(request, client_id: int, what: str) -> Client:
    """Load a client for the staff member on ``request.staff`` and log this one read of their data."""
    client = get_client_for_staff(request.staff, client_id)
    log_access(
        actor=request.user,
        client=client,
        what=what,
        grounds=AccessLogEntry.Grounds.CLIENT_RELATIONSHIP,
        actor_role=request.staff.role,
    )
    return client
