"""Cost-effectiveness analysis of two arms: personal budgeting (the intervention) against usual care (the control).

Pure functions over immutable inputs; nothing here touches the database.

Units. Costs are float euros and effects are points of the self-assessment score (its change over the follow-up).
These are statistics, not ledger money: means, differences and bootstrap replicates are computed in float64 and
rounded only for display. The ledger's ``Decimal`` amounts are converted once, when the arm data are built.

Missing data. A person's cost or effect may be missing (``NaN``). The analysis uses complete cases: a person
counts in the means and in the bootstrap only when both their cost and their effect are known, so that cost and
effect always describe the same people and stay paired in every resample. Each arm's summary reports how many
people were left out and why (missing cost, missing effect; a person missing both counts in both). Complete-case
analysis is unbiased only when data are missing completely at random; the counts are reported so that a reader
can judge that.

Incremental results. ΔC = mean cost (intervention) − mean cost (control), ΔE likewise for effects. The ICER ΔC/ΔE
is reported only in the north-east quadrant (ΔC > 0, ΔE > 0), where it is the price of one more point of effect.
Elsewhere a ratio is misleading (a negative ICER can mean dominance or being dominated), so the quadrant is named
and the ICER is ``None``. Net monetary benefit NMB(λ) = λ·ΔE − ΔC is defined everywhere and is linear in λ, the
willingness to pay for one point of effect.

Bootstrap. Non-parametric, stratified by arm: each replicate resamples each arm's complete cases with replacement,
as many as the arm has, keeping a person's cost and effect together. Random numbers come from a PCG64 ``Generator``
derived from the recorded seed. The replicates are drawn in chunks; chunk k has its own stream (the k-th child of
``SeedSequence(seed)``) and draws the intervention arm's row numbers (chunk × n₁) and then the control arm's
(chunk × n₀) with ``Generator.integers``, so chunks can run on several cores and the replicates still depend only
on the seed and the chunk size. The acceptability curve gives, for each λ, the share of replicates with
NMB*(λ) > 0.

Intervals. By default bias-corrected and accelerated (BCa; Efron & Tibshirani 1993, ch. 14), the interval
recommended for cost-effectiveness data, whose costs are skewed (Briggs, Wonderling & Mooney 1997), and the default
of ``scipy.stats.bootstrap``. BCa takes the α₁ and α₂ quantiles of the replicates instead of α and 1 − α, where

    z₀ = Φ⁻¹(share of replicates below the estimate, ties counting half)              (median bias)
    â  = Σⱼ Σᵢ Uⱼᵢ³ / nⱼ³ / (6 · (Σⱼ Σᵢ Uⱼᵢ² / nⱼ²)^{3/2})                           (acceleration, skewness)
    α₁ = Φ(z₀ + (z₀ + z_α) / (1 − â(z₀ + z_α))),  α₂ likewise with z₁₋α,

over the arms j and their people i, with Uⱼᵢ = (nⱼ − 1)(θ̂ⱼ₍·₎ − θ̂ⱼ₍ᵢ₎) from the jackknife: θ̂ⱼ₍ᵢ₎ is the
statistic with person i left out of arm j (the other arm whole) and θ̂ⱼ₍·₎ their mean. These are exactly the
formulas of ``scipy.stats.bootstrap(method='BCa')`` for several independent samples. Every statistic here (ΔC, ΔE,
NMB(λ)) is a difference of arm means of one value per person, and a mean without person i is (n·x̄ − xᵢ)/(n − 1),
so Uⱼᵢ reduces to xᵢ − x̄ in the intervention arm and x̄ − xᵢ in the control arm: the acceleration costs one pass
over the data instead of n evaluations of the statistic. Where BCa is undefined the interval is NaN, as in scipy: a
statistic that does not vary (â = 0/0), or an estimate outside every replicate (z₀ infinite) with â ≠ 0.
``method="percentile"`` gives the plain α and 1 − α quantiles. Quantiles are linearly interpolated between order
statistics (NumPy's default, and scipy's).
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
from django.utils.translation import gettext_lazy

MIN_REPLICATES = 1000
MIN_COMPLETE_CASES = 2
DEFAULT_REPLICATES = 2000
DEFAULT_LEVEL = 0.95
METHODS = ("bca", "percentile")
DEFAULT_METHOD = "bca"
# Replicates per chunk: large enough that the per-chunk overhead is negligible, small enough that a chunk's index
# and gather arrays (chunk × arm size × 24 bytes) stay within a few tens of megabytes for 50 000 people an arm.
DEFAULT_CHUNK = 25


class InsufficientData(ValueError):
    """An arm has too few complete cases for the analysis."""


def _readonly_float_array(values) -> np.ndarray:
    array = np.array(values, dtype=np.float64, copy=True)
    if array.ndim != 1:
        raise ValueError("costs and effects must be one-dimensional")
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class ArmData:
    """One arm's people: ``costs[i]`` and ``effects[i]`` belong to the same person; ``NaN`` marks a missing value.

    The arrays are copied and made read-only, so an ``ArmData`` cannot change after it is built.
    """

    costs: np.ndarray
    effects: np.ndarray

    def __post_init__(self):
        costs = _readonly_float_array(self.costs)
        effects = _readonly_float_array(self.effects)
        if costs.shape != effects.shape:
            raise ValueError(f"costs ({costs.size}) and effects ({effects.size}) must have one value per person")
        if np.isinf(costs).any() or np.isinf(effects).any():
            raise ValueError("costs and effects must be finite or NaN (missing)")
        object.__setattr__(self, "costs", costs)
        object.__setattr__(self, "effects", effects)

    @property
    def complete(self) -> np.ndarray:
        """A boolean mask of the people with both a cost and an effect."""
        return ~(np.isnan(self.costs) | np.isnan(self.effects))

    def complete_cases(self) -> tuple[np.ndarray, np.ndarray]:
        """The costs and effects of the complete cases, in the original order."""
        mask = self.complete
        return self.costs[mask], self.effects[mask]


@dataclass(frozen=True)
class ArmSummary:
    """Counts and complete-case means of one arm. Means are ``None`` when the arm has no complete case."""

    n: int
    n_complete: int
    n_missing_cost: int
    n_missing_effect: int
    mean_cost: float | None
    mean_effect: float | None

    @classmethod
    def from_means(cls, mean_cost: float, mean_effect: float, n: int = 0) -> ArmSummary:
        """A summary known only by its means (for example from a published table)."""
        return cls(n, n, 0, 0, float(mean_cost), float(mean_effect))


def summarise(arm: ArmData) -> ArmSummary:
    costs, effects = arm.complete_cases()
    n_complete = int(costs.size)
    return ArmSummary(
        n=int(arm.costs.size),
        n_complete=n_complete,
        n_missing_cost=int(np.isnan(arm.costs).sum()),
        n_missing_effect=int(np.isnan(arm.effects).sum()),
        mean_cost=float(costs.mean()) if n_complete else None,
        mean_effect=float(effects.mean()) if n_complete else None,
    )


class Quadrant(enum.Enum):
    """Where (ΔE, ΔC) falls on the cost-effectiveness plane: effect on the x axis, cost on the y axis."""

    NORTH_EAST = "north-east"  # more effective and more costly: the ICER is the price of the extra effect
    SOUTH_EAST = "south-east"  # at least as effective and cheaper, or more effective at no extra cost: dominant
    NORTH_WEST = "north-west"  # at most as effective and at least as costly (not both equal): dominated
    SOUTH_WEST = "south-west"  # less effective and cheaper: savings bought with lost effect
    ORIGIN = "origin"  # the same mean cost and the same mean effect

    @property
    def label(self) -> str:
        return str(_QUADRANT_LABELS[self])


# Shown to researchers: translated when shown (lazily), in the reader's language.
_QUADRANT_LABELS = {
    Quadrant.NORTH_EAST: gettext_lazy("more effective, more costly"),
    Quadrant.SOUTH_EAST: gettext_lazy("dominant: more effective or cheaper, and not worse in either"),
    Quadrant.NORTH_WEST: gettext_lazy("dominated: less effective or costlier, and not better in either"),
    Quadrant.SOUTH_WEST: gettext_lazy("less effective, less costly"),
    Quadrant.ORIGIN: gettext_lazy("no difference in cost or effect"),
}


def quadrant(delta_cost: float, delta_effect: float) -> Quadrant:
    if delta_effect > 0:
        return Quadrant.NORTH_EAST if delta_cost > 0 else Quadrant.SOUTH_EAST
    if delta_effect < 0:
        return Quadrant.SOUTH_WEST if delta_cost < 0 else Quadrant.NORTH_WEST
    # Equal effects: cheaper is still dominant, dearer is dominated.
    if delta_cost < 0:
        return Quadrant.SOUTH_EAST
    if delta_cost > 0:
        return Quadrant.NORTH_WEST
    return Quadrant.ORIGIN


@dataclass(frozen=True)
class Incremental:
    """Intervention minus control. ``icer`` is ``None`` outside the north-east quadrant (see the module notes)."""

    delta_cost: float
    delta_effect: float
    quadrant: Quadrant
    icer: float | None

    def net_monetary_benefit(self, wtp):
        return net_monetary_benefit(self.delta_cost, self.delta_effect, wtp)


def incremental(intervention: ArmSummary, control: ArmSummary) -> Incremental:
    for name, arm in (("intervention", intervention), ("control", control)):
        if arm.mean_cost is None or arm.mean_effect is None:
            raise InsufficientData(f"the {name} arm has no complete case (both cost and effect known)")
    delta_cost = intervention.mean_cost - control.mean_cost
    delta_effect = intervention.mean_effect - control.mean_effect
    where = quadrant(delta_cost, delta_effect)
    icer = delta_cost / delta_effect if where is Quadrant.NORTH_EAST else None
    return Incremental(delta_cost, delta_effect, where, icer)


def net_monetary_benefit(delta_cost, delta_effect, wtp):
    """NMB(λ) = λ·ΔE − ΔC for a willingness to pay λ (a number or an array of them; arrays broadcast)."""
    return np.multiply(wtp, delta_effect) - delta_cost


def wtp_grid(maximum: float, steps: int = 50) -> np.ndarray:
    """``steps`` + 1 evenly spaced willingness-to-pay values from 0 to ``maximum``."""
    if maximum <= 0 or steps < 1:
        raise ValueError("the grid needs a positive maximum and at least one step")
    return np.linspace(0.0, float(maximum), steps + 1)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class BootstrapResult:
    """The replicates and what is derived from them. Arrays are read-only.

    ``delta_costs[b]`` and ``delta_effects[b]`` are replicate b's ΔC* and ΔE* (the points of the CE plane).
    ``nmb_intervals[k]`` is the (low, high) interval of NMB*(``wtp[k]``) and ``ceac[k]`` the share of replicates
    with NMB*(``wtp[k]``) > 0. ``method`` says how the intervals were computed: "bca" or "percentile".
    """

    seed: int
    replicates: int
    chunk: int
    level: float
    delta_costs: np.ndarray
    delta_effects: np.ndarray
    cost_interval: Interval
    effect_interval: Interval
    wtp: np.ndarray
    nmb_intervals: np.ndarray
    ceac: np.ndarray
    quadrant_shares: dict = field(default_factory=dict)
    method: str = DEFAULT_METHOD

    @property
    def share_cheaper(self) -> float:
        """The share of replicates with ΔC* < 0: the acceptability curve's value at λ = 0."""
        return float(np.mean(self.delta_costs < 0))

    @property
    def share_more_effective(self) -> float:
        """The share of replicates with ΔE* > 0: the acceptability curve's limit as λ grows without bound."""
        return float(np.mean(self.delta_effects > 0))


def percentile_interval(values: np.ndarray, level: float, axis: int = -1) -> np.ndarray:
    """The percentile interval: the (1−level)/2 and (1+level)/2 quantiles, linearly interpolated (as NumPy's
    default and ``scipy.stats.bootstrap(method='percentile')``). Returns an array with a last axis of (low, high)."""
    alpha = (1.0 - level) / 2.0
    quantiles = np.quantile(values, [alpha, 1.0 - alpha], axis=axis)
    return np.moveaxis(quantiles, 0, -1)


_STANDARD_NORMAL = NormalDist()


def _normal_cdf(x) -> np.ndarray:
    # Φ(x) = erfc(−x/√2)/2 keeps the lower tail accurate; ±∞ give 0 and 1 and NaN stays NaN, as scipy's ndtr.
    x = np.asarray(x, dtype=np.float64)
    return np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x.ravel()]).reshape(x.shape)


def _normal_quantile(p) -> np.ndarray:
    # Φ⁻¹ with scipy's ndtri conventions at the ends (0 → −∞, 1 → +∞), which BCa's formulas rely on.
    def one(v: float) -> float:
        if math.isnan(v):
            return math.nan
        if v <= 0.0:
            return -math.inf
        if v >= 1.0:
            return math.inf
        return _STANDARD_NORMAL.inv_cdf(v)

    p = np.asarray(p, dtype=np.float64)
    return np.array([one(v) for v in p.ravel()]).reshape(p.shape)


def bias_correction(replicates: np.ndarray, estimate) -> np.ndarray:
    """BCa's z₀ for each row of ``replicates`` (replicates along the last axis) and its ``estimate``: Φ⁻¹ of the
    share of replicates below the estimate, a replicate equal to it counting half (scipy's rule)."""
    replicates = np.asarray(replicates, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)[..., np.newaxis]
    below_twice = np.count_nonzero(replicates < estimate, axis=-1) + np.count_nonzero(replicates <= estimate, axis=-1)
    return _normal_quantile(below_twice / (2 * replicates.shape[-1]))


def jackknife_acceleration(treated: np.ndarray, control: np.ndarray) -> float:
    """BCa's acceleration â of the statistic mean(``treated``) − mean(``control``), one value per person in each
    arm (a cost, an effect, or λ·effect − cost), from the closed-form jackknife (see the module notes): the
    intervention arm's Uᵢ = xᵢ − x̄, the control arm's Uᵢ = x̄ − xᵢ. NaN when the statistic does not vary."""
    numerator = 0.0
    denominator = 0.0
    for sign, values in ((1.0, treated), (-1.0, control)):
        values = np.asarray(values, dtype=np.float64)
        n = values.size
        deviations = sign * (values - values.mean())
        squares = deviations * deviations
        numerator += float(np.sum(squares * deviations)) / n**3
        denominator += float(np.sum(squares)) / n**2
    scale = denominator**1.5
    if scale == 0.0:  # the statistic does not vary, or varies so little that the power underflows
        return math.nan
    return numerator / (6.0 * scale)


def bca_interval(replicates: np.ndarray, estimate, acceleration, level: float) -> np.ndarray:
    """The BCa interval of each row of ``replicates`` (replicates along the last axis) given the row's point
    ``estimate`` and ``acceleration``. Returns an array with a last axis of (low, high); NaN where scipy's
    arithmetic gives NaN (â undefined, or z₀ infinite with â ≠ 0)."""
    replicates = np.asarray(replicates, dtype=np.float64)
    rows = replicates.reshape(-1, replicates.shape[-1])
    z0 = bias_correction(rows, np.ravel(estimate))
    acceleration = np.broadcast_to(np.asarray(acceleration, dtype=np.float64), z0.shape)
    z_alpha = float(_normal_quantile((1.0 - level) / 2.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        # Infinite z₀ or NaN â propagate to NaN (or to 0 or 1) exactly as in scipy's arithmetic.
        low_sum = z0 + z_alpha
        high_sum = z0 - z_alpha
        alpha_low = _normal_cdf(z0 + low_sum / (1.0 - acceleration * low_sum))
        alpha_high = _normal_cdf(z0 + high_sum / (1.0 - acceleration * high_sum))
    intervals = np.full((rows.shape[0], 2), np.nan)
    for k, row in enumerate(rows):
        if not (math.isnan(alpha_low[k]) or math.isnan(alpha_high[k])):
            intervals[k] = np.quantile(row, [alpha_low[k], alpha_high[k]])
    return intervals.reshape(replicates.shape[:-1] + (2,))


def _check_arm(name: str, arm: ArmData) -> tuple[np.ndarray, np.ndarray]:
    costs, effects = arm.complete_cases()
    if costs.size < MIN_COMPLETE_CASES:
        raise InsufficientData(
            f"the {name} arm has {costs.size} complete case(s) (both cost and effect known); "
            f"the bootstrap needs at least {MIN_COMPLETE_CASES}"
        )
    return costs, effects


def _resampled_means(values: np.ndarray, indices: np.ndarray) -> np.ndarray:
    # Costs and effects travel as one complex number per person (cost + i·effect), so one gather fetches both
    # and one sum gives both totals; the sum is a plain float64 sum of each part.
    return np.take(values, indices).sum(axis=1) / indices.shape[1]


def chunk_starts(replicates: int, chunk: int) -> range:
    return range(0, replicates, chunk)


def draw_chunk(seed: int, chunk_number: int, size: int, arm_sizes: Sequence[int]) -> list[np.ndarray]:
    """The resampling indices of one chunk: for each arm in order, a (size × arm size) array of row numbers drawn
    uniformly with replacement. Chunk k uses its own PCG64 stream, the k-th child of ``SeedSequence(seed)``, so
    chunks can be drawn in any order or in parallel and still give the same replicates."""
    child = np.random.SeedSequence(seed, spawn_key=(chunk_number,))
    rng = np.random.Generator(np.random.PCG64(child))
    return [rng.integers(0, arm_size, (size, arm_size)) for arm_size in arm_sizes]


def _workers() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def bootstrap_replicates(
    intervention: ArmData,
    control: ArmData,
    *,
    seed: int,
    replicates: int = DEFAULT_REPLICATES,
    chunk: int = DEFAULT_CHUNK,
) -> tuple[np.ndarray, np.ndarray]:
    """ΔC* and ΔE* of ``replicates`` stratified bootstrap replicates. Replicate b is fixed by the seed, the chunk
    size and b; it does not depend on how many threads computed it."""
    if replicates < MIN_REPLICATES:
        raise ValueError(f"a bootstrap needs at least {MIN_REPLICATES} replicates, not {replicates}")
    if chunk < 1:
        raise ValueError("the chunk must hold at least one replicate")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError("the seed must be a non-negative integer")
    arms = []
    for name, arm in (("intervention", intervention), ("control", control)):
        costs, effects = _check_arm(name, arm)
        arms.append(costs + 1j * effects)
    arm_sizes = [arm.size for arm in arms]
    deltas = np.empty(replicates, dtype=np.complex128)

    def compute(chunk_number: int, start: int) -> None:
        size = min(chunk, replicates - start)
        treated_indices, control_indices = draw_chunk(seed, chunk_number, size, arm_sizes)
        deltas[start : start + size] = _resampled_means(arms[0], treated_indices) - _resampled_means(
            arms[1], control_indices
        )

    # NumPy releases the GIL while drawing, gathering and summing, so threads use every core. A bounded number
    # of chunks in flight bounds memory whatever the number of replicates.
    workers = _workers()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        for chunk_number, start in enumerate(chunk_starts(replicates, chunk)):
            pending.append(pool.submit(compute, chunk_number, start))
            if len(pending) >= 2 * workers:
                pending.pop(0).result()
        for job in pending:
            job.result()
    return np.ascontiguousarray(deltas.real), np.ascontiguousarray(deltas.imag)


def bootstrap(
    intervention: ArmData,
    control: ArmData,
    *,
    seed: int,
    wtp: Sequence[float] | np.ndarray,
    replicates: int = DEFAULT_REPLICATES,
    level: float = DEFAULT_LEVEL,
    chunk: int = DEFAULT_CHUNK,
    method: str = DEFAULT_METHOD,
) -> BootstrapResult:
    """The stratified bootstrap: replicates, intervals of ΔC, ΔE and NMB(λ) (``method`` "bca", the default, or
    "percentile"), and the acceptability curve over ``wtp``."""
    if not 0 < level < 1:
        raise ValueError("the confidence level must be between 0 and 1")
    if method not in METHODS:
        raise ValueError(f"the interval method must be one of {', '.join(METHODS)}, not {method!r}")
    wtp = np.array(wtp, dtype=np.float64, ndmin=1)
    if wtp.ndim != 1 or not np.isfinite(wtp).all() or (wtp < 0).any():
        raise ValueError("willingness-to-pay values must be finite and non-negative")
    delta_costs, delta_effects = bootstrap_replicates(
        intervention, control, seed=seed, replicates=replicates, chunk=chunk
    )
    # One row per λ; 2 000 replicates × a few dozen λ values is small.
    nmb = net_monetary_benefit(delta_costs[np.newaxis, :], delta_effects[np.newaxis, :], wtp[:, np.newaxis])
    if method == "percentile":
        cost_low, cost_high = percentile_interval(delta_costs, level)
        effect_low, effect_high = percentile_interval(delta_effects, level)
        nmb_intervals = percentile_interval(nmb, level, axis=1)
    else:
        (treated_costs, treated_effects), (control_costs, control_effects) = (
            _check_arm("intervention", intervention),
            _check_arm("control", control),
        )
        delta_cost = treated_costs.mean() - control_costs.mean()
        delta_effect = treated_effects.mean() - control_effects.mean()
        cost_low, cost_high = bca_interval(
            delta_costs, delta_cost, jackknife_acceleration(treated_costs, control_costs), level
        )
        effect_low, effect_high = bca_interval(
            delta_effects, delta_effect, jackknife_acceleration(treated_effects, control_effects), level
        )
        accelerations = [
            jackknife_acceleration(value * treated_effects - treated_costs, value * control_effects - control_costs)
            for value in wtp
        ]
        nmb_intervals = bca_interval(
            nmb, net_monetary_benefit(delta_cost, delta_effect, wtp), accelerations, level
        )
    ceac = (nmb > 0).mean(axis=1)
    shares = {}
    for where in Quadrant:
        shares[where] = 0.0
    for where, count in zip(*np.unique(_quadrants(delta_costs, delta_effects), return_counts=True), strict=True):
        shares[Quadrant(where)] = count / replicates
    for array in (delta_costs, delta_effects, wtp, nmb_intervals, ceac):
        array.setflags(write=False)
    return BootstrapResult(
        seed=seed,
        replicates=replicates,
        chunk=chunk,
        level=level,
        delta_costs=delta_costs,
        delta_effects=delta_effects,
        cost_interval=Interval(float(cost_low), float(cost_high)),
        effect_interval=Interval(float(effect_low), float(effect_high)),
        wtp=wtp,
        nmb_intervals=nmb_intervals,
        ceac=ceac,
        quadrant_shares=shares,
        method=method,
    )


def _quadrants(delta_costs: np.ndarray, delta_effects: np.ndarray) -> np.ndarray:
    """The quadrant's value of each replicate, with the same rules as :func:`quadrant`."""
    names = np.full(delta_costs.shape, Quadrant.ORIGIN.value, dtype=object)
    names[(delta_effects > 0) & (delta_costs > 0)] = Quadrant.NORTH_EAST.value
    names[((delta_effects > 0) & (delta_costs <= 0)) | ((delta_effects == 0) & (delta_costs < 0))] = (
        Quadrant.SOUTH_EAST.value
    )
    names[((delta_effects < 0) & (delta_costs >= 0)) | ((delta_effects == 0) & (delta_costs > 0))] = (
        Quadrant.NORTH_WEST.value
    )
    names[(delta_effects < 0) & (delta_costs < 0)] = Quadrant.SOUTH_WEST.value
    return names


@dataclass(frozen=True)
class Analysis:
    """Everything the report shows: per-arm summaries, the point estimates and the bootstrap."""

    intervention: ArmSummary
    control: ArmSummary
    incremental: Incremental
    bootstrap: BootstrapResult

    def nmb_point(self) -> np.ndarray:
        """NMB(λ) of the point estimates at each λ of the bootstrap's grid."""
        return self.incremental.net_monetary_benefit(self.bootstrap.wtp)


def analyse(
    intervention: ArmData,
    control: ArmData,
    *,
    seed: int,
    wtp: Sequence[float] | np.ndarray,
    replicates: int = DEFAULT_REPLICATES,
    level: float = DEFAULT_LEVEL,
    chunk: int = DEFAULT_CHUNK,
    method: str = DEFAULT_METHOD,
) -> Analysis:
    """The whole analysis of two arms. Refuses an arm with fewer than two complete cases and fewer than
    :data:`MIN_REPLICATES` replicates."""
    for name, arm in (("intervention", intervention), ("control", control)):
        _check_arm(name, arm)
    treated_summary = summarise(intervention)
    control_summary = summarise(control)
    return Analysis(
        intervention=treated_summary,
        control=control_summary,
        incremental=incremental(treated_summary, control_summary),
        bootstrap=bootstrap(
            intervention,
            control,
            seed=seed,
            wtp=wtp,
            replicates=replicates,
            level=level,
            chunk=chunk,
            method=method,
        ),
    )


def display_round(value: float | None, places: int = 2) -> str:
    """A number for display, rounded to ``places`` decimals with thin-space thousands; "–" for ``None`` or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{places}f}".replace(",", "\u202f")
