from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def validity(valid_from, valid_to) -> str:
    """``1.1.2026–31.12.2026``, or ``1.1.2026 – until further notice`` for an open-ended price."""
    start = formats.date_format(valid_from, "SHORT_DATE_FORMAT")
    if valid_to is None:
        return _("%(start)s – until further notice") % {"start": start}
    return f"{start}–{formats.date_format(valid_to, 'SHORT_DATE_FORMAT')}"


@register.filter
def percent(value) -> str:
    """A VAT rate: ``25,5 %``, ``0 %``."""
    if value is None or value == "":
        return ""
    normalised = value.normalize()
    if normalised == normalised.to_integral_value():
        normalised = normalised.quantize(Decimal(1))
    return f"{formats.number_format(normalised, use_l10n=True)}\N{NO-BREAK SPACE}%"
