"""Amounts and dates as text in the active language, for messages made outside templates (templates use the
``euros`` filter, which calls the same function)."""

import datetime as dt
from decimal import Decimal

from django.utils import formats


def money_text(amount: Decimal) -> str:
    """1 234,50 in Finnish, 1,234.50 in English: two decimals, grouped; no currency sign."""
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True)


def date_text(day: dt.date) -> str:
    """The active language's short date: 31.3.2026 in Finnish."""
    return formats.date_format(day, "SHORT_DATE_FORMAT")
