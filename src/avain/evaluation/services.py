"""Every write of the questionnaire engine: installing instruments, scheduling, answering, completing, reminding."""

import datetime as dt
import hashlib
import logging
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from avain.core import clock
from avain.people.models import Client
from avain.planning.models import CaseStatus, HBCase

from . import instrument_format, scoring
from .models import (
    OPEN_MEASUREMENT_STATUSES,
    Answer,
    Domain,
    Instrument,
    InstrumentStatus,
    Item,
    ItemKind,
    Measurement,
    MeasurementMode,
    MeasurementPoint,
    MeasurementScore,
    MeasurementStatus,
    ScoreBand,
)
from .selectors import current_instrument

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).parent / "instruments"

# The codes of the shipped instruments the scheduling uses. An organiser's own published instrument with the same
# code takes the shipped one's place for its clients.
SELF_ASSESSMENT = "self-assessment"
SATISFACTION = "satisfaction"
END_SURVEY = "hb-end-survey"
FUNDER_START = "funder-start"
FUNDER_END = "funder-end"

# What an HB case is measured with, and when.
CASE_SCHEDULE = (
    (SELF_ASSESSMENT, MeasurementPoint.START),
    (FUNDER_START, MeasurementPoint.START),
    (SELF_ASSESSMENT, MeasurementPoint.MIDDLE),
    (SELF_ASSESSMENT, MeasurementPoint.END),
    (FUNDER_END, MeasurementPoint.END),
    (SATISFACTION, MeasurementPoint.END),
    (END_SURVEY, MeasurementPoint.END),
)
# A control client has no HB to be satisfied with or to end: the self-assessment and the funder's forms only.
CONTROL_SCHEDULE = tuple((code, point) for code, point in CASE_SCHEDULE if code not in (SATISFACTION, END_SURVEY))

# The steps of a case whose budget is decided and in use.
IN_USE = (CaseStatus.ACTIVE, CaseStatus.CHANGE_PLANNING, CaseStatus.CHANGE_REVIEW, CaseStatus.CHANGE_APPROVAL)

REMINDER_DAYS = 7
MAX_TEXT = 4000


# --- Instruments ------------------------------------------------------------------------------------------------


def _real_models():
    return SimpleNamespace(Instrument=Instrument, Domain=Domain, Item=Item, ScoreBand=ScoreBand)


def _install(m, data: dict, *, organiser_id, version: int, status: str, sha256: str, actor_id=None):
    """Create one instrument version with its parts from checked ``data``. ``m`` holds the model classes, so that
    the data migration can install with its historical models."""
    instrument = m.Instrument.objects.create(
        organiser_id=organiser_id,
        code=data["code"],
        version=version,
        status=InstrumentStatus.DRAFT,
        **{f"name_{lang}": data["name"][lang] for lang in instrument_format.LANGUAGES},
        **{f"intro_{lang}": data["intro"][lang] for lang in instrument_format.LANGUAGES},
        max_missing_share=data["max_missing_share"],
        source_sha256=sha256,
        created_at=clock.now(),
        created_by_id=actor_id,
    )
    domains = {}
    for order, domain in enumerate(data["domains"], start=1):
        domains[domain["code"]] = m.Domain.objects.create(
            instrument=instrument,
            code=domain["code"],
            order=order,
            **{f"name_{lang}": domain["name"][lang] for lang in instrument_format.LANGUAGES},
        )
    for order, item in enumerate(data["items"], start=1):
        scale = item["scale"] or {}
        m.Item.objects.create(
            instrument=instrument,
            domain=domains.get(item["domain"]),
            code=item["code"],
            order=order,
            kind=item["kind"],
            **{f"text_{lang}": item["text"][lang] for lang in instrument_format.LANGUAGES},
            scale_min=scale.get("min"),
            scale_max=scale.get("max"),
            **{f"min_label_{lang}": scale["min_label"][lang] for lang in instrument_format.LANGUAGES if scale},
            **{f"max_label_{lang}": scale["max_label"][lang] for lang in instrument_format.LANGUAGES if scale},
            choices=item["choices"],
            required=item["required"],
            reverse_scored=item["reverse"],
        )
    for band in data["bands"]:
        m.ScoreBand.objects.create(
            instrument=instrument,
            domain=domains.get(band["domain"]),
            low=band["low"],
            high=band["high"],
            **{f"feedback_{lang}": band["feedback"][lang] for lang in instrument_format.LANGUAGES},
        )
    if status != InstrumentStatus.DRAFT:
        instrument.status = status
        instrument.save(update_fields=["status"])
    return instrument


def load_instruments(models=None, directory: Path = SHIPPED_DIR) -> list[tuple[str, int, bool]]:
    """Install the shipped instruments (``instruments/*.json``) that are not installed yet, as published versions
    for every organiser. Idempotent. A file changed under a version already installed is refused
    (``instrument_changed``): a published version never changes, so a change needs a new version number.
    Returns (code, version, installed now) for each file."""
    m = models or _real_models()
    done = []
    with transaction.atomic():
        for path in sorted(Path(directory).glob("*.json")):
            raw = path.read_bytes()
            sha256 = hashlib.sha256(raw).hexdigest()
            data = instrument_format.parse(raw)
            existing = m.Instrument.objects.filter(
                organiser__isnull=True, code=data["code"], version=data["version"]
            ).first()
            if existing is not None:
                if existing.source_sha256 != sha256:
                    raise ValidationError(
                        _("%(file)s has changed but its version is still %(version)s. Give it a new version.")
                        % {"file": path.name, "version": data["version"]},
                        code="instrument_changed",
                    )
                done.append((data["code"], data["version"], False))
                continue
            _install(
                m, data, organiser_id=None, version=data["version"], status=InstrumentStatus.PUBLISHED, sha256=sha256
            )
            done.append((data["code"], data["version"], True))
    return done


def upload_instrument(*, organiser, raw: bytes, actor) -> Instrument:
    """Add the organiser's own instrument from a JSON file, as a draft. A code the organiser already has gets the
    next version: an instrument is never edited, a new version is added."""
    data = instrument_format.parse(raw)
    with transaction.atomic():
        # Lock the organiser's versions of the code so that two uploads at once do not take the same number.
        versions = list(
            Instrument.objects.select_for_update().filter(organiser=organiser, code=data["code"]).values_list(
                "version", flat=True
            )
        )
        latest = max(versions, default=0)
        return _install(
            _real_models(),
            data,
            organiser_id=organiser.pk,
            version=(latest or 0) + 1,
            status=InstrumentStatus.DRAFT,
            sha256=hashlib.sha256(raw).hexdigest(),
            actor_id=actor.pk,
        )


def publish_instrument(*, instrument: Instrument) -> Instrument:
    with transaction.atomic():
        instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
        if instrument.status != InstrumentStatus.DRAFT:
            raise ValidationError(_("Only a draft can be published."), code="not_draft")
        instrument.status = InstrumentStatus.PUBLISHED
        instrument.save(update_fields=["status"])
    return instrument


def retire_instrument(*, instrument: Instrument) -> Instrument:
    """No new measurements use a retired version; the answers already given keep pointing at it."""
    with transaction.atomic():
        instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
        if instrument.status != InstrumentStatus.PUBLISHED:
            raise ValidationError(_("Only a published instrument can be retired."), code="not_published")
        instrument.status = InstrumentStatus.RETIRED
        instrument.save(update_fields=["status"])
    return instrument


# --- Scheduling -------------------------------------------------------------------------------------------------


def _due_dates(start: dt.date, end: dt.date) -> dict[str, dt.date]:
    return {
        MeasurementPoint.START: start,
        MeasurementPoint.MIDDLE: start + (end - start) / 2,
        MeasurementPoint.END: end,
    }


def _schedule(*, client: Client, case: HBCase | None, start, end, plan, actor) -> list[Measurement]:
    """Create the measurements of ``plan`` that the client (in this case, or as a control client) lacks."""
    dates = _due_dates(start, end)
    existing = set(
        Measurement.objects.filter(organiser_id=client.organiser_id, client=client, case=case)
        .exclude(status=MeasurementStatus.CANCELLED)
        .values_list("instrument__code", "point")
    )
    now = clock.now()
    created = []
    for code, point in plan:
        if (code, point) in existing:
            continue
        instrument = current_instrument(client.organiser, code)
        if instrument is None:
            raise ValidationError(
                _("The questionnaire “%(code)s” is not installed.") % {"code": code}, code="no_instrument"
            )
        created.append(
            Measurement.objects.create(
                organiser_id=client.organiser_id,
                client=client,
                case=case,
                instrument=instrument,
                point=point,
                due_on=dates[point],
                created_at=now,
                created_by=actor,
            )
        )
    return created


def schedule_measurements(*, case: HBCase, actor=None) -> list[Measurement]:
    """Schedule the questionnaires of an HB case in use over its budget period: the self-assessment at the start,
    in the middle and at the end, the funder's start and end forms, and at the end the satisfaction survey and the
    survey on how HB worked. Idempotent: what is already scheduled (and not cancelled) is not added again."""
    with transaction.atomic():
        case = HBCase.objects.select_for_update().select_related("client__organiser").get(pk=case.pk)
        if case.status not in IN_USE:
            raise ValidationError(
                _("Questionnaires are scheduled once the budget has been decided."), code="case_not_in_use"
            )
        if case.period_start is None or case.period_end is None:
            raise ValidationError(_("The case has no budget period."), code="no_period")
        return _schedule(
            client=case.client,
            case=case,
            start=case.period_start,
            end=case.period_end,
            plan=CASE_SCHEDULE,
            actor=actor or case.worker,
        )


def schedule_on_decision(*, case: HBCase, actor) -> list[Measurement]:
    """Schedule the case's questionnaires when its budget is decided (``planning.signals.case_decided``). The
    shipped questionnaires are installed first if they are missing (a database emptied by a test, say): a decision
    must never fail for want of a questionnaire."""
    if current_instrument(case.client.organiser, SELF_ASSESSMENT) is None:
        load_instruments()
    return schedule_measurements(case=case, actor=actor)


def schedule_for_active_cases() -> int:
    """Schedule the questionnaires of every case in use that has none yet (see the ``schedule_measurements``
    command). Returns the number of measurements added."""
    cases = HBCase.objects.filter(status__in=IN_USE, period_start__isnull=False, period_end__isnull=False).exclude(
        pk__in=Measurement.objects.filter(case__isnull=False).values("case_id")
    )
    return sum(len(schedule_measurements(case=case)) for case in cases)


def schedule_control_follow_up(*, client: Client, start: dt.date, end: dt.date, scheduled_by) -> list[Measurement]:
    """Schedule the follow-up of a client without HB (a control client): the self-assessment at the start, in the
    middle and at the end, and the funder's start and end forms. Idempotent like ``schedule_measurements``."""
    if start is None or end is None or end <= start:
        raise ValidationError(_("The follow-up must end after it starts."), code="period_order")
    with transaction.atomic():
        client = Client.objects.select_for_update().select_related("organiser").get(pk=client.pk)
        if HBCase.objects.filter(organiser_id=client.organiser_id, client=client, status__in=IN_USE).exists():
            raise ValidationError(
                _("The client has a personal budget in use: their questionnaires follow the HB case."),
                code="client_has_hb",
            )
        return _schedule(client=client, case=None, start=start, end=end, plan=CONTROL_SCHEDULE, actor=scheduled_by)


# --- Answering --------------------------------------------------------------------------------------------------


def _clean_value(item: Item, value):
    """The answer to ``item`` as stored (an int for a scale, a string otherwise); None when left empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if item.kind == ItemKind.SCALE:
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not item.scale_min <= number <= item.scale_max:
            raise ValidationError(
                _("“%(question)s”: choose a number from %(min)s to %(max)s.")
                % {"question": item.text, "min": item.scale_min, "max": item.scale_max},
                code="invalid_answer",
            )
        return number
    value = str(value).strip()
    if item.kind == ItemKind.CHOICE and value not in {c["value"] for c in item.choices}:
        raise ValidationError(_("“%(question)s”: choose one of the options.") % {"question": item.text}, code="invalid_answer")
    if len(value) > MAX_TEXT:
        raise ValidationError(
            _("“%(question)s”: the answer is too long (at most %(max)s characters).")
            % {"question": item.text, "max": MAX_TEXT},
            code="invalid_answer",
        )
    return value


def _locked_open(measurement: Measurement) -> Measurement:
    measurement = Measurement.objects.select_for_update().select_related("instrument").get(pk=measurement.pk)
    if measurement.status not in OPEN_MEASUREMENT_STATUSES:
        raise ValidationError(_("This questionnaire has already been sent or cancelled."), code="not_open")
    return measurement


def save_answers(*, measurement: Measurement, values: dict, actor, paper: bool = False) -> Measurement:
    """Save the answers given (by item code); an empty value removes a saved answer. Items not in ``values`` are
    left as they are, so the client can answer one page at a time and continue later. ``paper``: a worker enters
    the client's paper form. Nothing is saved if one answer is invalid."""
    with transaction.atomic():
        measurement = _locked_open(measurement)
        items = {i.code: i for i in measurement.instrument.items.all()}
        cleaned = {}
        for code, value in values.items():
            if code not in items:
                raise ValidationError(_("Unknown question."), code="invalid_answer")
            cleaned[code] = _clean_value(items[code], value)
        for code, value in cleaned.items():
            item = items[code]
            if value is None:
                Answer.objects.filter(measurement=measurement, item=item).delete()
                continue
            Answer.objects.update_or_create(
                measurement=measurement,
                item=item,
                defaults={"number": value, "text": ""} if item.kind == ItemKind.SCALE else {"number": None, "text": value},
            )
        measurement.status = MeasurementStatus.IN_PROGRESS
        measurement.started_at = measurement.started_at or clock.now()
        fields = ["status", "started_at"]
        if paper:
            measurement.mode, measurement.entered_by = MeasurementMode.PAPER, actor
            fields += ["mode", "entered_by"]
        measurement.save(update_fields=fields)
    return measurement


def complete_measurement(*, measurement: Measurement, actor, paper: bool = False) -> Measurement:
    """Send the answers: every required question must be answered. The scores are computed and stored for the
    report. A completed measurement is not changed afterwards."""
    with transaction.atomic():
        measurement = _locked_open(measurement)
        instrument = measurement.instrument
        items = list(instrument.items.select_related("domain"))
        answers = {a.item_id: a for a in measurement.answers.all()}
        missing = [i for i in items if i.required and i.pk not in answers]
        if missing:
            raise ValidationError(
                _("Answer these questions before sending: %(questions)s")
                % {"questions": "; ".join(i.text for i in missing)},
                code="required_missing",
            )
        scale_items = [i for i in items if i.kind == ItemKind.SCALE]
        result = scoring.score(
            [
                scoring.ScaleItem(i.code, i.domain.code if i.domain else None, i.scale_min, i.scale_max, i.reverse_scored)
                for i in scale_items
            ],
            {i.code: answers[i.pk].number for i in scale_items if i.pk in answers},
            instrument.max_missing_share,
        )
        domains = {d.code: d for d in instrument.domains.all()}
        bands = list(instrument.bands.all())
        rows = []
        for code, value in result.items():
            domain = domains.get(code) if code is not None else None
            band = scoring.band_for(
                value.score, [(b.low, b.high, b) for b in bands if b.domain_id == (domain.pk if domain else None)]
            )
            rows.append(
                MeasurementScore(
                    measurement=measurement,
                    domain=domain,
                    score=value.score,
                    answered=value.answered,
                    missing=value.missing,
                    band=band,
                )
            )
        MeasurementScore.objects.bulk_create(rows)
        measurement.status = MeasurementStatus.COMPLETED
        measurement.completed_at = clock.now()
        measurement.started_at = measurement.started_at or measurement.completed_at
        fields = ["status", "completed_at", "started_at"]
        if paper:
            measurement.mode, measurement.entered_by = MeasurementMode.PAPER, actor
            fields += ["mode", "entered_by"]
        measurement.save(update_fields=fields)
    return measurement


def cancel_measurement(*, measurement: Measurement) -> Measurement:
    with transaction.atomic():
        measurement = _locked_open(measurement)
        measurement.status = MeasurementStatus.CANCELLED
        measurement.save(update_fields=["status"])
    return measurement


# --- Reminders --------------------------------------------------------------------------------------------------


def _reminder(client: Client, due_on: dt.date) -> tuple[str, str]:
    """The reminder in the client's language. Like every e-mail of Avain it tells only that something waits: the
    client's first name, no questionnaire, no answers."""
    with translation.override(client.language):
        day = date_format(due_on, "SHORT_DATE_FORMAT")
        subject = _("A questionnaire waits for your answers")
        greeting = _("Hello %(name)s,") % {"name": client.first_name} if client.first_name else _("Hello,")
        message = _(
            "A short questionnaire waits for you in Avain. Please answer it by %(date)s. You can stop and continue "
            "later."
        ) % {"date": day}
        footer = _(
            "Sign in to Avain to read more. For your privacy this e-mail tells no details: they are only in Avain. "
            "This message was sent automatically; please do not reply to it."
        )
        return subject, f"{greeting}\n\n{message}\n\n{footer}\n\nAvain\n"


def remind_measurements(today: dt.date | None = None) -> tuple[int, int]:
    """E-mail each client whose questionnaire is due within ``REMINDER_DAYS`` (or overdue) and not answered yet,
    once per measurement. A failed send leaves the measurement unreminded for the next run. Returns (sent, failed).
    """
    today = today or clock.today()
    due = Measurement.objects.filter(
        status__in=OPEN_MEASUREMENT_STATUSES,
        mode=MeasurementMode.PORTAL,
        reminded_at__isnull=True,
        due_on__lte=today + dt.timedelta(days=REMINDER_DAYS),
        client__user__isnull=False,
    ).exclude(client__user__email="")
    sent = failed = 0
    connection = get_connection()
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            # Under a row lock, skipping rows another run holds, so two runs never mail the same reminder twice.
            measurement = (
                Measurement.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, reminded_at__isnull=True)
                .first()
            )
            if measurement is None:
                continue
            client = Client.objects.select_related("user").get(pk=measurement.client_id)
            subject, body = _reminder(client, measurement.due_on)
            try:
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [client.user.email], connection=connection).send()
            except Exception as error:  # any failure of the mail server: try again on the next run
                log.warning("questionnaire reminder %s not sent: %s", pk, error)
                failed += 1
                continue
            measurement.reminded_at = clock.now()
            measurement.save(update_fields=["reminded_at"])
            sent += 1
    return sent, failed
