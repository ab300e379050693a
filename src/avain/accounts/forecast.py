"""How a budget is likely to last: a linear forecast from the spending rate so far, and the warnings it gives.

Pure functions of dated, immutable inputs (no database, no clock), so the rule can be tested on its own and reads
the same on every page. The rule, in words:

* The *rate* is what has been spent so far divided by the days of the period that have passed (today included).
* At that rate, spending by the period's end is what was spent plus the rate times the days still to come. Money
  already reserved by agreements will be spent too, so the forecast use is never below spent + committed.
* The forecast balance at the end is the planned total (what the whole period's budget adds up to) minus that use.
* Warnings: the spent share reached the account's warning percent; at this rate the money runs out before the period
  ends; or the forecast leaves a large share unused once enough of the period has passed to tell.
"""

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from avain.core.money import ZERO, round_money

# Warn about money left unused when the forecast leaves at least this share of the planned total at the end …
UNUSED_SHARE_WARNING = Decimal("0.25")
# … but only once more than this share of the period has passed: early on a slow start says little.
UNUSED_CHECK_AFTER_SHARE = Decimal("0.25")


class WarningCode:
    """Codes of the warnings; pages turn them into sentences in the reader's language."""

    THRESHOLD = "threshold"
    RUNS_OUT = "runs_out"
    UNUSED = "unused"


@dataclass(frozen=True)
class ForecastInput:
    period_start: dt.date
    period_end: dt.date
    today: dt.date
    planned_total: Decimal  # the whole period's budget, all instalments included
    spent: Decimal
    committed: Decimal
    warning_percent: int


@dataclass(frozen=True)
class Forecast:
    days_total: int
    days_passed: int  # 0 before the period starts, days_total after it has ended
    daily_rate: Decimal  # not rounded: an intermediate figure, never shown
    projected_use: Decimal  # money used by the period's end at this rate, rounded once
    projected_left: Decimal  # planned total − projected use; negative when the money would not last
    runs_out_on: dt.date | None  # the day the money runs out at this rate, when that is before the period's end
    used_percent: Decimal  # spent / planned total × 100, rounded to the cent of a percent
    warnings: tuple[str, ...]

    @property
    def days_left(self) -> int:
        return self.days_total - self.days_passed

    @property
    def left_at_end(self) -> Decimal:
        """The forecast balance as a page says it: never below zero (running out is said in words)."""
        return max(self.projected_left, ZERO)

    @property
    def has_spending(self) -> bool:
        return self.daily_rate > 0

    @property
    def started(self) -> bool:
        return self.days_passed > 0


def forecast(data: ForecastInput) -> Forecast:
    days_total = (data.period_end - data.period_start).days + 1
    days_passed = min(max((data.today - data.period_start).days + 1, 0), days_total)
    days_left = days_total - days_passed
    spent = data.spent
    planned = data.planned_total

    rate = spent / days_passed if days_passed and spent > 0 else Decimal(0)
    projected_use = round_money(max(spent + rate * days_left, spent + data.committed))
    projected_left = planned - projected_use

    runs_out_on = None
    if planned > 0 and rate > 0 and days_left > 0:
        money_left = planned - spent
        # Whole days from today until the spending reaches the planned total; 0 when it already has.
        days = max(math.ceil(money_left / rate), 0) if money_left > 0 else 0
        if days < (data.period_end - data.today).days:  # compared as a count: a far-off date may not exist
            runs_out_on = data.today + dt.timedelta(days=days)

    used_percent = round_money(spent * 100 / planned) if planned > 0 else ZERO

    warnings = []
    if planned > 0:
        if spent > 0 and spent * 100 >= planned * data.warning_percent:  # exact, not the rounded percent
            warnings.append(WarningCode.THRESHOLD)
        if runs_out_on is not None:
            warnings.append(WarningCode.RUNS_OUT)
        if (
            Decimal(days_passed) > UNUSED_CHECK_AFTER_SHARE * days_total
            and projected_left >= UNUSED_SHARE_WARNING * planned
        ):
            warnings.append(WarningCode.UNUSED)
    return Forecast(
        days_total=days_total,
        days_passed=days_passed,
        daily_rate=rate,
        projected_use=projected_use,
        projected_left=projected_left,
        runs_out_on=runs_out_on,
        used_percent=used_percent,
        warnings=tuple(warnings),
    )
