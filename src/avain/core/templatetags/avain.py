from decimal import Decimal

from django import template
from django.utils import formats

from avain.core.formatting import money_text

register = template.Library()


@register.filter
def euros(value: Decimal | None) -> str:
    """An amount in the active language's number format with the euro sign: 1 234,50 € in Finnish."""
    if value is None or isinstance(value, str) and value == "":  # not ``value == ""``: slow for a Decimal
        return ""
    return f"{money_text(value)}\N{NO-BREAK SPACE}€"


@register.filter
def number(value) -> str:
    """A quantity in the active language's number format, without trailing zeros."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        value = value.normalize() if value == value.to_integral() else value
        if value == value.to_integral():
            value = value.quantize(Decimal(1))
    return formats.number_format(value, use_l10n=True, force_grouping=True)
