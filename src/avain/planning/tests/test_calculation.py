"""The budget calculation (avain.planning.calculation): pure functions, tested without a database.

Examples pin the arithmetic to concrete numbers; Hypothesis properties check the rules (docs/budget-calculation.md)
for any needs, frequencies, prices, periods and organiser rules: additive over needs and over split periods, each
line rounded once half up, the total the exact sum of the lines, the period cut exactly at every price change,
frequencies converted exactly, a missing price always an error, never zero, and the organiser's percentage, cap and
euro rounding applied once each, in order, never over the cap and never below zero.
"""

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from avain.core.periods import Period
from avain.planning.calculation import (
    PER_MONTH,
    PER_PERIOD,
    PER_WEEK,
    TO_CENT,
    TO_EURO,
    BudgetCalculation,
    LocalizedName,
    MissingPrice,
    NeedInput,
    PriceInput,
    RuleInput,
    apply_rules,
    calculate_budget,
    month_parts,
    period_units,
    round_to_euro,
    rule_in_force,
)

D = dt.date
YEAR_2024 = Period(D(2024, 1, 1), D(2024, 12, 31))  # a leap year: 366 days


def need(code="KP", quantity="100", name=None, unit="hour", frequency=PER_PERIOD):
    return NeedInput(code, name or f"Palvelu {code}", unit, Decimal(quantity), frequency)


def price(code, unit_price, valid_from, valid_to=None):
    return PriceInput(code, Decimal(unit_price), valid_from, valid_to)


def half_up_cents(value: Fraction) -> Decimal:
    """Exact rational → euros, rounded half up (away from zero) to the cent, computed independently of Decimal."""
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    return Decimal(cents if value >= 0 else -cents) / 100


# --- Examples --------------------------------------------------------------------------------------------------


def test_one_need_with_one_price_is_quantity_times_price():
    result = calculate_budget([need("KP", "100")], [price("KP", "30.00", D(2020, 1, 1))], YEAR_2024)
    assert isinstance(result, BudgetCalculation)
    assert result.period == YEAR_2024
    assert len(result.lines) == 1
    line = result.lines[0]
    assert (line.service_code, str(line.service_name), line.unit) == ("KP", "Palvelu KP", "hour")
    assert line.period == YEAR_2024
    assert (line.quantity, line.frequency, line.units) == (Decimal("100"), PER_PERIOD, 1)
    assert line.unit_price == Decimal("30.00")
    assert line.amount == Decimal("3000.00")
    assert result.total == Decimal("3000.00")


def test_several_needs_make_one_line_each_and_the_total_is_their_sum():
    prices = [price("KP", "30.00", D(2020, 1, 1)), price("KULJ", "0.57", D(2024, 1, 1), D(2024, 12, 31))]
    result = calculate_budget([need("KP", "100"), need("KULJ", "1234.5", unit="km")], prices, YEAR_2024)
    assert [line.service_code for line in result.lines] == ["KP", "KULJ"]
    assert result.lines[1].amount == Decimal("703.67")  # 1234.5 × 0.57 = 703.665, half up
    assert result.total == Decimal("3703.67")


def test_no_needs_is_an_empty_budget_of_zero():
    result = calculate_budget([], [price("KP", "30.00", D(2020, 1, 1))], YEAR_2024)
    assert result.lines == ()
    assert result.total == Decimal("0.00")


def test_price_change_in_the_middle_of_the_period_cuts_the_line_at_the_change():
    prices = [price("KP", "32.00", D(2024, 7, 1)), price("KP", "30.00", D(2023, 1, 1), D(2024, 6, 30))]  # unsorted
    result = calculate_budget([need("KP", "100")], prices, YEAR_2024)
    first, second = result.lines
    assert first.period == Period(D(2024, 1, 1), D(2024, 6, 30))  # 182 days
    assert second.period == Period(D(2024, 7, 1), D(2024, 12, 31))  # 184 days
    assert (first.unit_price, second.unit_price) == (Decimal("30.00"), Decimal("32.00"))
    # The quantity is the need's, over the whole period; each piece is its days' share of the period.
    assert (first.quantity, second.quantity) == (Decimal("100"), Decimal("100"))
    assert (first.units, second.units) == (Fraction(182, 366), Fraction(184, 366))
    # 100 × 182/366 = 49.72677…, 100 × 184/366 = 50.27322…
    assert first.quantity_in_piece + second.quantity_in_piece == 100
    # 49.72677… × 30 = 1491.803…; 50.27322… × 32 = 1608.743…
    assert (first.amount, second.amount) == (Decimal("1491.80"), Decimal("1608.74"))
    assert result.total == Decimal("3100.54")


def test_two_price_changes_give_three_lines():
    prices = [
        price("KP", "10.00", D(2024, 1, 1), D(2024, 3, 31)),
        price("KP", "20.00", D(2024, 4, 1), D(2024, 4, 30)),
        price("KP", "30.00", D(2024, 5, 1)),
    ]
    result = calculate_budget([need("KP", "366")], prices, YEAR_2024)  # one unit a day
    assert [(l.period.start, l.period.end) for l in result.lines] == [
        (D(2024, 1, 1), D(2024, 3, 31)),
        (D(2024, 4, 1), D(2024, 4, 30)),
        (D(2024, 5, 1), D(2024, 12, 31)),
    ]
    assert [l.quantity_in_piece for l in result.lines] == [91, 30, 245]
    assert [l.amount for l in result.lines] == [Decimal("910.00"), Decimal("600.00"), Decimal("7350.00")]
    assert result.total == Decimal("8860.00")


def test_a_price_ending_on_the_last_day_and_one_starting_after_the_period_do_not_cut():
    prices = [price("KP", "30.00", D(2024, 1, 1), D(2024, 12, 31)), price("KP", "99.00", D(2025, 1, 1))]
    result = calculate_budget([need("KP", "10")], prices, YEAR_2024)
    assert len(result.lines) == 1
    assert result.lines[0].amount == Decimal("300.00")


def test_prices_of_other_services_are_ignored():
    prices = [price("KP", "30.00", D(2020, 1, 1)), price("MUU", "1.00", D(2024, 6, 1))]
    result = calculate_budget([need("KP", "10")], prices, YEAR_2024)
    assert len(result.lines) == 1
    assert result.total == Decimal("300.00")


def test_a_zero_price_is_a_real_price_not_a_missing_one():
    result = calculate_budget([need("VERTAIS", "12")], [price("VERTAIS", "0.00", D(2020, 1, 1))], YEAR_2024)
    assert result.lines[0].amount == Decimal("0.00")
    assert result.total == Decimal("0.00")


def test_line_amount_is_rounded_half_up():
    # 0.5 × 0.05 = 0.025: half up gives 0.03 (half even would give 0.02)
    result = calculate_budget([need("X", "0.5")], [price("X", "0.05", D(2020, 1, 1))], YEAR_2024)
    assert result.lines[0].amount == Decimal("0.03")


def test_each_line_is_rounded_once_and_the_total_is_not_rounded_again():
    # Three lines of 1 × 0.333… would be 1.00 if the unrounded amounts were summed and then rounded;
    # each line is 0.33 and the total is their exact sum.
    prices = [
        price("A", "0.00", D(2024, 1, 1), D(2024, 1, 1)),
        price("A", "1.00", D(2024, 1, 2), D(2024, 1, 2)),
        price("A", "0.00", D(2024, 1, 3), D(2024, 1, 3)),
    ]
    three_days = Period(D(2024, 1, 1), D(2024, 1, 3))
    result = calculate_budget([need("A", "1"), need("A", "1"), need("A", "1")], prices, three_days)
    assert [l.amount for l in result.lines] == [Decimal("0.00"), Decimal("0.33"), Decimal("0.00")] * 3
    assert result.total == Decimal("0.99")


def test_a_split_line_at_an_exact_half_cent_rounds_up():
    # 2024 has 366 days; 1 Jan–1 May is 122 days, exactly a third. 10.03 × 25.50 / 3 = 85.255 exactly.
    # Dividing first (10.03 × 122 / 366 = 3.34333…3, cut to 28 digits) and then multiplying by 25.50 gives
    # 85.25499…9, which would round down to 85.25: the amount must come from the exact product.
    prices = [price("KP", "25.50", D(2024, 1, 1), D(2024, 5, 1)), price("KP", "9.00", D(2024, 5, 2))]
    result = calculate_budget([need("KP", "10.03")], prices, YEAR_2024)
    assert result.lines[0].period.days == 122
    assert result.lines[0].amount == Decimal("85.26")


def test_price_starting_after_the_period_starts_is_a_missing_price_for_the_first_days():
    with pytest.raises(MissingPrice) as error:
        calculate_budget([need("KP", "10", name="Kotipalvelu")], [price("KP", "30.00", D(2024, 3, 1))], YEAR_2024)
    assert error.value.service_code == "KP"
    assert error.value.service_name == "Kotipalvelu"
    assert error.value.uncovered == Period(D(2024, 1, 1), D(2024, 2, 29))
    assert "KP" in str(error.value) and "2024-01-01" in str(error.value) and "2024-02-29" in str(error.value)


def test_price_ending_before_the_period_ends_is_a_missing_price_for_the_last_days():
    with pytest.raises(MissingPrice) as error:
        calculate_budget([need("KP")], [price("KP", "30.00", D(2020, 1, 1), D(2024, 11, 30))], YEAR_2024)
    assert error.value.uncovered == Period(D(2024, 12, 1), D(2024, 12, 31))


def test_gap_between_two_prices_is_a_missing_price_for_the_gap():
    prices = [price("KP", "30.00", D(2020, 1, 1), D(2024, 4, 30)), price("KP", "31.00", D(2024, 5, 15))]
    with pytest.raises(MissingPrice) as error:
        calculate_budget([need("KP")], prices, YEAR_2024)
    assert error.value.uncovered == Period(D(2024, 5, 1), D(2024, 5, 14))


def test_service_without_any_price_is_missing_for_the_whole_period():
    with pytest.raises(MissingPrice) as error:
        calculate_budget([need("KP"), need("UUSI")], [price("KP", "30.00", D(2020, 1, 1))], YEAR_2024)
    assert error.value.service_code == "UUSI"
    assert error.value.uncovered == YEAR_2024


def test_the_calculation_does_not_change_its_inputs_and_repeats_exactly():
    needs = [need("KP", "100")]
    prices = [price("KP", "30.00", D(2020, 1, 1), D(2024, 6, 30)), price("KP", "32.00", D(2024, 7, 1))]
    first = calculate_budget(needs, prices, YEAR_2024)
    second = calculate_budget(tuple(needs), tuple(reversed(prices)), YEAR_2024)
    assert first == second


# --- Properties ------------------------------------------------------------------------------------------------

quantities = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
unit_prices = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("5000"), places=2)
# Half-integer quantities times odd-cent prices land exactly on half cents, where half up and half even differ.
tie_prone_quantities = st.one_of(
    quantities, st.integers(0, 10**5).map(lambda k: Decimal(50 * (2 * k + 1)) / 100)  # 0.50, 1.50, 2.50 …
)
cent_prices = st.integers(0, 500_000).map(lambda cents: Decimal(cents) / 100)
frequencies = st.sampled_from([PER_PERIOD, PER_WEEK, PER_MONTH])


def brute_units(frequency: str, piece: Period, period: Period) -> Fraction:
    """The documented frequency rule, day by day, independently of the code under test: each day of the piece
    weighs 1/(days in the budget period), 1/7 of a week, or 1/(days in its calendar month) of a month."""
    total = Fraction(0)
    day = piece.start
    while day <= piece.end:
        if frequency == PER_PERIOD:
            total += Fraction(1, period.days)
        elif frequency == PER_WEEK:
            total += Fraction(1, 7)
        else:
            next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            total += Fraction(1, (next_month - day.replace(day=1)).days)
        day += dt.timedelta(days=1)
    return total


@st.composite
def periods(draw, max_days=800):
    start = D(2020, 1, 1) + dt.timedelta(days=draw(st.integers(0, 3000)))
    return Period(start, start + dt.timedelta(days=draw(st.integers(0, max_days - 1))))


@st.composite
def price_list(draw, code: str, period: Period, max_changes: int = 6):
    """Prices covering the whole period, changing on a few days inside it; returns (prices, change days)."""
    inner_days = period.days - 1
    changes = sorted(
        draw(st.sets(st.integers(1, inner_days), max_size=min(max_changes, inner_days))) if inner_days else set()
    )
    change_days = [period.start + dt.timedelta(days=offset) for offset in changes]
    starts = [period.start - dt.timedelta(days=draw(st.integers(0, 400)))] + change_days
    prices = []
    for i, start in enumerate(starts):
        if i + 1 < len(starts):
            end = starts[i + 1] - dt.timedelta(days=1)
        else:
            end = draw(st.one_of(st.none(), st.integers(0, 400).map(lambda d: period.end + dt.timedelta(days=d))))
        prices.append(PriceInput(code, draw(st.one_of(unit_prices, cent_prices)), start, end))
    return prices, change_days


@st.composite
def budget_inputs(draw, services=("A", "B", "C")):
    period = draw(periods())
    prices = []
    for code in services:
        prices.extend(draw(price_list(code, period))[0])
    needs = draw(
        st.lists(
            st.builds(
                lambda c, q, f: NeedInput(c, f"Palvelu {c}", "hour", q, f),
                st.sampled_from(services),
                tie_prone_quantities,
                frequencies,
            ),
            max_size=5,
        )
    )
    return needs, draw(st.permutations(prices)), period


@given(data=st.data())
def test_budget_is_additive_over_needs(data):
    needs, prices, period = data.draw(budget_inputs())
    split = data.draw(st.integers(0, len(needs)))
    a, b = needs[:split], needs[split:]
    together = calculate_budget(a + b, prices, period)
    apart_a = calculate_budget(a, prices, period)
    apart_b = calculate_budget(b, prices, period)
    assert together.total == apart_a.total + apart_b.total
    assert together.lines == apart_a.lines + apart_b.lines


@settings(deadline=None)  # day-by-day reference arithmetic: exact, not fast
@given(budget_inputs())
def test_every_line_is_rounded_once_half_up_and_the_total_is_the_exact_sum(inputs):
    needs, prices, period = inputs
    result = calculate_budget(needs, prices, period)
    line_iter = iter(result.lines)
    for need_input in needs:
        need_lines = [line for line in result.lines if line.service_code == need_input.service_code]
        assert need_lines  # every need produces at least one line
    for line in result.lines:
        assert line.amount.as_tuple().exponent == -2
    # Walk needs and their lines in order (lines come in need order, pieces in date order).
    for need_input in needs:
        pieces = []
        day = period.start
        while day <= period.end:
            line = next(line_iter)
            assert line.period.start == day
            pieces.append(line)
            day = line.period.end + dt.timedelta(days=1)
        assert pieces[-1].period.end == period.end
        for line in pieces:
            assert (line.quantity, line.frequency) == (need_input.quantity, need_input.frequency)
            exact_share = Fraction(need_input.quantity) * brute_units(need_input.frequency, line.period, period)
            exact_amount = exact_share * Fraction(line.unit_price)
            assert line.exact_amount == exact_amount
            # Rounded once, half up, from the exact amount (never from an already rounded share).
            assert abs(Fraction(line.amount) - exact_amount) <= Fraction(1, 200)
            assert line.amount == half_up_cents(exact_amount)
    assert next(line_iter, None) is None
    assert result.total == sum((line.amount for line in result.lines), Decimal("0.00"))


@given(tie_prone_quantities, cent_prices)
def test_a_line_without_price_changes_is_quantity_times_price_rounded_half_up(quantity, unit_price):
    result = calculate_budget([NeedInput("KP", "Kotipalvelu", "hour", quantity)], [PriceInput("KP", unit_price, D(2020, 1, 1), None)], YEAR_2024)
    (line,) = result.lines
    assert line.amount == half_up_cents(Fraction(quantity) * Fraction(unit_price))
    assert result.total == line.amount


@given(data=st.data())
def test_price_changes_cut_the_line_at_each_change_and_the_pieces_add_up(data):
    period = data.draw(periods())
    prices, change_days = data.draw(price_list("KP", period))
    quantity = data.draw(quantities)
    result = calculate_budget([NeedInput("KP", "Kotipalvelu", "hour", quantity)], data.draw(st.permutations(prices)), period)
    lines = result.lines
    # One piece per price in force during the period, cut exactly at the change days.
    assert [line.period.start for line in lines] == [period.start] + change_days
    assert [line.period.end for line in lines] == [d - dt.timedelta(days=1) for d in change_days] + [period.end]
    assert sum(line.period.days for line in lines) == period.days
    # Each piece is priced with the price in force on it.
    for line in lines:
        in_force = [p for p in prices if p.valid_from <= line.period.start and (p.valid_to or D.max) >= line.period.end]
        assert [p.unit_price for p in in_force] == [line.unit_price]
    # The quantity is shared by days, exactly; the shares add up to the need.
    assert sum(line.units for line in lines) == 1
    assert sum(line.quantity_in_piece for line in lines) == quantity
    for line in lines:
        assert line.quantity_in_piece == Fraction(quantity) * line.period.days / period.days
    if not change_days:
        assert lines[0].quantity == quantity
        assert lines[0].amount == half_up_cents(Fraction(quantity) * Fraction(lines[0].unit_price))


@given(data=st.data())
def test_a_missing_price_on_any_day_raises_naming_the_service_and_the_uncovered_days(data):
    period = data.draw(periods(max_days=400))
    prices, _ = data.draw(price_list("KP", period))
    # Take away one or more of the price rows, or cut a hole of a few days into one of them.
    how = data.draw(st.sampled_from(["drop", "hole"]))
    if how == "drop":
        dropped = data.draw(st.sets(st.integers(0, len(prices) - 1), min_size=1))
        kept = [p for i, p in enumerate(prices) if i not in dropped]
    else:
        index = data.draw(st.integers(0, len(prices) - 1))
        victim = prices[index]
        lo = max(victim.valid_from, period.start)
        hi = min(victim.valid_to or D.max, period.end)
        hole_start = lo + dt.timedelta(days=data.draw(st.integers(0, (hi - lo).days)))
        hole_end = hole_start + dt.timedelta(days=data.draw(st.integers(0, (hi - hole_start).days)))
        pieces = []
        if hole_start > victim.valid_from:
            pieces.append(PriceInput("KP", victim.unit_price, victim.valid_from, hole_start - dt.timedelta(days=1)))
        if victim.valid_to is None or hole_end < victim.valid_to:
            pieces.append(PriceInput("KP", victim.unit_price, hole_end + dt.timedelta(days=1), victim.valid_to))
        kept = prices[:index] + pieces + prices[index + 1 :]

    def covered(day):
        return any(p.valid_from <= day <= (p.valid_to or D.max) for p in kept)

    days = [period.start + dt.timedelta(days=i) for i in range(period.days)]
    uncovered_days = [day for day in days if not covered(day)]
    assume(uncovered_days)
    first_gap_start = uncovered_days[0]
    first_gap_end = first_gap_start
    while first_gap_end < period.end and not covered(first_gap_end + dt.timedelta(days=1)):
        first_gap_end += dt.timedelta(days=1)

    other_service = [PriceInput("MUU", Decimal("1.00"), period.start, None)]  # a price for another service is no help
    shuffled = data.draw(st.permutations(kept + other_service))
    with pytest.raises(MissingPrice) as error:
        calculate_budget(
            [NeedInput("MUU", "Muu", "hour", Decimal("1")), NeedInput("KP", "Kotipalvelu", "hour", data.draw(quantities))],
            shuffled,
            period,
        )
    assert error.value.service_code == "KP"
    assert error.value.service_name == "Kotipalvelu"
    assert error.value.uncovered == Period(first_gap_start, first_gap_end)


@settings(max_examples=50)
@given(periods(), quantities)
def test_no_price_at_all_is_missing_for_the_whole_period(period, quantity):
    with pytest.raises(MissingPrice) as error:
        calculate_budget([NeedInput("KP", "Kotipalvelu", "hour", quantity)], [], period)
    assert error.value.uncovered == period


# --- Frequencies: examples -------------------------------------------------------------------------------------

YEAR_2025 = Period(D(2025, 1, 1), D(2025, 12, 31))  # 365 days


def test_a_weekly_quantity_is_counted_for_the_weeks_of_the_period():
    # 3 hours a week × 30.00 € × 365/7 weeks = 4 692.857… → 4 692.86
    result = calculate_budget([need("KP", "3", frequency=PER_WEEK)], [price("KP", "30.00", D(2020, 1, 1))], YEAR_2025)
    (line,) = result.lines
    assert (line.quantity, line.frequency, line.units, line.days) == (Decimal("3"), PER_WEEK, Fraction(365, 7), 365)
    assert line.exact_amount == Fraction(3 * 30 * 365, 7)
    assert line.amount == Decimal("4692.86")


def test_a_weekly_quantity_is_split_at_a_price_change_by_the_days_on_each_side():
    prices = [price("KP", "30.00", D(2020, 1, 1), D(2025, 6, 30)), price("KP", "33.00", D(2025, 7, 1))]
    first, second = calculate_budget([need("KP", "2", frequency=PER_WEEK)], prices, YEAR_2025).lines
    assert (first.units, second.units) == (Fraction(181, 7), Fraction(184, 7))
    assert (first.amount, second.amount) == (Decimal("1551.43"), Decimal("1734.86"))  # 1551.428…, 1734.857…


@pytest.mark.parametrize("year", [2024, 2025])  # a leap year and an ordinary one
def test_a_calendar_year_is_exactly_twelve_months(year):
    period = Period(D(year, 1, 1), D(year, 12, 31))
    result = calculate_budget([need("TUKI", "2", unit="visit", frequency=PER_MONTH)], [price("TUKI", "50.00", D(2020, 1, 1))], period)
    (line,) = result.lines
    assert line.units == 12
    assert line.amount == Decimal("1200.00")


def test_a_monthly_quantity_counts_each_day_as_a_share_of_its_own_month():
    # 15 January – 14 February 2025: 17 of January's 31 days and 14 of February's 28.
    period = Period(D(2025, 1, 15), D(2025, 2, 14))
    assert month_parts(period) == [(17, 31), (14, 28)]
    (line,) = calculate_budget([need("TUKI", "4", frequency=PER_MONTH)], [price("TUKI", "10.00", D(2020, 1, 1))], period).lines
    assert line.units == Fraction(17, 31) + Fraction(14, 28)
    assert line.amount == Decimal("41.94")  # 4 × 10 × (17/31 + 1/2) = 41.935… → 41.94


def test_a_price_change_on_the_first_of_the_month_gives_whole_months():
    prices = [price("TUKI", "40.00", D(2020, 1, 1), D(2025, 3, 31)), price("TUKI", "45.00", D(2025, 4, 1))]
    first, second = calculate_budget([need("TUKI", "2", frequency=PER_MONTH)], prices, YEAR_2025).lines
    assert (first.units, second.units) == (3, 9)
    assert (first.amount, second.amount) == (Decimal("240.00"), Decimal("810.00"))


def test_period_units_per_frequency():
    piece = Period(D(2024, 2, 1), D(2024, 2, 29))  # all of February in a leap year
    assert period_units(PER_PERIOD, piece, YEAR_2024) == Fraction(29, 366)
    assert period_units(PER_WEEK, piece, YEAR_2024) == Fraction(29, 7)
    assert period_units(PER_MONTH, piece, YEAR_2024) == 1
    with pytest.raises(ValueError):
        period_units("fortnight", piece, YEAR_2024)


def test_an_unknown_frequency_is_refused():
    with pytest.raises(ValueError):
        NeedInput("KP", "Kotipalvelu", "hour", Decimal("1"), "fortnight")


def test_a_service_name_is_kept_in_every_language():
    names = LocalizedName("Kotipalvelu", "Hemservice", "Home help")
    (line,) = calculate_budget([NeedInput("KP", names, "hour", Decimal("1"))], [price("KP", "1.00", D(2020, 1, 1))], YEAR_2024).lines
    assert line.service_name == names
    assert [names.get(language) for language in ("fi", "sv", "en", "de")] == ["Kotipalvelu", "Hemservice", "Home help", "Kotipalvelu"]
    assert LocalizedName("Kotipalvelu").get("sv") == "Kotipalvelu"  # no Swedish name: the Finnish one


# --- The organiser's rule: examples ----------------------------------------------------------------------------


def rule(percentage="100", cap=None, rounding=TO_CENT, valid_from=D(2020, 1, 1), valid_to=None):
    return RuleInput(valid_from, valid_to, Decimal(percentage), None if cap is None else Decimal(cap), rounding)


def test_no_rule_leaves_the_lines_total_as_it_is():
    ruled = apply_rules(Decimal("1000.33"), None)
    assert (ruled.lines_total, ruled.after_percentage, ruled.after_cap, ruled.total) == (Decimal("1000.33"),) * 4
    assert (ruled.percentage, ruled.cap, ruled.rounding) == (Decimal(100), None, TO_CENT)
    assert ruled.steps == ()


def test_a_percentage_is_rounded_half_up_to_the_cent_once():
    ruled = apply_rules(Decimal("1000.33"), rule("85"))  # 850.2805 → 850.28
    assert ruled.after_percentage == ruled.total == Decimal("850.28")
    assert ruled.percentage_effect == Decimal("-150.05")
    assert [step.kind for step in ruled.steps] == ["percentage"]
    half = apply_rules(Decimal("0.10"), rule("25"))  # 0.025 → 0.03 half up
    assert half.total == Decimal("0.03")


def test_the_cap_limits_the_budget_and_says_how_much():
    ruled = apply_rules(Decimal("1000.33"), rule("85", cap="800.00"))
    assert (ruled.after_percentage, ruled.after_cap, ruled.total) == (Decimal("850.28"), Decimal("800.00"), Decimal("800.00"))
    assert ruled.cap_applied and ruled.cap_effect == Decimal("-50.28")
    not_reached = apply_rules(Decimal("500.00"), rule(cap="800.00"))
    assert not not_reached.cap_applied and not_reached.cap_effect == 0 and not_reached.total == Decimal("500.00")
    assert [step.kind for step in not_reached.steps] == ["cap"]


def test_rounding_to_the_euro_is_half_up_once_on_the_total_after_percentage_and_cap():
    assert apply_rules(Decimal("1000.33"), rule("85", rounding=TO_EURO)).total == Decimal("850.00")
    ruled = apply_rules(Decimal("1701.00"), rule("50", rounding=TO_EURO))  # 850.50 → 851
    assert (ruled.after_cap, ruled.total, ruled.rounding_effect) == (Decimal("850.50"), Decimal("851.00"), Decimal("0.50"))
    assert [step.kind for step in ruled.steps] == ["percentage", "rounding"]
    assert round_to_euro(Decimal("0.49")) == Decimal("0.00") and round_to_euro(Decimal("0.50")) == Decimal("1.00")


def test_the_effects_add_up_to_the_total_and_the_explanation_names_each_step():
    from django.utils import translation

    ruled = apply_rules(Decimal("1000.33"), rule("85", cap="800", rounding=TO_EURO))
    assert ruled.lines_total + ruled.percentage_effect + ruled.cap_effect + ruled.rounding_effect == ruled.total
    with translation.override("en"):
        assert ruled.explanation == (
            "Services in total: 1,000.33\N{NO-BREAK SPACE}€",
            "85 % of the value of the services: \N{MINUS SIGN}150.05\N{NO-BREAK SPACE}€, giving 850.28\N{NO-BREAK SPACE}€",
            "Upper limit of the budget 800.00\N{NO-BREAK SPACE}€: \N{MINUS SIGN}50.28\N{NO-BREAK SPACE}€, giving 800.00\N{NO-BREAK SPACE}€",
            "Rounded to whole euros: 0.00\N{NO-BREAK SPACE}€, giving 800.00\N{NO-BREAK SPACE}€",
            "Budget in total: 800.00\N{NO-BREAK SPACE}€",
        )


@pytest.mark.parametrize(
    "bad",
    [
        dict(percentage=Decimal("-1")),
        dict(percentage=Decimal("NaN")),
        dict(cap=Decimal("-0.01")),
        dict(cap=Decimal("1.001")),
        dict(rounding="dime"),
        dict(cap=Decimal("100.50"), rounding=TO_EURO),  # euro rounding could go over a cap with cents
    ],
)
def test_a_rule_that_could_break_the_documented_guarantees_is_refused(bad):
    with pytest.raises(ValueError):
        RuleInput(D(2020, 1, 1), **bad)


def test_the_rule_in_force_on_the_first_day_of_the_period_is_the_one_used():
    old = rule("90", valid_from=D(2020, 1, 1), valid_to=D(2024, 12, 31))
    new = rule("80", valid_from=D(2025, 1, 1))
    assert rule_in_force([new, old], D(2024, 12, 31)) == old
    assert rule_in_force([new, old], D(2025, 1, 1)) == new
    assert rule_in_force([new], D(2024, 6, 1)) is None
    with pytest.raises(ValueError):
        rule_in_force([old, rule("70", valid_from=D(2024, 1, 1))], D(2024, 6, 1))


# --- Properties: frequencies, split periods, rules -------------------------------------------------------------


@settings(deadline=None)  # day-by-day reference arithmetic: exact, not fast
@given(periods(max_days=800), st.data())
def test_frequency_conversion_is_exact_and_additive_over_any_cut(period, data):
    frequency = data.draw(frequencies)
    cut = period.start + dt.timedelta(days=data.draw(st.integers(0, period.days - 1)))
    whole = period_units(frequency, period, period)
    assert whole == brute_units(frequency, period, period)
    if cut > period.start:
        left, right = Period(period.start, cut - dt.timedelta(days=1)), Period(cut, period.end)
        assert period_units(frequency, left, period) + period_units(frequency, right, period) == whole
    if frequency == PER_WEEK:
        assert whole == Fraction(period.days, 7)
    if frequency == PER_PERIOD:
        assert whole == 1


@given(st.integers(2000, 2100), st.integers(1, 12), st.integers(1, 24))
def test_whole_calendar_months_count_exactly_one_each(year, month, count):
    start = D(year, month, 1)
    end_month = month - 1 + count
    end = D(year + end_month // 12, end_month % 12 + 1, 1) - dt.timedelta(days=1)
    assert period_units(PER_MONTH, Period(start, end), Period(start, end)) == count


@settings(deadline=None)  # day-by-day reference arithmetic: exact, not fast
@given(data=st.data())
def test_a_price_change_on_any_day_splits_the_line_at_exactly_that_day(data):
    period = data.draw(periods(max_days=800))
    assume(period.days > 1)
    change = period.start + dt.timedelta(days=data.draw(st.integers(1, period.days - 1)))
    before, after = data.draw(cent_prices), data.draw(cent_prices)
    prices = [price("KP", before, period.start - dt.timedelta(days=10), change - dt.timedelta(days=1)), price("KP", after, change)]
    frequency = data.draw(frequencies)
    quantity = data.draw(tie_prone_quantities)
    first, second = calculate_budget([need("KP", quantity, frequency=frequency)], data.draw(st.permutations(prices)), period).lines
    assert first.period == Period(period.start, change - dt.timedelta(days=1))
    assert second.period == Period(change, period.end)
    assert (first.unit_price, second.unit_price) == (before, after)
    assert first.units == brute_units(frequency, first.period, period)
    assert second.units == brute_units(frequency, second.period, period)
    assert first.units + second.units == brute_units(frequency, period, period)
    for line in (first, second):
        assert line.amount == half_up_cents(Fraction(quantity) * Fraction(line.unit_price) * line.units)


def _without_period_days(line):
    return (line.service_code, line.frequency, line.quantity, line.period, line.units, line.unit_price, line.amount)


@settings(deadline=None)  # day-by-day reference arithmetic: exact, not fast
@given(data=st.data())
def test_the_budget_is_additive_over_split_periods(data):
    """Computing [a, m] and [m+1, b] separately against computing [a, b] once, for any prices:

    * exactly, before rounding, for quantities per week or month: the unrounded amounts add up exactly (the
      frequency's units are additive, the price of each day is the same either way);
    * after rounding, when the price changes at m+1: [a, b] is cut there anyway, so its lines are exactly the lines
      of [a, m] followed by those of [m+1, b], and the totals are equal to the cent;
    * after rounding, in general: each line is rounded once, so the totals differ by at most half a cent per line
      involved on both sides.

    (A quantity "in the whole period" belongs to its own period: the same number over a shorter period is a different
    need, so it is additive over the pieces of one period instead; see the next test.)
    """
    period = data.draw(periods(max_days=600))
    assume(period.days > 1)
    prices, change_days = data.draw(price_list("KP", period))
    if change_days and data.draw(st.booleans()):  # often cut exactly where the price changes
        m = data.draw(st.sampled_from(change_days)) - dt.timedelta(days=1)
    else:
        m = period.start + dt.timedelta(days=data.draw(st.integers(0, period.days - 2)))
    left, right = Period(period.start, m), Period(m + dt.timedelta(days=1), period.end)
    needs = data.draw(
        st.lists(st.builds(lambda q, f: need("KP", q, frequency=f), tie_prone_quantities, st.sampled_from([PER_WEEK, PER_MONTH])), min_size=1, max_size=3)
    )
    whole = calculate_budget(needs, prices, period)
    parts = [calculate_budget(needs, prices, left), calculate_budget(needs, prices, right)]
    exact = lambda calc: sum((line.exact_amount for line in calc.lines), Fraction(0))  # noqa: E731
    assert exact(whole) == exact(parts[0]) + exact(parts[1])
    split_total = parts[0].total + parts[1].total
    lines_involved = len(whole.lines) + len(parts[0].lines) + len(parts[1].lines)
    assert abs(whole.total - split_total) <= Decimal("0.005") * lines_involved
    if right.start in change_days:
        # Need by need: the whole period's pieces are the left part's pieces and then the right part's.
        for n in needs:
            whole_lines = calculate_budget([n], prices, period).lines
            split_lines = calculate_budget([n], prices, left).lines + calculate_budget([n], prices, right).lines
            assert list(map(_without_period_days, whole_lines)) == list(map(_without_period_days, split_lines))
        assert whole.total == split_total


@settings(deadline=None)  # day-by-day reference arithmetic: exact, not fast
@given(data=st.data())
def test_a_quantity_in_the_whole_period_is_shared_exactly_over_its_pieces(data):
    period = data.draw(periods(max_days=600))
    prices, _ = data.draw(price_list("KP", period))
    quantity = data.draw(tie_prone_quantities)
    lines = calculate_budget([need("KP", quantity)], prices, period).lines
    assert sum(line.units for line in lines) == 1
    # With one price the pieces' unrounded amounts add up to quantity × price exactly; rounded, to within
    # half a cent per line.
    same = [PriceInput(p.service_code, Decimal("12.34"), p.valid_from, p.valid_to) for p in prices]
    same_lines = calculate_budget([need("KP", quantity)], same, period).lines
    assert sum(line.exact_amount for line in same_lines) == Fraction(quantity) * Fraction("12.34")
    rounded = sum(line.amount for line in same_lines)
    assert abs(rounded - half_up_cents(Fraction(quantity) * Fraction("12.34"))) <= Decimal("0.005") * (len(same_lines) + 1)


lines_totals = st.integers(0, 10**9).map(lambda cents: Decimal(cents) / 100)
percentages = st.one_of(st.just(Decimal(100)), st.integers(0, 99999).map(lambda hundredths: Decimal(hundredths) / 100))


@st.composite
def rules(draw):
    rounding = draw(st.sampled_from([TO_CENT, TO_EURO]))
    cap_cents = draw(st.one_of(st.none(), st.integers(0, 10**9)))
    if cap_cents is not None and rounding == TO_EURO:
        cap_cents -= cap_cents % 100
    cap = None if cap_cents is None else Decimal(cap_cents) / 100
    return RuleInput(D(2020, 1, 1), None, draw(percentages), cap, rounding)


@given(lines_totals, st.one_of(st.none(), rules()))
def test_the_rule_is_applied_as_documented(lines_total, rule_):
    ruled = apply_rules(lines_total, rule_)
    if rule_ is None:
        assert ruled.total == lines_total and ruled.steps == ()
        return
    # 1. the percentage, rounded half up to the cent, once
    assert ruled.after_percentage == half_up_cents(Fraction(lines_total) * Fraction(rule_.percentage) / 100)
    # 2. the cap
    assert ruled.after_cap == (ruled.after_percentage if rule_.cap is None else min(ruled.after_percentage, rule_.cap))
    # 3. euro rounding half up, once, on the total after 1 and 2; none otherwise
    if rule_.rounding == TO_EURO:
        assert ruled.total == Decimal(math.floor(Fraction(ruled.after_cap) + Fraction(1, 2)))
        assert ruled.total == ruled.total.to_integral_value()
        assert abs(ruled.rounding_effect) <= Decimal("0.50")
    else:
        assert ruled.total == ruled.after_cap
    # Every amount is to the cent, the effects add up, the cap is never exceeded and nothing goes below zero.
    for amount in (ruled.after_percentage, ruled.after_cap, ruled.total):
        assert amount == amount.quantize(Decimal("0.01"))
    assert ruled.lines_total + ruled.percentage_effect + ruled.cap_effect + ruled.rounding_effect == ruled.total
    assert ruled.total >= 0
    if rule_.cap is not None:
        assert ruled.total <= rule_.cap
    if rule_.percentage == 100 and rule_.cap is None and rule_.rounding == TO_CENT:
        assert ruled.total == lines_total


@given(st.data())
def test_a_neutral_rule_equals_no_rule_for_any_budget(data):
    needs, prices, period = data.draw(budget_inputs())
    calculation = calculate_budget(needs, prices, period)
    assert apply_rules(calculation, rule()).total == apply_rules(calculation, None).total == calculation.total
