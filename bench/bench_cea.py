"""The cost-effectiveness bootstrap for 100 000 clients and 2 000 replicates, against scipy.stats.bootstrap.

Synthetic data, fixed seed: two arms of 50 000 clients each, gamma-distributed (skewed) yearly costs in euros, normally
distributed changes in the self-assessment score, a few per cent of costs and of scores missing at random.

Measured in one run, on the same data:

(a) ours: ``avain.evaluation.cea.bootstrap`` — 2 000 stratified replicates, percentile intervals of ΔC, ΔE and
    NMB(λ) over a grid of willingness-to-pay values, and the acceptability curve; the median of 3 runs;
(b) scipy: ``scipy.stats.bootstrap`` computing the same percentile intervals of ΔC, ΔE and NMB(λ_ref) from the same
    complete cases, with the same number of replicates. Each arm is one sample of shape (2, n) — costs in the first
    row, scores in the second — resampled along the last axis, so a person's cost and score stay together exactly
    as in (a); ``paired=False`` resamples the two arms independently (stratified by arm); ``vectorized=True`` and a
    batch of 50 replicates (about 60 MB of resamples an arm) give it its fastest path.

The two bootstraps draw different random numbers, so their intervals agree within Monte-Carlo error, not exactly:
each end must be within 10 % of the interval's width, and the bootstrap standard errors within 10 % of each other.
(The tests in src/avain/evaluation/tests/test_cea.py make scipy replay our draws and then match exactly.)

Ratio: cea_vs_scipy = scipy seconds ÷ our median seconds. Writes bench/results/cea.json.

    .venv/bin/python bench/bench_cea.py [--clients 100000] [--replicates 2000] [--scipy-runs 1]
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from avain.evaluation import cea  # noqa: E402  (after the path is set)

SEED = 20250415
RUNS = 3
LEVEL = 0.95
WTP_MAX = 5000.0  # euros for one point of the self-assessment score
WTP_STEPS = 50
WTP_REF = 1000.0
SCIPY_BATCH = 50
MISSING_COST = 0.03
MISSING_EFFECT = 0.04
TOLERANCE = 0.10


def make_arms(clients: int, seed: int) -> tuple[cea.ArmData, cea.ArmData]:
    """Two halves of ``clients``: the intervention a little dearer and a little more effective on average."""
    rng = np.random.default_rng(seed)
    arms = []
    for size, (shape, scale, effect_mean) in zip(
        (clients // 2, clients - clients // 2), ((2.0, 4200.0, 2.0), (2.0, 4000.0, 1.5)), strict=True
    ):
        costs = rng.gamma(shape, scale, size)
        effects = rng.normal(effect_mean, 6.0, size)
        costs[rng.random(size) < MISSING_COST] = np.nan
        effects[rng.random(size) < MISSING_EFFECT] = np.nan
        arms.append(cea.ArmData(costs, effects))
    return arms[0], arms[1]


def run_ours(intervention, control, replicates, wtp):
    started = time.perf_counter()
    result = cea.bootstrap(intervention, control, seed=SEED, wtp=wtp, replicates=replicates, level=LEVEL)
    return time.perf_counter() - started, result


def run_scipy(intervention, control, replicates):
    samples = [np.vstack(arm.complete_cases()) for arm in (intervention, control)]

    def statistic(treated, controls, axis=-1):
        means_treated = treated.mean(axis=axis)
        means_control = controls.mean(axis=axis)
        delta_cost = means_treated[0] - means_control[0]
        delta_effect = means_treated[1] - means_control[1]
        return np.stack([delta_cost, delta_effect, WTP_REF * delta_effect - delta_cost])

    started = time.perf_counter()
    result = stats.bootstrap(
        samples,
        statistic,
        n_resamples=replicates,
        batch=SCIPY_BATCH,
        vectorized=True,
        paired=False,
        axis=-1,
        confidence_level=LEVEL,
        method="percentile",
        rng=np.random.default_rng(SEED),
    )
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--scipy-runs", type=int, default=1)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "cea.json")
    args = parser.parse_args()

    intervention, control = make_arms(args.clients, SEED)
    wtp = cea.wtp_grid(WTP_MAX, WTP_STEPS)
    assert WTP_REF in wtp
    ref = int(np.flatnonzero(wtp == WTP_REF)[0])

    our_seconds, ours = [], None
    for _ in range(RUNS):
        seconds, ours = run_ours(intervention, control, args.replicates, wtp)
        our_seconds.append(seconds)
        print(f"ours: {seconds:.2f} s", flush=True)
    scipy_seconds, theirs = [], None
    for _ in range(args.scipy_runs):
        seconds, theirs = run_scipy(intervention, control, args.replicates)
        scipy_seconds.append(seconds)
        print(f"scipy: {seconds:.2f} s", flush=True)

    our_intervals = {
        "delta_cost": [ours.cost_interval.low, ours.cost_interval.high],
        "delta_effect": [ours.effect_interval.low, ours.effect_interval.high],
        f"nmb_at_{WTP_REF:g}": [float(v) for v in ours.nmb_intervals[ref]],
    }
    low, high = theirs.confidence_interval
    scipy_intervals = {name: [float(low[i]), float(high[i])] for i, name in enumerate(our_intervals)}
    nmb_ref = ours.wtp[ref] * ours.delta_effects - ours.delta_costs
    our_errors = [float(np.std(a, ddof=1)) for a in (ours.delta_costs, ours.delta_effects, nmb_ref)]
    scipy_errors = [float(e) for e in theirs.standard_error]
    differences = {}
    matches = True
    for i, name in enumerate(our_intervals):
        width = scipy_intervals[name][1] - scipy_intervals[name][0]
        worst = max(abs(a - b) for a, b in zip(our_intervals[name], scipy_intervals[name], strict=True)) / width
        differences[name] = round(worst, 4)
        se_gap = abs(our_errors[i] - scipy_errors[i]) / scipy_errors[i]
        matches = matches and worst <= TOLERANCE and se_gap <= TOLERANCE

    our_median = statistics.median(our_seconds)
    scipy_median = statistics.median(scipy_seconds)
    summary_treated, summary_control = cea.summarise(intervention), cea.summarise(control)
    result = {
        "name": "cea",
        "parameters": {
            "clients": args.clients,
            "arm_sizes": [summary_treated.n, summary_control.n],
            "complete_cases": [summary_treated.n_complete, summary_control.n_complete],
            "replicates": args.replicates,
            "seed": SEED,
            "chunk": cea.DEFAULT_CHUNK,
            "level": LEVEL,
            "wtp": {"from": 0.0, "to": WTP_MAX, "values": len(wtp), "reference": WTP_REF},
            "missing": {"cost": MISSING_COST, "effect": MISSING_EFFECT},
            "runs": {"ours": RUNS, "scipy": args.scipy_runs},
            "scipy": {
                "version": scipy.__version__,
                "method": "percentile",
                "vectorized": True,
                "paired": False,
                "batch": SCIPY_BATCH,
                "samples": "one (2, n) array an arm: costs and scores resampled together along the last axis",
            },
            "numpy": np.__version__,
            "tolerance": f"each interval end within {TOLERANCE:.0%} of the width; standard errors within "
            f"{TOLERANCE:.0%}",
        },
        "figures": {
            "ours_seconds": [round(s, 3) for s in our_seconds],
            "ours_seconds_median": round(our_median, 3),
            "scipy_seconds": [round(s, 3) for s in scipy_seconds],
            "scipy_seconds_median": round(scipy_median, 3),
            "intervals_ours": our_intervals,
            "intervals_scipy": scipy_intervals,
            "standard_errors_ours": our_errors,
            "standard_errors_scipy": scipy_errors,
            "largest_difference_over_width": differences,
            "intervals_match": matches,
            "ceac_at_reference": float(ours.ceac[ref]),
        },
        "ratios": {"cea_vs_scipy": round(scipy_median / our_median, 1)},
        "targets": {"cea_vs_scipy": {"min": 10}},
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["ratios"]), "intervals match" if matches else "INTERVALS DO NOT MATCH")
    return 0 if matches else 1


if __name__ == "__main__":
    sys.exit(main())
