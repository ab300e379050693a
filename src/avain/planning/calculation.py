"""The budget calculation: a pure function from needs, prices and a period to explained budget lines.

The inputs are immutable and dated; nothing here touches the database, so the same inputs always give the
same budget, today or years later from a decision's snapshot.

Rule: a need's quantity covers the whole budget period. When the service's price changes inside the
period, the period is cut at each change and the quantity is shared between the pieces in proportion to
their days (the shown quantity is rounded to four decimals; the amount uses the exact share). Each explained line is rounded once (half up, to the cent); the total is the exact sum of the
lines, so the numbers a person sees always add up.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from avain.core.money import money_sum, round_money
from avain.core.periods import Period


@dataclass(frozen=True)
class NeedInput:
    service_code: str
    service_name: str
    unit: str
    quantity: Decimal


@dataclass(frozen=True)
class PriceInput:
    service_code: str
    unit_price: Decimal
    valid_from: dt.date
    valid_to: dt.date | None  # None: in force until further notice


@dataclass(frozen=True)
class ExplainedLine:
    service_code: str
    service_name: str
    unit: str
    period: Period
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class BudgetCalculation:
    period: Period
    lines: tuple[ExplainedLine, ...]

    @property
    def total(self) -> Decimal:
        return money_sum(line.amount for line in self.lines)


class MissingPrice(Exception):
    """A need whose service has no price for some days of the period. Never priced as zero."""

    def __init__(self, service_code: str, service_name: str, uncovered: Period):
        self.service_code = service_code
        self.service_name = service_name
        self.uncovered = uncovered
        super().__init__(f"no price for {service_code} from {uncovered.start} to {uncovered.end}")


QUANTITY_PLACES = Decimal("0.0001")


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
    lines: list[ExplainedLine] = []
    for need in needs:
        pieces = _price_pieces(need, prices, period)
        for piece, unit_price in pieces:
            # Multiply before dividing, so the amount is exact up to the one rounding to the cent.
            if len(pieces) > 1:
                share = need.quantity * piece.days / period.days
                amount = need.quantity * unit_price * piece.days / period.days
            else:
                share, amount = need.quantity, need.quantity * unit_price
            lines.append(
                ExplainedLine(
                    service_code=need.service_code,
                    service_name=need.service_name,
                    unit=need.unit,
                    period=piece,
                    quantity=share.quantize(QUANTITY_PLACES),
                    unit_price=unit_price,
                    amount=round_money(amount),
                )
            )
    return BudgetCalculation(period=period, lines=tuple(lines))
