"""Monitoring: no count small enough to single out a person is ever shown, a total never reveals a hidden cell, and
only the organiser's administrator (own organiser) and the study's researchers (across its organisers) see it."""

import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from avain.organisations.models import Role
from avain.planning.selectors import SMALL_COUNT
from avain.research import monitoring, services
from avain.testing import case_active, case_in_needs_assessment, login_verified, make_organiser, make_staff

from .helpers import enrolled_clients, make_study

pytestmark = pytest.mark.django_db

COUNT_CELL = re.compile(r'<td class="count[^"]*">([^<]*)</td>')


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8))
def test_suppression_hides_every_small_count_and_every_total_that_would_reveal_one(counts):
    cells, total = monitoring.suppress_row(counts)
    for n, cell in zip(counts, cells, strict=True):
        if 0 < n < SMALL_COUNT:
            assert cell is None
        else:
            assert cell == n
    if any(cell is None for cell in cells):
        assert total is None  # the hidden cell cannot be worked out as total − shown cells
    else:
        assert total == sum(counts)
        assert total == 0 or total >= SMALL_COUNT


def _count_cells(html: str) -> list[str]:
    cells = [cell.strip() for cell in COUNT_CELL.findall(html)]
    assert cells, "the page has count cells"
    for cell in cells:
        assert cell not in {"1", "2", "3", "4"}, cells
    return cells


@pytest.fixture
def organiser_with_cases():
    organiser = make_organiser("eksote")
    for _ in range(6):
        case_in_needs_assessment(organiser=organiser)
    for _ in range(2):
        case_active(organiser=organiser)
    return organiser


def test_the_organisers_monitoring_shows_no_small_count(client, organiser_with_cases):
    login_verified(client, make_staff(organiser_with_cases, Role.ORGANISER_ADMIN))
    response = client.get(reverse("research_monitoring"))
    assert response.status_code == 200
    html = response.content.decode()
    cells = _count_cells(html)
    assert "6" in cells  # six cases are being assessed
    assert cells.count("&lt;5") >= 3  # two active cases, two clients with a budget, two decisions
    # The two budgets and the two waits are not summed or averaged either.
    budgets = html[html.index('class="budgets"'): html.index('class="medians"')]
    assert "€" not in budgets
    medians = html[html.index('class="medians"'):]
    assert re.search(r"&lt;5</td><td>–</td>", medians)


def test_across_organisers_a_total_is_hidden_when_one_of_its_cells_is(client, organiser_with_cases):
    other = make_organiser("phhyky")
    for _ in range(5):
        case_in_needs_assessment(organiser=other)
    study = make_study(organiser_with_cases, others=[other])
    worker = make_staff(organiser_with_cases, Role.SOCIAL_WORKER)
    enrolled_clients(study, organiser_with_cases, worker, 3)
    services.make_final(study=study, by=worker)
    report = monitoring.study_report(study)
    assessed = report.steps[0]
    assert assessed.cells == [6, 5] and assessed.total == 11
    active = next(row for row in report.steps if row.cells[0] is None)
    assert active.total is None
    assert report.budget_total is None and report.median_all is None
    login_verified(client, make_staff(organiser_with_cases, Role.RESEARCHER))
    response = client.get(reverse("research_study_monitoring", args=[study.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    cells = _count_cells(html)
    assert "11" in cells
    for enrolment in study.enrolments.select_related("client"):
        assert enrolment.client.last_name not in html


def test_who_sees_the_monitoring(client, organiser_with_cases):
    other = make_organiser("phhyky")
    study = make_study(organiser_with_cases)
    organiser_url = reverse("research_monitoring")
    study_url = reverse("research_study_monitoring", args=[study.pk])
    for staff, organiser_status, study_status in (
        (make_staff(organiser_with_cases, Role.SOCIAL_WORKER), 403, 403),
        (make_staff(organiser_with_cases, Role.FINANCE), 403, 403),
        (make_staff(organiser_with_cases, Role.RESEARCHER), 403, 200),
        (make_staff(organiser_with_cases, Role.ORGANISER_ADMIN), 200, 403),
        (make_staff(other, Role.RESEARCHER), 403, 404),
    ):
        client.logout()
        login_verified(client, staff)
        assert client.get(organiser_url).status_code == organiser_status, staff
        assert client.get(study_url).status_code == study_status, staff


def test_the_organiser_sees_only_its_own_figures(client, organiser_with_cases):
    other = make_organiser("phhyky")
    for _ in range(7):
        case_in_needs_assessment(organiser=other)
    login_verified(client, make_staff(other, Role.ORGANISER_ADMIN))
    html = client.get(reverse("research_monitoring")).content.decode()
    cells = _count_cells(html)
    assert "7" in cells and "6" not in cells
    assert "eksote" not in html


def test_figures_over_five_clients_are_shown(client):
    from avain.accounts.models import SubAccount

    organiser = make_organiser("eksote")
    for _ in range(5):
        case_active(organiser=organiser)
    report = monitoring.organiser_report(organiser)
    budget = report.budgets[0]
    granted = sum(s.granted for s in SubAccount.objects.filter(organiser=organiser))
    assert budget.clients == 5 and budget.granted == granted and granted > 0
    assert report.medians[0].decisions == 5 and report.medians[0].median_days is not None
    login_verified(client, make_staff(organiser, Role.ORGANISER_ADMIN))
    html = client.get(reverse("research_monitoring")).content.decode()
    assert "5" in _count_cells(html)
    assert "€" in html[html.index('class="budgets"'): html.index('class="medians"')]
