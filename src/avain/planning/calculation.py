"""The budget calculation: pure functions from needs, prices, a period and the organiser's rule to an explained budget.

The inputs are immutable and dated; nothing here touches the database, so the same inputs always give the
same budget, today or years later from a decision's snapshot. The rules are described for people in
``docs/budget-calculation.md``; in short:

* **Frequency.** A need's quantity is "quantity per <frequency>": in the whole budget period (total), a week or
  a month. Each explained line is *quantity × unit price × period = amount*, where the period is a number of
  the frequency's time units in that piece of the budget period, counted exactly (a :class:`~fractions.Fraction`):

  - in the whole period: the piece's days ÷ the budget period's days (1 when the line covers the whole period);
  - a week: the piece's days ÷ 7;
  - a month: each day counts as 1 ÷ the number of days in its calendar month, so a whole calendar month is
    exactly one month and a calendar year exactly twelve, in leap years too.

  All three are sums over days, so they are additive: cutting a piece in two cuts its period into two parts that
  add up exactly.
* **Price changes.** When the service's price changes inside the budget period, the line is cut at each change,
  and each piece is priced with the price in force on it. A day without a price stops the calculation
  (:class:`MissingPrice`); it is never priced as zero.
* **Rounding.** Each line's amount is computed exactly and rounded once, half up to the cent (``round_money``).
  The lines total is the exact sum of the lines.
* **The organiser's rule** (:func:`apply_rules`): a percentage of the lines total (the result rounded half up to
  the cent, as it is an amount a person sees), then an upper limit (cap), then, if the rule says so, rounding
  half up to the whole euro, applied once, to the total after the percentage and the cap. Without a rule the
  budget is the lines total.
"""

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from django.utils.translation import get_language, gettext

from avain.core.money import money_sum, round_money
from avain.core.periods import Period
from avain.core.templatetags.avain import euros, number

# How often a need's quantity is counted. The values are stored (planning.models.Frequency uses them).
PER_PERIOD = "period"
PER_WEEK = "week"
PER_MONTH = "month"
FREQUENCIES = (PER_PERIOD, PER_WEEK, PER_MONTH)

# How the organiser's rule rounds the final budget (planning.models.Rounding uses these values).
TO_CENT = "cent"
TO_EURO = "euro"
ROUNDINGS = (TO_CENT, TO_EURO)

HUNDRED = Decimal(100)
EURO = Decimal(1)


@dataclass(frozen=True)
class LocalizedName:
    """A service's name in Finnish, Swedish and English, as it was when the budget was computed."""

    fi: str
    sv: str = ""
    en: str = ""

    def get(self, language: str | None) -> str:
        value = {"sv": self.sv, "en": self.en}.get((language or "fi")[:2], self.fi)
        return value or self.fi

    def __str__(self) -> str:
        return self.get(get_language())


@dataclass(frozen=True)
class NeedInput:
    service_code: str
    service_name: LocalizedName  # a plain string is taken as the name in every language
    unit: str
    quantity: Decimal  # per frequency
    frequency: str = PER_PERIOD

    def __post_init__(self) -> None:
        if isinstance(self.service_name, str):
            object.__setattr__(self, "service_name", LocalizedName(self.service_name, self.service_name, self.service_name))
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"unknown frequency {self.frequency!r}")


@dataclass(frozen=True)
class PriceInput:
    service_code: str
    unit_price: Decimal
    valid_from: dt.date
    valid_to: dt.date | None  # None: in force until further notice


@dataclass(frozen=True)
class RuleInput:
    """The organiser's budget rule: a percentage of the computed value, an upper limit, and how to round."""

    valid_from: dt.date
    valid_to: dt.date | None = None
    percentage: Decimal = HUNDRED
    cap: Decimal | None = None
    rounding: str = TO_CENT

    def __post_init__(self) -> None:
        if not self.percentage.is_finite() or self.percentage < 0:
            raise ValueError("the percentage must be zero or more")
        if self.cap is not None and (not self.cap.is_finite() or self.cap < 0 or self.cap != round_money(self.cap)):
            raise ValueError("the cap must be zero or more, to the cent")
        if self.rounding not in ROUNDINGS:
            raise ValueError(f"unknown rounding {self.rounding!r}")
        if self.rounding == TO_EURO and self.cap is not None and self.cap != self.cap.to_integral_value():
            # Rounding up to the euro could otherwise go over the cap.
            raise ValueError("with rounding to the euro the cap must be whole euros")

    def in_force_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class ExplainedLine:
    """One piece of one need: quantity (per frequency) × unit price × period (``units``) = amount."""

    service_code: str
    service_name: LocalizedName
    unit: str
    frequency: str
    quantity: Decimal  # per frequency, as recorded in the needs assessment
    period: Period  # the piece of the budget period this line covers
    period_days: int  # days in the whole budget period (what "in the whole period" is counted against)
    units: Fraction  # the piece in the frequency's time units: share of the period, weeks or months; exact
    unit_price: Decimal
    amount: Decimal  # round_money(exact_amount), the one rounding

    @property
    def days(self) -> int:
        return self.period.days

    @property
    def exact_amount(self) -> Fraction:
        return Fraction(self.quantity) * Fraction(self.unit_price) * self.units

    @property
    def quantity_in_piece(self) -> Fraction:
        """How many units of the service this line counts, exactly."""
        return Fraction(self.quantity) * self.units


@dataclass(frozen=True)
class BudgetCalculation:
    period: Period
    lines: tuple[ExplainedLine, ...]

    @property
    def total(self) -> Decimal:
        return money_sum(line.amount for line in self.lines)


class MissingPrice(Exception):
    """A need whose service has no price for some days of the period. Never priced as zero."""

    def __init__(self, service_code: str, service_name: LocalizedName | str, uncovered: Period):
        self.service_code = service_code
        self.names = LocalizedName(service_name, service_name, service_name) if isinstance(service_name, str) else service_name
        self.uncovered = uncovered
        super().__init__(f"no price for {service_code} from {uncovered.start} to {uncovered.end}")

    @property
    def service_name(self) -> str:
        return str(self.names)


# --- Frequencies: how many weeks, months or parts of the period a piece is -------------------------------------


def month_parts(piece: Period) -> list[tuple[int, int]]:
    """The piece cut at calendar months: (days of the piece in that month, days in that month), in date order."""
    parts = []
    day = piece.start
    while day <= piece.end:
        month_days = calendar.monthrange(day.year, day.month)[1]
        month_end = day.replace(day=month_days)
        last = min(month_end, piece.end)
        parts.append(((last - day).days + 1, month_days))
        day = last + dt.timedelta(days=1)
    return parts


def period_units(frequency: str, piece: Period, period: Period) -> Fraction:
    """How many of the frequency's time units the piece is, exactly."""
    if frequency == PER_PERIOD:
        return Fraction(piece.days, period.days)
    if frequency == PER_WEEK:
        return Fraction(piece.days, 7)
    if frequency == PER_MONTH:
        return sum((Fraction(days, month_days) for days, month_days in month_parts(piece)), Fraction(0))
    raise ValueError(f"unknown frequency {frequency!r}")


def round_fraction_to_money(value: Fraction) -> Decimal:
    """An exact amount to euros: one division with room to spare, then the one rounding ``round_money``.

    The denominators here are small (at most 100 × 100 × 7 × the months' lengths), so 60 digits hold the quotient
    far past the cent: a value exactly on a half cent stays exactly on it and rounds up.
    """
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    return round_money(exact)


# --- The calculation ---------------------------------------------------------------------------------------------


def _price_pieces(need: NeedInput, prices: Sequence[PriceInput], period: Period) -> list[tuple[Period, Decimal]]:
    """Cut the period where the service's price changes; fail on the first day that has no price."""
    relevant = sorted(
        (p for p in prices if p.service_code == need.service_code), key=lambda p: p.valid_from
    )
    pieces: list[tuple[Period, Decimal]] = []
    day = period.start
    for price in relevant:
        price_end = price.valid_to or dt.date.max
        if price_end < day or price.valid_from > period.end:
            continue
        if price.valid_from > day:
            raise MissingPrice(need.service_code, need.service_name, Period(day, price.valid_from - dt.timedelta(days=1)))
        piece_end = min(price_end, period.end)
        pieces.append((Period(day, piece_end), price.unit_price))
        if piece_end == period.end:
            return pieces
        day = piece_end + dt.timedelta(days=1)
    raise MissingPrice(need.service_code, need.service_name, Period(day, period.end))


def calculate_budget(needs: Sequence[NeedInput], prices: Sequence[PriceInput], period: Period) -> BudgetCalculation:
    """Explained lines for the needs at the prices of the period: one line per need and price piece."""
    lines: list[ExplainedLine] = []
    for need in needs:
        for piece, unit_price in _price_pieces(need, prices, period):
            units = period_units(need.frequency, piece, period)
            exact = Fraction(need.quantity) * Fraction(unit_price) * units
            lines.append(
                ExplainedLine(
                    service_code=need.service_code,
                    service_name=need.service_name,
                    unit=need.unit,
                    frequency=need.frequency,
                    quantity=need.quantity,
                    period=piece,
                    period_days=period.days,
                    units=units,
                    unit_price=unit_price,
                    amount=round_fraction_to_money(exact),
                )
            )
    return BudgetCalculation(period=period, lines=tuple(lines))


# --- The organiser's rule ----------------------------------------------------------------------------------------


def rule_in_force(rules: Iterable[RuleInput], day: dt.date) -> RuleInput | None:
    """The rule in force on ``day`` (the budget period's first day), or None when the organiser has none."""
    in_force = [rule for rule in rules if rule.in_force_on(day)]
    if len(in_force) > 1:
        raise ValueError(f"{len(in_force)} budget rules are in force on {day}")
    return in_force[0] if in_force else None


def round_to_euro(value: Decimal) -> Decimal:
    """The organiser's optional rounding: half up to the whole euro, kept as an amount with cents (1234.00)."""
    return round_money(value.quantize(EURO, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class RuleStep:
    """One row of the rule's explanation: what was done, how much it changed the budget, and the result."""

    kind: str  # "percentage", "cap" or "rounding"
    effect: Decimal
    result: Decimal
    percentage: Decimal | None = None
    cap: Decimal | None = None

    @property
    def text(self) -> str:
        if self.kind == "percentage":
            return gettext("%(percentage)s %% of the value of the services") % {"percentage": number(self.percentage)}
        if self.kind == "cap":
            return gettext("Upper limit of the budget %(cap)s") % {"cap": euros(self.cap)}
        return gettext("Rounded to whole euros")


@dataclass(frozen=True)
class RuledBudget:
    """The lines total shaped by the organiser's rule, with each step's effect. Every amount is to the cent and the
    effects add up: lines_total + percentage_effect + cap_effect + rounding_effect == total."""

    lines_total: Decimal
    rule: RuleInput | None  # None: the organiser has no rule for the period, so none is applied
    after_percentage: Decimal
    after_cap: Decimal
    total: Decimal

    @property
    def percentage(self) -> Decimal:
        return self.rule.percentage if self.rule else HUNDRED

    @property
    def cap(self) -> Decimal | None:
        return self.rule.cap if self.rule else None

    @property
    def rounding(self) -> str:
        return self.rule.rounding if self.rule else TO_CENT

    @property
    def percentage_effect(self) -> Decimal:
        return self.after_percentage - self.lines_total

    @property
    def cap_effect(self) -> Decimal:
        return self.after_cap - self.after_percentage

    @property
    def cap_applied(self) -> bool:
        return self.after_cap < self.after_percentage

    @property
    def rounding_effect(self) -> Decimal:
        return self.total - self.after_cap

    @property
    def steps(self) -> tuple[RuleStep, ...]:
        """The rows that explain the rule: the percentage (unless 100 %), the cap (if any) and euro rounding."""
        steps = []
        if self.percentage != HUNDRED:
            steps.append(RuleStep("percentage", self.percentage_effect, self.after_percentage, percentage=self.percentage))
        if self.cap is not None:
            steps.append(RuleStep("cap", self.cap_effect, self.after_cap, cap=self.cap))
        if self.rounding == TO_EURO:
            steps.append(RuleStep("rounding", self.rounding_effect, self.total))
        return tuple(steps)

    @property
    def explanation(self) -> tuple[str, ...]:
        """The explanation in words, in the active language: the services' value, each rule step, the total."""
        parts = [gettext("Services in total: %(amount)s") % {"amount": euros(self.lines_total)}]
        for step in self.steps:
            parts.append(
                gettext("%(step)s: %(effect)s, giving %(result)s")
                % {"step": step.text, "effect": signed_euros(step.effect), "result": euros(step.result)}
            )
        parts.append(gettext("Budget in total: %(amount)s") % {"amount": euros(self.total)})
        return tuple(parts)


def signed_euros(amount: Decimal) -> str:
    """+0,72 € or −150,05 € (a real minus sign); zero without a sign."""
    if amount > 0:
        return f"+{euros(amount)}"
    if amount < 0:
        return f"\N{MINUS SIGN}{euros(-amount)}"
    return euros(amount)


def apply_rules(calculation: BudgetCalculation | Decimal, rule: RuleInput | None) -> RuledBudget:
    """Shape the lines total with the organiser's rule, in this order, each step once:

    1. the percentage of the lines total, rounded half up to the cent (``round_money``; exact at 100 %);
    2. the cap: the budget is at most the cap;
    3. with rounding to the euro, half up to the whole euro, once, on the total after 1 and 2. With rounding to the
       cent nothing more happens: every amount is already to the cent.

    No rule: the budget is the lines total. The result is never negative and never over the cap.
    """
    lines_total = calculation.total if isinstance(calculation, BudgetCalculation) else calculation
    if lines_total < 0:
        raise ValueError("a lines total cannot be negative")
    if rule is None:
        return RuledBudget(lines_total, None, lines_total, lines_total, lines_total)
    after_percentage = round_money(lines_total * rule.percentage / HUNDRED)
    after_cap = after_percentage if rule.cap is None else min(after_percentage, rule.cap)
    total = round_to_euro(after_cap) if rule.rounding == TO_EURO else after_cap
    return RuledBudget(lines_total, rule, after_percentage, after_cap, total)

