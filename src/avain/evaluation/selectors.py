"""Reads of the questionnaire engine, always scoped by organiser (or by the client, who belongs to one)."""

import dataclasses
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404

from avain.people.models import Client

from . import scoring
from .models import (
    Instrument,
    InstrumentStatus,
    ItemKind,
    Measurement,
    MeasurementScore,
    MeasurementStatus,
)


def instruments_for(organiser) -> QuerySet[Instrument]:
    """The shipped instruments and the organiser's own, every version."""
    return Instrument.objects.filter(Q(organiser__isnull=True) | Q(organiser=organiser)).select_related("organiser")


def instrument_for_admin(organiser, instrument_id: int) -> Instrument:
    """One of the organiser's own instrument versions (shipped ones are not the organiser's to publish or retire)."""
    instrument = Instrument.objects.filter(organiser=organiser, pk=instrument_id).first()
    if instrument is None:
        raise Http404
    return instrument


def current_instrument(organiser, code: str) -> Instrument | None:
    """The newest published version of ``code``: the organiser's own if it has one, else the shipped one."""
    published = Instrument.objects.filter(code=code, status=InstrumentStatus.PUBLISHED).order_by("-version")
    return published.filter(organiser=organiser).first() or published.filter(organiser__isnull=True).first()


def measurements_of(client: Client) -> QuerySet[Measurement]:
    return (
        Measurement.objects.filter(organiser_id=client.organiser_id, client=client)
        .select_related("instrument", "case", "entered_by")
        .order_by("due_on", "id")
    )


def measurement_of(client: Client, measurement_id: int) -> Measurement:
    """The client's measurement, or 404: a measurement id of another client is not found."""
    measurement = measurements_of(client).filter(pk=measurement_id).first()
    if measurement is None:
        raise Http404
    return measurement


def portal_overview(client: Client) -> dict:
    """What the client has to answer now, what comes later (earliest first) and what they have answered (newest
    first)."""
    measurements = list(measurements_of(client).exclude(status=MeasurementStatus.CANCELLED))
    # The earliest open measurement of each instrument is to answer now; the later ones (the middle and the end)
    # are shown with their dates only, so the client is not asked the same questions twice at once.
    due, later, seen = [], [], set()
    for m in measurements:
        if m.is_open:
            key = (m.instrument.code, m.instrument.organiser_id)
            (later if key in seen else due).append(m)
            seen.add(key)
    return {
        "due": due,
        "later": later,
        "done": sorted(
            (m for m in measurements if m.status == MeasurementStatus.COMPLETED),
            key=lambda m: m.completed_at,
            reverse=True,
        ),
    }


def answers_of(measurement: Measurement) -> dict[str, int | str]:
    """The saved answers by item code: a number for scale items, the text or choice value otherwise."""
    return {
        a.item.code: (a.number if a.item.kind == ItemKind.SCALE else a.text)
        for a in measurement.answers.select_related("item")
    }


def previous_measurement(measurement: Measurement) -> Measurement | None:
    """The same client's latest completed measurement of the same instrument (any version) before this one."""
    if measurement.completed_at is None:
        return None
    return (
        Measurement.objects.filter(
            organiser_id=measurement.organiser_id,
            client_id=measurement.client_id,
            instrument__code=measurement.instrument.code,
            instrument__organiser_id=measurement.instrument.organiser_id,
            status=MeasurementStatus.COMPLETED,
            completed_at__lt=measurement.completed_at,
        )
        .order_by("-completed_at", "-id")
        .first()
    )


@dataclasses.dataclass
class ReportRow:
    name: str
    score: Decimal | None
    previous: Decimal | None
    change: Decimal | None
    scale_min: int
    scale_max: int
    answered: int
    missing: int
    feedback: str

    @property
    def percent(self) -> int:
        """The score as a share of its scale, for the bar."""
        if self.score is None:
            return 0
        return round((self.score - self.scale_min) * 100 / (self.scale_max - self.scale_min))

    @property
    def previous_percent(self) -> int | None:
        if self.previous is None:
            return None
        return round((self.previous - self.scale_min) * 100 / (self.scale_max - self.scale_min))


def _scores_by_domain_code(measurement: Measurement | None) -> dict[str | None, MeasurementScore]:
    if measurement is None:
        return {}
    return {
        (s.domain.code if s.domain else None): s
        for s in measurement.scores.select_related("domain", "band")
    }


def report(measurement: Measurement) -> dict:
    """The personal report of a completed measurement: a row per domain and one for the whole, each with the
    change since the previous measurement of the same instrument and the instrument's feedback for the score."""
    instrument = measurement.instrument
    previous = previous_measurement(measurement)
    now_scores = _scores_by_domain_code(measurement)
    before_scores = _scores_by_domain_code(previous)
    items = list(instrument.items.select_related("domain"))
    scale_of = {}
    for item in items:
        if item.kind == ItemKind.SCALE:
            scale_of.setdefault(item.domain.code if item.domain else None, (item.scale_min, item.scale_max))
    whole_scale = next(iter({(i.scale_min, i.scale_max) for i in items if i.kind == ItemKind.SCALE}), None)

    def row(code, name) -> ReportRow | None:
        stored = now_scores.get(code)
        if stored is None:
            return None
        before = before_scores.get(code)
        low, high = scale_of.get(code) or whole_scale
        return ReportRow(
            name=name,
            score=stored.score,
            previous=before.score if before else None,
            change=scoring.change(stored.score, before.score if before else None),
            scale_min=low,
            scale_max=high,
            answered=stored.answered,
            missing=stored.missing,
            feedback=stored.band.feedback if stored.band else "",
        )

    domains = [r for d in instrument.domains.all() if (r := row(d.code, d.name))]
    answers = answers_of(measurement)
    # Questions that give no score (choices, free text) are shown as answered, so the client sees what was sent.
    other_answers = [
        (item.text, item.choice_label(answers[item.code]) if item.kind == ItemKind.CHOICE else answers[item.code])
        for item in items
        if item.kind != ItemKind.SCALE and answers.get(item.code) not in (None, "")
    ]
    return {
        "measurement": measurement,
        "instrument": instrument,
        "previous": previous,
        "domains": domains,
        "whole": row(None, instrument.name),
        "other_answers": other_answers,
    }


def staff_overview(client: Client, case=None) -> list[dict]:
    """The client's measurements for a worker (of one case when given), with their stored scores."""
    measurements = measurements_of(client)
    if case is not None:
        measurements = measurements.filter(case=case)
    rows = []
    for m in measurements.prefetch_related("scores__domain"):
        whole = next((s for s in m.scores.all() if s.domain_id is None), None)
        rows.append({"measurement": m, "whole": whole, "domains": [s for s in m.scores.all() if s.domain_id]})
    return rows
