"""The budget calculation (avain.planning.calculation.calculate_budget): a pure function, tested without a database.

Examples pin the arithmetic to concrete numbers; Hypothesis properties check the rules for any needs, prices and
period: additive over needs, each line rounded once half up, the total the exact sum of the lines, the period cut
at every price change, and a missing price always an error, never zero.
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
    QUANTITY_PLACES,
    BudgetCalculation,
    MissingPrice,
    NeedInput,
    PriceInput,
    calculate_budget,
)

D = dt.date
YEAR_2024 = Period(D(2024, 1, 1), D(2024, 12, 31))  # a leap year: 366 days


def need(code="KP", quantity="100", name=None, unit="hour"):
    return NeedInput(code, name or f"Palvelu {code}", unit, Decimal(quantity))


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
    assert (line.service_code, line.service_name, line.unit) == ("KP", "Palvelu KP", "hour")
    assert line.period == YEAR_2024
    assert line.quantity == Decimal("100.0000")
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
    # 100 × 182/366 = 49.72677…, 100 × 184/366 = 50.27322…
    assert (first.quantity, second.quantity) == (Decimal("49.7268"), Decimal("50.2732"))
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
    assert [l.quantity for l in result.lines] == [Decimal("91.0000"), Decimal("30.0000"), Decimal("245.0000")]
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
        st.lists(st.builds(lambda c, q: NeedInput(c, f"Palvelu {c}", "hour", q), st.sampled_from(services), tie_prone_quantities), max_size=5)
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
        assert line.quantity.as_tuple().exponent == -4
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
            exact_share = (
                Fraction(need_input.quantity) * line.period.days / period.days
                if len(pieces) > 1
                else Fraction(need_input.quantity)
            )
            exact_amount = exact_share * Fraction(line.unit_price)
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
    # The quantity is shared by days; the shares add up to the need to within the 4-decimal rounding.
    assert abs(sum(line.quantity for line in lines) - quantity) <= QUANTITY_PLACES / 2 * len(lines)
    for line in lines:
        exact_share = Fraction(quantity) * line.period.days / period.days
        assert abs(Fraction(line.quantity) - exact_share) <= Fraction(1, 20000)
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
