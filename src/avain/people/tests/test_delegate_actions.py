"""What a delegate does is recorded in their own name: the plan they send, and every read of the client's data."""

import pytest
from django.urls import reverse

from avain.people.models import AccessLogEntry, Delegation
from avain.people.services import grant_delegation
from avain.planning.models import CaseAction, CaseTransition, PlanStatus
from avain.testing import case_in_planning, current_plan, make_assistant, make_client, make_organiser

pytestmark = pytest.mark.django_db


def _plan_post(action: str, saved_lines: int = 0, **answers) -> dict:
    # INITIAL_FORMS is what the page rendered: the lines saved so far.
    data = {**answers, "action": action, "line-TOTAL_FORMS": "1", "line-INITIAL_FORMS": str(saved_lines)}
    return data | {"line-0-description": "Uimahallin sarjakortti", "line-0-amount": "400"}


def test_a_plan_saved_and_sent_by_an_edit_delegate_is_recorded_in_the_delegates_name(client):
    case = case_in_planning(client=make_client(make_organiser(), login=True))
    assistant = make_assistant(case.organiser)
    assistant.first_name, assistant.last_name = "Sari", "Avustaja"
    assistant.save()
    grant_delegation(client=case.client, user=assistant, access=Delegation.Access.EDIT)
    plan_url = reverse("portal_plan", args=[case.client_id])

    client.force_login(assistant)
    assert client.post(plan_url, _plan_post("save", what_matters="Oma koti.")).status_code == 302
    assert client.post(plan_url, _plan_post("submit", 1, what_matters="Oma koti ja ystävät.")).status_code == 302

    plan = current_plan(case)
    assert (plan.status, plan.what_matters, plan.submitted_by) == (PlanStatus.SUBMITTED, "Oma koti ja ystävät.", assistant)
    sent = CaseTransition.objects.get(case=case, action=CaseAction.SUBMIT_PLAN)
    assert sent.actor == assistant  # the case history, which the worker sees, names the assistant too
    entries = AccessLogEntry.objects.filter(client=case.client, actor=assistant)
    assert entries.count() == 2  # one per request, each on the grounds of the client's permission
    assert set(entries.values_list("what", "grounds", "actor_role")) == {
        (AccessLogEntry.What.PLAN, AccessLogEntry.Grounds.DELEGATION, "delegate")
    }

    # The client sees the assistant by name in "Who has seen my data".
    client.force_login(case.client.user)
    page = client.get(reverse("portal_access_log", args=[case.client_id]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sari Avustaja" in page
    assert "Permission given by the client" in page


def test_a_read_only_delegate_sees_the_plan_without_the_buttons_and_cannot_send_it(client):
    case = case_in_planning(client=make_client(make_organiser(), login=True))
    reader = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=reader, access=Delegation.Access.READ)
    plan_url = reverse("portal_plan", args=[case.client_id])
    client.force_login(reader)
    page = client.get(plan_url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Send the plan to my social worker" not in page.content.decode()
    assert client.post(plan_url, _plan_post("submit", what_matters="Muutettu.")).status_code == 403
    plan = current_plan(case)
    assert (plan.status, plan.what_matters, plan.submitted_by) == (PlanStatus.DRAFT, "", None)
