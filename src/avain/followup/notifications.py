"""E-mail notifications as an outbox: ``queue_notifications`` turns events into ``Notification`` rows, once per event
and recipient; ``send_pending`` sends them and keeps the error of a failed send for the next run.

E-mail is not a secure channel. A message says only that something happened and asks the person to sign in: no
name other than the recipient's own first name, no plan, comments, amounts or health details.
"""

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from avain.core import clock
from avain.people.models import Client, Delegation
from avain.planning.models import CaseAction, CaseStatus, CaseTransition

from .models import DEFAULT_REMINDER_DAYS, FollowUpMeeting, FollowUpSettings, Notification, NotificationKind

log = logging.getLogger(__name__)

# Transitions older than this are not mailed about: a first run on an old database does not mail its history.
LOOKBACK = dt.timedelta(days=7)
# After this many failed sends a message is left for a person to look at.
MAX_ATTEMPTS = 10

K = NotificationKind
TRANSITION_KINDS = {
    CaseAction.SUBMIT_PLAN: K.PLAN_SUBMITTED,
    CaseAction.RETURN_PLAN: K.PLAN_RETURNED,
    CaseAction.APPROVE_PLAN: K.PLAN_APPROVED,
    CaseAction.DECIDE: K.BUDGET_DECIDED,
}

STAFF, CLIENT, DELEGATE = "staff", "client", "delegate"
# Who hears of what: the case's worker (staff), the client, and the people the client lets edit (delegates).
AUDIENCES = {
    K.PLAN_SUBMITTED: (STAFF,),
    K.PLAN_RETURNED: (CLIENT, DELEGATE),
    K.PLAN_APPROVED: (STAFF, CLIENT),
    K.BUDGET_DECIDED: (CLIENT, DELEGATE),
    K.MEETING_REMINDER: (STAFF, CLIENT, DELEGATE),
}


@dataclasses.dataclass(frozen=True)
class Recipient:
    user: object
    email: str
    first_name: str
    language: str
    audience: str


# Subject and message of each kind for each audience; a meeting reminder's texts take the meeting's date.
TEXTS = {
    (K.PLAN_SUBMITTED, STAFF): (
        gettext_lazy("A support plan waits for your review"),
        gettext_lazy("A client has sent their support plan for review. You find it in your work queue in Avain."),
    ),
    (K.PLAN_RETURNED, CLIENT): (
        gettext_lazy("Your support plan has been returned"),
        gettext_lazy(
            "Your social worker has returned your support plan. Sign in to Avain to read the comments and correct the plan."
        ),
    ),
    (K.PLAN_RETURNED, DELEGATE): (
        gettext_lazy("A support plan you help with has been returned"),
        gettext_lazy(
            "The social worker has returned the support plan of a person you help in Avain. Sign in to Avain to read the comments."
        ),
    ),
    (K.PLAN_APPROVED, STAFF): (
        gettext_lazy("A support plan has been approved"),
        gettext_lazy(
            "A support plan has been approved and the decision waits for you. You find it in your work queue in Avain."
        ),
    ),
    (K.PLAN_APPROVED, CLIENT): (
        gettext_lazy("Your support plan has been approved"),
        gettext_lazy("Your support plan has been approved. Next your social worker makes the decision on your budget."),
    ),
    (K.BUDGET_DECIDED, CLIENT): (
        gettext_lazy("The decision on your budget has been made"),
        gettext_lazy(
            "The decision on your personal budget has been made. Sign in to Avain to read the decision and see your budget."
        ),
    ),
    (K.BUDGET_DECIDED, DELEGATE): (
        gettext_lazy("A decision has been made"),
        gettext_lazy("The decision on the personal budget of a person you help in Avain has been made."),
    ),
    (K.MEETING_REMINDER, STAFF): (
        gettext_lazy("Reminder: follow-up meeting on %(date)s"),
        gettext_lazy(
            "You have a follow-up meeting on %(date)s. Sign in to Avain to see the client and to record the outcome."
        ),
    ),
    (K.MEETING_REMINDER, CLIENT): (
        gettext_lazy("Reminder: follow-up meeting on %(date)s"),
        gettext_lazy(
            "You have a follow-up meeting with your social worker on %(date)s. You talk about how your plan has worked. "
            "If the day does not suit you, contact your social worker."
        ),
    ),
    (K.MEETING_REMINDER, DELEGATE): (
        gettext_lazy("Reminder: follow-up meeting on %(date)s"),
        gettext_lazy("A person you help in Avain has a follow-up meeting with the social worker on %(date)s."),
    ),
}


def _texts(kind: str, audience: str, meeting_date: str) -> tuple[str, str]:
    """Subject and the message of one kind for one audience, in the active language."""
    subject, body = TEXTS[kind, audience]
    if kind == K.MEETING_REMINDER:
        return str(subject) % {"date": meeting_date}, str(body) % {"date": meeting_date}
    return str(subject), str(body)


def compose(kind: str, recipient: Recipient, meeting_date: dt.date | None = None) -> tuple[str, str]:
    """The e-mail for ``recipient`` in their language: a greeting by first name, the message, and the footer."""
    with translation.override(recipient.language):
        day = date_format(meeting_date, "SHORT_DATE_FORMAT") if meeting_date else ""
        subject, message = _texts(kind, recipient.audience, day)
        greeting = _("Hello %(name)s,") % {"name": recipient.first_name} if recipient.first_name else _("Hello,")
        footer = _(
            "Sign in to Avain to read more. For your privacy this e-mail tells no details: they are only in Avain. "
            "This message was sent automatically; please do not reply to it."
        )
        return subject, f"{greeting}\n\n{message}\n\n{footer}\n\nAvain\n"


def _recipients(case, audiences) -> list[Recipient]:
    client: Client = case.client
    found: list[Recipient] = []
    if STAFF in audiences and case.worker.email:
        worker = case.worker
        found.append(Recipient(worker, worker.email, worker.first_name, settings.LANGUAGE_CODE, STAFF))
    if CLIENT in audiences and client.user_id and client.user.email:
        found.append(Recipient(client.user, client.user.email, client.first_name, client.language, CLIENT))
    if DELEGATE in audiences:
        delegations = Delegation.objects.filter(
            organiser_id=client.organiser_id, client=client, withdrawn_at__isnull=True, access=Delegation.Access.EDIT
        ).select_related("user")
        # A delegate reads in the client's language: there is no language preference of their own yet.
        found += [
            Recipient(d.user, d.user.email, d.user.first_name, client.language, DELEGATE)
            for d in delegations
            if d.user.email
        ]
    return found


def _rows(kind: str, object_id: int, case, now, meeting_date=None) -> list[Notification]:
    rows = []
    for recipient in _recipients(case, AUDIENCES[kind]):
        subject, body = compose(kind, recipient, meeting_date)
        rows.append(
            Notification(
                organiser_id=case.organiser_id,
                recipient=recipient.user,
                email=recipient.email,
                kind=kind,
                object_id=object_id,
                subject=subject,
                body=body,
                language=recipient.language,
                created_at=now,
            )
        )
    return rows


def _reminder_days() -> dict[int, int]:
    return dict(FollowUpSettings.objects.values_list("organiser_id", "reminder_days"))


def queue_notifications(now: dt.datetime | None = None) -> int:
    """Add to the outbox what has happened and not been told yet: plans sent, returned and approved, and decisions
    from the last ``LOOKBACK``; and follow-up meetings of budgets in use coming within the organiser's reminder days.
    Idempotent: the unique key (kind, object, recipient) drops anything queued before. Returns the rows added."""
    now = now or clock.now()
    rows: list[Notification] = []
    for action, kind in TRANSITION_KINDS.items():
        transitions = (
            CaseTransition.objects.filter(action=action, at__gte=now - LOOKBACK, at__lte=now)
            .exclude(pk__in=Notification.objects.filter(kind=kind).values("object_id"))
            .select_related("case__client__user", "case__worker")
        )
        for transition in transitions:
            rows += _rows(kind, transition.pk, transition.case, now)

    today = clock.today()
    days = _reminder_days()
    meetings = (
        FollowUpMeeting.objects.filter(
            case__status=CaseStatus.ACTIVE,
            cancelled_at__isnull=True,
            recorded_at__isnull=True,
            scheduled_on__gte=today,
            scheduled_on__lte=today + dt.timedelta(days=max([DEFAULT_REMINDER_DAYS, *days.values()])),
        )
        .exclude(pk__in=Notification.objects.filter(kind=K.MEETING_REMINDER).values("object_id"))
        .select_related("case__client__user", "case__worker")
    )
    for meeting in meetings:
        if meeting.scheduled_on <= today + dt.timedelta(days=days.get(meeting.organiser_id, DEFAULT_REMINDER_DAYS)):
            rows += _rows(K.MEETING_REMINDER, meeting.pk, meeting.case, now, meeting.scheduled_on)

    before = Notification.objects.count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return Notification.objects.count() - before


def send_pending(now: dt.datetime | None = None) -> tuple[int, int]:
    """Send every message not sent yet (oldest first). A message is sent under a row lock, so two runs at once
    never send it twice; a failure keeps the error and the message is tried again next time, up to
    ``MAX_ATTEMPTS``. Returns (sent, failed)."""
    now = now or clock.now()
    sent = failed = 0
    pending = Notification.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)
    connection = get_connection()
    for pk in list(pending):
        with transaction.atomic():
            message = (
                Notification.objects.select_for_update(skip_locked=True).filter(pk=pk, sent_at__isnull=True).first()
            )
            if message is None:
                continue
            message.attempts += 1
            try:
                EmailMessage(
                    message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.email], connection=connection
                ).send()
            except Exception as error:  # any failure of the mail server: keep it and try again next run
                log.warning("notification %s not sent: %s", message.pk, error)
                message.error = f"{type(error).__name__}: {error}"[:2000]
                message.save(update_fields=["attempts", "error"])
                failed += 1
            else:
                message.sent_at = now
                message.error = ""
                message.save(update_fields=["attempts", "error", "sent_at"])
                sent += 1
    return sent, failed
