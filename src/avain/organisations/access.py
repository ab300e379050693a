"""Access checks for staff pages: every staff view starts with one of these."""

import functools

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from .selectors import membership_with_role


def staff_required(*roles):
    """Let in a signed-in user who passed the second factor and holds one of ``roles``.

    The matching membership is put on ``request.staff``; its organiser scopes every query the view makes.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"/login/?next={request.path}")
            if not request.user.is_verified():
                return redirect("login_second_factor")
            membership = membership_with_role(request.user, roles)
            if membership is None:
                raise PermissionDenied
            request.staff = membership
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
