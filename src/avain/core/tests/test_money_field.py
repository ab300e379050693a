from decimal import Decimal

import pytest
from django.db.models import Sum

from avain.catalogue.models import ServicePrice
from avain.core.fields import MoneyField
from avain.testing import make_organiser, make_service


def test_amounts_are_stored_as_whole_cents():
    field = MoneyField()
    assert field.get_prep_value(Decimal("1234.50")) == 123450
    assert field.get_prep_value(Decimal("-0.01")) == -1
    assert field.from_db_value(123450, None, None) == Decimal("1234.50")
    assert str(field.from_db_value(100, None, None)) == "1.00"


def test_an_amount_finer_than_a_cent_is_refused_not_rounded():
    with pytest.raises(ValueError):
        MoneyField().get_prep_value(Decimal("0.005"))


def test_a_float_is_refused():
    with pytest.raises(TypeError):
        MoneyField().get_prep_value(0.1)


@pytest.mark.django_db
def test_database_sums_are_exact_to_the_cent():
    # 0.1 + 0.2 summed as floating point is 0.30000000000000004: the database must not do that to money.
    organiser = make_organiser()
    for n, price in enumerate(["0.10", "0.20", "1800.01", "923.59"] * 25):
        make_service(organiser, f"S{n}", unit_price=price)
    total = ServicePrice.objects.filter(organiser=organiser).aggregate(total=Sum("unit_price"))["total"]
    assert total == Decimal("68097.50")
    assert str(total) == "68097.50"
