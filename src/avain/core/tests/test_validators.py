"""Validators and normalisers for Finnish identifiers (avain.core.validators)."""

import pytest
from django.core.exceptions import ValidationError
from stdnum.fi import hetu

from avain.core.validators import (
    normalise_business_id,
    normalise_iban,
    normalise_personal_identity_code,
    validate_business_id,
    validate_iban,
    validate_personal_identity_code,
)
from avain.testing import valid_business_id, valid_hetu, valid_iban


@pytest.mark.parametrize(
    "code",
    [
        "131052-308T",  # the Digital and Population Data Services Agency's own example
        "010594-123W",
        "010594Y123W",  # the 1900s century signs added in 2023 keep the same check character
        "010594U123W",
        "010101A002S",
        "290200A002C",  # 29 February 2000 existed
    ],
)
def test_valid_personal_identity_codes_pass(code):
    assert hetu.is_valid(code), code  # the fixture itself is a valid code
    validate_personal_identity_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "131052-308U",  # wrong check character
        "131052-308",  # too short
        "131052-3080T",  # too long
        "310252-308Y",  # no 31 February
        "131052*308T",  # unknown century sign
        "290201A002M",  # no 29 February 2001, although the check character is right
        "131052-001W",  # individual numbers start at 002
        "131052-900W",  # temporary codes (900–999) are not personal identity codes
        "",
        "not a hetu",
    ],
)
def test_invalid_personal_identity_codes_are_refused_with_a_code(code):
    with pytest.raises(ValidationError) as error:
        validate_personal_identity_code(code)
    assert error.value.code == "invalid_hetu"
    assert error.value.params == {"value": code}
    assert code in error.value.messages[0]


def test_personal_identity_code_is_normalised_to_upper_case_without_spaces():
    assert normalise_personal_identity_code(" 131052-308t ") == "131052-308T"
    validate_personal_identity_code(" 131052-308t ")  # the validator accepts what normalisation would fix


@pytest.mark.parametrize("code", ["2077474-0", "0112038-9", "20774740"])
def test_valid_business_ids_pass(code):
    validate_business_id(code)


@pytest.mark.parametrize("code", ["2077474-1", "2077474", "20774741", "ABCDEFG-H", ""])
def test_invalid_business_ids_are_refused_with_a_code(code):
    with pytest.raises(ValidationError) as error:
        validate_business_id(code)
    assert error.value.code == "invalid_business_id"
    assert error.value.params == {"value": code}


def test_business_id_is_normalised_to_the_dashed_form():
    assert normalise_business_id("20774740") == "2077474-0"
    assert normalise_business_id(" 2077474-0 ") == "2077474-0"


@pytest.mark.parametrize("code", ["FI2112345600000785", "FI21 1234 5600 0007 85", "DE89370400440532013000"])
def test_valid_ibans_pass(code):
    validate_iban(code)


@pytest.mark.parametrize("code", ["FI2112345600000786", "FI211234560000078", "XX2112345600000785", ""])
def test_invalid_ibans_are_refused_with_a_code(code):
    with pytest.raises(ValidationError) as error:
        validate_iban(code)
    assert error.value.code == "invalid_iban"


def test_iban_is_normalised_to_the_compact_form():
    assert normalise_iban("fi21 1234 5600 0007 85") == "FI2112345600000785"


# The test factories' identifiers are valid and distinct.


def test_factory_identity_codes_are_valid_and_distinct():
    codes = [valid_hetu(n) for n in range(3000)]
    assert len(set(codes)) == 3000
    for code in codes:
        validate_personal_identity_code(code)
    assert valid_hetu(0).startswith("010180-002")
    assert valid_hetu(0) != valid_hetu(898)  # the next birth date


def test_factory_identity_code_for_a_given_birth_date():
    import datetime as dt

    child = valid_hetu(5, born=dt.date(2015, 7, 4))
    assert child.startswith("040715A007")
    validate_personal_identity_code(child)


def test_factory_business_ids_and_ibans_are_valid_and_distinct():
    ids = [valid_business_id(n) for n in range(500)]
    ibans = [valid_iban(n) for n in range(500)]
    assert len(set(ids)) == len(set(ibans)) == 500
    for code in ids:
        validate_business_id(code)
        assert normalise_business_id(code) == code  # already in the stored form
    for code in ibans:
        validate_iban(code)
        assert normalise_iban(code) == code
