"""The one money type and the one rounding rule (avain.core.money)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avain.core.money import CENT, ZERO, money_sum, round_money, to_money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.004", "0.00"),
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # half-even would give 0.02
        ("2.675", "2.68"),  # the classic float trap: float(2.675) rounds to 2.67
        ("1.994999", "1.99"),
        ("-0.005", "-0.01"),  # half up means half away from zero
        ("-2.345", "-2.35"),
        ("12345678.905", "12345678.91"),
        ("7", "7.00"),
    ],
)
def test_round_money_is_half_up_to_the_cent(value, expected):
    result = round_money(Decimal(value))
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize("value", [1.5, 1, "1.50"])
def test_round_money_takes_decimals_only(value):
    with pytest.raises(TypeError):
        round_money(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, "12.00"), ("12.345", "12.35"), ("-0.5", "-0.50"), (Decimal("0.125"), "0.13"), ("  3.10 ", "3.10")],
)
def test_to_money_accepts_exact_values(value, expected):
    assert to_money(value) == Decimal(expected)
    assert to_money(value).as_tuple().exponent == -2


def test_to_money_refuses_floats():
    with pytest.raises(TypeError, match="float"):
        to_money(0.1)


@pytest.mark.parametrize("value", ["abc", "", "1,50", "Infinity", "-Infinity", "sNaN"])
def test_to_money_refuses_what_is_not_an_amount(value):
    with pytest.raises(ValueError):
        to_money(value)


@pytest.mark.parametrize("value", ["NaN", Decimal("NaN"), Decimal("-NaN"), Decimal("Infinity")])
def test_to_money_refuses_not_a_number(value):
    # quantize() keeps a quiet NaN, so this needs its own check; a NaN amount would later make `amount <= 0`
    # raise decimal.InvalidOperation instead of a clear error.
    with pytest.raises(ValueError):
        to_money(value)


def test_money_sum_adds_exactly_and_does_not_round():
    assert money_sum([]) == ZERO
    assert money_sum([Decimal("0.10")] * 10) == Decimal("1.00")
    assert money_sum([Decimal("0.10"), Decimal("0.20")]) == Decimal("0.30")  # 0.1 + 0.2 != 0.3 in floats
    # Not money's business to round here: an unrounded input stays unrounded.
    assert money_sum([Decimal("0.001"), Decimal("0.001")]) == Decimal("0.002")


def test_money_sum_accepts_a_generator():
    assert money_sum(Decimal(n) / 100 for n in range(1, 101)) == Decimal("50.50")


amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False, places=6)


@given(amounts)
def test_rounding_moves_an_amount_by_at_most_half_a_cent(value):
    rounded = round_money(value)
    assert abs(rounded - value) <= CENT / 2
    assert rounded.as_tuple().exponent == -2


@given(amounts)
def test_rounding_is_idempotent(value):
    assert round_money(round_money(value)) == round_money(value)
    assert to_money(str(value)) == round_money(value)


@given(amounts)
def test_rounding_is_symmetric_around_zero(value):
    assert round_money(-value) == -round_money(value)


@given(st.lists(st.integers(min_value=-10**9, max_value=10**9), max_size=50))
def test_money_sum_equals_the_sum_in_cents(cents):
    assert money_sum(Decimal(c) / 100 for c in cents) == Decimal(sum(cents)) / 100
