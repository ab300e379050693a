"""The injectable clock (avain.core.clock)."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from avain.core import clock

HELSINKI = ZoneInfo("Europe/Helsinki")


def test_now_is_the_real_time_when_not_frozen():
    before = timezone.now()
    moment = clock.now()
    after = timezone.now()
    assert before <= moment <= after
    assert timezone.is_aware(moment)


def test_frozen_clock_returns_the_frozen_moment():
    moment = dt.datetime(2024, 3, 15, 9, 30, tzinfo=HELSINKI)
    with clock.frozen_at(moment) as frozen:
        assert frozen == moment
        assert clock.now() == moment
        assert clock.now() == clock.now()  # time does not move while frozen
        assert clock.today() == dt.date(2024, 3, 15)


def test_today_is_the_date_in_helsinki_not_in_utc():
    # 22:30 UTC on New Year's Eve is already 00:30 on 1 January in Helsinki (UTC+2 in winter).
    with clock.frozen_at(dt.datetime(2024, 12, 31, 22, 30, tzinfo=dt.UTC)):
        assert clock.today() == dt.date(2025, 1, 1)
    # 21:30 UTC in midsummer is 00:30 the next day (UTC+3 in summer).
    with clock.frozen_at(dt.datetime(2024, 6, 21, 21, 30, tzinfo=dt.UTC)):
        assert clock.today() == dt.date(2024, 6, 22)
    with clock.frozen_at(dt.datetime(2024, 6, 21, 20, 59, tzinfo=dt.UTC)):
        assert clock.today() == dt.date(2024, 6, 21)


def test_frozen_clock_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        with clock.frozen_at(dt.datetime(2024, 1, 1, 12, 0)):
            pass  # pragma: no cover


def test_frozen_clocks_nest_and_unwind():
    outer = dt.datetime(2024, 1, 1, 12, tzinfo=HELSINKI)
    inner = dt.datetime(2030, 6, 1, 12, tzinfo=HELSINKI)
    with clock.frozen_at(outer):
        with clock.frozen_at(inner):
            assert clock.now() == inner
        assert clock.now() == outer
    assert abs(clock.now() - timezone.now()) < dt.timedelta(seconds=5)


def test_the_clock_unfreezes_after_an_exception():
    with pytest.raises(RuntimeError):
        with clock.frozen_at(dt.datetime(2000, 1, 1, tzinfo=HELSINKI)):
            raise RuntimeError
    assert clock.now().year != 2000


def test_a_frozen_clock_does_not_leak_into_other_threads():
    seen = []
    with clock.frozen_at(dt.datetime(2001, 1, 1, tzinfo=HELSINKI)):
        thread = threading.Thread(target=lambda: seen.append(clock.now()))
        thread.start()
        thread.join()
    assert seen[0].year != 2001
