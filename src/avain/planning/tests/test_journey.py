"""The explicit HB journey: the table of moves (planning.journey), the one service every change of step goes through
(services.move_case), the history it records, closing the HB, and the work queue that reads the history.

The refusal test is generated from the table: every step × every move that may not start from it.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils import translation

from avain.accounts.models import InvoiceSource
from avain.accounts.posting import post_provider_invoices
from avain.accounts.services import grant_budget
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.planning import journey, selectors
from avain.planning.models import CaseAction, CaseStatus, CaseTransition, HBCase
from avain.planning.services import (
    approve_plan,
    close_case,
    decline_hb,
    move_case,
    open_case,
    review_plan,
    submit_plan,
)
from avain.testing import (
    account_of,
    case_active,
    case_approved,
    case_change_in_approval,
    case_change_in_review,
    case_changing,
    case_in_approval,
    case_in_needs_assessment,
    case_in_planning,
    case_in_review,
    current_plan,
    db_snapshot,
    login_verified,
    make_client,
    make_organiser,
    invoice_claim,
    make_agreement,
    make_provider,
    make_staff,
    refused,
)

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
S = CaseStatus
A = CaseAction


def at(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, 9, 0, tzinfo=HELSINKI)


def case_at(status: str, **kwargs) -> HBCase:
    """A case brought to ``status`` through the real services."""
    kwargs.setdefault("period", PERIOD)
    if status == S.DECLINED:
        case = case_in_needs_assessment(**kwargs)
        decline_hb(client=case.client, worker=case.worker, reason="Tavalliset palvelut riittävät")
        return HBCase.objects.get(pk=case.pk)
    if status == S.CLOSED:
        case = case_active(**kwargs)
        return close_case(case=case, actor=case.worker, reason="Budjettikausi päättyi")
    helper = {
        S.NEEDS_ASSESSMENT: case_in_needs_assessment,
        S.PLANNING: case_in_planning,
        S.REVIEW: case_in_review,
        S.APPROVAL: case_in_approval,
        S.APPROVED: case_approved,
        S.ACTIVE: case_active,
        S.CHANGE_PLANNING: case_changing,
        S.CHANGE_REVIEW: case_change_in_review,
        S.CHANGE_APPROVAL: case_change_in_approval,
    }[status]
    return helper(**kwargs)


def history(case) -> list[tuple[str, str, str]]:
    return list(case.transitions.order_by("at", "id").values_list("action", "from_status", "to_status"))


# --- The table, pure ----------------------------------------------------------------------------------------------


def test_the_table_is_the_journey():
    assert journey.allowed_pairs() == {
        (journey.OPENED, S.NEEDS_ASSESSMENT),
        (journey.OPENED, S.DECLINED),
        (S.NEEDS_ASSESSMENT, S.PLANNING),
        (S.NEEDS_ASSESSMENT, S.DECLINED),
        (S.PLANNING, S.REVIEW),
        (S.PLANNING, S.DECLINED),
        (S.REVIEW, S.PLANNING),
        (S.REVIEW, S.APPROVAL),
        (S.REVIEW, S.DECLINED),
        (S.APPROVAL, S.APPROVED),
        (S.APPROVAL, S.DECLINED),
        (S.APPROVED, S.ACTIVE),
        (S.APPROVED, S.DECLINED),
        (S.ACTIVE, S.CLOSED),
        (S.REVIEW, S.APPROVED),  # the organiser's rule "the worker alone"
        (S.APPROVAL, S.PLANNING),  # the approver returns the plan
        # A change of the plan while the budget is in use, back to the running budget once approved.
        (S.ACTIVE, S.CHANGE_PLANNING),
        (S.CHANGE_PLANNING, S.CHANGE_REVIEW),
        (S.CHANGE_REVIEW, S.CHANGE_PLANNING),
        (S.CHANGE_REVIEW, S.CHANGE_APPROVAL),
        (S.CHANGE_REVIEW, S.ACTIVE),
        (S.CHANGE_APPROVAL, S.ACTIVE),
        (S.CHANGE_APPROVAL, S.CHANGE_PLANNING),
        (S.CHANGE_PLANNING, S.CLOSED),
        (S.CHANGE_REVIEW, S.CLOSED),
        (S.CHANGE_APPROVAL, S.CLOSED),
    }


def test_every_move_is_named_and_every_step_is_reachable_and_can_end():
    assert set(journey.MOVES) == set(CaseAction.values)
    reachable, frontier = set(), {journey.OPENED}
    while frontier:
        frontier = {t for s in frontier for t in journey.allowed_targets(s)} - reachable
        reachable |= frontier
    assert reachable == set(CaseStatus.values)
    for status in CaseStatus.values:
        seen, frontier = {status}, {status}
        while frontier:
            frontier = {t for s in frontier for t in journey.allowed_targets(s)} - seen
            seen |= frontier
        assert seen & journey.ENDED, f"{status} cannot reach an end"


def test_ended_steps_have_no_way_out_and_no_move_returns_to_the_start():
    for status in journey.ENDED:
        assert journey.allowed_targets(status) == frozenset()
    assert journey.OPENED not in {move.target for move in journey.MOVES.values()}
    assert set(journey.OPEN_STATUSES) == set(CaseStatus.values) - {S.DECLINED, S.CLOSED}


def test_a_refusal_names_the_step_the_case_is_at():
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            journey.check(S.REVIEW, A.APPROVE_PLAN)
        assert error.value.code == "wrong_step"
        assert error.value.messages == ["This cannot be done now: the case is at the step “the social worker is reviewing the plan”."]
    with translation.override("fi"):
        with pytest.raises(ValidationError) as error:
            journey.check(S.ACTIVE, A.DECLINE)
        assert error.value.messages == ["Tätä ei voi tehdä nyt: asia on vaiheessa ”budjetti myönnetty ja käytössä”."]


def test_a_move_that_needs_a_reason_is_refused_without_one():
    with pytest.raises(ValidationError) as error:
        journey.check(S.ACTIVE, A.CLOSE, "   ")
    assert error.value.code == "reason_required"
    assert journey.check(S.ACTIVE, A.CLOSE, "Kausi päättyi").target == S.CLOSED


# --- Every forbidden move, through the service: refused, named, nothing changed -----------------------------------

FORBIDDEN = sorted(
    (status, action)
    for status in CaseStatus.values
    for action, move in journey.MOVES.items()
    if status not in move.sources
)


def test_the_forbidden_list_is_complete():
    allowed = sum(len(move.sources - {journey.OPENED}) for move in journey.MOVES.values())
    assert len(FORBIDDEN) == len(CaseStatus.values) * len(journey.MOVES) - allowed


@pytest.mark.parametrize(("status", "action"), FORBIDDEN, ids=[f"{s}-{a}" for s, a in FORBIDDEN])
def test_a_forbidden_move_is_refused_and_changes_nothing(status, action):
    case = case_at(status)
    error = refused("wrong_step", move_case, case=case, action=action, actor=case.worker, reason="Syy")
    assert error.params["step"] == CaseStatus(status).label
    assert HBCase.objects.get(pk=case.pk).status == status


@pytest.mark.parametrize("action", [a for a, move in journey.MOVES.items() if journey.OPENED not in move.sources])
def test_a_case_that_does_not_exist_yet_can_only_be_opened_or_declined(action):
    organiser = make_organiser()
    worker = make_staff(organiser)
    unsaved = HBCase(organiser=organiser, client=make_client(organiser), worker=worker, opened_at=at(1))
    refused("wrong_step", move_case, case=unsaved, action=action, actor=worker, reason="Syy")


# --- The history the real services record -------------------------------------------------------------------------


def test_the_whole_journey_records_who_moved_the_case_when_and_why():
    organiser = make_organiser()
    client = make_client(organiser, login=True)
    worker = make_staff(organiser)
    approver = make_staff(organiser, Role.APPROVER)
    with frozen_at(at(1)):
        case = case_in_review(client=client, worker=worker, period=PERIOD)
    with frozen_at(at(2)):
        review_plan(plan=current_plan(case), reviewer=worker, forward=False, comment="Kerro, kuka auttaa.")
    with frozen_at(at(3)):
        submit_plan(plan=current_plan(case), actor=client.user)
    with frozen_at(at(4)):
        review_plan(plan=current_plan(case), reviewer=worker, forward=True, comment="")
    with frozen_at(at(5)):
        approve_plan(plan=current_plan(case), approver=approver)
    with frozen_at(at(6)):
        grant_budget(case=case, decided_by=worker, period=PERIOD)
    with frozen_at(at(7)):
        close_case(case=case, actor=worker, reason="  Budjettikausi päättyi.  ")

    rows = list(case.transitions.values_list("action", "from_status", "to_status", "actor", "at", "reason"))
    assert rows == [
        (A.OPEN, "", S.NEEDS_ASSESSMENT, worker.pk, at(1), ""),
        (A.START_PLANNING, S.NEEDS_ASSESSMENT, S.PLANNING, worker.pk, at(1), ""),
        (A.SUBMIT_PLAN, S.PLANNING, S.REVIEW, client.user.pk, at(1), ""),
        (A.RETURN_PLAN, S.REVIEW, S.PLANNING, worker.pk, at(2), "Kerro, kuka auttaa."),
        (A.SUBMIT_PLAN, S.PLANNING, S.REVIEW, client.user.pk, at(3), ""),
        (A.FORWARD_PLAN, S.REVIEW, S.APPROVAL, worker.pk, at(4), ""),
        (A.APPROVE_PLAN, S.APPROVAL, S.APPROVED, approver.pk, at(5), ""),
        (A.DECIDE, S.APPROVED, S.ACTIVE, worker.pk, at(6), ""),
        (A.CLOSE, S.ACTIVE, S.CLOSED, worker.pk, at(7), "Budjettikausi päättyi."),
    ]
    assert all(t.organiser_id == organiser.pk for t in case.transitions.all())
    assert HBCase.objects.get(pk=case.pk).status == S.CLOSED


def test_declining_records_the_move_with_the_reason_with_or_without_a_case():
    case = case_in_planning(period=PERIOD)
    decline_hb(client=case.client, worker=case.worker, reason="Kotihoito riittää")
    assert history(case)[-1] == (A.DECLINE, S.PLANNING, S.DECLINED)
    assert case.transitions.last().reason == "Kotihoito riittää"

    organiser = make_organiser()
    fresh = decline_hb(client=make_client(organiser), worker=make_staff(organiser), reason="")
    assert history(fresh) == [(A.DECLINE, "", S.DECLINED)]


def test_a_transition_is_never_changed_or_deleted():
    case = case_in_needs_assessment(period=PERIOD)
    transition = case.transitions.get()
    transition.reason = "muutettu"
    with pytest.raises(ValueError):
        transition.save()
    with pytest.raises(ValueError):
        transition.delete()
    assert case.transitions.get().reason == ""


# --- Closing the HB -----------------------------------------------------------------------------------------------


def test_closing_needs_a_reason_and_a_closed_case_is_not_closed_twice():
    case = case_active(period=PERIOD)
    refused("reason_required", close_case, case=case, actor=case.worker, reason="  ")
    close_case(case=case, actor=case.worker, reason="Asiakas muutti toiselle paikkakunnalle")
    error = refused("wrong_step", close_case, case=case, actor=case.worker, reason="Uudelleen")
    assert error.params["step"] == CaseStatus.CLOSED.label


@pytest.mark.parametrize("status", [S.NEEDS_ASSESSMENT, S.REVIEW, S.APPROVED])
def test_only_a_budget_in_use_is_closed(status):
    case = case_at(status)
    refused("wrong_step", close_case, case=case, actor=case.worker, reason="Ei enää tarvetta")


def test_a_closed_account_takes_no_more_invoices_and_the_client_can_start_again():
    with frozen_at(dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)):
        case = case_active(period=PERIOD)
        agreement = make_agreement(account_of(case))
        close_case(case=case, actor=case.worker, reason="Budjettikausi päättyi")
        result = post_provider_invoices(
            provider=agreement.provider,
            claims=[invoice_claim(agreement, (dt.date(2025, 2, 1), "1"))],
            source=InvoiceSource.PORTAL,
            recorded_by=case.worker,
        )
    assert [problem.code for problem in result.problems] == ["account_closed"]
    assert result.invoices == []
    assert selectors.current_case(case.client) is None
    assert list(selectors.ended_cases(case.client)) == [HBCase.objects.get(pk=case.pk)]
    again = open_case(client=case.client, worker=case.worker, period=Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    assert again.status == S.NEEDS_ASSESSMENT
    assert selectors.current_case(case.client) == again


def test_the_worker_closes_the_hb_from_the_client_page(client):
    case = case_active(period=PERIOD)
    login_verified(client, case.worker)
    url = reverse("client_detail", args=[case.client_id])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("case_close", args=[case.pk]) in page

    before = db_snapshot()
    response = client.post(reverse("case_close", args=[case.pk]), {"reason": ""}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Write why the HB ends." in response.content.decode()
    after = db_snapshot()
    after.pop("people.AccessLogEntry"), before.pop("people.AccessLogEntry")  # showing a page is a logged read
    assert after == before

    response = client.post(
        reverse("case_close", args=[case.pk]), {"reason": "Budjettikausi päättyi"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    html = response.content.decode()
    assert "The HB is closed." in html
    assert HBCase.objects.get(pk=case.pk).status == S.CLOSED
    assert "Earlier HB cases" in html and "Budjettikausi päättyi" in html
    assert "Open an HB case" in html  # the client may get a new one


@pytest.mark.parametrize("role", [Role.APPROVER, Role.FINANCE])
def test_only_social_workers_close_the_hb(client, role):
    case = case_active(period=PERIOD)
    login_verified(client, make_staff(case.organiser, role))
    before = db_snapshot()
    assert client.post(reverse("case_close", args=[case.pk]), {"reason": "Syy"}).status_code == 403
    assert db_snapshot() == before


# --- The history on the staff's case page -------------------------------------------------------------------------


def test_the_client_page_shows_the_case_history(client):
    organiser = make_organiser()
    worker = make_staff(organiser, first_name="Sanna", last_name="Sosiaalityöntekijä")
    with frozen_at(at(10)):
        case = case_in_review(organiser=organiser, worker=worker, period=PERIOD)
    with frozen_at(at(11)):
        review_plan(plan=current_plan(case), reviewer=worker, forward=False, comment="Lisää harrastukset.")
    login_verified(client, worker)
    response = client.get(reverse("client_detail", args=[case.client_id]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "History of the case" in html
    assert "Sanna Sosiaalityöntekijä" in html
    assert "Returned the plan to the client with comments" in html
    assert "The social worker is reviewing the plan" in html and "The client is writing the support plan" in html
    assert "Lisää harrastukset." in html
    assert "03/11/2025" in html
    assert [t.action for t in response.context["history"]] == [
        A.OPEN,
        A.START_PLANNING,
        A.SUBMIT_PLAN,
        A.RETURN_PLAN,
    ]


# --- The work queue -----------------------------------------------------------------------------------------------


def test_the_worker_sees_what_waits_for_them_grouped_and_oldest_wait_first(client):
    organiser = make_organiser()
    worker = make_staff(organiser)
    other_worker = make_staff(organiser)
    with frozen_at(at(1)):
        assess_old = case_in_needs_assessment(organiser=organiser, worker=worker, period=PERIOD)
        review_late = case_in_review(organiser=organiser, worker=worker, period=PERIOD)
    with frozen_at(at(2)):
        review_early = case_in_review(organiser=organiser, worker=worker, period=PERIOD)
    with frozen_at(at(4)):
        review_plan(plan=current_plan(review_late), reviewer=worker, forward=False, comment="Tarkenna.")
    with frozen_at(at(5)):
        submit_plan(plan=current_plan(review_late), actor=worker)  # opened first, waits for review since the 5th
    with frozen_at(at(3)):
        assess_new = case_in_needs_assessment(organiser=organiser, worker=worker, period=PERIOD)
        decide = case_approved(organiser=organiser, worker=worker, period=PERIOD)
        in_use = case_active(organiser=organiser, worker=worker, period=PERIOD)
        case_in_review(organiser=organiser, worker=other_worker, period=PERIOD)  # another worker's
        case_in_approval(organiser=organiser, worker=worker, period=PERIOD)  # waits for the approver
        case_in_planning(organiser=organiser, worker=worker, period=PERIOD)  # waits for the client
        case_at(S.CLOSED, organiser=organiser, worker=worker)
        case_at(S.DECLINED, organiser=organiser, worker=worker)
        case_in_review(organiser=make_organiser(), period=PERIOD)  # another organiser's

    membership = worker.staff_memberships.get()
    groups = selectors.work_queue(membership)
    assert [(g.status, [c.pk for c in g.cases]) for g in groups] == [
        (S.NEEDS_ASSESSMENT, [assess_old.pk, assess_new.pk]),
        (S.REVIEW, [review_early.pk, review_late.pk]),
        (S.CHANGE_REVIEW, []),
        (S.APPROVED, [decide.pk]),
        (S.ACTIVE, [in_use.pk]),
        (S.CHANGE_PLANNING, []),
    ]
    review = groups[1]
    assert [c.waiting_since for c in review.cases] == [at(2), at(5)]

    login_verified(client, worker)
    with frozen_at(at(12)):
        html = client.get(reverse("work_queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Needs to assess (2)" in html and "Plans to review (2)" in html and "Decisions to make (1)" in html
    text = strip_tags(html)
    assert "03/05/2025 (7 days)" in text and "03/02/2025 (10 days)" in text


def test_the_approver_sees_plans_waiting_for_approval_since_they_were_forwarded(client):
    organiser = make_organiser()
    approver = make_staff(organiser, Role.APPROVER)
    with frozen_at(at(1)):
        opened_first = case_in_review(organiser=organiser, period=PERIOD)
    with frozen_at(at(2)):
        forwarded_first = case_in_approval(organiser=organiser, period=PERIOD)
    with frozen_at(at(4)):
        review_plan(plan=current_plan(opened_first), reviewer=opened_first.worker, forward=True, comment="")
    with frozen_at(at(3)):
        case_in_review(organiser=organiser, period=PERIOD)  # not forwarded yet
        case_in_approval(organiser=make_organiser(), period=PERIOD)  # another organiser's

    groups = selectors.work_queue(approver.staff_memberships.get())
    assert [(g.status, [(c.pk, c.waiting_since) for c in g.cases]) for g in groups] == [
        (S.APPROVAL, [(forwarded_first.pk, at(2)), (opened_first.pk, at(4))]),
        (S.CHANGE_APPROVAL, []),
    ]
    login_verified(client, approver)
    html = client.get(reverse("work_queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Plans waiting for your approval (2)" in html
    assert html.index(forwarded_first.client.full_name) < html.index(opened_first.client.full_name)


def test_a_case_from_before_the_history_waits_since_it_was_opened():
    case = case_in_needs_assessment(period=PERIOD)
    CaseTransition.objects.filter(case=case).delete()  # the queryset delete: as if recorded before transitions
    groups = selectors.work_queue(case.worker.staff_memberships.get())
    assert groups[0].cases[0].waiting_since == case.opened_at


def test_other_roles_have_no_queue():
    organiser = make_organiser()
    for role in (Role.FINANCE, Role.RESEARCHER, Role.ORGANISER_ADMIN):
        assert selectors.work_queue(make_staff(organiser, role).staff_memberships.get()) == []
