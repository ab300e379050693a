"""The decision PDF for the worker and in the client's portal: who may download it, that each read by someone other
than the client is logged once, and that it is the client's own decision in the client's language."""

import io

import pypdf
import pytest
from django.urls import reverse

from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.planning.decision_document import decided_on
from avain.testing import (
    DEFAULT_PLAN_TOTAL,
    case_active,
    case_approved,
    login_verified,
    make_assistant,
    make_client,
    make_organiser,
    make_staff,
)

pytestmark = pytest.mark.django_db

WHAT = AccessLogEntry.What


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def amount_text(amount) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    return f"{int(whole):,}".replace(",", " ") + f",{cents} €"


def assert_pdf_download(response, stem: str, decision) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{stem}-{decided_on(decision).isoformat()}.pdf"'
    assert "no-store" in response["Cache-Control"]
    return pdf_text(response.content)


def test_the_worker_downloads_the_decision_and_the_read_is_logged_once(client):
    case = case_active()
    login_verified(client, case.worker)
    response = client.get(reverse("case_decision_pdf", args=[case.pk]))
    text = assert_pdf_download(response, "paatos", case.decision)
    assert amount_text(DEFAULT_PLAN_TOTAL) in text and case.client.full_name in text
    entries = list(AccessLogEntry.objects.filter(client=case.client))
    assert len(entries) == 1
    assert (entries[0].actor, entries[0].what, entries[0].grounds) == (
        case.worker,
        WHAT.DECISION,
        AccessLogEntry.Grounds.CLIENT_RELATIONSHIP,
    )


def test_the_account_page_links_to_the_decision(client):
    case = case_active()
    login_verified(client, case.worker)
    page = client.get(reverse("case_account", args=[case.pk])).content.decode()
    assert reverse("case_decision_pdf", args=[case.pk]) in page


def test_staff_outside_the_case_get_404_or_403_and_nothing_is_logged(client):
    case = case_active()
    other = make_organiser()
    for user, expected in (
        (make_staff(other, Role.SOCIAL_WORKER), 404),
        (make_staff(other, Role.FINANCE), 404),
        (make_staff(case.organiser, Role.RESEARCHER), 403),
        (make_staff(case.organiser, Role.ORGANISER_ADMIN), 403),
    ):
        login_verified(client, user)
        assert client.get(reverse("case_decision_pdf", args=[case.pk])).status_code == expected, user
    assert not AccessLogEntry.objects.filter(client=case.client).exists()


def test_there_is_no_pdf_before_the_decision(client):
    case = case_approved(client=make_client(make_organiser(), login=True))
    login_verified(client, case.worker)
    assert client.get(reverse("case_decision_pdf", args=[case.pk])).status_code == 404
    client.force_login(case.client.user)
    assert client.get(reverse("portal_decision_pdf", args=[case.client_id])).status_code == 404


def test_the_client_gets_their_own_decision_in_swedish_but_not_another_clients(client):
    organiser = make_organiser()
    case = case_active(client=make_client(organiser, language="sv", login=True))
    someone_else = case_active(organiser=organiser)
    client.force_login(case.client.user)

    portal = client.get(reverse("portal_account", args=[case.client_id])).content.decode()
    assert reverse("portal_decision_pdf", args=[case.client_id]) in portal
    response = client.get(reverse("portal_decision_pdf", args=[case.client_id]))
    text = assert_pdf_download(response, "beslut", case.decision)
    assert "Beslut om personlig budget" in text and amount_text(DEFAULT_PLAN_TOTAL) in text
    assert "begäran om omprövning" in text
    assert not AccessLogEntry.objects.filter(client=case.client).exists()  # the client's own reads are not logged

    assert client.get(reverse("portal_decision_pdf", args=[someone_else.client_id])).status_code == 404


def test_a_delegates_download_is_logged_with_the_delegation_as_grounds(client):
    case = case_active()
    helper = make_assistant(case.organiser)
    grant_delegation(client=case.client, user=helper, access="read")
    client.force_login(helper)
    response = client.get(reverse("portal_decision_pdf", args=[case.client_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    entries = list(AccessLogEntry.objects.filter(client=case.client))
    assert [(e.actor, e.what, e.grounds) for e in entries] == [
        (helper, WHAT.DECISION, AccessLogEntry.Grounds.DELEGATION)
    ]
