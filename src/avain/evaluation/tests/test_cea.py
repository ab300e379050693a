"""The cost-effectiveness analysis: published examples, agreement with scipy.stats.bootstrap, and properties."""

import math
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from avain.evaluation import cea
from avain.evaluation.cea import ArmData, ArmSummary, Quadrant

WTP = cea.wtp_grid(50_000, 10)


def arm(rng, n, cost_scale=1000.0, effect_mean=0.5):
    return ArmData(rng.gamma(2.0, cost_scale, n), rng.normal(effect_mean, 1.0, n))


@pytest.fixture(scope="module")
def arms():
    rng = np.random.default_rng(2024)
    return arm(rng, 120, 1100.0, 0.8), arm(rng, 90, 1000.0, 0.5)


class TestPublishedExamples:
    """Deterministic parts checked against two published cost-effectiveness analyses.

    1. Fenwick E, Marshall DA, Levy AR, Nichol G. Using and interpreting cost-effectiveness acceptability curves:
       an example using data from a trial of management strategies for atrial fibrillation. BMC Health Services
       Research 2006;6:52. doi:10.1186/1472-6963-6-52 (a teaching paper on the AFFIRM trial). Abstract, Results:
       "The base case point estimate for the difference in effects and costs between rate and rhythm-control is
       0.08 years (95% CI: -0.1 years to 0.24 years) and -US$5,077". Rate control is therefore cheaper and more
       effective: it dominates rhythm control (the paper's base case), no ICER is reported, and its net monetary
       benefit 0.08·λ + 5 077 is positive at every willingness to pay λ ≥ 0. The same numbers from rhythm
       control's side are the dominated quadrant.

    2. Andronis L, Bryan S, et al. (DAMASK Trial Team). The cost-effectiveness of MRI of the knee for patients
       presenting in primary care. British Journal of General Practice (PubMed Central PMC2576309). Abstract,
       Results: early MRI costs £294 more per patient and yields 0.050 more QALYs; "Mean differences in cost and
       QALYs generated an incremental cost per QALY gained of £5840"; at £20 000 per QALY it is judged cost-
       effective. The published increments are rounded (to £1 and to 0.001 QALY) while the published ICER was
       computed from unrounded means, so the test checks that 5840 lies within the ICERs the rounded increments
       allow, and that the NMB at £20 000 is positive.
    """

    def test_affirm_rate_control_dominates_rhythm_control(self):
        # Only the differences are published; the control arm's own means do not change them.
        rhythm = ArmSummary.from_means(mean_cost=20_000.0, mean_effect=3.0)
        rate = ArmSummary.from_means(mean_cost=20_000.0 - 5077.0, mean_effect=3.0 + 0.08)
        result = cea.incremental(rate, rhythm)
        assert result.delta_cost == pytest.approx(-5077.0)
        assert result.delta_effect == pytest.approx(0.08)
        assert result.quadrant is Quadrant.SOUTH_EAST
        assert result.icer is None
        nmb = result.net_monetary_benefit(np.array([0.0, 50_000.0, 100_000.0]))
        np.testing.assert_allclose(nmb, [5077.0, 0.08 * 50_000 + 5077.0, 0.08 * 100_000 + 5077.0])
        assert (nmb > 0).all()

        reverse = cea.incremental(rhythm, rate)
        assert reverse.quadrant is Quadrant.NORTH_WEST
        assert reverse.icer is None
        assert (reverse.net_monetary_benefit(np.array([0.0, 1e6])) < 0).all()

    def test_damask_early_mri_icer_and_nmb(self):
        orthopaedics = ArmSummary.from_means(mean_cost=1000.0, mean_effect=1.0)
        mri = ArmSummary.from_means(mean_cost=1000.0 + 294.0, mean_effect=1.0 + 0.050)
        result = cea.incremental(mri, orthopaedics)
        assert result.quadrant is Quadrant.NORTH_EAST
        assert result.icer == pytest.approx(294.0 / 0.050)
        lowest = cea.incremental(
            ArmSummary.from_means(1000.0 + 293.5, 1.0 + 0.0505), orthopaedics
        ).icer
        highest = cea.incremental(
            ArmSummary.from_means(1000.0 + 294.5, 1.0 + 0.0495), orthopaedics
        ).icer
        assert lowest <= 5840 <= highest
        assert result.net_monetary_benefit(20_000.0) == pytest.approx(20_000 * 0.050 - 294.0)
        assert result.net_monetary_benefit(20_000.0) > 0
        # NMB crosses zero at the ICER: below it the intervention is not cost-effective, above it it is.
        assert result.net_monetary_benefit(result.icer) == pytest.approx(0.0, abs=1e-9)

    def test_arm_means_are_complete_case_means(self):
        data = ArmData([100.0, 200.0, np.nan, 400.0], [1.0, np.nan, 3.0, 5.0])
        summary = cea.summarise(data)
        assert (summary.n, summary.n_complete, summary.n_missing_cost, summary.n_missing_effect) == (4, 2, 1, 1)
        assert summary.mean_cost == pytest.approx(250.0)
        assert summary.mean_effect == pytest.approx(3.0)


class TestQuadrants:
    @pytest.mark.parametrize(
        ("delta_cost", "delta_effect", "expected"),
        [
            (10.0, 1.0, Quadrant.NORTH_EAST),
            (-10.0, 1.0, Quadrant.SOUTH_EAST),
            (0.0, 1.0, Quadrant.SOUTH_EAST),
            (-10.0, 0.0, Quadrant.SOUTH_EAST),
            (10.0, -1.0, Quadrant.NORTH_WEST),
            (0.0, -1.0, Quadrant.NORTH_WEST),
            (10.0, 0.0, Quadrant.NORTH_WEST),
            (-10.0, -1.0, Quadrant.SOUTH_WEST),
            (0.0, 0.0, Quadrant.ORIGIN),
        ],
    )
    def test_quadrant_and_icer(self, delta_cost, delta_effect, expected):
        control = ArmSummary.from_means(0.0, 0.0)
        result = cea.incremental(ArmSummary.from_means(delta_cost, delta_effect), control)
        assert result.quadrant is expected
        assert (result.icer is not None) == (expected is Quadrant.NORTH_EAST)


class ReplayGenerator(np.random.Generator):
    """A Generator that hands scipy.stats.bootstrap the very row numbers our bootstrap drew, in scipy's order
    (for each batch: the first sample's, then the second's)."""

    def __init__(self, draws):
        super().__init__(np.random.PCG64(0))
        self._draws = list(draws)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        drawn = self._draws.pop(0)
        assert (low, high, tuple(size)) == (0, drawn.shape[1], drawn.shape)
        return drawn


def scipy_bootstrap(intervention, control, replicates, batch, rng, wtp=20_000.0, method="percentile"):
    samples = [np.vstack(a.complete_cases()) for a in (intervention, control)]

    def statistic(treated, controls, axis=-1):
        difference = treated.mean(axis=axis) - controls.mean(axis=axis)
        return np.stack([difference[0], difference[1], wtp * difference[1] - difference[0]])

    return stats.bootstrap(
        samples, statistic, n_resamples=replicates, batch=batch, vectorized=True, paired=False, axis=-1,
        method=method, confidence_level=0.95, rng=rng,
    )


def our_draws(arms, seed, replicates, chunk):
    """The row numbers our bootstrap draws, chunk after chunk, intervention arm first."""
    sizes = [cea.summarise(a).n_complete for a in arms]
    draws = []
    for number, start in enumerate(cea.chunk_starts(replicates, chunk)):
        draws.extend(cea.draw_chunk(seed, number, min(chunk, replicates - start), sizes))
    return draws


def with_missing(rng, data, share=0.1):
    """A copy of ``data`` with about ``share`` of its costs and of its effects missing."""
    costs, effects = data.costs.copy(), data.effects.copy()
    costs[rng.random(costs.size) < share] = np.nan
    effects[rng.random(effects.size) < share] = np.nan
    return ArmData(costs, effects)


def intervals_of(result, k=0):
    return np.array(
        [
            [result.cost_interval.low, result.cost_interval.high],
            [result.effect_interval.low, result.effect_interval.high],
            result.nmb_intervals[k],
        ]
    )


class TestAgainstScipy:
    def test_same_draws_give_the_same_replicates_and_intervals(self, arms):
        intervention, control = arms
        replicates, chunk, seed = 1000, 40, 11
        ours = cea.bootstrap(
            intervention, control, seed=seed, wtp=[20_000.0], replicates=replicates, chunk=chunk, method="percentile"
        )
        draws = our_draws(arms, seed, replicates, chunk)
        theirs = scipy_bootstrap(intervention, control, replicates, chunk, ReplayGenerator(draws))
        distribution = theirs.bootstrap_distribution
        np.testing.assert_allclose(distribution[0], ours.delta_costs, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(distribution[1], ours.delta_effects, rtol=1e-12, atol=1e-12)
        low, high = theirs.confidence_interval
        np.testing.assert_allclose([low[0], high[0]], [ours.cost_interval.low, ours.cost_interval.high], rtol=1e-10)
        np.testing.assert_allclose(
            [low[1], high[1]], [ours.effect_interval.low, ours.effect_interval.high], rtol=1e-10
        )
        np.testing.assert_allclose([low[2], high[2]], ours.nmb_intervals[0], rtol=1e-10)

    @pytest.mark.parametrize("seed", [11, 12, 13, 14])
    def test_bca_on_the_same_draws_equals_scipys_bca(self, seed):
        """Both arms with missing costs and effects, of different sizes; scipy replays our draws and computes its
        jackknife by brute force (leaving each person out in turn)."""
        rng = np.random.default_rng(seed)
        data = (
            with_missing(rng, arm(rng, 70 + seed, 1100.0, 0.8)),
            with_missing(rng, arm(rng, 55 + 2 * seed, 1000.0, 0.5)),
        )
        replicates, chunk = 1000, 40
        ours = cea.bootstrap(*data, seed=seed, wtp=[20_000.0], replicates=replicates, chunk=chunk)
        assert ours.method == "bca"
        theirs = scipy_bootstrap(
            *data, replicates, chunk, ReplayGenerator(our_draws(data, seed, replicates, chunk)), method="BCa"
        )
        np.testing.assert_allclose(theirs.bootstrap_distribution[0], ours.delta_costs, rtol=1e-12, atol=1e-9)
        low, high = theirs.confidence_interval
        expected = np.column_stack([low, high])
        assert np.isfinite(expected).all()
        np.testing.assert_allclose(intervals_of(ours), expected, rtol=1e-9)
        # BCa moves the ends: the comparison would not notice if our BCa were the percentile interval.
        percentile = cea.bootstrap(
            *data, seed=seed, wtp=[20_000.0], replicates=replicates, chunk=chunk, method="percentile"
        )
        assert not np.allclose(intervals_of(percentile), expected, rtol=1e-6)

    @pytest.mark.parametrize("method", ["percentile", "bca"])
    def test_independent_draws_agree_within_monte_carlo_error(self, arms, method):
        intervention, control = arms
        ours = cea.bootstrap(intervention, control, seed=5, wtp=[20_000.0], replicates=4000, method=method)
        theirs = scipy_bootstrap(
            intervention, control, 4000, 500, np.random.default_rng(6), method={"bca": "BCa"}.get(method, method)
        )
        low, high = theirs.confidence_interval
        for k, (our_low, our_high) in enumerate(
            [
                (ours.cost_interval.low, ours.cost_interval.high),
                (ours.effect_interval.low, ours.effect_interval.high),
                tuple(ours.nmb_intervals[0]),
            ]
        ):
            width = high[k] - low[k]
            # The Monte-Carlo error of a 2.5 % quantile over 4 000 replicates is about 1.5 % of the width;
            # two independent runs differ by about 2 %: 10 % is five standard errors and more.
            assert abs(our_low - low[k]) < 0.10 * width
            assert abs(our_high - high[k]) < 0.10 * width


def brute_force_acceleration(treated, control):
    """scipy's acceleration for several independent samples, by leaving each person out in turn."""
    numerator = denominator = 0.0
    for j, values in enumerate((treated, control)):
        n = values.size
        left_out = np.array(
            [
                np.delete(values, i).mean() - control.mean() if j == 0 else treated.mean() - np.delete(values, i).mean()
                for i in range(n)
            ]
        )
        u = (n - 1) * (left_out.mean() - left_out)
        numerator += np.sum(u**3) / n**3
        denominator += np.sum(u**2) / n**2
    return numerator / (6 * denominator**1.5)


class TestBCa:
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_the_analytic_jackknife_equals_the_brute_force_one(self, seed):
        rng = np.random.default_rng(seed)
        treated = rng.gamma(1.5, 1000.0, 40 + seed)
        control = rng.lognormal(6.0, 1.0, 30)
        for a, b in ((treated, control), (control, treated), (0.2 * treated[:25] - control[:25], rng.normal(0, 1, 7))):
            expected = brute_force_acceleration(a, b)
            assert expected != 0
            assert cea.jackknife_acceleration(a, b) == pytest.approx(expected, rel=1e-9)

    def test_a_symmetric_unbiased_distribution_gives_the_percentile_interval(self):
        """z₀ = 0 (as many replicates on each side of the estimate) and â = 0 make α₁ = α and α₂ = 1 − α."""
        rng = np.random.default_rng(4)
        half = rng.normal(0.0, 1.0, 1500)
        replicates = 10.0 + np.concatenate([half, -half])
        assert cea.bias_correction(replicates, 10.0) == 0.0
        np.testing.assert_allclose(
            cea.bca_interval(replicates, 10.0, 0.0, 0.95), cea.percentile_interval(replicates, 0.95), rtol=1e-12
        )

    def test_symmetric_data_give_nearly_the_percentile_interval(self):
        """Arms mirrored about their means have no skewness, so â = 0, and the bootstrap distribution of a mean
        difference is centred on the estimate, so z₀ is zero up to Monte-Carlo error (about ±0.02 with 4 000
        replicates, which moves an end by about 1 % of the width)."""
        rng = np.random.default_rng(9)
        data = []
        for n in (200, 150):
            costs, effects = rng.gamma(2.0, 1000.0, n), rng.normal(0.5, 1.0, n)
            data.append(ArmData(np.concatenate([costs, -costs]), np.concatenate([effects, -effects])))
        costs_treated, costs_control = (d.costs for d in data)
        assert cea.jackknife_acceleration(costs_treated, costs_control) == pytest.approx(0.0, abs=1e-12)
        bca = cea.bootstrap(*data, seed=3, wtp=[1000.0], replicates=4000)
        percentile = cea.bootstrap(*data, seed=3, wtp=[1000.0], replicates=4000, method="percentile")
        widths = np.diff(intervals_of(percentile), axis=1)
        assert (np.abs(intervals_of(bca) - intervals_of(percentile)) < 0.05 * widths).all()

    def test_skewed_costs_move_the_interval_towards_the_long_tail(self, arms):
        """Right-skewed costs in the intervention arm give â > 0, which shifts both ends of ΔC upwards."""
        rng = np.random.default_rng(12)
        data = (ArmData(rng.lognormal(7.0, 1.2, 80), rng.normal(0, 1, 80)), ArmData(rng.normal(1000, 50, 80),
                rng.normal(0, 1, 80)))
        assert cea.jackknife_acceleration(data[0].costs, data[1].costs) > 0.02
        bca = cea.bootstrap(*data, seed=2, wtp=[0.0], replicates=4000)
        percentile = cea.bootstrap(*data, seed=2, wtp=[0.0], replicates=4000, method="percentile")
        assert bca.cost_interval.low > percentile.cost_interval.low
        assert bca.cost_interval.high > percentile.cost_interval.high

    def test_a_statistic_that_does_not_vary_has_no_bca_interval(self):
        constant = ArmData([5.0, 5.0, 5.0], [1.0, 2.0, 3.0])
        result = cea.bootstrap(constant, constant, seed=1, wtp=[0.0], replicates=1000)
        assert np.isnan([result.cost_interval.low, result.cost_interval.high]).all()
        assert np.isfinite([result.effect_interval.low, result.effect_interval.high]).all()
        percentile = cea.bootstrap(constant, constant, seed=1, wtp=[0.0], replicates=1000, method="percentile")
        assert percentile.cost_interval == cea.Interval(0.0, 0.0)

    def test_an_unknown_method_is_refused(self, arms):
        with pytest.raises(ValueError, match="bca, percentile"):
            cea.bootstrap(*arms, seed=1, wtp=WTP, method="studentized")


class TestBootstrapRules:
    def test_fewer_than_1000_replicates_are_refused(self, arms):
        with pytest.raises(ValueError, match="at least 1000 replicates"):
            cea.bootstrap(*arms, seed=1, wtp=WTP, replicates=999)

    @pytest.mark.parametrize("complete", [0, 1])
    def test_an_arm_with_fewer_than_two_complete_cases_is_refused(self, arms, complete):
        costs = [100.0, 200.0, np.nan][: complete] + [np.nan, 50.0]
        effects = [1.0, 2.0, 3.0][: complete] + [2.0, np.nan]
        thin_arm = ArmData(costs, effects)
        with pytest.raises(cea.InsufficientData, match=f"control arm has {complete} complete case"):
            cea.analyse(arms[0], thin_arm, seed=1, wtp=WTP)
        with pytest.raises(cea.InsufficientData, match="intervention arm"):
            cea.bootstrap(thin_arm, arms[1], seed=1, wtp=WTP)

    def test_inputs_are_immutable(self):
        costs = np.array([1.0, 2.0])
        data = ArmData(costs, [0.5, 0.7])
        costs[0] = 99.0
        assert data.costs[0] == 1.0
        with pytest.raises(ValueError):
            data.costs[0] = 5.0

    def test_the_replicates_do_not_depend_on_the_number_of_threads(self, arms, monkeypatch):
        many = cea.bootstrap_replicates(*arms, seed=3, replicates=1000, chunk=30)
        monkeypatch.setattr(cea, "_workers", lambda: 1)
        one = cea.bootstrap_replicates(*arms, seed=3, replicates=1000, chunk=30)
        np.testing.assert_array_equal(many[0], one[0])
        np.testing.assert_array_equal(many[1], one[1])

    def test_the_analysis_reports_everything(self, arms):
        analysis = cea.analyse(*arms, seed=8, wtp=WTP)
        assert analysis.bootstrap.seed == 8
        assert analysis.bootstrap.replicates == cea.DEFAULT_REPLICATES
        assert analysis.intervention.n == 120 and analysis.control.n == 90
        low, high = analysis.bootstrap.cost_interval.low, analysis.bootstrap.cost_interval.high
        assert low <= analysis.incremental.delta_cost <= high
        assert sum(analysis.bootstrap.quadrant_shares.values()) == pytest.approx(1.0)
        np.testing.assert_allclose(
            analysis.nmb_point(), WTP * analysis.incremental.delta_effect - analysis.incremental.delta_cost
        )


# Small arms keep each example fast; 1 000 replicates is the smallest bootstrap allowed.
values = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
arm_lists = st.lists(st.tuples(values, values), min_size=2, max_size=12)


def to_arm(pairs):
    return ArmData([c for c, _ in pairs], [e for _, e in pairs])


@settings(max_examples=15, deadline=None)
@given(treated=arm_lists, control=arm_lists, seed=st.integers(min_value=0, max_value=2**32))
def test_ceac_ends(treated, control, seed):
    """At λ = 0 the curve is the share of replicates with ΔC* < 0; as λ grows it tends to the share with ΔE* > 0
    (replicates with ΔE* = 0 count only if cheaper). It need not be monotone in between."""
    big = 1e12
    result = cea.bootstrap(to_arm(treated), to_arm(control), seed=seed, wtp=[0.0, big], replicates=1000)
    assert result.ceac[0] == pytest.approx(result.share_cheaper)
    effects, costs = result.delta_effects, result.delta_costs
    limit = np.mean((effects > 0) | ((effects == 0) & (costs < 0)))
    # At a finite λ only replicates with 0 < |ΔE*| ≤ |ΔC*|/λ can still be on the other side of the limit.
    undecided = np.mean((effects != 0) & (np.abs(effects) * big <= np.abs(costs)))
    assert abs(result.ceac[1] - limit) <= undecided + 1e-12


@settings(max_examples=50, deadline=None)
@given(delta_cost=values, delta_effect=values, a=values, b=values, t=st.floats(0.0, 1.0))
def test_nmb_is_linear_in_wtp(delta_cost, delta_effect, a, b, t):
    mixed = cea.net_monetary_benefit(delta_cost, delta_effect, t * a + (1 - t) * b)
    expected = t * cea.net_monetary_benefit(delta_cost, delta_effect, a) + (1 - t) * cea.net_monetary_benefit(
        delta_cost, delta_effect, b
    )
    assert mixed == pytest.approx(expected, abs=1e-6 * (1 + abs(delta_effect) * (abs(a) + abs(b)) + abs(delta_cost)))


@settings(max_examples=10, deadline=None)
@given(treated=arm_lists, control=arm_lists, seed=st.integers(min_value=0, max_value=2**32))
def test_same_seed_same_results_other_seed_other_replicates(treated, control, seed):
    first = cea.bootstrap(to_arm(treated), to_arm(control), seed=seed, wtp=WTP, replicates=1000)
    again = cea.bootstrap(to_arm(treated), to_arm(control), seed=seed, wtp=WTP, replicates=1000)
    np.testing.assert_array_equal(first.delta_costs, again.delta_costs)
    np.testing.assert_array_equal(first.delta_effects, again.delta_effects)
    np.testing.assert_array_equal(first.ceac, again.ceac)
    np.testing.assert_array_equal(first.nmb_intervals, again.nmb_intervals)
    other = cea.bootstrap(to_arm(treated), to_arm(control), seed=seed + 1, wtp=WTP, replicates=1000)
    distinct_values = len({c for c, _ in treated}) > 1 or len({c for c, _ in control}) > 1
    if distinct_values:
        assert not np.array_equal(first.delta_costs, other.delta_costs)


@settings(max_examples=25, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.one_of(values, st.just(float("nan"))), st.one_of(values, st.just(float("nan")))),
        min_size=0,
        max_size=20,
    )
)
def test_missing_values_are_counted_and_excluded(pairs):
    data = to_arm(pairs)
    summary = cea.summarise(data)
    complete = [(c, e) for c, e in pairs if not (np.isnan(c) or np.isnan(e))]
    assert summary.n == len(pairs)
    assert summary.n_complete == len(complete)
    assert summary.n_missing_cost == sum(np.isnan(c) for c, _ in pairs)
    assert summary.n_missing_effect == sum(np.isnan(e) for _, e in pairs)
    if complete:
        assert summary.mean_cost == pytest.approx(np.mean([c for c, _ in complete]))
        assert summary.mean_effect == pytest.approx(np.mean([e for _, e in complete]))
    else:
        assert summary.mean_cost is None and summary.mean_effect is None


def test_an_acceleration_too_small_to_compute_is_undefined_not_an_error():
    # The squares' sum is positive but its 1.5th power underflows to zero.
    assert math.isnan(cea.jackknife_acceleration(np.array([0.0, 0.0]), np.array([0.0, 4.24898655294578e-123])))
