"""Finnish and RF payment references."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from avain.accounts.formats.references import (
    FINNISH,
    RF,
    ReferenceError,
    finnish_reference,
    is_valid_reference,
    rf_reference,
    validate_finnish_reference,
    validate_reference,
)


@pytest.mark.parametrize(
    ("base", "reference"),
    # Worked by hand with weights 7, 3, 1 from the right; 1232 and 12345672 are the usual textbook examples.
    [("123", "1232"), ("1234567", "12345672"), ("1000", "10003"), ("2025001", "20250018")],
)
def test_the_finnish_check_digit_matches_published_examples(base, reference):
    assert finnish_reference(base) == reference
    assert validate_finnish_reference(reference) == reference


def test_spaces_are_allowed_and_removed():
    assert validate_reference("1234 5672") == (FINNISH, "12345672")
    assert validate_reference("rf18 5390 0754 7034") == (RF, "RF18539007547034")


@pytest.mark.parametrize("value", ["12345673", "123", "1" * 21, "12A45672", "", "RF18 5390 0754 7035"])
def test_wrong_references_are_refused_with_a_code(value):
    with pytest.raises(ReferenceError) as refused:
        validate_reference(value)
    assert refused.value.code == "invalid_reference"
    assert not is_valid_reference(value)


def test_the_rf_form_of_a_finnish_reference_is_valid_for_stdnum_and_keeps_the_reference():
    reference = rf_reference("12345672")
    assert iso11649.is_valid(reference)
    assert reference[4:] == "12345672"


@given(st.integers(100, 10**18))
def test_any_changed_digit_of_a_finnish_reference_is_caught(base):
    reference = finnish_reference(str(base))
    assert validate_finnish_reference(reference) == reference
    for position in range(len(reference)):
        digit = int(reference[position])
        changed = reference[:position] + str((digit + 1) % 10) + reference[position + 1 :]
        assert not is_valid_reference(changed)


@given(st.integers(100, 10**18))
def test_every_finnish_reference_makes_a_valid_rf_reference(base):
    reference = rf_reference(finnish_reference(str(base)))
    assert iso11649.is_valid(reference)
    assert validate_reference(reference) == (RF, reference)
