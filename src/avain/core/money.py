"""The one money type and the one rounding rule.

Money is a ``Decimal`` of euros. Every amount that is stored or shown passes through
:func:`round_money` exactly once, at the point where a calculation produces it: half up, to the cent.
Floats never take part: ``to_money`` refuses them.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Enough for a whole wellbeing services county's yearly budget, in cents.
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2


def round_money(value: Decimal) -> Decimal:
    """Round a Decimal amount half up to the cent; the only rounding function for money."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(value).__name__}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_money(value: Decimal | int | str) -> Decimal:
    """Turn an exact value (Decimal, int or decimal string) into a money amount; floats are refused."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    try:
        amount = Decimal(value) if not isinstance(value, Decimal) else value
    except InvalidOperation as error:
        raise ValueError(f"not an amount of money: {value!r}") from error
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    return round_money(amount)


def money_sum(amounts) -> Decimal:
    """Sum amounts that are already money; no rounding happens here because none is needed."""
    total = ZERO
    for amount in amounts:
        total += amount
    return total
