"""An injectable clock, so tests and the demo can move time without touching the system clock.

Code asks :func:`now` and :func:`today`; tests wrap work in ``with frozen_at(...)``.
"""

import contextlib
import datetime as dt
from contextvars import ContextVar

from django.utils import timezone

_frozen: ContextVar[dt.datetime | None] = ContextVar("avain_frozen_now", default=None)


def now() -> dt.datetime:
    frozen = _frozen.get()
    return frozen if frozen is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen_at(moment: dt.datetime):
    if timezone.is_naive(moment):
        raise ValueError("the clock takes timezone-aware datetimes only")
    token = _frozen.set(moment)
    try:
        yield moment
    finally:
        _frozen.reset(token)
