"""Scoring is pure: the mean of answered scale items per domain, reverse scoring, and no score when too much is
missing."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from avain.evaluation import scoring
from avain.evaluation.scoring import WHOLE, ScaleItem

SHARE = Decimal("0.34")


@st.composite
def questionnaires(draw):
    low = draw(st.integers(-5, 5))
    high = draw(st.integers(low + 1, low + 12))
    count = draw(st.integers(1, 8))
    items = [
        ScaleItem(f"i{n}", draw(st.sampled_from(["a", "b", None])), low, high, draw(st.booleans()))
        for n in range(count)
    ]
    answers = {i.code: draw(st.one_of(st.none(), st.integers(low, high))) for i in items}
    return items, answers


@given(questionnaires())
def test_every_score_lies_within_the_scale(case):
    items, answers = case
    for result in scoring.score(items, answers, SHARE).values():
        assert result.answered + result.missing in range(1, len(items) + 1)
        if result.score is not None:
            assert items[0].scale_min <= result.score <= items[0].scale_max


@given(questionnaires(), st.data())
def test_reversing_an_item_and_mirroring_its_answer_keeps_the_score(case, data):
    items, answers = case
    flipped = data.draw(st.sampled_from(items))
    low, high = flipped.scale_min, flipped.scale_max
    mirrored_items = [
        ScaleItem(i.code, i.domain, i.scale_min, i.scale_max, not i.reverse) if i is flipped else i for i in items
    ]
    mirrored = dict(answers)
    if answers[flipped.code] is not None:
        mirrored[flipped.code] = low + high - answers[flipped.code]
    assert scoring.score(mirrored_items, mirrored, SHARE) == scoring.score(items, answers, SHARE)


@given(st.integers(1, 10), st.data())
def test_too_many_missing_items_give_no_score(count, data):
    missing = data.draw(st.integers(0, count))
    items = [ScaleItem(f"i{n}", "a", 0, 10) for n in range(count)]
    answers = {i.code: (None if n < missing else 5) for n, i in enumerate(items)}
    result = scoring.score(items, answers, SHARE)["a"]
    assert result.missing == missing and result.answered == count - missing
    assert (result.score is None) == (missing > SHARE * count or missing == count)


def test_a_reverse_scored_item_counts_turned_around_and_the_mean_rounds_half_up():
    items = [ScaleItem("a", "mind", 0, 10), ScaleItem("b", "mind", 0, 10, reverse=True), ScaleItem("c", "body", 0, 10)]
    result = scoring.score(items, {"a": 8, "b": 3, "c": 4})
    assert result["mind"].score == Decimal("7.5")  # (8 + (10 - 3)) / 2
    assert result["body"].score == Decimal("4.0")
    assert result[WHOLE].score == Decimal("6.3")  # (8 + 7 + 4) / 3 = 6.333…


def test_one_missing_item_of_three_is_allowed_but_two_are_not():
    items = [ScaleItem(c, "d", 0, 10) for c in "abc"]
    assert scoring.score(items, {"a": 6, "b": 7}, SHARE)["d"].score == Decimal("6.5")
    assert scoring.score(items, {"a": 6}, SHARE)["d"] == scoring.Score(None, 1, 2)


def test_the_whole_instrument_gets_a_score_only_when_its_items_share_one_scale():
    items = [ScaleItem("a", "x", 0, 10), ScaleItem("b", "y", 1, 5)]
    assert WHOLE not in scoring.score(items, {"a": 5, "b": 3})


def test_an_answer_outside_the_scale_is_an_error():
    import pytest

    with pytest.raises(ValueError):
        scoring.score([ScaleItem("a", "x", 0, 10)], {"a": 11})


def test_bands_and_change():
    bands = [(Decimal(0), Decimal("3.9"), "low"), (Decimal(4), Decimal("6.9"), "mid"), (Decimal(7), Decimal(10), "high")]
    assert scoring.band_for(Decimal("3.9"), bands) == "low"
    assert scoring.band_for(Decimal("7.0"), bands) == "high"
    assert scoring.band_for(None, bands) is None
    assert scoring.change(Decimal("6.5"), Decimal("4.0")) == Decimal("2.5")
    assert scoring.change(Decimal("6.5"), None) is None
