"""The cost-effectiveness analysis of a study: HB (the intervention) against the control arm.

Each analysis is built anew from the consents in force at that moment, so a withdrawn consent leaves the client
out of the next one:

* **cost** = ``selectors.costs_per_client(study)`` total (only clients who consented to ``costs``);
* **effect** = the change of the self-assessment's whole-instrument score from the start of the follow-up to its
  end, or to the middle when the end is not answered yet (only clients who consented to ``questionnaires``).

A client in the analysis is an enrolled client whose consent in force covers costs or questionnaires; what the
consent does not cover, or what was not measured, is missing and reported per arm. ``cea.analyse`` uses the
complete cases.

The bootstrap's seed is derived from the study (see :func:`analysis_seed`), so the same data always give the same
intervals and curve, and the seed is shown on the report.
"""

import hashlib
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext_lazy as _

from avain.evaluation import cea
from avain.evaluation.models import MeasurementPoint, MeasurementScore, MeasurementStatus
from avain.evaluation.services import SELF_ASSESSMENT

from .models import Arm, ConsentScope, Enrolment, Study, StudyStatus
from .selectors import consent_scopes, costs_per_client

REPLICATES = cea.DEFAULT_REPLICATES
DEFAULT_WTP = 1000  # euros per point of the self-assessment score
MAX_WTP = 100_000
WTP_GRID_MAX = 5000
WTP_GRID_STEPS = 50

QUADRANT_LABELS = {
    cea.Quadrant.NORTH_EAST: _("north-east: more effective and more costly"),
    cea.Quadrant.SOUTH_EAST: _("south-east: dominant, more effective or cheaper and not worse in either"),
    cea.Quadrant.NORTH_WEST: _("north-west: dominated, less effective or costlier and not better in either"),
    cea.Quadrant.SOUTH_WEST: _("south-west: less effective and less costly"),
    cea.Quadrant.ORIGIN: _("no difference in cost or effect"),
}


def analysis_seed(study: Study) -> int:
    """The bootstrap's seed: the first 63 bits of SHA-256 of ``"<study seed>:cea"``.

    A seed of its own keeps the analysis's random numbers apart from the allocation's, and deriving it from the
    study's seed makes every rerun identical. A self-selected study has no seed (nothing was drawn), so its study
    id and code stand in."""
    source = f"{study.seed}:cea" if study.seed is not None else f"study-{study.pk}-{study.code}:cea"
    return int.from_bytes(hashlib.sha256(source.encode()).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class ClientOutcome:
    arm: str
    cost: float | None  # None: no consent to costs
    effect: float | None  # None: no consent to questionnaires, or no score at the start or after it


def score_changes(client_ids) -> dict[int, float]:
    """The change of each client's self-assessment total score: the latest completed score at the end (else in the
    middle) minus the latest completed score at the start. Clients without both are not in the answer; a score left
    empty because too many items were unanswered counts as not measured."""
    rows = (
        MeasurementScore.objects.filter(
            domain__isnull=True,
            score__isnull=False,
            measurement__client_id__in=list(client_ids),
            measurement__status=MeasurementStatus.COMPLETED,
            measurement__instrument__code=SELF_ASSESSMENT,
            measurement__point__in=(MeasurementPoint.START, MeasurementPoint.MIDDLE, MeasurementPoint.END),
        )
        .values_list("measurement__client_id", "measurement__point", "score")
        .order_by("measurement__completed_at", "pk")
    )
    latest: dict[int, dict[str, float]] = {}
    for client_id, point, score in rows:
        latest.setdefault(client_id, {})[point] = float(score)  # later rows overwrite: the latest wins
    changes = {}
    for client_id, scores in latest.items():
        follow_up = scores.get(MeasurementPoint.END, scores.get(MeasurementPoint.MIDDLE))
        if MeasurementPoint.START in scores and follow_up is not None:
            changes[client_id] = follow_up - scores[MeasurementPoint.START]
    return changes


def client_outcomes(study: Study, organiser_id: int | None = None) -> list[ClientOutcome]:
    """One row per enrolled client whose consent in force covers costs or questionnaires, ordered by enrolment;
    with ``organiser_id``, only that organiser's clients. Nothing before enrolment is final (the arms are hidden)."""
    if study.status == StudyStatus.ENROLLING:
        return []
    scopes = consent_scopes(study)
    in_analysis = {cid for cid, s in scopes.items() if {ConsentScope.COSTS, ConsentScope.QUESTIONNAIRES} & s}
    costs = {row.client_id: float(row.total) for row in costs_per_client(study)}
    changes = score_changes(cid for cid in in_analysis if ConsentScope.QUESTIONNAIRES in scopes[cid])
    enrolments = Enrolment.objects.filter(study=study, client_id__in=in_analysis).order_by("pk")
    if organiser_id is not None:
        enrolments = enrolments.filter(organiser_id=organiser_id)
    return [
        ClientOutcome(e.arm, costs.get(e.client_id), changes.get(e.client_id))
        for e in enrolments.values_list("client_id", "arm", named=True)
        if e.arm
    ]


def arm_data(outcomes: list[ClientOutcome], arm: str) -> cea.ArmData:
    """The arm's costs and effects for ``cea``: NaN marks a missing value."""
    rows = [o for o in outcomes if o.arm == arm]
    return cea.ArmData(
        costs=[np.nan if o.cost is None else o.cost for o in rows],
        effects=[np.nan if o.effect is None else o.effect for o in rows],
    )


def wtp_values(wtp: float) -> np.ndarray:
    """The acceptability curve's grid (0 to WTP_GRID_MAX €/point) with the chosen λ added, so its NMB gets an
    interval too."""
    return np.union1d(cea.wtp_grid(WTP_GRID_MAX, WTP_GRID_STEPS), [float(wtp)])


@dataclass(frozen=True)
class StudyAnalysis:
    study: Study
    seed: int
    replicates: int
    wtp: float
    hb: cea.ArmSummary
    control: cea.ArmSummary
    result: cea.Analysis | None  # None: an arm has fewer than two complete cases
    too_few: list[str]  # the arms with fewer than two complete cases

    @property
    def quadrant_label(self):
        return QUADRANT_LABELS[self.result.incremental.quadrant] if self.result else None

    def wtp_index(self) -> int:
        return int(np.searchsorted(self.result.bootstrap.wtp, self.wtp))

    @property
    def nmb(self) -> float:
        return float(self.result.incremental.net_monetary_benefit(self.wtp))

    @property
    def nmb_interval(self) -> tuple[float, float]:
        low, high = self.result.bootstrap.nmb_intervals[self.wtp_index()]
        return float(low), float(high)

    @property
    def probability_cost_effective(self) -> float:
        return float(self.result.bootstrap.ceac[self.wtp_index()])


def analyse_study(study: Study, *, wtp: float = DEFAULT_WTP, replicates: int = REPLICATES) -> StudyAnalysis:
    """The whole analysis of the study as the consents stand now."""
    if replicates < cea.MIN_REPLICATES:
        raise ValueError(f"at least {cea.MIN_REPLICATES} replicates")
    outcomes = client_outcomes(study)
    hb, control = arm_data(outcomes, Arm.HB), arm_data(outcomes, Arm.CONTROL)
    too_few = [
        arm for arm, data in ((Arm.HB, hb), (Arm.CONTROL, control)) if int(data.complete.sum()) < cea.MIN_COMPLETE_CASES
    ]
    seed = analysis_seed(study)
    result = None
    if not too_few:
        result = cea.analyse(hb, control, seed=seed, wtp=wtp_values(wtp), replicates=replicates)
    return StudyAnalysis(study, seed, replicates, float(wtp), cea.summarise(hb), cea.summarise(control), result, too_few)
