"""How an explained budget line reads: "3 hours a week × 30,00 € × 26 2/7 weeks (184 days) = 2 365,71 €".

Every number shown is exact: the period is a whole number or a fraction, never a rounded decimal, so a reader can
redo the multiplication and get the amount (rounded once, half up to the cent).
"""

from decimal import Decimal
from fractions import Fraction

from django import template
from django.utils.translation import gettext, ngettext

from avain.core.templatetags.avain import euros, number

from ..calculation import PER_MONTH, PER_PERIOD, PER_WEEK, ExplainedLine, month_parts
from ..calculation import signed_euros as _signed_euros

register = template.Library()


def _plural(value) -> int:
    """The number that picks the plural form: one only for exactly one."""
    return 1 if value == 1 else 2


def _quantity_number(quantity: Decimal) -> str:
    if quantity != quantity.to_integral_value():
        quantity = quantity.normalize()
    return number(quantity)


UNIT_PHRASES = {
    "hour": lambda n: ngettext("%(quantity)s hour", "%(quantity)s hours", n),
    "visit": lambda n: ngettext("%(quantity)s visit", "%(quantity)s visits", n),
    "day": lambda n: ngettext("%(quantity)s day", "%(quantity)s days", n),
    "month": lambda n: ngettext("%(quantity)s month", "%(quantity)s months", n),
    "piece": lambda n: ngettext("%(quantity)s piece", "%(quantity)s pieces", n),
    "km": lambda n: ngettext("%(quantity)s km", "%(quantity)s km", n),
}


@register.filter
def unit_quantity(quantity: Decimal, unit: str) -> str:
    """'3 hours', '1 visit', '2,5 km'."""
    phrase = UNIT_PHRASES.get(unit)
    shown = _quantity_number(quantity)
    if phrase is None:
        return f"{shown} {unit}"
    return phrase(_plural(quantity)) % {"quantity": shown}


@register.filter
def need_quantity(line: ExplainedLine) -> str:
    """The quantity as recorded: '3 hours a week', '100 hours in the whole period'."""
    quantity = unit_quantity(line.quantity, line.unit)
    if line.frequency == PER_WEEK:
        return gettext("%(quantity)s a week") % {"quantity": quantity}
    if line.frequency == PER_MONTH:
        return gettext("%(quantity)s a month") % {"quantity": quantity}
    return gettext("%(quantity)s in the whole period") % {"quantity": quantity}


def mixed_fraction(value: Fraction) -> str:
    """26 2/7, 3/7 or 26: exact, in the active language's digits."""
    whole, rest = divmod(value.numerator, value.denominator)
    if rest == 0:
        return number(whole)
    fraction = f"{rest}/{value.denominator}"
    return f"{number(whole)} {fraction}" if whole else fraction


def _days(days: int) -> str:
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": number(days)}


@register.filter
def line_period(line: ExplainedLine) -> str:
    """The piece in the frequency's units, exactly: 'the whole period', '182 of 366 days', '26 2/7 weeks (184 days)',
    '5 + 14/28 months (165 days)'."""
    if line.frequency == PER_PERIOD:
        if line.units == 1:
            return gettext("the whole period")
        return gettext("%(days)s of %(total)s days") % {"days": number(line.days), "total": number(line.period_days)}
    if line.frequency == PER_WEEK:
        weeks = ngettext("%(weeks)s week", "%(weeks)s weeks", _plural(line.units)) % {"weeks": mixed_fraction(line.units)}
        return f"{weeks} ({_days(line.days)})"
    parts = month_parts(line.period)
    whole = sum(1 for days, month_days in parts if days == month_days)
    partial = [f"{days}/{month_days}" for days, month_days in parts if days != month_days]
    shown = " + ".join(([number(whole)] if whole or not partial else []) + partial)
    months = ngettext("%(months)s month", "%(months)s months", _plural(line.units)) % {"months": shown}
    return f"{months} ({_days(line.days)})"


@register.filter
def signed_euros(amount: Decimal | None) -> str:
    """+0,72 € or −150,05 €; zero without a sign."""
    if amount is None:
        return ""
    return _signed_euros(amount)


@register.filter
def euros_or_dash(amount: Decimal | None) -> str:
    return "–" if amount is None else euros(amount)
