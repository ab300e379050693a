"""Access checks for the client's portal, used by the client and by the people the client lets in."""

import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect

from .models import AccessLogEntry, Client, Delegation
from .selectors import active_delegation
from .services import log_access


def portal_access(what: str, *, edit: bool = False):
    """Let in the client named by the ``client_id`` URL argument, or someone the client has delegated to.

    A delegate's visit is logged in the client's access log; a write needs an edit delegation. Sets
    ``request.client`` and ``request.delegation`` (None when the client acts for themselves).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, client_id: int, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"/login/?next={request.path}")
            client = Client.objects.filter(pk=client_id).select_related("organiser").first()
            if client is None:
                raise Http404
            delegation = None
            if client.user_id != request.user.pk:
                delegation = active_delegation(request.user, client)
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
            return view(request, client, *args, **kwargs)

        return wrapper

    return decorator
