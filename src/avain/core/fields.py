from decimal import Decimal

from django import forms
from django.db import models

from .money import CENT, MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class MoneyField(models.BigIntegerField):
    """Euros to the cent: a ``Decimal`` in Python, whole cents in the database.

    Whole cents keep sums exact on every database: SQLite would otherwise sum decimals as floating point.
    An amount finer than a cent is refused here rather than rounded: rounding is the caller's one
    ``round_money`` step, never a side effect of saving.
    """

    description = "Euros to the cent, stored as integer cents"

    def from_db_value(self, value, expression, connection):
        return None if value is None else Decimal(value).scaleb(-MONEY_DECIMAL_PLACES)

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise TypeError("money is never a float")
        return Decimal(value)

    def get_prep_value(self, value):
        if value is None or hasattr(value, "resolve_expression"):
            return value
        amount = self.to_python(value)
        if amount != amount.quantize(CENT):
            raise ValueError(f"{amount} is finer than a cent: round it with round_money first")
        return int(amount.scaleb(MONEY_DECIMAL_PLACES).to_integral_exact())

    def formfield(self, **kwargs):
        return models.Field.formfield(
            self,
            form_class=forms.DecimalField,
            max_digits=MONEY_MAX_DIGITS,
            decimal_places=MONEY_DECIMAL_PLACES,
            localize=True,
            **kwargs,
        )
