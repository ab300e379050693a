"""The pseudonymised export: only clients with consent in force, no identifying data, pseudonyms per study."""

import csv
import io
import zipfile
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from avain.core import clock
from avain.organisations.models import Role
from avain.research import selectors, services
from avain.research.export import pseudonym
from avain.research.imports import import_service_use
from avain.research.models import Consent
from avain.testing import login_verified, make_organiser, make_service, make_staff

from .helpers import enrolled_clients, make_study

pytestmark = pytest.mark.django_db


def _read(data: bytes):
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == [
        "README.txt", "codebook.csv", "data.csv", "data.parquet", "texts.csv", "texts.parquet"
    ]
    table = pq.read_table(io.BytesIO(archive.read("data.parquet")))
    rows = list(csv.DictReader(io.StringIO(archive.read("data.csv").decode())))
    codebook = list(csv.DictReader(io.StringIO(archive.read("codebook.csv").decode())))
    return archive, table, rows, codebook


@pytest.fixture
def study_with_clients():
    organiser = make_organiser("eksote")
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    study = make_study(organiser)
    clients = enrolled_clients(study, organiser, worker, 4) + enrolled_clients(
        study, organiser, worker, 1, scopes=["questionnaires"]
    )
    service = make_service(organiser, "KOTI", "40.00")
    lines = "\n".join(f"KOTI;{clock.today().isoformat()};2;{c.pk}" for c in clients)
    import_service_use(
        organiser=organiser,
        filename="kaytto.csv",
        data=f"service_code;date;quantity;client_number\n{lines}\n".encode(),
        uploaded_by=worker,
    )
    services.make_final(study=study, by=worker)
    researcher = make_staff(organiser, Role.RESEARCHER)
    return study, clients, worker, researcher, service


def _download(client, researcher, study) -> bytes:
    login_verified(client, researcher)
    response = client.get(reverse("research_export", kwargs={"study_id": study.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    return response.content


def test_withdrawing_consent_removes_the_client_from_the_next_export_and_from_the_costs(client, study_with_clients):
    study, clients, worker, researcher, _ = study_with_clients
    _, table, rows, _ = _read(_download(client, researcher, study))
    expected = {pseudonym(study, c.pk) for c in clients}
    assert set(table.column("pseudonym").to_pylist()) == expected
    assert {row["pseudonym"] for row in rows} == expected
    leaving = clients[0]
    assert leaving.pk in {c.client_id for c in selectors.costs_per_client(study)}

    services.withdraw_consent(consent=Consent.objects.get(client=leaving), by=leaving.user or worker)

    _, table, rows, _ = _read(_download(client, researcher, study))
    gone = pseudonym(study, leaving.pk)
    assert gone not in table.column("pseudonym").to_pylist()
    assert gone not in {row["pseudonym"] for row in rows}
    assert table.num_rows == len(rows) == len(clients) - 1
    assert leaving.pk not in {c.client_id for c in selectors.costs_per_client(study)}


def test_the_export_holds_arms_costs_by_consent_and_no_identifying_data(client, study_with_clients):
    study, clients, _, researcher, _ = study_with_clients
    data = _download(client, researcher, study)
    archive, table, rows, codebook = _read(data)
    assert {row["variable"] for row in codebook if row["file"] == "data"} == set(table.column_names) == set(rows[0])
    by_pseudonym = {row["pseudonym"]: row for row in table.to_pylist()}
    costs_client = by_pseudonym[pseudonym(study, clients[0].pk)]
    assert costs_client["arm"] in ("hb", "control")
    assert costs_client["self_selected"] is False
    assert costs_client["organiser"] == "eksote" and costs_client["target_group"] == "adults"
    assert costs_client["age_group"] in ("35-49", "50-64")  # born in the 1980s or later by the test codes
    assert costs_client["cost_services"] == Decimal("80.00")
    assert costs_client["cost_total"] == Decimal("80.00")
    # The fifth client consented to questionnaires only: their costs are not exported.
    questionnaires_only = by_pseudonym[pseudonym(study, clients[4].pk)]
    assert questionnaires_only["cost_services"] is None and questionnaires_only["cost_total"] is None

    text = "\n".join(
        archive.read(name).decode() for name in ("data.csv", "texts.csv", "codebook.csv", "README.txt")
    )
    values = " ".join(str(v) for row in table.to_pylist() for v in row.values())
    for person in clients:
        for identifying in (person.first_name + " " + person.last_name, person.last_name, person.personal_identity_code):
            assert identifying not in text
            assert identifying not in values
            assert identifying.encode() not in data
        assert f",{person.pk}," not in text


def test_the_same_client_has_different_pseudonyms_in_different_studies(study_with_clients):
    study, clients, worker, _, _ = study_with_clients
    other = make_study(study.owner, code="toinen")
    assert pseudonym(study, clients[0].pk) != pseudonym(other, clients[0].pk)
    assert pseudonym(study, clients[0].pk) == pseudonym(study, clients[0].pk)
    assert len({pseudonym(study, c.pk) for c in clients}) == len(clients)


def test_there_is_no_export_before_enrolment_is_final(client):
    organiser = make_organiser()
    study = make_study(organiser)
    login_verified(client, make_staff(organiser, Role.RESEARCHER))
    assert client.get(reverse("research_export", kwargs={"study_id": study.pk})).status_code == 404


def test_free_texts_only_with_consent_to_diaries_and_without_names_or_identity_codes(client):
    from avain.feedback.services import send_feedback

    organiser = make_organiser("eksote")
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    study = make_study(organiser)
    writer = enrolled_clients(study, organiser, worker, 1)[0]
    silent = enrolled_clients(study, organiser, worker, 1, scopes=["costs"])[0]
    from avain.testing import make_user

    for person in (writer, silent):
        person.user = make_user(first_name=person.first_name, last_name=person.last_name)
        person.save(update_fields=["user"])
        send_feedback(
            client=person,
            submitted_by=person.user,
            topic="service",
            text=f"Olen {person.first_name} {person.last_name}, tunnus {person.personal_identity_code}. Apu oli hyvää.",
        )
    services.make_final(study=study, by=worker)
    archive, _, _, _ = _read(_download(client, make_staff(organiser, Role.RESEARCHER), study))
    texts = pq.read_table(io.BytesIO(archive.read("texts.parquet"))).to_pylist()
    assert [row["pseudonym"] for row in texts] == [pseudonym(study, writer.pk)]
    assert texts[0]["kind"] == "feedback" and "Apu oli hyvää." in texts[0]["text"]
    csv_text = archive.read("texts.csv").decode()
    for person in (writer, silent):
        for identifying in (person.last_name, person.personal_identity_code):
            assert identifying not in texts[0]["text"] and identifying not in csv_text
    assert "[removed]" in texts[0]["text"]
