"""The pseudonymised research export of one study: ``data.parquet``, ``data.csv`` and ``codebook.csv`` in a ZIP.

* Rows only for enrolled clients with a consent in force for the study; a variable of a scope the client did not
  consent to is empty for them.
* The pseudonym is HMAC-SHA256 of the client id under the study's own secret key, as 16 hexadecimal characters.
  The key never leaves the database, so the pseudonym cannot be turned back into the client, and the same client
  has unrelated pseudonyms in different studies.
* No names, identity codes, addresses, dates of birth (an age group instead), dates of use or free texts.
  Free texts (diary entries and the client's feedback) only for clients who consented to ``diaries``, in
  ``texts.parquet``/``texts.csv``, by month, with the enrolled clients' names and anything shaped like a personal
  identity code replaced by ``[removed]``.
"""

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fi import hetu

from avain.evaluation.models import MeasurementPoint, MeasurementScore, MeasurementStatus
from avain.feedback.selectors import diary_entries_for_export, feedback_for_export
from avain.people.models import Client

from .models import Arm, ConsentScope, Enrolment, Study, StudyStatus
from .selectors import consent_scopes, costs_per_client

PSEUDONYM_LENGTH = 16
POINTS = (MeasurementPoint.START, MeasurementPoint.MIDDLE, MeasurementPoint.END)
AGE_GROUPS = ((18, "0-17"), (25, "18-24"), (35, "25-34"), (50, "35-49"), (65, "50-64"), (None, "65+"))
MONEY_TYPE = pa.decimal128(14, 2)
# The century sign of a personal identity code (the character after the date).
_CENTURIES = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}


def pseudonym(study: Study, client_id: int) -> str:
    digest = hmac.new(bytes.fromhex(study.pseudonym_key), str(client_id).encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def age_group(identity_code: str, on: dt.date) -> str | None:
    try:
        code = hetu.validate(identity_code)
        century = _CENTURIES[code[6]]
        born = dt.date(century + int(code[4:6]), int(code[2:4]), int(code[0:2]))
    except (StdnumValidationError, KeyError, ValueError):  # a code that does not validate: the age group is unknown
        return None
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for below, label in AGE_GROUPS:
        if below is None or age < below:
            return label
    return None


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    meaning: str
    values: str


BASE_VARIABLES = [
    Variable("pseudonym", "string", "The client's pseudonym in this study (not the same in other studies).", "16 hex characters"),
    Variable("arm", "string", "The arm the client was allocated to.", "hb = personal budget; control = ordinary services"),
    Variable(
        "self_selected",
        "boolean",
        "True when the arm is the client's own choice (self-selected design), not drawn: compare with care.",
        "true/false",
    ),
    Variable("organiser", "string", "The code of the client's organiser (part of the stratum).", "organiser codes"),
    Variable("target_group", "string", "The client's target group when enrolled (part of the stratum).", "families, "
             "young_parents, aftercare, adults, disability"),
    Variable("age_group", "string", "Age in years at the start of the study period.", "0-17, 18-24, 25-34, 35-49, 50-64, 65+"),
]
COST_VARIABLES = [
    Variable("cost_services", "decimal(14,2)", "Euros of ordinary services used in the study period, priced from "
             "the organiser's price list on the day of use. Empty without consent to costs.", "euros"),
    Variable("cost_hb", "decimal(14,2)", "Euros spent from the personal budget in accounts whose period overlaps "
             "the study period. Empty without consent to costs.", "euros"),
    Variable("cost_time_use", "decimal(14,2)", "Euros of recorded time use (minutes × the role's hourly rate) in the "
             "study period. Empty without consent to time use.", "euros"),
    Variable("cost_total", "decimal(14,2)", "cost_services + cost_hb + cost_time_use (an empty part counts as 0). "
             "Empty without consent to costs.", "euros"),
]


def _scores(client_ids: set[int]) -> tuple[dict[int, dict[str, float]], list[Variable]]:
    """The latest completed score per client, instrument, point and domain (or the whole instrument)."""
    rows = (
        MeasurementScore.objects.filter(
            measurement__client_id__in=client_ids,
            measurement__status=MeasurementStatus.COMPLETED,
            measurement__point__in=POINTS,
        )
        .select_related("measurement__instrument", "domain")
        .order_by("measurement__completed_at", "pk")
    )
    values: dict[int, dict[str, float]] = {}
    variables: dict[str, Variable] = {}
    for row in rows:
        measurement = row.measurement
        part = row.domain.code if row.domain else "total"
        name = f"score_{measurement.instrument.code}_{measurement.point}_{part}".replace("-", "_")
        if name not in variables:
            what = f"{measurement.instrument.name_en}, {row.domain.name_en if row.domain else 'whole instrument'}"
            variables[name] = Variable(
                name, "float64", f"Score of {what}, {measurement.point} of the period (latest completed). "
                "Empty without consent to questionnaires.", "the instrument's scale"
            )
        values.setdefault(measurement.client_id, {})[name] = None if row.score is None else float(row.score)
    return values, [variables[name] for name in sorted(variables)]


def export_rows(study: Study) -> tuple[list[dict], list[Variable]]:
    """The rows and the variables of the export. Raises ValueError before enrolment is final."""
    if study.status == StudyStatus.ENROLLING:
        raise ValueError("the export exists only once enrolment is final")
    scopes = consent_scopes(study)
    enrolments = list(
        Enrolment.objects.filter(study=study, client_id__in=list(scopes)).select_related("organiser").order_by("pk")
    )
    codes = dict(Client.objects.filter(pk__in=list(scopes)).values_list("pk", "personal_identity_code"))
    costs = {c.client_id: c for c in costs_per_client(study)}
    scores, score_variables = _scores({cid for cid, s in scopes.items() if ConsentScope.QUESTIONNAIRES in s})
    rows = []
    for enrolment in enrolments:
        cost = costs.get(enrolment.client_id)
        row = {
            "pseudonym": pseudonym(study, enrolment.client_id),
            "arm": enrolment.arm,
            "self_selected": enrolment.self_selected,
            "organiser": enrolment.organiser.code,
            "target_group": enrolment.target_group,
            "age_group": age_group(codes[enrolment.client_id], study.starts_on),
            "cost_services": cost.service if cost else None,
            "cost_hb": cost.hb if cost else None,
            "cost_time_use": cost.time_use if cost else None,
            "cost_total": cost.total if cost else None,
        }
        client_scores = scores.get(enrolment.client_id, {})
        for variable in score_variables:
            row[variable.name] = client_scores.get(variable.name)
        rows.append(row)
    # Sorted by pseudonym, so the order of rows tells nothing about when or in what order clients were enrolled.
    rows.sort(key=lambda row: row["pseudonym"])
    return rows, BASE_VARIABLES + COST_VARIABLES + score_variables


TEXT_VARIABLES = [
    Variable("pseudonym", "string", "The client's pseudonym in this study (as in data).", "16 hex characters"),
    Variable("kind", "string", "Where the text comes from.", "diary = a diary entry; feedback = the client's feedback"),
    Variable("role", "string", "Who wrote a diary entry (empty for feedback).", "client, hb_assistant, close_one, "
             "social_worker…"),
    Variable("month", "string", "The month it was written.", "YYYY-MM"),
    Variable("question", "string", "The diary question (in Finnish) or the feedback topic.", "text"),
    Variable("text", "string", "What was written; the clients' names and identity codes replaced by [removed].", "text"),
]
_IDENTITY_CODE = re.compile(r"\b\d{6}[-+A-FYXWVU]\d{3}[0-9A-Y]\b", re.IGNORECASE)


def _scrubber(clients):
    """Replace the study's clients' names and anything shaped like an identity code: a free text may hold them."""
    names = sorted({n for c in clients for n in (c.full_name, c.first_name, c.last_name) if len(n) > 1}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE) if names else None

    def scrub(text: str) -> str:
        text = _IDENTITY_CODE.sub("[removed]", text or "")
        return pattern.sub("[removed]", text) if pattern else text

    return scrub


def text_rows(study: Study) -> list[dict]:
    """Diary entries and feedback of the clients who consented to ``diaries`` for this study."""
    ids = {cid for cid, s in consent_scopes(study).items() if ConsentScope.DIARIES in s}
    clients = list(Client.objects.filter(pk__in=Enrolment.objects.filter(study=study).values("client_id")))
    scrub = _scrubber(clients)
    by_organiser: dict[int, list[int]] = {}
    for client in clients:
        if client.pk in ids:
            by_organiser.setdefault(client.organiser_id, []).append(client.pk)
    rows = []
    for organiser_id, client_ids in by_organiser.items():
        for entry in diary_entries_for_export(organiser_id, client_ids):
            rows.append({
                "pseudonym": pseudonym(study, entry["client_id"]),
                "kind": "diary",
                "role": entry["role"],
                "month": entry["written_on"].strftime("%Y-%m"),
                "question": scrub(entry["prompt_fi"]),
                "text": scrub(entry["text"]),
            })
        for item in feedback_for_export(organiser_id, client_ids):
            rows.append({
                "pseudonym": pseudonym(study, item["client_id"]),
                "kind": "feedback",
                "role": None,
                "month": item["submitted_at"].strftime("%Y-%m"),
                "question": scrub(str(item["topic"])),
                "text": scrub(item["text"]),
            })
    rows.sort(key=lambda row: (row["pseudonym"], row["kind"], row["month"]))
    return rows


def _arrow_type(variable: Variable):
    return {"string": pa.string(), "boolean": pa.bool_(), "float64": pa.float64()}.get(variable.type, MONEY_TYPE)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _files(rows: list[dict], variables: list[Variable]) -> tuple[bytes, str]:
    """The rows as Parquet and as CSV."""
    table = pa.table({v.name: pa.array([row[v.name] for row in rows], type=_arrow_type(v)) for v in variables})
    parquet = io.BytesIO()
    pq.write_table(table, parquet)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([v.name for v in variables])
    for row in rows:
        writer.writerow([_csv_value(row[v.name]) for v in variables])
    return parquet.getvalue(), text.getvalue()


def export_zip(study: Study) -> bytes:
    rows, variables = export_rows(study)
    data_parquet, data_csv = _files(rows, variables)
    texts_parquet, texts_csv = _files(text_rows(study), TEXT_VARIABLES)
    codebook = io.StringIO()
    writer = csv.writer(codebook, lineterminator="\n")
    writer.writerow(["file", "variable", "type", "meaning", "values"])
    for file, file_variables in (("data", variables), ("texts", TEXT_VARIABLES)):
        for v in file_variables:
            writer.writerow([file, v.name, v.type, v.meaning, v.values])
    readme = (
        f"Study {study.code}: {study.name}\n"
        f"Design: {study.design}{' (every arm is self-selected: not randomised)' if study.is_self_selected else ''}\n"
        f"Study period: {study.starts_on.isoformat()} to {study.ends_on.isoformat()}\n"
        f"Rows: {len(rows)} clients with consent in force on the day of the export\n"
        f"Arms: {', '.join(Arm.values)}\n"
        "Files: data.parquet and data.csv hold the same rows, one per client; texts.parquet and texts.csv the diary\n"
        "entries and feedback of clients who consented to them; codebook.csv explains each variable of each file.\n"
        "CSV: UTF-8, comma-separated, decimal point, empty = missing.\n"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.parquet", data_parquet)
        archive.writestr("data.csv", data_csv)
        archive.writestr("texts.parquet", texts_parquet)
        archive.writestr("texts.csv", texts_csv)
        archive.writestr("codebook.csv", codebook.getvalue())
        archive.writestr("README.txt", readme)
    return out.getvalue()
