"""The forecast of a budget's end balance from the spending rate so far, and its warnings (avain.accounts.forecast)."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from avain.accounts.forecast import (
    UNUSED_CHECK_AFTER_SHARE,
    UNUSED_SHARE_WARNING,
    ForecastInput,
    WarningCode,
    forecast,
)
from avain.core.money import round_money

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)  # 365 days


def run(today, spent, committed="0.00", planned="3650.00", percent=85, start=START, end=END):
    return forecast(ForecastInput(start, end, today, Decimal(planned), Decimal(spent), Decimal(committed), percent))


def test_spending_on_an_even_pace_ends_with_nothing_left_and_no_warning():
    # 10 € a day for the first 100 days of a 3 650 € year.
    result = run(dt.date(2025, 4, 10), "1000.00")
    assert (result.days_passed, result.days_left) == (100, 265)
    assert result.daily_rate == Decimal(10)
    assert result.projected_use == Decimal("3650.00") and result.projected_left == Decimal("0.00")
    assert result.runs_out_on is None and result.warnings == ()


def test_spending_fast_runs_out_before_the_end_and_says_when():
    # 20 € a day for 100 days: the 1 650 € left lasts 82.5 more days, so the money is gone on the 83rd day.
    result = run(dt.date(2025, 4, 10), "2000.00")
    assert result.runs_out_on == dt.date(2025, 4, 10) + dt.timedelta(days=83)
    assert result.projected_left == Decimal("3650.00") - Decimal("7300.00")
    assert result.warnings == (WarningCode.RUNS_OUT,)


def test_the_threshold_warns_at_the_accounts_percent_exactly():
    assert WarningCode.THRESHOLD in run(dt.date(2025, 12, 1), "3102.50").warnings  # 85.00 %
    assert WarningCode.THRESHOLD not in run(dt.date(2025, 12, 1), "3102.49").warnings
    assert WarningCode.THRESHOLD in run(dt.date(2025, 12, 1), "1825.00", percent=50).warnings


def test_a_slow_year_warns_of_money_left_unused_only_after_a_quarter_of_the_period():
    early = run(dt.date(2025, 3, 1), "10.00")  # 60 days of 365
    assert early.warnings == ()
    later = run(dt.date(2025, 6, 1), "10.00")
    assert later.warnings == (WarningCode.UNUSED,)
    # Money reserved by agreements will be spent: it counts, so a fully reserved budget leaves nothing unused.
    reserved = run(dt.date(2025, 6, 1), "10.00", committed="3640.00")
    assert reserved.projected_left == Decimal("0.00") and reserved.warnings == ()


def test_before_the_period_starts_nothing_is_forecast():
    result = run(dt.date(2024, 12, 1), "0.00")
    assert (result.days_passed, result.started, result.has_spending, result.warnings) == (0, False, False, ())
    assert result.projected_left == Decimal("3650.00")


def test_after_the_period_the_forecast_is_what_was_left():
    result = run(dt.date(2026, 2, 1), "3000.00")
    assert (result.days_left, result.runs_out_on) == (0, None)
    assert result.projected_left == Decimal("650.00")


def test_an_empty_budget_gives_no_warnings():
    assert run(dt.date(2025, 6, 1), "0.00", planned="0.00").warnings == ()


# --- Properties ------------------------------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def inputs(draw):
    start = draw(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)))
    end = start + dt.timedelta(days=draw(st.integers(0, 800)))
    today = start + dt.timedelta(days=draw(st.integers(-60, (end - start).days + 60)))
    planned = draw(cents)
    spent = draw(st.one_of(cents, st.just(Decimal("0.00"))))
    committed = draw(st.one_of(cents, st.just(Decimal("0.00"))))
    return ForecastInput(start, end, today, planned, spent, committed, draw(st.integers(1, 100)))


@given(inputs())
def test_days_are_never_negative_and_the_run_out_day_is_inside_the_period(data):
    result = forecast(data)
    assert 0 <= result.days_passed <= result.days_total and result.days_left >= 0
    if result.runs_out_on is not None:
        assert data.today <= result.runs_out_on < data.period_end
        assert WarningCode.RUNS_OUT in result.warnings


@given(inputs())
def test_the_projected_balance_follows_the_rate(data):
    result = forecast(data)
    linear = round_money(data.spent + result.daily_rate * result.days_left)
    assert result.projected_use == max(linear, round_money(data.spent + data.committed))
    assert result.projected_left == data.planned_total - result.projected_use
    assert result.projected_use >= data.spent and result.left_at_end >= 0
    if result.days_passed:
        assert round_money(result.daily_rate * result.days_passed) == data.spent


@given(inputs())
def test_no_spending_means_no_rate_and_no_running_out(data):
    data = ForecastInput(data.period_start, data.period_end, data.today, data.planned_total, Decimal("0.00"),
                         data.committed, data.warning_percent)
    result = forecast(data)
    assert result.daily_rate == 0 and result.runs_out_on is None
    assert WarningCode.THRESHOLD not in result.warnings and WarningCode.RUNS_OUT not in result.warnings


@given(inputs())
def test_nothing_is_called_unused_early_in_the_period(data):
    result = forecast(data)
    if result.days_passed <= UNUSED_CHECK_AFTER_SHARE * result.days_total:
        assert WarningCode.UNUSED not in result.warnings
    if WarningCode.UNUSED in result.warnings:
        assert result.projected_left >= UNUSED_SHARE_WARNING * data.planned_total > 0


@given(inputs())
def test_spending_more_never_leaves_more(data):
    more = ForecastInput(data.period_start, data.period_end, data.today, data.planned_total,
                         data.spent + Decimal("100.00"), data.committed, data.warning_percent)
    assert forecast(more).projected_left <= forecast(data).projected_left
