"""Every write of diaries and feedback. Feedback moves new → answered → acted on; each step locks the row, so two
staff members answering at once cannot both answer."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from avain.core import clock
from avain.organisations.models import Organiser, Role, StaffMembership
from avain.people.models import Client, Delegation
from avain.timeuse.models import TimeRole
from avain.timeuse.selectors import recording_period

from .models import MAX_TEXT, DiaryEntry, DiaryPrompt, Feedback, FeedbackStatus, Topic

# Who answers feedback and marks it acted on: the workers and the organiser's administrators.
FEEDBACK_ROLES = (Role.SOCIAL_WORKER, Role.ORGANISER_ADMIN)
STAFF_DIARY_ROLES = {TimeRole.SOCIAL_WORKER, TimeRole.OTHER_STAFF}


def _clean_text(text: str, *, missing: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(missing, code="text_missing")
    if len(text) > MAX_TEXT:
        raise ValidationError(
            _("The text is too long: at most %(max)s characters.") % {"max": MAX_TEXT}, code="text_too_long"
        )
    return text


def _may_write_for(client: Client, user) -> bool:
    """The client themselves, or someone the client has given permission to edit."""
    if client.user_id == user.pk:
        return True
    return Delegation.objects.filter(
        organiser_id=client.organiser_id,
        client=client,
        user=user,
        access=Delegation.Access.EDIT,
        withdrawn_at__isnull=True,
    ).exists()


def _is_staff(organiser_id: int, user, roles=None) -> bool:
    memberships = StaffMembership.objects.filter(organiser_id=organiser_id, user=user, active=True)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return memberships.exists()


# --- Diaries ----------------------------------------------------------------------------------------------------


@transaction.atomic
def create_prompt(*, organiser: Organiser, text_fi: str, text_sv: str, text_en: str) -> DiaryPrompt:
    texts = [t.strip() for t in (text_fi, text_sv, text_en)]
    if not all(texts):
        raise ValidationError(_("Write the question in Finnish, Swedish and English."), code="prompt_missing")
    return DiaryPrompt.objects.create(
        organiser=organiser, text_fi=texts[0], text_sv=texts[1], text_en=texts[2], created_at=clock.now()
    )


@transaction.atomic
def set_prompt_active(*, prompt: DiaryPrompt, active: bool) -> DiaryPrompt:
    prompt.active = active
    prompt.save(update_fields=["active"])
    return prompt


@transaction.atomic
def write_diary_entry(
    *,
    organiser: Organiser,
    author,
    role: str,
    client: Client | None,
    text: str,
    prompt: DiaryPrompt | None = None,
    written_on: dt.date | None = None,
) -> DiaryEntry:
    """Add an entry to a client's diary (``client`` given) or to a worker's own diary (``client`` None).

    Diaries are kept in the sampling periods only: the date must fall in an open period of
    :func:`avain.timeuse.selectors.recording_period` that samples the client (codes ``no_open_period``,
    ``date_in_future``, ``outside_period``, ``client_not_sampled``). Also refused: ``not_allowed``,
    ``text_missing``, ``text_too_long`` and ``unknown_prompt``.
    """
    written_on = written_on or clock.today()
    refusal = ValidationError(_("You cannot write in this diary."), code="not_allowed")
    if client is None:
        if role not in STAFF_DIARY_ROLES or not _is_staff(organiser.pk, author):
            raise refusal
    else:
        if client.organiser_id != organiser.pk or not _may_write_for(client, author):
            raise refusal
        if (role == TimeRole.CLIENT) != (client.user_id == author.pk) or role in STAFF_DIARY_ROLES:
            raise refusal
    text = _clean_text(text, missing=_("Write something in the entry."))
    if prompt is not None and (prompt.organiser_id != organiser.pk or not prompt.active):
        raise ValidationError(_("Choose one of the questions in the list."), code="unknown_prompt")
    period = recording_period(organiser.pk, written_on, client.pk if client else None)
    return DiaryEntry.objects.create(
        organiser=organiser,
        period=period,
        author=author,
        role=role,
        client=client,
        written_on=written_on,
        prompt=prompt,
        text=text,
        created_at=clock.now(),
    )


# --- Feedback ---------------------------------------------------------------------------------------------------


@transaction.atomic
def send_feedback(*, client: Client, submitted_by, topic: str, text: str) -> Feedback:
    """Any client (not only sampled ones) may send feedback or an idea, or a helper with permission to edit."""
    if not _may_write_for(client, submitted_by):
        raise ValidationError(_("You cannot send feedback for this client."), code="not_allowed")
    if topic not in Topic.values:
        raise ValidationError(_("Choose what the feedback is about."), code="unknown_topic")
    text = _clean_text(text, missing=_("Write your feedback or idea."))
    return Feedback.objects.create(
        organiser_id=client.organiser_id,
        client=client,
        submitted_by=submitted_by,
        topic=topic,
        text=text,
        submitted_at=clock.now(),
    )


def _locked(feedback: Feedback, actor) -> Feedback:
    if not _is_staff(feedback.organiser_id, actor, FEEDBACK_ROLES):
        raise ValidationError(_("You cannot handle this feedback."), code="not_allowed")
    return Feedback.objects.select_for_update().get(pk=feedback.pk, organiser_id=feedback.organiser_id)


@transaction.atomic
def answer_feedback(*, feedback: Feedback, answered_by, answer: str) -> Feedback:
    """Answer new feedback; the client sees the answer. Refused: ``not_allowed``, ``already_answered``,
    ``text_missing``, ``text_too_long``."""
    feedback = _locked(feedback, answered_by)
    if feedback.status != FeedbackStatus.NEW:
        raise ValidationError(_("This feedback has already been answered."), code="already_answered")
    feedback.answer = _clean_text(answer, missing=_("Write an answer."))
    feedback.answered_by = answered_by
    feedback.answered_at = clock.now()
    feedback.status = FeedbackStatus.ANSWERED
    feedback.save(update_fields=["answer", "answered_by", "answered_at", "status"])
    return feedback


@transaction.atomic
def mark_acted_on(*, feedback: Feedback, actor) -> Feedback:
    """Record that the organiser has acted on answered feedback. Refused: ``not_allowed``, ``not_answered``,
    ``already_acted_on``."""
    feedback = _locked(feedback, actor)
    if feedback.status == FeedbackStatus.NEW:
        raise ValidationError(_("Answer the feedback first."), code="not_answered")
    if feedback.status == FeedbackStatus.ACTED_ON:
        raise ValidationError(_("This feedback is already marked as acted on."), code="already_acted_on")
    feedback.acted_on_by = actor
    feedback.acted_on_at = clock.now()
    feedback.status = FeedbackStatus.ACTED_ON
    feedback.save(update_fields=["acted_on_by", "acted_on_at", "status"])
    return feedback
