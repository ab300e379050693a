"""Access checks for the provider's own pages."""

import functools

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from .selectors import provider_of_user


def provider_required(view):
    """Let in a signed-in user who passed the second factor and acts for a provider; the provider is put on
    ``request.provider`` and scopes every query the view makes."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"/login/?next={request.path}")
        if not request.user.is_verified():
            return redirect("login_second_factor")
        provider = provider_of_user(request.user)
        if provider is None:
            raise PermissionDenied
        request.provider = provider
        return view(request, *args, **kwargs)

    return wrapper
