"""Diaries and feedback through the real pages: who may write, who reads, and that staff reads are logged."""


import pytest
from django.urls import reverse

from avain.feedback import services
from avain.feedback.models import DiaryEntry, DiaryPrompt, Feedback, FeedbackStatus, Topic
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import grant_delegation
from avain.testing import db_snapshot, login_verified, make_assistant, make_client, make_organiser, make_staff
from avain.timeuse.models import TimeRole

pytestmark = pytest.mark.django_db


def _log_entries(client, actor):
    return AccessLogEntry.objects.filter(client=client, actor=actor).count()


def test_the_client_writes_a_diary_entry_in_the_period(django_client, period, client):
    django_client.force_login(client.user)
    url = reverse("portal_diary", args=[client.pk])
    assert django_client.get(url).status_code == 200
    response = django_client.post(url, {"written_on": "2027-03-14", "text": "Hyvä viikko."})
    assert response.status_code == 302
    assert DiaryEntry.objects.get().text == "Hyvä viikko."
    assert "Hyvä viikko." in django_client.get(url).content.decode()
    response = django_client.post(url, {"written_on": "2027-04-01", "text": "Tulevaisuudesta"})
    assert response.status_code == 400 and DiaryEntry.objects.count() == 1


def test_without_a_period_the_diary_page_has_no_form(django_client, today, client):
    django_client.force_login(client.user)
    page = django_client.get(reverse("portal_diary", args=[client.pk])).content.decode()
    assert 'name="text"' not in page


def test_a_worker_keeps_their_own_diary(django_client, period, worker):
    login_verified(django_client, worker)
    response = django_client.post(reverse("worker_diary"), {"written_on": "2027-03-15", "text": "Paljon paperityötä."})
    assert response.status_code == 302
    entry = DiaryEntry.objects.get()
    assert (entry.author, entry.role, entry.client) == (worker, TimeRole.SOCIAL_WORKER, None)


def test_the_client_sends_feedback_and_sees_the_answer(django_client, today, client, worker):
    django_client.force_login(client.user)
    url = reverse("portal_feedback", args=[client.pk])
    response = django_client.post(url, {"topic": "portal", "text": "Fonttikoko voisi olla isompi."})
    assert response.status_code == 302
    item = Feedback.objects.get()
    assert (item.client, item.submitted_by, item.topic) == (client, client.user, Topic.PORTAL)
    services.answer_feedback(feedback=item, answered_by=worker, answer="Kiitos, välitämme toiveen eteenpäin.")
    assert "Kiitos, välitämme toiveen eteenpäin." in django_client.get(url).content.decode()


def test_an_edit_delegate_sends_feedback_a_read_delegate_cannot(django_client, today, client, organiser):
    editor, reader = make_assistant(organiser), make_assistant(organiser)
    grant_delegation(client=client, user=editor, access="edit")
    grant_delegation(client=client, user=reader, access="read")
    url = reverse("portal_feedback", args=[client.pk])
    django_client.force_login(reader)
    assert django_client.get(url).status_code == 200
    before = db_snapshot("feedback")
    assert django_client.post(url, {"topic": "other", "text": "Lukija"}).status_code == 403
    assert django_client.post(reverse("portal_diary", args=[client.pk]), {"written_on": "2027-03-15", "text": "x"}).status_code == 403
    assert db_snapshot("feedback") == before
    django_client.force_login(editor)
    assert django_client.post(url, {"topic": "other", "text": "Avustajan idea"}).status_code == 302
    assert Feedback.objects.get().submitted_by == editor


def test_others_get_not_found_on_the_clients_pages(django_client, today, client, organiser):
    services.send_feedback(client=client, submitted_by=client.user, topic=Topic.SERVICE, text="Hyvä")
    for outsider in (make_staff(make_organiser()), make_staff(organiser), make_client(organiser, login=True).user):
        django_client.force_login(outsider)
        for name in ("portal_feedback", "portal_diary"):
            assert django_client.get(reverse(name, args=[client.pk])).status_code == 404
            assert django_client.post(reverse(name, args=[client.pk]), {"topic": "other", "text": "x"}).status_code == 404
    assert Feedback.objects.count() == 1


def test_staff_reads_are_logged_and_staff_answer_and_mark_acted_on(django_client, today, client, organiser, worker):
    item = services.send_feedback(client=client, submitted_by=client.user, topic=Topic.HB_MODEL, text="Idea: ryhmä")
    login_verified(django_client, worker)
    page = django_client.get(reverse("staff_feedback")).content.decode()
    assert "Idea: ryhmä" in page and client.last_name in page
    assert _log_entries(client, worker) == 1

    url = reverse("staff_feedback_item", args=[item.pk])
    assert django_client.get(url).status_code == 200
    assert _log_entries(client, worker) == 2
    assert django_client.post(url, {"action": "answer", "answer": ""}).status_code == 400
    assert django_client.post(url, {"action": "answer", "answer": "Hyvä idea, kokeillaan."}).status_code == 302
    assert django_client.post(url, {"action": "acted_on"}).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.answered_by, item.acted_on_by) == (FeedbackStatus.ACTED_ON, worker, worker)
    entry = AccessLogEntry.objects.filter(client=client, actor=worker).last()
    assert (entry.grounds, entry.actor_role) == (AccessLogEntry.Grounds.CLIENT_RELATIONSHIP, Role.SOCIAL_WORKER)


def test_the_organiser_administrator_handles_feedback_without_seeing_who_sent_it(django_client, today, client, organiser, admin):
    item = services.send_feedback(client=client, submitted_by=client.user, topic=Topic.PORTAL, text="Hidas sivu")
    login_verified(django_client, admin)
    page = django_client.get(reverse("staff_feedback")).content.decode()
    assert "Hidas sivu" in page and client.last_name not in page
    page = django_client.get(reverse("staff_feedback_item", args=[item.pk])).content.decode()
    assert client.last_name not in page
    assert _log_entries(client, admin) == 2
    assert django_client.post(reverse("staff_feedback_item", args=[item.pk]), {"action": "answer", "answer": "Korjataan."}).status_code == 302


def test_other_organisers_and_other_roles_cannot_see_feedback(django_client, today, client, organiser):
    item = services.send_feedback(client=client, submitted_by=client.user, topic=Topic.PORTAL, text="Salainen")
    stranger = make_staff(make_organiser())
    login_verified(django_client, stranger)
    assert "Salainen" not in django_client.get(reverse("staff_feedback") + "?status=all").content.decode()
    assert django_client.get(reverse("staff_feedback_item", args=[item.pk])).status_code == 404
    assert django_client.post(reverse("staff_feedback_item", args=[item.pk]), {"action": "answer", "answer": "x"}).status_code == 404
    for role in (Role.FINANCE, Role.RESEARCHER):
        login_verified(django_client, make_staff(organiser, role))
        assert django_client.get(reverse("staff_feedback")).status_code == 403
    assert _log_entries(client, stranger) == 0
    item.refresh_from_db()
    assert item.status == FeedbackStatus.NEW


def test_the_administrator_manages_diary_questions(django_client, today, organiser, admin):
    login_verified(django_client, admin)
    response = django_client.post(reverse("diary_prompts"), {"text_fi": "Mikä ilahdutti?", "text_sv": "Vad gladde dig?", "text_en": "What pleased you?"})
    assert response.status_code == 302
    prompt = DiaryPrompt.objects.get(organiser=organiser)
    assert django_client.post(reverse("diary_prompt_active", args=[prompt.pk]), {"active": "0"}).status_code == 302
    prompt.refresh_from_db()
    assert prompt.active is False
    login_verified(django_client, make_staff(make_organiser(), Role.ORGANISER_ADMIN))
    assert django_client.post(reverse("diary_prompt_active", args=[prompt.pk]), {"active": "1"}).status_code == 404
