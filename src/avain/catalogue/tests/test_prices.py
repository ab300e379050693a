"""Prices of one service never overlap: the service layer refuses it everywhere, PostgreSQL's constraint as well."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from avain.catalogue.models import PriceListUpload, ServicePrice
from avain.catalogue.services import add_price_change, store_price_list_upload
from avain.core.clock import frozen_at
from avain.organisations.models import Role
from avain.testing import add_price, db_snapshot, make_organiser, make_service, make_staff

pytestmark = pytest.mark.django_db

JAN_1, JUN_30, JUL_1, DEC_31 = dt.date(2026, 1, 1), dt.date(2026, 6, 30), dt.date(2026, 7, 1), dt.date(2026, 12, 31)


@pytest.fixture
def service():
    return make_service(make_organiser("hinnat"), "KOTIP", unit_price="45.00", valid_from=JAN_1)


def periods(service):
    return list(service.prices.order_by("valid_from").values_list("valid_from", "valid_to", "unit_price", "vat_rate"))


def test_a_price_change_closes_the_open_price_the_day_before(service):
    new = add_price_change(service=service, unit_price=Decimal("47.50"), valid_from=JUL_1, vat_rate=Decimal("25.5"))
    assert (new.valid_from, new.valid_to) == (JUL_1, None)
    assert periods(service) == [
        (JAN_1, JUN_30, Decimal("45.00"), Decimal("0.00")),
        (JUL_1, None, Decimal("47.50"), Decimal("25.50")),
    ]


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (JAN_1, None),  # the same start as the open price
        (dt.date(2025, 6, 1), None),  # open-ended, before the open price
        (dt.date(2025, 6, 1), JAN_1),  # ends on the open price's first day
    ],
)
def test_a_price_overlapping_the_open_price_is_refused(service, valid_from, valid_to):
    before = db_snapshot("catalogue")
    with pytest.raises(ValidationError) as refused:
        add_price_change(service=service, unit_price=Decimal("40.00"), valid_from=valid_from, valid_to=valid_to)
    assert refused.value.error_list[0].code == "price_overlaps"
    assert "KOTIP" in refused.value.messages[0]
    assert db_snapshot("catalogue") == before


def test_a_price_with_an_end_date_is_never_shortened(service):
    closed = make_service(service.organiser, "PERHE", unit_price="62.00", valid_from=JAN_1, valid_to=DEC_31)
    with pytest.raises(ValidationError) as refused:
        add_price_change(service=closed, unit_price=Decimal("64.00"), valid_from=JUL_1)
    assert refused.value.error_list[0].code == "price_overlaps"
    assert periods(closed) == [(JAN_1, DEC_31, Decimal("62.00"), Decimal("0.00"))]


def test_a_price_that_fits_before_the_first_price_is_accepted(service):
    add_price_change(service=service, unit_price=Decimal("40.00"), valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31))
    assert [p[:2] for p in periods(service)] == [(dt.date(2025, 1, 1), dt.date(2025, 12, 31)), (JAN_1, None)]


def test_prices_of_another_service_or_organiser_do_not_clash(service):
    make_service(service.organiser, "PERHE", unit_price="62.00", valid_from=JAN_1)
    other = make_service(make_organiser("toinen"), "KOTIP", unit_price="50.00", valid_from=JAN_1)
    add_price_change(service=other, unit_price=Decimal("52.00"), valid_from=JUL_1)
    assert periods(service) == [(JAN_1, None, Decimal("45.00"), Decimal("0.00"))]


@pytest.mark.parametrize(
    ("unit_price", "vat_rate", "valid_to", "code"),
    [
        (Decimal("-1.00"), Decimal(0), None, "price_negative"),
        (Decimal("45.555"), Decimal(0), None, "price_too_precise"),
        (Decimal("45.00"), Decimal(101), None, "vat_rate_invalid"),
        (Decimal("45.00"), Decimal("25.555"), None, "vat_rate_invalid"),
        (Decimal("45.00"), Decimal(0), JUN_30, "valid_to_before_valid_from"),
    ],
)
def test_bad_prices_are_refused_and_change_nothing(service, unit_price, vat_rate, valid_to, code):
    before = db_snapshot("catalogue")
    with pytest.raises(ValidationError) as refused:
        add_price_change(service=service, unit_price=unit_price, valid_from=JUL_1, valid_to=valid_to, vat_rate=vat_rate)
    assert refused.value.error_list[0].code == code
    assert db_snapshot("catalogue") == before


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the exclusion constraint price_no_overlap exists on PostgreSQL only; SQLite relies on the service layer",
)


@postgresql_only
@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [(JUL_1, None), (dt.date(2026, 2, 1), JUN_30), (dt.date(2025, 1, 1), JAN_1), (dt.date(2025, 1, 1), None)],
)
def test_postgresql_refuses_an_overlapping_price_inserted_directly(service, valid_from, valid_to):
    with pytest.raises(IntegrityError, match="price_no_overlap"), transaction.atomic():
        ServicePrice.objects.create(
            organiser_id=service.organiser_id, service=service, unit_price=Decimal("1.00"), valid_from=valid_from, valid_to=valid_to
        )


@postgresql_only
def test_postgresql_accepts_adjacent_prices_and_other_services(service):
    ServicePrice.objects.filter(service=service).update(valid_to=JUN_30)
    add_price(service, "47.50", JUL_1)  # the day after: inclusive bounds do not touch
    add_price(make_service(service.organiser, "PERHE", unit_price=None), "62.00", JAN_1)
    assert ServicePrice.objects.filter(organiser_id=service.organiser_id).count() == 3


def test_unconfirmed_uploads_are_removed_after_a_day():
    organiser = make_organiser("lataus")
    finance = make_staff(organiser, Role.FINANCE)
    with frozen_at(timezone.make_aware(dt.datetime(2026, 3, 1, 9, 0))):
        old = store_price_list_upload(organiser=organiser, actor=finance, file_bytes=b"a;b\n1;2\n", filename="old.csv")
    with frozen_at(timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))):
        new = store_price_list_upload(organiser=organiser, actor=finance, file_bytes=b"a;b\n1;2\n", filename="new.csv")
    assert list(PriceListUpload.objects.values_list("pk", flat=True)) == [new.pk]
    assert old.sha256 == new.sha256
