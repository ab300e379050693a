"""Scoring of a questionnaire: pure functions, no database.

A domain's score is the mean of its answered scale items, a reverse-scored item counting as ``min + max - value``,
rounded half up to one decimal. A domain (or the whole instrument) with more than ``max_missing_share`` of its scale
items unanswered gets no score: a mean of one item out of four says too little.
"""

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

WHOLE = None  # the key of the whole instrument's score


@dataclasses.dataclass(frozen=True)
class ScaleItem:
    code: str
    domain: str | None
    scale_min: int
    scale_max: int
    reverse: bool = False


@dataclasses.dataclass(frozen=True)
class Score:
    score: Decimal | None  # None: too many items missing
    answered: int
    missing: int


def item_value(item: ScaleItem, value: int) -> int:
    """The value as it counts in the score: reverse-scored items are turned around their scale."""
    if not item.scale_min <= value <= item.scale_max:
        raise ValueError(f"{item.code}: {value} is outside {item.scale_min}–{item.scale_max}")
    return item.scale_min + item.scale_max - value if item.reverse else value


def _score(items: list[ScaleItem], answers: Mapping[str, int | None], max_missing_share: Decimal) -> Score:
    values = [item_value(i, answers[i.code]) for i in items if answers.get(i.code) is not None]
    missing = len(items) - len(values)
    if not values or Decimal(missing) > Decimal(max_missing_share) * len(items):
        return Score(None, len(values), missing)
    mean = Decimal(sum(values)) / len(values)
    return Score(mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), len(values), missing)


def score(
    items: Iterable[ScaleItem], answers: Mapping[str, int | None], max_missing_share: Decimal | str = "0.34"
) -> dict[str | None, Score]:
    """Scores per domain code, and under :data:`WHOLE` the whole instrument's when all its scale items share one
    scale (a mean over different scales would mean nothing). Items without a domain count only in the whole."""
    items = list(items)
    share = Decimal(max_missing_share)
    result: dict[str | None, Score] = {}
    domains: dict[str, list[ScaleItem]] = {}
    for item in items:
        if item.domain is not None:
            domains.setdefault(item.domain, []).append(item)
    for code, domain_items in domains.items():
        result[code] = _score(domain_items, answers, share)
    if items and len({(i.scale_min, i.scale_max) for i in items}) == 1:
        result[WHOLE] = _score(items, answers, share)
    return result


def band_for(value: Decimal | None, bands: Iterable[tuple[Decimal, Decimal, object]]):
    """The band (``low``, ``high``, payload) whose inclusive range holds ``value``; its payload, or None."""
    if value is None:
        return None
    for low, high, payload in bands:
        if Decimal(low) <= value <= Decimal(high):
            return payload
    return None


def change(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """The change since the previous time, when both have a score."""
    if now is None or before is None:
        return None
    return now - before
