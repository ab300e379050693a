"""Reads of diaries and feedback, always scoped by organiser. The research app reads them only through
:func:`diary_entries_for_export` and :func:`feedback_for_export`, which carry no names and no identity codes."""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from avain.people.models import Client

from .models import DiaryEntry, DiaryPrompt, Feedback, FeedbackStatus


def prompts(organiser_id: int) -> QuerySet[DiaryPrompt]:
    return DiaryPrompt.objects.filter(organiser_id=organiser_id)


def active_prompts(organiser_id: int) -> QuerySet[DiaryPrompt]:
    return prompts(organiser_id).filter(active=True)


def prompt_for_admin(organiser_id: int, prompt_id: int) -> DiaryPrompt:
    prompt = prompts(organiser_id).filter(pk=prompt_id).first()
    if prompt is None:
        raise Http404
    return prompt


def client_diary(client: Client) -> QuerySet[DiaryEntry]:
    return DiaryEntry.objects.filter(organiser_id=client.organiser_id, client=client).select_related(
        "author", "prompt"
    )


def worker_diary(organiser_id: int, user) -> QuerySet[DiaryEntry]:
    return DiaryEntry.objects.filter(organiser_id=organiser_id, author=user, client__isnull=True).select_related(
        "prompt"
    )


def feedback_of_client(client: Client) -> QuerySet[Feedback]:
    return Feedback.objects.filter(organiser_id=client.organiser_id, client=client).select_related("submitted_by")


def feedback_for_staff(organiser_id: int, status: str | None = None) -> QuerySet[Feedback]:
    """The organiser's feedback, new first within the status order new → answered → acted on."""
    feedback = Feedback.objects.filter(organiser_id=organiser_id).select_related("client", "submitted_by")
    if status in FeedbackStatus.values:
        feedback = feedback.filter(status=status)
    return feedback


def feedback_item_for_staff(organiser_id: int, feedback_id: int) -> Feedback:
    item = feedback_for_staff(organiser_id).select_related("answered_by", "acted_on_by").filter(pk=feedback_id).first()
    if item is None:
        raise Http404
    return item


def counts_by_status(organiser_id: int) -> dict[str, int]:
    counts = {status: 0 for status in FeedbackStatus.values}
    for status in Feedback.objects.filter(organiser_id=organiser_id).values_list("status", flat=True):
        counts[status] += 1
    return counts


def diary_entries_for_export(
    organiser, client_ids: Iterable[int], *, include_worker_diaries: bool = False
) -> list[dict]:
    """Diary entries of the given clients as plain rows for research: dates, roles, the question and the text.

    No names and no identity codes: ``client_id`` (None in a worker's diary) and ``author_id`` are database ids for
    the caller to pseudonymise. The text is what the person wrote: it is not scrubbed of names they wrote into it.
    Workers' own diaries are included only when asked for (their consent is the caller's to check).
    """
    organiser_id = getattr(organiser, "pk", organiser)
    entries = DiaryEntry.objects.filter(organiser_id=organiser_id, client_id__in=list(client_ids))
    if include_worker_diaries:
        entries = entries | DiaryEntry.objects.filter(organiser_id=organiser_id, client__isnull=True)
    return [
        {
            "entry_id": entry.pk,
            "period_id": entry.period_id,
            "client_id": entry.client_id,
            "author_id": entry.author_id,
            "role": entry.role,
            "written_on": entry.written_on,
            "prompt_id": entry.prompt_id,
            "prompt_fi": entry.prompt.text_fi if entry.prompt else "",
            "text": entry.text,
        }
        for entry in entries.select_related("prompt").order_by("written_on", "pk")
    ]


def feedback_for_export(organiser, client_ids: Iterable[int]) -> list[dict]:
    """Feedback of the given clients as plain rows for research: topic, texts, status and dates.

    No names and no identity codes; ``client_id`` is for the caller to pseudonymise. ``by_client`` tells whether
    the client wrote it themselves (False: a helper with the client's permission).
    """
    organiser_id = getattr(organiser, "pk", organiser)
    feedback = (
        Feedback.objects.filter(organiser_id=organiser_id, client_id__in=list(client_ids))
        .select_related("client")
        .order_by("submitted_at", "pk")
    )
    return [
        {
            "feedback_id": item.pk,
            "client_id": item.client_id,
            "by_client": item.submitted_by_id == item.client.user_id,
            "topic": item.topic,
            "text": item.text,
            "submitted_at": item.submitted_at,
            "status": item.status,
            "answer": item.answer,
            "answered_at": item.answered_at,
            "acted_on_at": item.acted_on_at,
        }
        for item in feedback
    ]
