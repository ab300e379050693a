"""Payment reference numbers: the Finnish national reference (viitenumero) and the RF creditor reference (ISO 11649).

RF references are checked and made with python-stdnum (``stdnum.iso11649`` and its ISO 7064 mod 97-10). python-stdnum
(2.2, the newest release) has no module for the Finnish national reference, so its check digit — weights 7, 3, 1
repeating from the right, the check digit bringing the sum up to the next ten — is computed here; the tests
cross-check it against published examples and against stdnum's RF form of the same reference.
"""

import re

from stdnum import iso11649
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.iso7064 import mod_97_10

FINNISH = "finnish"
RF = "rf"

_WEIGHTS = (7, 3, 1)
_SPACES = re.compile(r"\s+")


class ReferenceError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def compact(value: str) -> str:
    return _SPACES.sub("", value or "").upper()


def finnish_check_digit(base: str) -> str:
    """The check digit for the digits of a Finnish reference without it."""
    if not base.isdigit() or not base.isascii():
        raise ReferenceError("invalid_reference", "a Finnish reference has digits only")
    total = sum(int(digit) * _WEIGHTS[index % 3] for index, digit in enumerate(reversed(base)))
    return str(-total % 10)


def finnish_reference(base: str | int) -> str:
    """A Finnish reference from its base (3–19 digits): the base followed by its check digit."""
    base = str(base)
    if not 3 <= len(base) <= 19:
        raise ReferenceError("invalid_reference", "the base of a Finnish reference has 3–19 digits")
    return base + finnish_check_digit(base)


def validate_finnish_reference(value: str) -> str:
    """The compact reference (spaces removed), or ``ReferenceError``. 4–20 digits, the last one the check digit."""
    number = compact(value)
    if not number.isdigit() or not number.isascii():
        raise ReferenceError("invalid_reference", f"“{value}” is not a Finnish reference: it may hold digits only.")
    if not 4 <= len(number) <= 20:
        raise ReferenceError("invalid_reference", f"“{value}” is not a Finnish reference: it has 4–20 digits.")
    if finnish_check_digit(number[:-1]) != number[-1]:
        raise ReferenceError("invalid_reference", f"The check digit of the reference “{value}” is wrong.")
    return number


def rf_reference(body: str) -> str:
    """An RF creditor reference for ``body`` (letters and digits, at most 21), e.g. a Finnish reference."""
    body = compact(body)
    if not body.isalnum() or not body.isascii() or not 1 <= len(body) <= 21:
        raise ReferenceError("invalid_reference", "the body of an RF reference is 1–21 letters and digits")
    number = "RF" + mod_97_10.calc_check_digits(body + "RF") + body
    return iso11649.validate(number)


def validate_rf_reference(value: str) -> str:
    try:
        return iso11649.validate(value)
    except StdnumValidationError:
        raise ReferenceError("invalid_reference", f"“{value}” is not a valid RF creditor reference.") from None


def validate_reference(value: str) -> tuple[str, str]:
    """``(kind, compact reference)`` for a Finnish or an RF reference; ``ReferenceError`` for anything else."""
    number = compact(value)
    if number.startswith("RF"):
        return RF, validate_rf_reference(number)
    return FINNISH, validate_finnish_reference(number)


def is_valid_reference(value: str) -> bool:
    try:
        validate_reference(value)
    except ReferenceError:
        return False
    return True
