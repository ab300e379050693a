"""Who reaches which research page; a researcher reaches no page that takes a client or a case."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from avain.core import clock
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.research.models import Consent, Enrolment
from avain.testing import (
    case_active,
    login_verified,
    make_agreement,
    make_assistant,
    make_client,
    make_organiser,
    make_product,
    make_receipt,
    make_staff,
)

from .helpers import consent, enrolled_clients, make_study

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _receipts_in_a_temporary_directory(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _patterns(resolvers=None):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry


def _real_kwargs(pattern, case) -> dict:
    from avain.testing import account_of

    account = account_of(case)
    makers = {
        "client_id": lambda: case.client_id,
        "case_id": lambda: case.pk,
        "product_id": lambda: make_product(case.organiser).pk,
        "invoice_id": lambda: make_receipt(account).pk,
        "agreement_id": lambda: make_agreement(account).pk,
    }
    kwargs = {}
    for name in pattern.pattern.converters:
        if name not in makers:
            # Any other id on a client page is an object of the client: refused the same way, found with 404.
            kwargs[name] = 1
        else:
            kwargs[name] = makers[name]()
    return kwargs


def test_a_researcher_reaches_no_page_that_takes_a_client_or_a_case_even_of_their_own_organiser(client):
    case = case_active(organiser=make_organiser("eksote"))
    researcher = make_staff(case.organiser, Role.RESEARCHER)
    login_verified(client, researcher)
    checked = 0
    for pattern in _patterns():
        if not {"client_id", "case_id"} & set(pattern.pattern.converters):
            continue
        url = reverse(pattern.name, kwargs=_real_kwargs(pattern, case))
        assert client.get(url).status_code in (403, 404, 405), f"GET {url} ({pattern.name})"
        assert client.post(url).status_code in (403, 404), f"POST {url} ({pattern.name})"
        checked += 1
    assert checked >= 20
    assert "client_research" in {p.name for p in _patterns()}
    assert not AccessLogEntry.objects.filter(actor=researcher).exists()


def test_the_researchers_pages_name_no_client(client):
    organiser = make_organiser("eksote")
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    study = make_study(organiser)
    clients = enrolled_clients(study, organiser, worker, 6)
    from avain.research import services

    services.make_final(study=study, by=worker)
    login_verified(client, make_staff(organiser, Role.RESEARCHER))
    pages = [
        client.get(reverse("research_studies")),
        client.get(reverse("research_study", kwargs={"study_id": study.pk})),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        for person in clients:
            assert person.last_name not in html and person.personal_identity_code not in html
            assert f"/clients/{person.pk}/" not in html and f"/my/{person.pk}/" not in html
    assert reverse("research_export", kwargs={"study_id": study.pk}) in pages[1].content.decode()


def test_researchers_of_an_organiser_outside_the_study_do_not_find_it(client):
    study = make_study(make_organiser("eksote"))
    login_verified(client, make_staff(make_organiser("kainuu"), Role.RESEARCHER))
    for name in ("research_study", "research_export"):
        assert client.get(reverse(name, kwargs={"study_id": study.pk})).status_code == 404


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.APPROVER, Role.FINANCE])
def test_only_researchers_download_the_export_and_only_administrators_manage_studies(client, role):
    organiser = make_organiser()
    study = make_study(organiser)
    login_verified(client, make_staff(organiser, role))
    assert client.get(reverse("research_export", kwargs={"study_id": study.pk})).status_code == 403
    assert client.get(reverse("research_studies")).status_code == 403
    assert client.post(reverse("research_study_final", kwargs={"study_id": study.pk})).status_code == 403


def test_the_administrator_creates_a_study_and_makes_enrolment_final_by_pages(client):
    organiser = make_organiser("eksote")
    admin = make_staff(organiser, Role.ORGANISER_ADMIN)
    login_verified(client, admin)
    year = clock.today().year
    response = client.post(
        reverse("research_study_create"),
        {"code": "hb-arvio", "name": "HB-arvio", "design": "randomised", "starts_on": f"{year}-01-01", "ends_on": f"{year}-01-01"},
    )
    assert response.status_code == 302
    from avain.research.models import Study

    study = Study.objects.get(owner=organiser, code="hb-arvio")
    duplicate = client.post(
        reverse("research_study_create"),
        {"code": "hb-arvio", "name": "Toinen", "design": "randomised", "starts_on": f"{year}-01-01", "ends_on": f"{year}-01-01"},
    )
    assert duplicate.status_code == 400 and Study.objects.filter(owner=organiser).count() == 1
    enrolled_clients(study, organiser, make_staff(organiser), 2)
    page = client.get(reverse("research_study", kwargs={"study_id": study.pk}))
    assert reverse("research_study_final", kwargs={"study_id": study.pk}).encode() in page.content
    assert client.post(reverse("research_study_final", kwargs={"study_id": study.pk})).status_code == 302
    study.refresh_from_db()
    assert study.seed is not None
    # Another organiser's administrator cannot make it final or see it.
    login_verified(client, make_staff(make_organiser(), Role.ORGANISER_ADMIN))
    assert client.post(reverse("research_study_close", kwargs={"study_id": study.pk})).status_code == 404


def test_the_worker_records_consent_and_enrols_on_the_clients_page_and_the_read_is_logged(client):
    organiser = make_organiser("eksote")
    study = make_study(organiser)
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    someone = make_client(organiser)
    login_verified(client, worker)
    url = reverse("client_research", kwargs={"client_id": someone.pk})
    assert client.get(url).status_code == 200
    assert AccessLogEntry.objects.filter(client=someone, actor=worker).count() == 1
    bad = client.post(url, {"action": "give", "scopes": [], "given_on": clock.today().isoformat()})
    assert bad.status_code == 400 and not Consent.objects.exists()
    assert "at least one" in bad.content.decode()
    response = client.post(url, {"action": "give", "scopes": ["costs", "questionnaires"], "given_on": clock.today().isoformat()})
    assert response.status_code == 302
    given = Consent.objects.get(client=someone)
    assert given.scopes == ["costs", "questionnaires"] and given.recorded_by == worker and given.study is None
    assert client.post(url, {"action": "enrol", "study": study.pk}).status_code == 302
    assert Enrolment.objects.filter(study=study, client=someone, arm__isnull=True).exists()
    page = client.get(url).content.decode()
    assert "the arm is told when enrolment is final" in page
    assert client.post(url, {"action": "withdraw", "consent": given.pk}).status_code == 302
    assert Consent.objects.get(pk=given.pk).withdrawn_by == worker


@pytest.mark.parametrize("role", [Role.APPROVER, Role.FINANCE])
def test_other_client_data_roles_may_read_but_not_record_consent(client, role):
    organiser = make_organiser()
    someone = make_client(organiser)
    login_verified(client, make_staff(organiser, role))
    url = reverse("client_research", kwargs={"client_id": someone.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "give", "scopes": ["costs"], "given_on": clock.today().isoformat()})
    assert response.status_code == 403 and not Consent.objects.exists()


def test_the_client_sees_and_withdraws_their_consent_and_a_delegate_cannot_withdraw_it(client):
    organiser = make_organiser()
    someone = make_client(organiser, login=True)
    given = consent(someone, make_staff(organiser))
    url = reverse("portal_research", kwargs={"client_id": someone.pk})
    helper = make_assistant(organiser)
    grant_delegation(client=someone, user=helper, access="edit")
    client.force_login(helper)
    assert client.get(url).status_code == 200
    assert client.post(url, {"consent": given.pk}).status_code == 403
    assert Consent.objects.get(pk=given.pk).withdrawn_at is None
    client.force_login(someone.user)
    page = client.get(url)
    assert page.status_code == 200 and "Withdraw my consent" in page.content.decode()
    assert client.post(url, {"consent": given.pk}).status_code == 302
    withdrawn = Consent.objects.get(pk=given.pk)
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawn_by == someone.user
    # Another client's consent id is not found on this page.
    other = consent(make_client(organiser), make_staff(organiser))
    assert client.post(url, {"consent": other.pk}).status_code == 404
