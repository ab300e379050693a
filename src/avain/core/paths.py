"""Paths of named URLs, reversed once per process.

``reverse`` walks the URL patterns on every call, a tenth of a millisecond or more each; the navigation and the
client's account page need a dozen paths per request (bench/README.md). The paths do not change while the process
runs, so each is reversed once: a path with an id is reversed once with a stand-in id, and the real id is put in its
place on every call. Keyed by the URLconf and the script prefix, so a request or test with other URLs gets its own.
"""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

# Stands in for the id: no path of ours has these digits in it otherwise.
_STAND_IN = 918273645546372819


@functools.cache
def _parts(urlconf: str | None, prefix: str, name: str, with_id: bool) -> tuple[str, str] | None:
    """The path before and after the id (after is "" for a path without one); None when the stand-in cannot be found
    exactly once, and the path is then reversed on every call."""
    if not with_id:
        return reverse(name, urlconf=urlconf), ""
    path = reverse(name, args=[_STAND_IN], urlconf=urlconf)
    parts = path.split(str(_STAND_IN))
    return (parts[0], parts[1]) if len(parts) == 2 else None


@receiver(setting_changed)
def _forget_paths(**kwargs) -> None:
    _parts.cache_clear()  # a test that changes ROOT_URLCONF or the script prefix gets its own paths


def path_for(name: str, pk: int | None = None) -> str:
    """``reverse(name)``, or ``reverse(name, args=[pk])`` for a path with one id: the same path, reversed once."""
    return path_maker()(name, pk)


def path_maker():
    """``path_for`` for the current URLconf and script prefix, looked up once: for code that needs many paths (each
    lookup of the current URLconf or prefix costs as much as the rest of ``path_for``)."""
    urlconf, prefix = get_urlconf(), get_script_prefix()

    def path(name: str, pk: int | None = None) -> str:
        parts = _parts(urlconf, prefix, name, pk is not None)
        if parts is None:
            return reverse(name, args=[pk], urlconf=urlconf)
        before, after = parts
        return before if pk is None else f"{before}{int(pk)}{after}"

    return path
