"""Consent, enrolment and making enrolment final: the arm is hidden until then, every allocation is logged, and
the recorded seed reproduces the allocation."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from avain.core import clock
from avain.organisations.models import Role
from avain.planning.services import decline_hb
from avain.research import selectors, services
from avain.research.models import AllocationLog, Arm, Consent, Enrolment, StudyStatus
from avain.research.randomisation import Member, allocate
from avain.testing import case_in_planning, db_snapshot, make_client, make_organiser, make_staff, refused

from .helpers import consent, enrolled_clients, make_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser():
    return make_organiser("eksote")


@pytest.fixture
def worker(organiser):
    return make_staff(organiser, Role.SOCIAL_WORKER)


def test_consent_needs_a_scope_and_a_date_not_in_the_future(organiser, worker):
    client = make_client(organiser)
    error = refused("no_scope", services.give_consent, client=client, recorded_by=worker, scopes=[], given_on=clock.today())
    assert "at least one" in error.messages[0]
    refused(
        "consent_in_future",
        services.give_consent,
        client=client,
        recorded_by=worker,
        scopes=["costs"],
        given_on=clock.today() + dt.timedelta(days=1),
    )


def test_a_second_consent_in_force_for_the_same_research_is_refused_until_the_first_is_withdrawn(organiser, worker):
    client = make_client(organiser)
    first = consent(client, worker, scopes=["costs"])
    refused("consent_exists", services.give_consent, client=client, recorded_by=worker, scopes=["time_use"], given_on=clock.today())
    services.withdraw_consent(consent=first, by=worker)
    refused("already_withdrawn", services.withdraw_consent, consent=first, by=worker)
    consent(client, worker, scopes=["time_use"])
    assert Consent.objects.filter(client=client).count() == 2


def test_enrolment_needs_a_consent_in_force(organiser, worker):
    study = make_study(organiser)
    client = make_client(organiser)
    refused("no_consent", services.enrol_client, study=study, client=client, by=worker)
    given = consent(client, worker)
    services.withdraw_consent(consent=given, by=worker)
    refused("no_consent", services.enrol_client, study=study, client=client, by=worker)


def test_a_client_of_an_organiser_outside_the_study_cannot_be_enrolled(organiser, worker):
    study = make_study(organiser)
    elsewhere = make_organiser("kainuu")
    client = make_client(elsewhere)
    consent(client, make_staff(elsewhere))
    refused("study_not_of_organiser", services.enrol_client, study=study, client=client, by=worker)


def test_a_study_may_span_several_organisers(organiser, worker):
    kainuu = make_organiser("kainuu")
    study = make_study(organiser, others=[kainuu])
    kainuu_worker = make_staff(kainuu)
    enrolled_clients(study, kainuu, kainuu_worker, 2)
    enrolled_clients(study, organiser, worker, 2)
    services.make_final(study=study, by=worker)
    strata = {(log.organiser.code, log.target_group) for log in AllocationLog.objects.filter(study=study)}
    assert strata == {("eksote", "adults"), ("kainuu", "adults")}


def test_the_arm_is_hidden_until_enrolment_is_final_then_every_allocation_is_logged_and_reproducible(organiser, worker):
    study = make_study(organiser)
    clients = enrolled_clients(study, organiser, worker, 6) + enrolled_clients(
        study, organiser, worker, 5, target_group="families"
    )
    assert set(Enrolment.objects.filter(study=study).values_list("arm", flat=True)) == {None}
    assert all(e.arm is None for e in selectors.enrolments_of(clients[0]))
    assert {c.arm for c in selectors.costs_per_client(study)} == {None}
    assert study.seed is None

    admin = make_staff(organiser, Role.ORGANISER_ADMIN)
    final = services.make_final(study=study, by=admin)

    assert final.status == StudyStatus.FINAL and final.seed is not None
    enrolments = list(Enrolment.objects.filter(study=study).select_related("organiser"))
    arms = {e.client_id: e.arm for e in enrolments}
    assert set(arms.values()) == {Arm.HB, Arm.CONTROL}
    # The recorded seed gives exactly the same allocation again.
    members = [Member(e.client_id, e.organiser.code, e.target_group) for e in enrolments]
    assert allocate(members, final.seed) == arms
    logs = list(AllocationLog.objects.filter(study=study))
    assert len(logs) == len(clients)
    assert {(log.enrolment.client_id, log.arm) for log in logs} == set(arms.items())
    assert {log.seed for log in logs} == {final.seed}
    assert {log.allocated_by_id for log in logs} == {admin.pk}
    assert selectors.enrolments_of(clients[0])[0].arm == arms[clients[0].pk]


def test_enrolment_made_final_cannot_be_made_final_again_or_take_more_clients(organiser, worker):
    study = make_study(organiser)
    enrolled_clients(study, organiser, worker, 2)
    services.make_final(study=study, by=worker)
    refused("enrolment_final", services.make_final, study=study, by=worker)
    late = make_client(organiser)
    consent(late, worker)
    refused("enrolment_final", services.enrol_client, study=study, client=late, by=worker)


def test_making_final_needs_two_clients(organiser, worker):
    study = make_study(organiser)
    enrolled_clients(study, organiser, worker, 1)
    refused("too_few", services.make_final, study=study, by=worker)


def test_a_self_selected_study_takes_controls_from_clients_who_declined_hb(organiser, worker):
    study = make_study(organiser, design="self_selected")
    hb_client = case_in_planning(organiser=organiser, worker=worker).client
    declined = make_client(organiser)
    decline_hb(client=declined, worker=worker, reason="Haluan pitää kotipalvelun.")
    undecided = make_client(organiser)
    for client in (hb_client, declined, undecided):
        consent(client, worker)
    services.enrol_client(study=study, client=hb_client, by=worker)
    services.enrol_client(study=study, client=declined, by=worker)
    refused("no_choice", services.enrol_client, study=study, client=undecided, by=worker)

    services.make_final(study=study, by=worker)

    arms = dict(Enrolment.objects.filter(study=study).values_list("client_id", "arm"))
    assert arms == {hb_client.pk: Arm.HB, declined.pk: Arm.CONTROL}
    assert set(Enrolment.objects.filter(study=study).values_list("self_selected", flat=True)) == {True}
    assert {c.self_selected for c in selectors.costs_per_client(study)} == {True}


def test_consent_for_one_study_does_not_cover_another(organiser, worker):
    first, second = make_study(organiser, code="eka"), make_study(organiser, code="toka")
    client = make_client(organiser)
    consent(client, worker, study=first)
    services.enrol_client(study=first, client=client, by=worker)
    refused("no_consent", services.enrol_client, study=second, client=client, by=worker)


def test_consenting_client_ids_follow_the_scope_and_withdrawal(organiser, worker):
    study = make_study(organiser)
    costs_only = enrolled_clients(study, organiser, worker, 1, scopes=["costs"])[0]
    everything = enrolled_clients(study, organiser, worker, 1)[0]
    assert selectors.consenting_client_ids(study, "costs") == {costs_only.pk, everything.pk}
    assert selectors.consenting_client_ids(study, "questionnaires") == {everything.pk}
    services.withdraw_consent(consent=Consent.objects.get(client=everything), by=worker)
    assert selectors.consenting_client_ids(study, "costs") == {costs_only.pk}
    assert selectors.consenting_client_ids(study, "questionnaires") == set()
