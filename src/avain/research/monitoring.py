"""Monitoring figures for an organiser and, aggregated, across the organisers of a study.

Only counts, sums, medians and means; no names or ids. Small counts are suppressed so that no person can be
singled out:

* a count of 1 to SMALL_COUNT - 1 (1–4) is shown as "<5"; zero is shown (it singles out no one);
* a sum, median or mean over fewer than SMALL_COUNT clients is not shown;
* complementary suppression: a total is shown only when none of the parts it adds up is suppressed, so a hidden
  cell can never be recovered by subtracting the shown cells from the total. When every part is shown, each is 0
  or at least SMALL_COUNT, and so is the total.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Sum

from avain.accounts.models import SubAccount
from avain.organisations.models import Organiser
from avain.planning.models import CaseStatus, Decision, HBCase
from avain.planning.selectors import SMALL_COUNT

from . import analysis
from .models import Arm, Study, StudyStatus


def suppress(n: int) -> int | None:
    """The count, or None when it is small enough to single out a person (1 to SMALL_COUNT - 1)."""
    return None if 0 < n < SMALL_COUNT else n


def suppress_row(counts: list[int]) -> tuple[list[int | None], int | None]:
    """The row's cells with small counts suppressed, and its total: None whenever any cell is suppressed (the
    complementary suppression of the module notes)."""
    cells = [suppress(n) for n in counts]
    total = None if any(cell is None for cell in cells) else sum(counts)
    return cells, total


@dataclass(frozen=True)
class CountRow:
    label: str
    cells: list[int | None]
    total: int | None


@dataclass(frozen=True)
class BudgetRow:
    organiser: str
    clients: int | None
    granted: Decimal | None
    committed: Decimal | None
    spent: Decimal | None


@dataclass(frozen=True)
class MedianRow:
    organiser: str
    decisions: int | None
    median_days: float | None


@dataclass(frozen=True)
class OutcomeRow:
    arm: str
    clients: int | None
    mean_change: float | None


@dataclass(frozen=True)
class StudyOutcomes:
    study: Study
    rows: list[OutcomeRow]


@dataclass(frozen=True)
class Report:
    organisers: list[str]  # the columns of the journey table
    steps: list[CountRow]
    budgets: list[BudgetRow]
    budget_total: BudgetRow | None  # None: a row is suppressed, so the total would reveal it
    medians: list[MedianRow]
    median_all: MedianRow | None
    outcomes: list[StudyOutcomes]


def _step_rows(organisers: list[Organiser]) -> list[CountRow]:
    counts: dict[tuple[int, str], int] = defaultdict(int)
    rows = (
        HBCase.objects.filter(organiser__in=organisers).values_list("organiser_id", "status").annotate(n=Count("id"))
    )
    for organiser_id, status, n in rows.order_by():
        counts[(organiser_id, status)] = n
    result = []
    for status in CaseStatus:
        cells, total = suppress_row([counts[(o.pk, status.value)] for o in organisers])
        result.append(CountRow(str(status.label), cells, total))
    return result


def _budget_rows(organisers: list[Organiser]) -> tuple[list[BudgetRow], BudgetRow | None]:
    sums = {
        row["organiser_id"]: row
        for row in SubAccount.objects.filter(organiser__in=organisers)
        .values("organiser_id")
        .annotate(
            clients=Count("account__client_id", distinct=True),
            granted=Sum("granted"),
            committed=Sum("committed"),
            spent=Sum("spent"),
        )
        .order_by()
    }
    rows, shown = [], True
    totals = {"clients": 0, "granted": Decimal(0), "committed": Decimal(0), "spent": Decimal(0)}
    for organiser in organisers:
        zero = Decimal("0.00")
        row = sums.get(organiser.pk, {"clients": 0, "granted": zero, "committed": zero, "spent": zero})
        for key in totals:
            totals[key] += row[key] or 0
        if suppress(row["clients"]) is None:
            shown = False
            rows.append(BudgetRow(organiser.code, None, None, None, None))
        else:
            rows.append(BudgetRow(organiser.code, row["clients"], row["granted"], row["committed"], row["spent"]))
    total = BudgetRow("", totals["clients"], totals["granted"], totals["committed"], totals["spent"]) if shown else None
    return rows, total


def _median_rows(organisers: list[Organiser]) -> tuple[list[MedianRow], MedianRow | None]:
    days: dict[int, list[float]] = defaultdict(list)
    decided = Decision.objects.filter(organiser__in=organisers).values_list(
        "organiser_id", F("decided_at") - F("case__opened_at")
    )
    for organiser_id, waited in decided.order_by():
        days[organiser_id].append(waited.total_seconds() / 86400)
    rows, shown, pooled = [], True, []
    for organiser in organisers:
        values = days[organiser.pk]
        pooled.extend(values)
        if suppress(len(values)) is None:
            shown = False
            rows.append(MedianRow(organiser.code, None, None))
        else:
            rows.append(MedianRow(organiser.code, len(values), statistics.median(values) if values else None))
    median_all = MedianRow("", len(pooled), statistics.median(pooled) if pooled else None) if shown else None
    return rows, median_all


def _outcome_rows(study: Study, organiser_id: int | None = None) -> list[OutcomeRow]:
    outcomes = analysis.client_outcomes(study, organiser_id)
    rows = []
    for arm in Arm:
        changes = [o.effect for o in outcomes if o.arm == arm and o.effect is not None]
        if suppress(len(changes)) is None:
            rows.append(OutcomeRow(str(arm.label), None, None))
        else:
            rows.append(OutcomeRow(str(arm.label), len(changes), statistics.fmean(changes) if changes else None))
    return rows


def _report(organisers: list[Organiser], outcomes: list[StudyOutcomes]) -> Report:
    budgets, budget_total = _budget_rows(organisers)
    medians, median_all = _median_rows(organisers)
    return Report(
        [o.code for o in organisers], _step_rows(organisers), budgets, budget_total, medians, median_all, outcomes
    )


def organiser_report(organiser: Organiser) -> Report:
    """The organiser's own figures, with outcomes by arm of its clients in each study past enrolment."""
    studies = Study.objects.filter(organisers=organiser).exclude(status=StudyStatus.ENROLLING).order_by("pk")
    return _report([organiser], [StudyOutcomes(s, _outcome_rows(s, organiser.pk)) for s in studies])


def study_report(study: Study) -> Report:
    """The figures of every organiser taking part in the study, side by side, and the study's outcomes by arm."""
    organisers = list(study.organisers.order_by("code"))
    outcomes = [] if study.status == StudyStatus.ENROLLING else [StudyOutcomes(study, _outcome_rows(study))]
    return _report(organisers, outcomes)
