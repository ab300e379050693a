"""Made-up but valid Finnish identifiers, for demo and synthetic data.

python-stdnum validates identifiers but does not make them; these functions add the check characters and then
validate the result with stdnum, so a bug here cannot produce an invalid identifier unnoticed.
"""

import datetime as dt

from stdnum import iban, luhn
from stdnum.fi import hetu, ytunnus

HETU_CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def personal_identity_code(born: dt.date, individual: int) -> str:
    """A HETU for a birth date and an individual number (2–899; 900–999 are temporary codes, refused by Avain)."""
    if not 2 <= individual <= 899:
        raise ValueError("the individual number must be 2–899")
    if 1900 <= born.year <= 1999:
        sign = "-"
    elif 2000 <= born.year <= 2099:
        sign = "A"
    else:
        raise ValueError("birth year must be in 1900–2099")
    digits = f"{born:%d%m%y}{individual:03d}"
    code = f"{born:%d%m%y}{sign}{individual:03d}{HETU_CHECK_CHARACTERS[int(digits) % 31]}"
    hetu.validate(code)
    return code


def business_id(first_seven: int | str) -> str | None:
    """A Y-tunnus from its seven first digits, or None for the numbers that can have no check digit."""
    digits = f"{int(first_seven):07d}"
    remainder = sum(w * int(d) for w, d in zip(BUSINESS_ID_WEIGHTS, digits, strict=True)) % 11
    if remainder == 1:
        return None
    code = f"{digits}-{0 if remainder == 0 else 11 - remainder}"
    ytunnus.validate(code)
    return code


def finnish_iban(bank_and_account: str) -> str:
    """A Finnish IBAN from the 13 first digits of the domestic account number (adds its Luhn digit)."""
    if len(bank_and_account) != 13 or not bank_and_account.isdigit():
        raise ValueError("give the 13 first digits of the account number")
    bban = bank_and_account + luhn.calc_check_digit(bank_and_account)
    code = f"FI{iban.calc_check_digits('FI00' + bban)}{bban}"
    iban.validate(code)
    return code
