"""The cost-effectiveness bootstrap for 100 000 clients and 2 000 replicates, against scipy.stats.bootstrap.

Synthetic data, fixed seed: two arms of 50 000 clients each, gamma-distributed (skewed) yearly costs in euros, normally
distributed changes in the self-assessment score, a few per cent of costs and of scores missing at random.

Measured in one run, on the same data:

(a) ours: ``avain.evaluation.cea.bootstrap`` — 2 000 stratified replicates, BCa intervals (the default) of ΔC, ΔE and
    NMB(λ) over a grid of willingness-to-pay values, and the acceptability curve; the median of 3 runs;
(b) scipy: ``scipy.stats.bootstrap(method='BCa')`` (its default method) computing the same BCa intervals of ΔC, ΔE
    and NMB(λ_ref) from the same complete cases, with the same number of replicates. Each arm is one sample of shape
    (2, n) — costs in the first row, scores in the second — resampled along the last axis, so a person's cost and
    score stay together exactly as in (a); ``paired=False`` resamples the two arms independently (stratified by
    arm); ``vectorized=True`` and a batch of 50 (about 60 MB of resamples an arm; scipy uses the same batch for its
    jackknife, which leaves each person out in turn) give it its fastest path.

Both are also timed with percentile intervals (ours with ``method="percentile"``, scipy with
``method='percentile'``), which need no jackknife: that ratio shows what the resampling alone gains.

Matching results, two ways:

- the same draws: on a smaller sample of the same generator (``--check-clients``), scipy replays the row numbers our
  bootstrap draws (our chunk set to scipy's batch); its BCa intervals must equal ours to 1e-9 of their width;
- at full size the two bootstraps draw different random numbers, so their intervals agree within Monte-Carlo error,
  not exactly: each end must be within 10 % of the interval's width, and the bootstrap standard errors within 10 %
  of each other.

Ratio: cea_vs_scipy = scipy BCa seconds ÷ our median BCa seconds; cea_vs_scipy_percentile likewise for percentile
intervals. Writes bench/results/cea.json.

    .venv/bin/python bench/bench_cea.py [--clients 100000] [--replicates 2000] [--scipy-runs 1] [--check-clients 10000]
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


SCIPY_METHODS = {"bca": "BCa", "percentile": "percentile"}
SAME_DRAWS_TOLERANCE = 1e-9


def run_ours(intervention, control, replicates, wtp, method, chunk=cea.DEFAULT_CHUNK):
    started = time.perf_counter()
    result = cea.bootstrap(
        intervention, control, seed=SEED, wtp=wtp, replicates=replicates, level=LEVEL, method=method, chunk=chunk
    )
    return time.perf_counter() - started, result


class ReplayGenerator(np.random.Generator):
    """Hands scipy.stats.bootstrap the row numbers that ``cea.bootstrap`` draws with a chunk of scipy's batch:
    scipy asks, batch after batch, for the first sample's row numbers and then the second's, which is the order
    in which ``cea.draw_chunk`` returns them. Chunks are drawn when asked for, so the draws are never all in
    memory."""

    def __init__(self, seed, arm_sizes):
        super().__init__(np.random.PCG64(0))
        self._seed = seed
        self._arm_sizes = arm_sizes
        self._chunk_number = 0
        self._pending = []

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if not self._pending:
            self._pending = cea.draw_chunk(self._seed, self._chunk_number, size[0], self._arm_sizes)
            self._chunk_number += 1
        drawn = self._pending.pop(0)
        assert (low, high, tuple(size)) == (0, drawn.shape[1], drawn.shape)
        return drawn


def run_scipy(intervention, control, replicates, method, rng):
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
        method=SCIPY_METHODS[method],
        rng=rng,
    )
    return time.perf_counter() - started, result


def intervals(result, ref) -> dict:
    return {
        "delta_cost": [result.cost_interval.low, result.cost_interval.high],
        "delta_effect": [result.effect_interval.low, result.effect_interval.high],
        f"nmb_at_{WTP_REF:g}": [float(v) for v in result.nmb_intervals[ref]],
    }


def scipy_intervals(result, names) -> dict:
    low, high = result.confidence_interval
    return {name: [float(low[i]), float(high[i])] for i, name in enumerate(names)}


def largest_differences(ours: dict, theirs: dict) -> dict:
    """For each statistic, the larger of the two ends' differences, as a share of scipy's interval width."""
    differences = {}
    for name, (low, high) in theirs.items():
        worst = max(abs(a - b) for a, b in zip(ours[name], (low, high), strict=True))
        differences[name] = worst / (high - low)
    return differences


def same_draws_check(clients, replicates, wtp, ref) -> dict:
    """BCa intervals of ours and of scipy replaying our draws, on ``clients`` people of the same generator."""
    intervention, control = make_arms(clients, SEED)
    _, ours = run_ours(intervention, control, replicates, wtp, "bca", chunk=SCIPY_BATCH)
    sizes = [cea.summarise(arm).n_complete for arm in (intervention, control)]
    seconds, theirs = run_scipy(intervention, control, replicates, "bca", ReplayGenerator(SEED, sizes))
    ours_intervals = intervals(ours, ref)
    differences = largest_differences(ours_intervals, scipy_intervals(theirs, ours_intervals))
    return {
        "clients": clients,
        "complete_cases": sizes,
        "scipy_seconds": round(seconds, 3),
        "largest_difference_over_width": differences,
        "tolerance": SAME_DRAWS_TOLERANCE,
        "equal": all(d <= SAME_DRAWS_TOLERANCE for d in differences.values()),
    }


def median_seconds(run, runs, label) -> tuple[list, object]:
    seconds, result = [], None
    for _ in range(runs):
        elapsed, result = run()
        seconds.append(elapsed)
        print(f"{label}: {elapsed:.2f} s", flush=True)
    return seconds, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--scipy-runs", type=int, default=1)
    parser.add_argument("--check-clients", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "cea.json")
    args = parser.parse_args()

    intervention, control = make_arms(args.clients, SEED)
    wtp = cea.wtp_grid(WTP_MAX, WTP_STEPS)
    assert WTP_REF in wtp
    ref = int(np.flatnonzero(wtp == WTP_REF)[0])

    timings, results = {}, {}
    for method in ("bca", "percentile"):
        timings[("ours", method)], results[("ours", method)] = median_seconds(
            lambda method=method: run_ours(intervention, control, args.replicates, wtp, method),
            RUNS,
            f"ours {method}",
        )
    for method in ("bca", "percentile"):
        timings[("scipy", method)], results[("scipy", method)] = median_seconds(
            lambda method=method: run_scipy(
                intervention, control, args.replicates, method, np.random.default_rng(SEED)
            ),
            args.scipy_runs,
            f"scipy {method}",
        )
    same_draws = same_draws_check(args.check_clients, args.replicates, wtp, ref)
    print(f"same draws, {args.check_clients} clients: equal = {same_draws['equal']}", flush=True)

    figures, matches = {}, same_draws["equal"]
    for method in ("bca", "percentile"):
        ours, theirs = results[("ours", method)], results[("scipy", method)]
        ours_intervals = intervals(ours, ref)
        theirs_intervals = scipy_intervals(theirs, ours_intervals)
        differences = largest_differences(ours_intervals, theirs_intervals)
        nmb_ref = ours.wtp[ref] * ours.delta_effects - ours.delta_costs
        our_errors = [float(np.std(a, ddof=1)) for a in (ours.delta_costs, ours.delta_effects, nmb_ref)]
        scipy_errors = [float(e) for e in theirs.standard_error]
        se_gaps = [abs(a - b) / b for a, b in zip(our_errors, scipy_errors, strict=True)]
        method_matches = max(differences.values()) <= TOLERANCE and max(se_gaps) <= TOLERANCE
        matches = matches and method_matches
        figures[method] = {
            "ours_seconds": [round(s, 3) for s in timings[("ours", method)]],
            "ours_seconds_median": round(statistics.median(timings[("ours", method)]), 3),
            "scipy_seconds": [round(s, 3) for s in timings[("scipy", method)]],
            "scipy_seconds_median": round(statistics.median(timings[("scipy", method)]), 3),
            "intervals_ours": ours_intervals,
            "intervals_scipy": theirs_intervals,
            "standard_errors_ours": our_errors,
            "standard_errors_scipy": scipy_errors,
            "largest_difference_over_width": {name: round(d, 4) for name, d in differences.items()},
            "intervals_match": method_matches,
        }
    ours_bca = results[("ours", "bca")]
    figures["ceac_at_reference"] = float(ours_bca.ceac[ref])
    figures["scipy_jackknife_seconds"] = round(
        figures["bca"]["scipy_seconds_median"] - figures["percentile"]["scipy_seconds_median"], 3
    )
    figures["same_draws"] = same_draws

    def ratio(method):
        return round(figures[method]["scipy_seconds_median"] / figures[method]["ours_seconds_median"], 1)

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
            "method": "bca",
            "wtp": {"from": 0.0, "to": WTP_MAX, "values": len(wtp), "reference": WTP_REF},
            "missing": {"cost": MISSING_COST, "effect": MISSING_EFFECT},
            "runs": {"ours": RUNS, "scipy": args.scipy_runs},
            "scipy": {
                "version": scipy.__version__,
                "method": "BCa",
                "vectorized": True,
                "paired": False,
                "batch": SCIPY_BATCH,
                "samples": "one (2, n) array an arm: costs and scores resampled together along the last axis",
            },
            "check_clients": args.check_clients,
            "numpy": np.__version__,
            "tolerance": f"each interval end within {TOLERANCE:.0%} of the width; standard errors within "
            f"{TOLERANCE:.0%}; on the same draws, within {SAME_DRAWS_TOLERANCE:g} of the width",
        },
        "figures": figures,
        "ratios": {"cea_vs_scipy": ratio("bca"), "cea_vs_scipy_percentile": ratio("percentile")},
        "targets": {"cea_vs_scipy": {"min": 10}},
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1_5_15": [round(v, 2) for v in os.getloadavg()],
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["ratios"]), "intervals match" if matches else "INTERVALS DO NOT MATCH")
    return 0 if matches else 1


if __name__ == "__main__":
    sys.exit(main())
