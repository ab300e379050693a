"""Telling the user, on the next page, why an action was refused."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def show_errors(request, error: ValidationError) -> None:
    """Every message of a refused action as an error message, for a view that redirects instead of re-rendering
    a form."""
    for message in error.messages:
        messages.error(request, message)
