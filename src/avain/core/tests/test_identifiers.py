import datetime as dt

import pytest
from stdnum import iban
from stdnum.fi import hetu, ytunnus

from avain.core import identifiers


@pytest.mark.parametrize("born", [dt.date(1952, 10, 13), dt.date(2004, 8, 3)])
def test_made_up_identity_codes_are_valid_and_carry_the_birth_date(born):
    code = identifiers.personal_identity_code(born, 308)
    assert hetu.is_valid(code)
    assert code.startswith(f"{born:%d%m%y}")


def test_the_known_identity_code_is_reproduced():
    assert identifiers.personal_identity_code(dt.date(1952, 10, 13), 308) == "131052-308T"


@pytest.mark.parametrize("individual", [0, 1, 900, 999])
def test_temporary_and_reserved_individual_numbers_are_refused(individual):
    with pytest.raises(ValueError):
        identifiers.personal_identity_code(dt.date(1980, 1, 1), individual)


def test_business_ids_are_valid_or_none_when_no_check_digit_exists():
    made = [identifiers.business_id(n) for n in range(1_000_000, 1_000_200)]
    assert all(ytunnus.is_valid(code) for code in made if code is not None)
    assert None in made  # about one number in eleven has no check digit
    assert identifiers.business_id("0204819") == "0204819-8"


def test_finnish_ibans_are_valid():
    assert iban.is_valid(identifiers.finnish_iban("5741000012345"))
    with pytest.raises(ValueError):
        identifiers.finnish_iban("123")
