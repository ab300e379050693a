"""Validators for Finnish identifiers, built on python-stdnum, with messages in the user's language."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import iban
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fi import hetu, ytunnus


def validate_personal_identity_code(value: str) -> None:
    try:
        hetu.validate(value)
    except StdnumValidationError as error:
        raise ValidationError(
            _("“%(value)s” is not a valid Finnish personal identity code. Check the date, the sign and the last character."),
            code="invalid_hetu",
            params={"value": value},
        ) from error


def validate_business_id(value: str) -> None:
    try:
        ytunnus.validate(value)
    except StdnumValidationError as error:
        raise ValidationError(
            _("“%(value)s” is not a valid business ID (Y-tunnus). It looks like 1234567-8."),
            code="invalid_business_id",
            params={"value": value},
        ) from error


def validate_iban(value: str) -> None:
    try:
        iban.validate(value)
    except StdnumValidationError as error:
        raise ValidationError(
            _("“%(value)s” is not a valid IBAN account number."), code="invalid_iban", params={"value": value}
        ) from error


def normalise_personal_identity_code(value: str) -> str:
    return hetu.compact(value)


def normalise_business_id(value: str) -> str:
    return ytunnus.format(value)


def normalise_iban(value: str) -> str:
    return iban.compact(value)
