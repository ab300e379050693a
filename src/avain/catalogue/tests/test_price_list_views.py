"""The price-list pages: finance imports through upload → preview → confirm; social workers read; nobody crosses organisers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from avain.catalogue.models import PriceListUpload, ServicePrice
from avain.organisations.models import Role
from avain.testing import db_snapshot, login_verified, make_organiser, make_service, make_staff

from .files import GOOD_ROWS, csv_bytes, row, xlsx

pytestmark = pytest.mark.django_db

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def organiser():
    return make_organiser("hinnasto")


def upload(client, content: bytes, name: str = "hinnasto.xlsx"):
    return client.post(reverse("price_list_import"), {"file": SimpleUploadedFile(name, content, XLSX_TYPE)})


def prices(organiser):
    return list(ServicePrice.objects.filter(organiser=organiser).values_list("service__code", "unit_price", "valid_from", "valid_to"))


@pytest.mark.parametrize("role", [Role.FINANCE, Role.ORGANISER_ADMIN])
def test_finance_uploads_previews_and_confirms_an_import(client, organiser, role):
    login_verified(client, make_staff(organiser, role))
    assert client.get(reverse("price_list_import")).status_code == 200

    response = upload(client, xlsx(GOOD_ROWS))
    assert response.status_code == 302
    stored = PriceListUpload.objects.get(organiser=organiser)
    assert response["Location"] == reverse("price_list_import_preview", args=[stored.pk])
    assert prices(organiser) == []  # nothing imported before the confirmation

    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert preview.context["preview"].can_import
    assert b"KOTIP" in preview.content and b"Kotipalvelu" in preview.content

    confirmed = client.post(
        reverse("price_list_import_confirm", args=[stored.pk]),
        {"sha256": preview.context["preview"].sha256, "fingerprint": preview.context["preview"].fingerprint},
        follow=True,
    )
    assert confirmed.redirect_chain[-1][0] == reverse("price_list")
    assert len(prices(organiser)) == 4
    stored.refresh_from_db()
    assert stored.imported_at is not None and stored.imported_by is not None
    assert b"KOTIP" in confirmed.content  # the price list now shows it
    assert [str(m) for m in confirmed.context["messages"]]


def test_a_file_with_a_bad_row_shows_the_row_and_cannot_be_confirmed(client, organiser):
    login_verified(client, make_staff(organiser, Role.FINANCE))
    response = upload(client, xlsx([GOOD_ROWS[0], row("VERTA", "viisitoista", category="peer_support")]))
    stored = PriceListUpload.objects.get(organiser=organiser)

    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert [(e.row, e.column, e.code) for e in page.context["preview"].errors] == [(3, "unit_price", "price_not_a_number")]
    assert "viisitoista" in page.content.decode()
    assert reverse("price_list_import_confirm", args=[stored.pk]) not in page.content.decode()

    before = db_snapshot("catalogue")
    refused = client.post(
        reverse("price_list_import_confirm", args=[stored.pk]),
        {"sha256": stored.sha256, "fingerprint": page.context["preview"].fingerprint},
    )
    assert refused.status_code == 302
    assert db_snapshot("catalogue") == before


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_upload_form(client, organiser):
    login_verified(client, make_staff(organiser, Role.FINANCE))
    response = upload(client, b"%PDF-1.4 not a price list", "hinnasto.pdf")
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not PriceListUpload.objects.exists()


def test_the_same_file_again_says_nothing_would_change(client, organiser):
    login_verified(client, make_staff(organiser, Role.FINANCE))
    first = client.get(upload(client, csv_bytes(GOOD_ROWS), "hinnasto.csv")["Location"])
    client.post(
        reverse("price_list_import_confirm", args=[PriceListUpload.objects.get().pk]),
        {"sha256": first.context["preview"].sha256, "fingerprint": first.context["preview"].fingerprint},
    )
    before = prices(organiser)

    again = client.get(upload(client, csv_bytes(GOOD_ROWS), "hinnasto.csv")["Location"])
    assert not again.context["preview"].changes_anything
    assert "price_list_import_confirm" not in again.content.decode() and b'name="fingerprint"' not in again.content
    assert prices(organiser) == before


def test_the_confirmation_imports_exactly_the_previewed_file(client, organiser):
    login_verified(client, make_staff(organiser, Role.FINANCE))
    location = upload(client, xlsx(GOOD_ROWS))["Location"]
    stored = PriceListUpload.objects.get()
    preview = client.get(location).context["preview"]

    wrong_file = client.post(
        reverse("price_list_import_confirm", args=[stored.pk]), {"sha256": "0" * 64, "fingerprint": preview.fingerprint}
    )
    assert wrong_file.status_code == 302 and prices(organiser) == []

    client.post(reverse("price_list_import_confirm", args=[stored.pk]), {"sha256": stored.sha256, "fingerprint": preview.fingerprint})
    assert len(prices(organiser)) == 4
    twice = client.post(
        reverse("price_list_import_confirm", args=[stored.pk]), {"sha256": stored.sha256, "fingerprint": preview.fingerprint}, follow=True
    )
    assert any("already" in str(m) or "jo" in str(m) for m in twice.context["messages"])


def test_a_social_worker_reads_the_price_list_but_cannot_import(client, organiser):
    make_service(organiser, "KOTIP", unit_price="45.00", valid_from=dt.date(2020, 1, 1), name="Kotipalvelu")
    finance = make_staff(organiser, Role.FINANCE)
    login_verified(client, finance)
    upload(client, xlsx(GOOD_ROWS[1:]))
    stored = PriceListUpload.objects.get()

    login_verified(client, make_staff(organiser, Role.SOCIAL_WORKER))
    page = client.get(reverse("price_list"))
    assert page.status_code == 200
    assert b"Kotipalvelu" in page.content
    assert reverse("price_list_import").encode() not in page.content

    assert client.get(reverse("price_list_import")).status_code == 403
    assert upload(client, xlsx(GOOD_ROWS)).status_code == 403
    assert client.get(reverse("price_list_import_preview", args=[stored.pk])).status_code == 403
    assert client.post(reverse("price_list_import_confirm", args=[stored.pk]), {"sha256": stored.sha256}).status_code == 403
    assert prices(organiser) == [("KOTIP", Decimal("45.00"), dt.date(2020, 1, 1), None)]


@pytest.mark.parametrize("role", [Role.APPROVER, Role.RESEARCHER])
def test_other_roles_have_no_price_list_pages(client, organiser, role):
    login_verified(client, make_staff(organiser, role))
    assert client.get(reverse("price_list")).status_code == 403
    assert client.get(reverse("price_list_import")).status_code == 403


def test_another_organisers_prices_and_uploads_are_never_shown_or_changed(client, organiser):
    other = make_organiser("toinen")
    make_service(other, "MUIDEN", unit_price="99.00", valid_from=dt.date(2020, 1, 1), name="Toisen palvelu")
    other_finance = make_staff(other, Role.FINANCE)
    login_verified(client, other_finance)
    upload(client, xlsx(GOOD_ROWS))
    theirs = PriceListUpload.objects.get(organiser=other)

    login_verified(client, make_staff(organiser, Role.FINANCE))
    page = client.get(reverse("price_list"))
    assert b"MUIDEN" not in page.content and b"Toisen palvelu" not in page.content
    assert client.get(reverse("price_list_import_preview", args=[theirs.pk])).status_code == 404
    refused = client.post(
        reverse("price_list_import_confirm", args=[theirs.pk]), {"sha256": theirs.sha256, "fingerprint": ""}
    )
    assert refused.status_code == 404
    assert prices(other) == [("MUIDEN", Decimal("99.00"), dt.date(2020, 1, 1), None)]

    # Importing into one's own organiser leaves the other's list alone.
    own = client.get(upload(client, xlsx(GOOD_ROWS))["Location"]).context["preview"]
    client.post(
        reverse("price_list_import_confirm", args=[PriceListUpload.objects.get(organiser=organiser).pk]),
        {"sha256": own.sha256, "fingerprint": own.fingerprint},
    )
    assert len(prices(organiser)) == 4
    assert prices(other) == [("MUIDEN", Decimal("99.00"), dt.date(2020, 1, 1), None)]


def test_only_the_uploader_previews_and_confirms_an_upload(client, organiser):
    login_verified(client, make_staff(organiser, Role.FINANCE))
    upload(client, xlsx(GOOD_ROWS))
    stored = PriceListUpload.objects.get()
    login_verified(client, make_staff(organiser, Role.FINANCE))
    assert client.get(reverse("price_list_import_preview", args=[stored.pk])).status_code == 404


def test_the_price_list_shows_the_current_price_the_next_change_and_the_history(client, organiser):
    service = make_service(organiser, "KOTIP", unit_price=None, name="Kotipalvelu")
    from avain.testing import add_price

    add_price(service, "40.00", dt.date(2000, 1, 1), dt.date(2000, 12, 31))
    add_price(service, "45.00", dt.date(2001, 1, 1), dt.date(2098, 12, 31))
    add_price(service, "47.50", dt.date(2099, 1, 1))
    login_verified(client, make_staff(organiser, Role.SOCIAL_WORKER))

    page = client.get(reverse("price_list"), HTTP_ACCEPT_LANGUAGE="fi")
    (entry,) = page.context["entries"]
    assert entry.current.unit_price == Decimal("45.00")
    assert entry.upcoming.unit_price == Decimal("47.50")
    assert len(entry.history) == 3
    text = page.content.decode()
    assert "45,00\xa0€" in text and "47,50\xa0€" in text and "40,00\xa0€" in text

    filtered = client.get(reverse("price_list"), {"category": "transport"})
    assert filtered.context["entries"] == []


def test_the_navigation_links_to_the_price_list_for_its_readers(client, organiser):
    for role, shown in ((Role.FINANCE, True), (Role.ORGANISER_ADMIN, True), (Role.SOCIAL_WORKER, True), (Role.APPROVER, False)):
        login_verified(client, make_staff(organiser, role))
        page = client.get(reverse("home"), follow=True)
        assert (reverse("price_list") in [item["url"] for item in page.context["nav"]]) is shown, role


def test_the_price_list_page_makes_the_same_number_of_queries_whatever_its_size(client, organiser):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login_verified(client, make_staff(organiser, Role.FINANCE))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("price_list")).status_code == 200
        return len(captured)

    make_service(organiser, "A1", unit_price="10.00", valid_from=dt.date(2020, 1, 1))
    few = queries()
    for n in range(30):
        make_service(organiser, f"B{n}", unit_price="10.00", valid_from=dt.date(2020, 1, 1))
    assert queries() == few
