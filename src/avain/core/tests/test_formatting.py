"""Amounts and dates as text (avain.core.formatting): the same text as Django's own formatters, character for
character, in every language, however the language's formats are looked up."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import formats, translation
from django.utils.text import capfirst
from hypothesis import given
from hypothesis import strategies as st

from avain.core.formatting import date_text, local_formats, money_text

LANGUAGES = ["fi", "sv", "en"]


def django_money(amount) -> str:
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "value",
    [
        "0", "0.00", "-0.00", "0.001", "-0.004", "0.01", "-0.01", "7", "12.5", "999.99", "1000", "-1000.00",
        "1234567.89", "-1234567.89", "1234.567", "-1234.999", "100000000000.00", "1E+3", "123456789012345678",
        "1e30", "-1e-30",
    ],
)  # fmt: skip
def test_amounts_read_as_djangos_number_format(language, value):
    with translation.override(language):
        assert money_text(Decimal(value)) == django_money(Decimal(value))
        assert local_formats().euros(Decimal(value)) == f"{django_money(Decimal(value))}\N{NO-BREAK SPACE}€"


@given(st.decimals(min_value=-(10**14), max_value=10**14, places=2, allow_nan=False), st.sampled_from(LANGUAGES))
def test_any_amount_of_money_reads_as_djangos_number_format(amount, language):
    with translation.override(language):
        assert money_text(amount) == django_money(amount)


def test_an_amount_in_each_language():
    amounts = {}
    for language in LANGUAGES:
        with translation.override(language):
            amounts[language] = money_text(Decimal("-1234567.5"))
    assert amounts == {"fi": "-1\xa0234\xa0567,50", "sv": "-1\xa0234\xa0567,50", "en": "-1,234,567.50"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_whole_numbers_read_as_djangos_localize(language, settings):
    numbers = [0, 7, -7, 999, 1000, -1234, 85, 12345678, 10**15]
    with translation.override(language):
        assert [local_formats().integer(n) for n in numbers] == [formats.localize(n) for n in numbers]
    settings.USE_THOUSAND_SEPARATOR = False
    with translation.override(language):
        assert [local_formats().integer(n) for n in numbers] == [formats.localize(n) for n in numbers]


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_read_as_djangos_date_format(language):
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(0, 800, 3)] + [dt.date(5, 3, 9)]
    with translation.override(language):
        local = local_formats()
        for day in days:
            assert date_text(day) == local.short_date(day) == formats.date_format(day, "SHORT_DATE_FORMAT")
            month = day.replace(day=1)
            assert local.month_year(month) == capfirst(formats.date_format(month, "F Y"))


def test_the_formats_follow_the_active_language():
    day = dt.date(2026, 3, 31)
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = (date_text(day), local_formats().month_year(day))
    assert texts == {"fi": ("31.3.2026", "Maaliskuu 2026"), "sv": ("2026-03-31", "Mars 2026"),
                     "en": ("03/31/2026", "March 2026")}  # fmt: skip
