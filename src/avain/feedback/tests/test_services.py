"""Diaries are kept in sampled periods only; feedback moves new → answered → acted on; the exports carry no names."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from avain.feedback import selectors, services
from avain.feedback.models import DiaryEntry, Feedback, FeedbackStatus, Topic
from avain.organisations.models import Role
from avain.people.services import grant_delegation
from avain.testing import db_snapshot, make_assistant, make_client, make_organiser, make_staff
from avain.timeuse import services as timeuse_services
from avain.timeuse.models import TimeRole

pytestmark = pytest.mark.django_db

APPS = ("feedback", "timeuse", "people")


def refused_here(code, call, **kwargs):
    before = db_snapshot(*APPS)
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    assert error.value.code == code, error.value
    assert db_snapshot(*APPS) == before


def _diary(for_client, **overrides):
    arguments = {
        "organiser": for_client.organiser,
        "author": for_client.user,
        "role": TimeRole.CLIENT,
        "client": for_client,
        "text": "Kävin ensimmäistä kertaa kuntosalilla.",
        "written_on": dt.date(2027, 3, 14),
    }
    arguments.update(overrides)
    return arguments


# --- Diaries ----------------------------------------------------------------------------------------------------


def test_a_sampled_client_writes_in_the_diary_with_a_prompt(period, client, organiser):
    prompt = services.create_prompt(
        organiser=organiser, text_fi="Mikä meni hyvin?", text_sv="Vad gick bra?", text_en="What went well?"
    )
    entry = services.write_diary_entry(**_diary(client), prompt=prompt)
    assert (entry.period, entry.prompt, entry.author, entry.client) == (period, prompt, client.user, client)


def test_a_diary_without_an_open_period_is_refused(today, client):
    refused_here("no_open_period", services.write_diary_entry, **_diary(client))


def test_a_diary_outside_the_period_or_in_the_future_is_refused(period, client):
    refused_here("outside_period", services.write_diary_entry, **_diary(client, written_on=dt.date(2027, 2, 27)))
    refused_here("date_in_future", services.write_diary_entry, **_diary(client, written_on=dt.date(2027, 3, 16)))


def test_only_sampled_clients_keep_a_diary(today, organiser, admin, client):
    sampled = make_client(organiser, login=True)
    timeuse_services.create_sampling_period(
        organiser=organiser, name="Otos", starts_on=dt.date(2027, 3, 1), ends_on=dt.date(2027, 3, 31),
        clients=[sampled], actor=admin,
    )
    services.write_diary_entry(**_diary(sampled))
    refused_here("client_not_sampled", services.write_diary_entry, **_diary(client))
    # Workers keep their own diaries whatever clients are sampled.
    worker = make_staff(organiser)
    services.write_diary_entry(**_diary(client, author=worker, role=TimeRole.SOCIAL_WORKER, client=None))
    assert DiaryEntry.objects.count() == 2


def test_empty_text_and_inactive_or_foreign_prompts_are_refused(period, client, organiser):
    refused_here("text_missing", services.write_diary_entry, **_diary(client, text="   "))
    refused_here("text_too_long", services.write_diary_entry, **_diary(client, text="x" * 5001))
    foreign = services.create_prompt(organiser=make_organiser(), text_fi="a", text_sv="b", text_en="c")
    refused_here("unknown_prompt", services.write_diary_entry, **_diary(client), prompt=foreign)
    retired = services.set_prompt_active(
        prompt=services.create_prompt(organiser=organiser, text_fi="a", text_sv="b", text_en="c"), active=False
    )
    refused_here("unknown_prompt", services.write_diary_entry, **_diary(client), prompt=retired)


def test_only_the_client_or_an_edit_delegate_writes_in_the_clients_diary(period, client, organiser, worker):
    reader = make_assistant(organiser)
    grant_delegation(client=client, user=reader, access="read")
    refused_here("not_allowed", services.write_diary_entry, **_diary(client, author=reader, role=TimeRole.HB_ASSISTANT))
    refused_here("not_allowed", services.write_diary_entry, **_diary(client, author=worker, role=TimeRole.SOCIAL_WORKER))
    editor = make_assistant(organiser)
    grant_delegation(client=client, user=editor, access="edit")
    refused_here("not_allowed", services.write_diary_entry, **_diary(client, author=editor, role=TimeRole.CLIENT))
    entry = services.write_diary_entry(**_diary(client, author=editor, role=TimeRole.HB_ASSISTANT))
    assert entry.author == editor
    outsider = make_staff(make_organiser())
    refused_here(
        "not_allowed", services.write_diary_entry, **_diary(client, author=outsider, role=TimeRole.SOCIAL_WORKER, client=None)
    )


# --- Feedback ---------------------------------------------------------------------------------------------------


def test_the_feedback_lifecycle(today, client, worker, admin):
    item = services.send_feedback(client=client, submitted_by=client.user, topic=Topic.HB_MODEL, text=" Hyvä malli! ")
    assert (item.status, item.text, item.answer) == (FeedbackStatus.NEW, "Hyvä malli!", "")
    refused_here("not_answered", services.mark_acted_on, feedback=item, actor=admin)
    refused_here("text_missing", services.answer_feedback, feedback=item, answered_by=worker, answer="  ")

    services.answer_feedback(feedback=item, answered_by=worker, answer="Kiitos palautteesta!")
    item.refresh_from_db()
    assert (item.status, item.answer, item.answered_by, item.answered_at) == (
        FeedbackStatus.ANSWERED, "Kiitos palautteesta!", worker, item.answered_at
    )
    assert item.answered_at is not None
    refused_here("already_answered", services.answer_feedback, feedback=item, answered_by=admin, answer="Toinen")

    services.mark_acted_on(feedback=item, actor=admin)
    item.refresh_from_db()
    assert (item.status, item.acted_on_by) == (FeedbackStatus.ACTED_ON, admin)
    refused_here("already_acted_on", services.mark_acted_on, feedback=item, actor=admin)


def test_every_client_may_send_feedback_without_a_period(today, client):
    assert services.send_feedback(client=client, submitted_by=client.user, topic=Topic.PORTAL, text="Selkeä")


def test_bad_feedback_is_refused(today, client, organiser):
    refused_here("unknown_topic", services.send_feedback, client=client, submitted_by=client.user, topic="x", text="a")
    refused_here("text_missing", services.send_feedback, client=client, submitted_by=client.user, topic="other", text="")
    reader = make_assistant(organiser)
    grant_delegation(client=client, user=reader, access="read")
    refused_here("not_allowed", services.send_feedback, client=client, submitted_by=reader, topic="other", text="a")


def test_only_the_organisers_workers_and_administrators_handle_feedback(today, client, organiser):
    item = services.send_feedback(client=client, submitted_by=client.user, topic=Topic.SERVICE, text="Hyvä")
    for outsider in (make_staff(organiser, Role.FINANCE), make_staff(make_organiser()), client.user):
        refused_here("not_allowed", services.answer_feedback, feedback=item, answered_by=outsider, answer="Moi")


def test_the_database_keeps_the_stamps_of_each_step(today, client):
    from django.db import IntegrityError, transaction

    item = services.send_feedback(client=client, submitted_by=client.user, topic=Topic.SERVICE, text="Hyvä")
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.filter(pk=item.pk).update(status=FeedbackStatus.ANSWERED)


# --- Exports for research ---------------------------------------------------------------------------------------


def test_the_exports_carry_texts_and_client_ids_but_no_names(period, organiser, worker):
    client = make_client(organiser, login=True, first_name="Kerttu", last_name="Tunnistettava")
    other = make_client(organiser, login=True)
    services.write_diary_entry(**_diary(client))
    services.write_diary_entry(**_diary(other))
    services.write_diary_entry(**_diary(client, author=worker, role=TimeRole.SOCIAL_WORKER, client=None))
    item = services.send_feedback(client=client, submitted_by=client.user, topic=Topic.HB_MODEL, text="Toimii")
    services.answer_feedback(feedback=item, answered_by=worker, answer="Kiitos")
    services.send_feedback(client=other, submitted_by=other.user, topic=Topic.HB_MODEL, text="Toinen")

    diaries = selectors.diary_entries_for_export(organiser, [client.pk])
    assert [(row["client_id"], row["text"]) for row in diaries] == [(client.pk, "Kävin ensimmäistä kertaa kuntosalilla.")]
    assert len(selectors.diary_entries_for_export(organiser, [client.pk], include_worker_diaries=True)) == 2
    feedback = selectors.feedback_for_export(organiser, [client.pk])
    assert [(r["client_id"], r["text"], r["answer"], r["status"], r["by_client"]) for r in feedback] == [
        (client.pk, "Toimii", "Kiitos", FeedbackStatus.ANSWERED, True)
    ]
    flat = repr(diaries) + repr(feedback)
    for identifying in ("Kerttu", "Tunnistettava", client.personal_identity_code, worker.last_name):
        assert identifying not in flat
    # Another organiser asking for the same ids gets nothing.
    assert selectors.feedback_for_export(make_organiser(), [client.pk]) == []
    assert selectors.diary_entries_for_export(make_organiser(), [client.pk]) == []
