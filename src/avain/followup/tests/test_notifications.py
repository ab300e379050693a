"""E-mail notifications: once per event and recipient, in the recipient's language, no personal details, a failed
send kept and retried, and real .eml files from the demo's backend."""

import datetime as dt
import email

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from avain.core.clock import frozen_at
from avain.core.models import User
from avain.followup import services
from avain.followup.models import Notification, NotificationKind
from avain.followup.notifications import queue_notifications, send_pending
from avain.people.services import grant_delegation
from avain.planning.services import review_plan
from avain.testing import (
    case_active,
    case_in_review,
    current_plan,
    make_assistant,
    make_client,
    make_organiser,
)

pytestmark = pytest.mark.django_db

JAN_10 = timezone.make_aware(dt.datetime(2027, 1, 10, 10, 0))
K = NotificationKind
RETURN_COMMENT = "Lisää suunnitelmaan, kuka auttaa kaupassa käynnissä."


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server did not answer")


def _set_email(user, address):
    User.objects.filter(pk=user.pk).update(email=address)


def _client(language="fi", *, with_email=True):
    client = make_client(make_organiser(), first_name="Aino", last_name="Virtanen", language=language, login=True)
    if with_email:
        _set_email(client.user, "aino@example.org")
    return client


def _with_worker_email(case):
    _set_email(case.worker, "sanna@example.org")
    return case


@pytest.fixture
def returned():
    """A plan returned to a Swedish-speaking client who has an e-mail address, with an editing and a reading
    delegate (both with addresses)."""
    with frozen_at(JAN_10):
        case = _with_worker_email(case_in_review(client=_client("sv")))
        editor, reader = make_assistant(case.organiser), make_assistant(case.organiser)
        _set_email(editor, "sari@example.org")
        _set_email(reader, "lukija@example.org")
        grant_delegation(client=case.client, user=editor, access="edit")
        grant_delegation(client=case.client, user=reader, access="read")
        review_plan(plan=current_plan(case), reviewer=case.worker, forward=False, comment=RETURN_COMMENT)
    return case, editor, reader


def test_each_event_mails_each_recipient_once_even_when_queued_twice():
    with frozen_at(JAN_10):
        case = case_active(client=_client())
        _with_worker_email(case)
        assert queue_notifications() == 4
        assert queue_notifications() == 0
        assert send_pending() == (4, 0)
        assert send_pending() == (0, 0)
    kinds = sorted((n.kind, n.email) for n in Notification.objects.all())
    assert kinds == [
        (K.BUDGET_DECIDED, "aino@example.org"),
        (K.PLAN_APPROVED, "aino@example.org"),
        (K.PLAN_APPROVED, "sanna@example.org"),
        (K.PLAN_SUBMITTED, "sanna@example.org"),
    ]
    assert len(mail.outbox) == 4
    assert all(n.sent_at == JAN_10 and n.attempts == 1 for n in Notification.objects.all())


def test_a_returned_plan_mails_the_client_and_the_editing_delegate_in_the_clients_language(returned):
    case, editor, reader = returned
    with frozen_at(JAN_10):
        queue_notifications()
    returned_mails = Notification.objects.filter(kind=K.PLAN_RETURNED)
    assert {n.recipient for n in returned_mails} == {case.client.user, editor}
    to_client = returned_mails.get(recipient=case.client.user)
    assert to_client.language == "sv"
    with translation.override("sv"):
        assert to_client.subject == gettext("Your support plan has been returned")
    # The worker reads in Finnish.
    to_worker = Notification.objects.get(kind=K.PLAN_SUBMITTED)
    assert to_worker.language == "fi"
    with translation.override("fi"):
        assert to_worker.subject == gettext("A support plan waits for your review")


def test_no_personal_details_beyond_the_first_name(returned):
    case, _, _ = returned
    with frozen_at(JAN_10):
        queue_notifications()
    client = case.client
    to_client = Notification.objects.get(kind=K.PLAN_RETURNED, recipient=client.user)
    assert "Aino" in to_client.body
    for notification in Notification.objects.all():
        text = notification.subject + notification.body
        for secret in (client.last_name, client.personal_identity_code, RETURN_COMMENT, "Virtanen", "€", "3000"):
            assert secret not in text, (notification.kind, secret)
        assert "Aino" not in notification.subject


def test_clients_without_an_email_address_get_none():
    with frozen_at(JAN_10):
        case = case_active(client=_client(with_email=False))
        queue_notifications()
    assert not Notification.objects.filter(recipient=case.client.user).exists()
    assert not Notification.objects.filter(recipient=case.worker).exists()  # no address for the worker either


def test_a_failed_send_keeps_its_error_and_is_tried_again(settings):
    with frozen_at(JAN_10):
        case = case_active(client=_client())
        queue_notifications()
    settings.EMAIL_BACKEND = "avain.followup.tests.test_notifications.FailingBackend"
    assert send_pending() == (0, 2)
    failed = Notification.objects.get(kind=K.BUDGET_DECIDED, recipient=case.client.user)
    assert failed.sent_at is None and failed.attempts == 1
    assert "the mail server did not answer" in failed.error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_pending() == (2, 0)
    failed.refresh_from_db()
    assert failed.sent_at is not None and failed.attempts == 2 and failed.error == ""
    assert len(mail.outbox) == 2


def test_the_demo_backend_writes_real_eml_files(settings, tmp_path):
    settings.EMAIL_BACKEND = "avain.followup.mail.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    with frozen_at(JAN_10):
        case_active(client=_client())
        queue_notifications()
        assert send_pending() == (2, 0)
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    messages = [email.message_from_bytes(f.read_bytes()) for f in files]
    assert {m["To"] for m in messages} == {"aino@example.org"}
    subjects = {str(email.header.make_header(email.header.decode_header(m["Subject"]))) for m in messages}
    assert subjects == {n.subject for n in Notification.objects.all()}


def test_coming_meetings_remind_the_worker_the_client_and_the_editing_delegate_once():
    with frozen_at(JAN_10):
        case = _with_worker_email(case_active(client=_client()))
        editor = make_assistant(case.organiser)
        _set_email(editor, "sari@example.org")
        grant_delegation(client=case.client, user=editor, access="edit")
        near = services.add_meeting(case=case, day=dt.date(2027, 1, 15), actor=case.worker)
        services.add_meeting(case=case, day=dt.date(2027, 1, 25), actor=case.worker)  # beyond seven days
        cancelled = services.add_meeting(case=case, day=dt.date(2027, 1, 16), actor=case.worker)
        services.cancel_meeting(case=case, meeting_id=cancelled.pk, actor=case.worker)
        queue_notifications()
        queue_notifications()
    reminders = Notification.objects.filter(kind=K.MEETING_REMINDER)
    assert {(n.object_id, n.recipient) for n in reminders} == {
        (near.pk, case.worker),
        (near.pk, case.client.user),
        (near.pk, editor),
    }
    assert all("15.1.2027" in n.subject for n in reminders)
    # Moved: the new date is reminded of again.
    with frozen_at(JAN_10):
        moved = services.move_meeting(case=case, meeting_id=near.pk, day=dt.date(2027, 1, 14), actor=case.worker)
        queue_notifications()
    assert Notification.objects.filter(kind=K.MEETING_REMINDER, object_id=moved.pk).count() == 3


def test_the_command_plans_meetings_and_sends_once(capsys):
    with frozen_at(JAN_10):
        case = case_active(client=_client())
        call_command("send_notifications")
        call_command("send_notifications")
    assert case.follow_up_meetings.count() == 3
    assert len(mail.outbox) == 2
    assert "sent: 2" in capsys.readouterr().out


def test_old_events_are_not_mailed():
    with frozen_at(JAN_10):
        case_active(client=_client())
    with frozen_at(JAN_10 + dt.timedelta(days=30)):
        assert queue_notifications() == 0
