"""The service-use import: priced from the price list on the day of use, line problems with codes, once per file."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from avain.organisations.models import Role
from avain.research.imports import import_service_use, problem_message
from avain.research.models import ServiceUse, ServiceUseFile
from avain.research.selectors import service_costs
from avain.testing import add_price, db_snapshot, login_verified, make_client, make_organiser, make_service, make_staff, valid_hetu

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    organiser = make_organiser("eksote")
    finance = make_staff(organiser, Role.FINANCE)
    service = make_service(organiser, "KOTI", "40.00", dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    add_price(service, "45.00", dt.date(2026, 7, 1))
    make_service(organiser, "VANHA", None)
    person = make_client(organiser, hetu=valid_hetu(11))
    other = make_client(organiser)
    return organiser, finance, person, other


def test_lines_are_priced_on_their_day_and_bad_lines_get_their_own_problem(setup):
    organiser, finance, person, other = setup
    data = (
        "henkilötunnus;asiakasnumero;palvelukoodi;päivä;määrä\n"
        f"{person.personal_identity_code};;KOTI;30.6.2026;2\n"
        f";{other.pk};KOTI;2026-07-01;1,5\n"
        "131052-308T;;KOTI;2026-07-01;1\n"  # valid code, no such client
        "010101-0000;;KOTI;2026-07-01;1\n"  # not a valid code
        f";{other.pk};PUUTTUU;2026-07-01;1\n"
        f";{other.pk};VANHA;2026-07-01;1\n"
        f";{other.pk};KOTI;2025-12-31;1\n"
        f";{other.pk};KOTI;31.2.2026;1\n"
        f";{other.pk};KOTI;2026-07-01;-1\n"
        f";{other.pk};KOTI;2026-07-01;kaksi\n"
        ";;KOTI;2026-07-01;1\n"
    ).encode()
    result = import_service_use(organiser=organiser, filename="C:\\data\\kaytto.csv", data=data, uploaded_by=finance)
    assert result.filename == "kaytto.csv" and not result.rejected
    assert (result.lines_total, result.lines_imported) == (11, 2)
    assert [(p["line"], p["code"]) for p in result.problems] == [
        (4, "unknown_client"),
        (5, "invalid_identity_code"),
        (6, "unknown_service"),
        (7, "no_price"),
        (8, "no_price"),
        (9, "bad_date"),
        (10, "quantity_not_positive"),
        (11, "bad_number"),
        (12, "no_client"),
    ]
    lines = {u.client_id: u for u in ServiceUse.objects.all()}
    assert (lines[person.pk].unit_price, lines[person.pk].amount) == (Decimal("40.00"), Decimal("80.00"))
    assert (lines[other.pk].unit_price, lines[other.pk].amount) == (Decimal("45.00"), Decimal("67.50"))
    assert "VANHA" in problem_message(result.problems[3]) and "2025-12-31" in problem_message(result.problems[4])
    # No problem repeats an identity code back.
    assert "010101-0000" not in str(result.problems) and "131052-308T" not in str(result.problems)
    assert service_costs([person.pk, other.pk], dt.date(2026, 1, 1), dt.date(2026, 6, 30)) == {person.pk: Decimal("80.00")}


def test_the_same_file_is_imported_once(setup):
    organiser, finance, person, _ = setup
    data = f"personal_identity_code,service_code,date,quantity\n{person.personal_identity_code},KOTI,2026-03-01,1\n".encode()
    first = import_service_use(organiser=organiser, filename="a.csv", data=data, uploaded_by=finance)
    before = db_snapshot("research")
    again = import_service_use(organiser=organiser, filename="b.csv", data=data, uploaded_by=finance)
    assert again.pk == first.pk and again.repeated
    assert db_snapshot("research") == before
    assert ServiceUse.objects.count() == 1


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", "file_empty"),
        (b"service_code;date\nKOTI;2026-01-01\n", "csv_missing_columns"),
        (b"service_code;date;quantity\nKOTI;2026-01-01;1\n", "csv_no_client_column"),
        (b"service_code;date;quantity;client_number\n", "csv_no_rows"),
        ("service_code;date;quantity;client_number\nKÖTI;2026-01-01;1;1\n".encode("latin-1"), "csv_not_utf8"),
    ],
)
def test_a_file_that_cannot_be_read_imports_nothing(setup, data, code):
    organiser, finance, _, _ = setup
    result = import_service_use(organiser=organiser, filename="x.csv", data=data, uploaded_by=finance)
    assert result.rejected and [p["code"] for p in result.problems] == [code]
    assert problem_message(result.problems[0]) and not ServiceUse.objects.exists()


def test_the_import_page_for_finance_shows_the_problems_and_social_workers_and_researchers_are_refused(client, setup):
    from django.core.files.uploadedfile import SimpleUploadedFile

    organiser, finance, person, _ = setup
    login_verified(client, finance)
    data = f"client_number;service_code;date;quantity\n{person.pk};KOTI;2026-03-01;1\n{person.pk};EI;2026-03-01;1\n"
    response = client.post(reverse("research_service_use"), {"file": SimpleUploadedFile("k.csv", data.encode())})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "1 of 2 lines imported" in page and "no service with the code" in page
    source = ServiceUseFile.objects.get()
    for role in (Role.SOCIAL_WORKER, Role.RESEARCHER):
        login_verified(client, make_staff(organiser, role))
        assert client.get(reverse("research_service_use")).status_code == 403
    login_verified(client, make_staff(make_organiser(), Role.FINANCE))
    assert client.get(reverse("research_service_use_file", kwargs={"file_id": source.pk})).status_code == 404
