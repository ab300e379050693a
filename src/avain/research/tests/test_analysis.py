"""The cost-effectiveness report: the numbers are cea.analyse's on the consenting clients' data, a withdrawn consent
leaves the client out of the next analysis, the PDF carries the same numbers, and only the study's researchers and
organiser administrators reach it."""

import datetime as dt
import io
import re
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse
from pypdf import PdfReader

from avain.core import clock
from avain.evaluation import cea
from avain.evaluation.models import Measurement, MeasurementPoint, MeasurementScore, MeasurementStatus
from avain.evaluation.selectors import current_instrument
from avain.evaluation.services import SELF_ASSESSMENT, load_instruments
from avain.organisations.models import Role
from avain.planning.services import decline_hb
from avain.research import analysis, services
from avain.research.imports import import_service_use
from avain.research.models import Arm, Consent, Enrolment
from avain.testing import case_in_planning, login_verified, make_client, make_organiser, make_service, make_staff

from .helpers import consent, enrolled_clients, make_study

pytestmark = pytest.mark.django_db


def _score(client, point, value, worker, *, days_ago=0):
    load_instruments()
    at = clock.now() - dt.timedelta(days=days_ago)
    measurement = Measurement.objects.create(
        organiser=client.organiser,
        client=client,
        instrument=current_instrument(client.organiser, SELF_ASSESSMENT),
        point=point,
        due_on=clock.today(),
        status=MeasurementStatus.COMPLETED,
        completed_at=at,
        created_at=at,
        created_by=worker,
    )
    MeasurementScore.objects.create(measurement=measurement, score=Decimal(value), answered=18, missing=0)


@pytest.fixture
def study_with_data():
    """Twelve clients with costs (40 € × (i + 1)) and a score change of i − 3 (end) or, for the last, of the
    middle point; one more client consented to costs only (effect missing), one has no end or middle score."""
    organiser = make_organiser("eksote")
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    study = make_study(organiser)
    clients = enrolled_clients(study, organiser, worker, 12)
    costs_only = enrolled_clients(study, organiser, worker, 1, scopes=["costs"])[0]
    unmeasured = enrolled_clients(study, organiser, worker, 1)[0]
    make_service(organiser, "KOTI", "40.00")
    everyone = [*clients, costs_only, unmeasured]
    lines = "\n".join(f"KOTI;{clock.today().isoformat()};{i + 1};{c.pk}" for i, c in enumerate(everyone))
    import_service_use(
        organiser=organiser,
        filename="kaytto.csv",
        data=f"service_code;date;quantity;client_number\n{lines}\n".encode(),
        uploaded_by=worker,
    )
    effects = {}
    for i, client in enumerate(clients):
        _score(client, MeasurementPoint.START, "50", worker, days_ago=200)
        later = MeasurementPoint.MIDDLE if i == len(clients) - 1 else MeasurementPoint.END
        _score(client, later, str(50 + i - 3), worker, days_ago=10)
        effects[client.pk] = float(i - 3)
    _score(unmeasured, MeasurementPoint.START, "60", worker, days_ago=200)
    services.make_final(study=study, by=worker)
    study.refresh_from_db()
    expected = {
        c.pk: (40.0 * (i + 1), effects.get(c.pk, np.nan)) for i, c in enumerate(everyone)
    }
    return study, organiser, worker, clients, expected


def _expected_arm(study, expected, arm, leave_out=()):
    rows = [
        expected[e.client_id]
        for e in Enrolment.objects.filter(study=study, arm=arm).order_by("pk")
        if e.client_id not in leave_out
    ]
    return cea.ArmData([r[0] for r in rows], [r[1] for r in rows])


def test_the_numbers_are_cea_analyse_on_the_consenting_clients_data(study_with_data):
    study, _, _, _, expected = study_with_data
    result = analysis.analyse_study(study, wtp=1000)
    reference = cea.analyse(
        _expected_arm(study, expected, Arm.HB),
        _expected_arm(study, expected, Arm.CONTROL),
        seed=analysis.analysis_seed(study),
        wtp=analysis.wtp_values(1000),
        replicates=analysis.REPLICATES,
    )
    assert result.replicates == 2000
    assert result.hb == reference.intervention and result.control == reference.control
    assert result.hb.n + result.control.n == 14
    assert result.hb.n_missing_effect + result.control.n_missing_effect == 2
    assert result.result.incremental == reference.incremental
    assert result.result.bootstrap.cost_interval == reference.bootstrap.cost_interval
    assert result.result.bootstrap.effect_interval == reference.bootstrap.effect_interval
    np.testing.assert_array_equal(result.result.bootstrap.ceac, reference.bootstrap.ceac)
    assert 1000.0 in result.result.bootstrap.wtp
    assert result.nmb == pytest.approx(1000 * reference.incremental.delta_effect - reference.incremental.delta_cost)


def test_the_analysis_seed_comes_from_the_study_seed_and_reruns_give_the_same_numbers(study_with_data):
    study = study_with_data[0]
    first, second = analysis.analyse_study(study), analysis.analyse_study(study)
    assert first.seed == second.seed == analysis.analysis_seed(study)
    assert first.seed != study.seed and 0 <= first.seed < 2**63
    np.testing.assert_array_equal(first.result.bootstrap.delta_costs, second.result.bootstrap.delta_costs)


def test_withdrawing_consent_removes_the_client_from_the_next_analysis(study_with_data):
    study, _, worker, clients, expected = study_with_data
    before = analysis.analyse_study(study)
    gone = clients[0]
    services.withdraw_consent(consent=Consent.objects.get(client=gone, withdrawn_at__isnull=True), by=worker)
    after = analysis.analyse_study(study)
    assert after.hb.n + after.control.n == before.hb.n + before.control.n - 1
    reference = cea.analyse(
        _expected_arm(study, expected, Arm.HB, leave_out={gone.pk}),
        _expected_arm(study, expected, Arm.CONTROL, leave_out={gone.pk}),
        seed=analysis.analysis_seed(study),
        wtp=analysis.wtp_values(analysis.DEFAULT_WTP),
    )
    assert after.result.incremental == reference.incremental
    assert after.result.incremental != before.result.incremental


def test_the_page_shows_the_arms_the_comparison_the_plots_and_their_tables(client, study_with_data):
    study, organiser = study_with_data[:2]
    login_verified(client, make_staff(organiser, Role.RESEARCHER))
    response = client.get(reverse("research_analysis", args=[study.pk]), {"wtp": "2000"})
    assert response.status_code == 200
    html = response.content.decode()
    result = analysis.analyse_study(study, wtp=2000)
    point = result.result.incremental
    for number in (
        cea.display_round(point.delta_cost),
        cea.display_round(point.delta_effect),
        cea.display_round(result.nmb),
        cea.display_round(result.hb.mean_cost),
        str(result.seed),
    ):
        assert number in html
    assert "Cost-effectiveness plane" in html and "<svg" in html and 'class="ceac"' in html
    assert "2000 replicates" in html
    assert 'class="chosen"' in html
    assert study_with_data[3][0].last_name not in html


def test_an_arm_with_fewer_than_two_complete_cases_gets_a_message_instead_of_numbers(client):
    organiser = make_organiser("eksote")
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    study = make_study(organiser)
    enrolled_clients(study, organiser, worker, 6)
    services.make_final(study=study, by=worker)
    study.refresh_from_db()
    result = analysis.analyse_study(study)
    assert result.result is None and set(result.too_few) == {Arm.HB, Arm.CONTROL}
    login_verified(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    response = client.get(reverse("research_analysis", args=[study.pk]))
    assert response.status_code == 200
    assert "Too few complete cases" in response.content.decode()
    assert "<svg" not in response.content.decode()


def _pdf_text(data: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


def test_the_pdf_carries_the_key_numbers(client, study_with_data):
    study, organiser = study_with_data[:2]
    login_verified(client, make_staff(organiser, Role.RESEARCHER))
    response = client.get(reverse("research_analysis_pdf", args=[study.pk]), {"wtp": "1500"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = _pdf_text(response.content)
    result = analysis.analyse_study(study, wtp=1500)
    point, boot = result.result.incremental, result.result.bootstrap
    for number in (
        cea.display_round(point.delta_cost),
        cea.display_round(point.delta_effect),
        cea.display_round(boot.cost_interval.low),
        cea.display_round(boot.cost_interval.high),
        cea.display_round(result.nmb),
        cea.display_round(result.hb.mean_cost),
        cea.display_round(result.control.mean_effect),
        str(result.seed),
    ):
        assert re.sub(r"\s+", "", number) in text, number
    assert "Cost-effectivenessanalysis" in text
    for person in study_with_data[3]:
        assert person.last_name not in text


def test_who_reaches_the_report(client, study_with_data):
    study, organiser = study_with_data[:2]
    urls = [reverse("research_analysis", args=[study.pk]), reverse("research_analysis_pdf", args=[study.pk])]
    other = make_organiser("phhyky")
    for staff, status in (
        (make_staff(organiser, Role.SOCIAL_WORKER), 403),
        (make_staff(organiser, Role.FINANCE), 403),
        (make_staff(other, Role.RESEARCHER), 404),
        (make_staff(other, Role.ORGANISER_ADMIN), 404),
        (make_staff(organiser, Role.ORGANISER_ADMIN), 200),
    ):
        client.logout()
        login_verified(client, staff)
        for url in urls:
            assert client.get(url).status_code == status, (staff, url)


def test_there_is_no_report_while_enrolling(client):
    organiser = make_organiser("eksote")
    study = make_study(organiser)
    login_verified(client, make_staff(organiser, Role.RESEARCHER))
    assert client.get(reverse("research_analysis", args=[study.pk])).status_code == 404


def test_a_self_selected_study_says_so_on_the_page_and_in_the_pdf_and_has_a_seed_of_its_own(client):
    organiser = make_organiser("eksote")
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    study = make_study(organiser, design="self_selected")
    chose_hb = case_in_planning(organiser=organiser, worker=worker).client
    declined = make_client(organiser)
    decline_hb(client=declined, worker=worker, reason="Haluan pitää kotipalvelun.")
    for person in (chose_hb, declined):
        consent(person, worker)
        services.enrol_client(study=study, client=person, by=worker)
    services.make_final(study=study, by=worker)
    study.refresh_from_db()
    assert study.seed is None
    assert analysis.analysis_seed(study) == analysis.analysis_seed(study)
    login_verified(client, make_staff(organiser, Role.RESEARCHER))
    html = client.get(reverse("research_analysis", args=[study.pk])).content.decode()
    assert "Self-selected arms." in html and "Too few complete cases" in html
    pdf = client.get(reverse("research_analysis_pdf", args=[study.pk])).content
    assert "Self-selectedarms." in _pdf_text(pdf)
