"""shared/stats: the drop tests checked against published values and independent formulas."""

from __future__ import annotations

import math
import random

import pytest

from shared.stats import (
    WeekSpread,
    drift_cusum,
    mean_drop,
    normal_isf,
    normal_sf,
    overdispersion,
    proportion_rise,
    student_t_sf,
    week_spread,
    weekly_drop,
)


@pytest.mark.parametrize(
    ("z", "tail"),
    [
        (0.0, 0.5),
        (1.6448536269514722, 0.05),
        (1.959963984540054, 0.025),
        (2.3263478740408408, 0.01),
        (3.090232306167813, 0.001),
        (3.719016485455709, 0.0001),
        (-1.959963984540054, 0.975),
    ],
)
def test_normal_tail_matches_the_published_quantiles(z, tail):
    assert normal_sf(z) == pytest.approx(tail, rel=1e-9)


@pytest.mark.parametrize("tail", [0.05, 0.001, 0.00025, 1e-6])
def test_normal_quantile_inverts_the_tail(tail):
    assert normal_sf(normal_isf(tail)) == pytest.approx(tail, rel=1e-9)


def test_normal_quantile_refuses_impossible_probabilities():
    with pytest.raises(ValueError):
        normal_isf(0.0)


def pearson_chi_square(a: int, b: int, c: int, d: int) -> float:
    """The 2 x 2 table's Pearson chi-square, N (ad - bc)^2 / (row and column totals)."""
    n = a + b + c + d
    return n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))


def test_proportion_rise_is_the_signed_root_of_pearsons_chi_square():
    # 45 of 100 unhappy before, 56 of 100 now: R's prop.test(c(56, 45), c(100, 100),
    # correct = FALSE, alternative = "greater") reports X-squared = 2.4202, p-value = 0.05988
    result = proportion_rise(45, 100, 56, 100)
    assert result.z == pytest.approx(math.sqrt(pearson_chi_square(56, 44, 45, 55)), rel=1e-12)
    assert result.z**2 == pytest.approx(2.4202, abs=1e-4)
    assert result.p_value == pytest.approx(0.05988, abs=1e-5)
    assert result.worse == pytest.approx(0.11)
    assert (result.baseline, result.baseline_n, result.current, result.current_n) == (0.45, 100, 0.56, 100)


def test_proportion_rise_is_one_sided():
    better = proportion_rise(56, 100, 45, 100)
    assert better.z < 0
    assert better.p_value == pytest.approx(1 - 0.05988, abs=1e-5)


def test_proportion_rise_widens_with_dispersion():
    plain = proportion_rise(400, 2000, 130, 500)
    wide = proportion_rise(400, 2000, 130, 500, dispersion=4.0)
    assert wide.z == pytest.approx(plain.z / 2)
    assert wide.p_value > plain.p_value
    # a dispersion below 1 (days more alike than chance) never narrows the test
    assert proportion_rise(400, 2000, 130, 500, dispersion=0.3).z == pytest.approx(plain.z)


def test_proportion_rise_with_identical_answers_everywhere_is_no_evidence():
    result = proportion_rise(0, 300, 0, 100)
    assert result.z == 0.0
    assert result.p_value == 0.5


def test_mean_drop_is_welchs_z_statistic():
    # baseline 50 zeros and 50 ones, now 60 zeros and 40 ones: means .5 and .4, sample
    # variances 25/99 and 24/99, z = .1 / sqrt((25/99 + 24/99) / 100)
    result = mean_drop({0: 50, 1: 50}, {0: 60, 1: 40})
    assert result.z == pytest.approx(0.1 / math.sqrt((25 / 99 + 24 / 99) / 100), rel=1e-12)
    assert result.z == pytest.approx(1.42141, abs=1e-5)
    assert result.p_value == pytest.approx(normal_sf(1.42141), abs=1e-5)
    assert result.worse == pytest.approx(0.1)


def test_mean_drop_on_face_weights_reports_index_points():
    baseline = {-100: 10, -50: 10, 0: 20, 50: 30, 100: 30}  # index 30
    current = {-100: 20, -50: 10, 0: 20, 50: 30, 100: 20}  # index 10
    result = mean_drop(baseline, current)
    assert (result.baseline, result.current, result.worse) == (30.0, 10.0, 20.0)
    assert result.p_value < 0.05


def test_mean_drop_needs_two_answers_a_side():
    with pytest.raises(ValueError):
        mean_drop({1: 1}, {1: 5, 0: 5})


def test_overdispersion_is_the_anova_f_ratio():
    # days [1, 2, 3] and [4, 5, 6]: between-day mean square 13.5, within-day 1
    assert overdispersion([{1: 1, 2: 1, 3: 1}, {4: 1, 5: 1, 6: 1}]) == pytest.approx(13.5)


def test_overdispersion_without_enough_days_is_one():
    assert overdispersion([{1: 5, 0: 5}]) == 1.0
    assert overdispersion([{}, {1: 3}]) == 1.0


def test_overdispersion_of_chance_alone_is_near_one_and_of_good_and_bad_days_well_above():
    rng = random.Random(6)

    def day(p_unhappy: float, n: int = 120) -> dict[int, int]:
        hits = sum(rng.random() < p_unhappy for _ in range(n))
        return {1: hits, 0: n - hits}

    chance = overdispersion([day(0.2) for _ in range(56)])
    moody = overdispersion([day(rng.choice((0.1, 0.3))) for _ in range(56)])
    assert 0.6 < chance < 1.5
    assert moody > 3


def test_the_proportion_test_holds_its_level_on_binomial_noise():
    # 2000 checks of pure noise at a small store's volumes: about 1 % below alpha 0.01
    rng = random.Random(2026)
    p, n0, n1 = 0.2, 2000, 400

    def binomial(n: int) -> int:
        return sum(rng.random() < p for _ in range(n))

    hits = sum(proportion_rise(binomial(n0), n0, binomial(n1), n1).p_value < 0.01 for _ in range(2000))
    assert 4 <= hits <= 38  # 20 expected; about the binomial 99.99 % range


# --- weeks that differ ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "df", "tail"),
    [(5.408, 7, 0.0005), (3.725, 25, 0.0005), (2.015, 5, 0.05), (1.0, 1, 0.25), (0.0, 3, 0.5), (-1.0, 1, 0.75)],
)
def test_student_t_tail_matches_the_published_quantiles(t, df, tail):
    assert student_t_sf(t, df) == pytest.approx(tail, rel=2e-3)


def test_student_t_with_infinite_degrees_of_freedom_is_the_normal():
    assert student_t_sf(3.29, math.inf) == normal_sf(3.29)
    assert student_t_sf(3.29, 1e6) == pytest.approx(normal_sf(3.29), rel=1e-3)


def simulated_weeks(rng, weeks, excess_sd):
    """Weeks of 400 answers of 0/1, each week's share moved by N(0, excess_sd)."""
    out = []
    for _ in range(weeks):
        p = min(0.9, max(0.1, 0.3 + rng.gauss(0, excess_sd)))
        hits = sum(rng.random() < p for _ in range(400))
        out.append({1.0: hits, 0.0: 400 - hits})
    return out


def test_week_spread_finds_the_excess_variance_it_was_given():
    rng = random.Random(20261202)
    calm = [week_spread(simulated_weeks(rng, 52, 0.0)).excess for _ in range(20)]
    moody = [week_spread(simulated_weeks(rng, 52, 0.05)).excess for _ in range(20)]
    assert sum(calm) / 20 < 0.0002  # chance alone: about 0
    assert sum(moody) / 20 == pytest.approx(0.05**2, rel=0.3)  # the truth: 0.0025


def test_weekly_drop_without_excess_is_the_z_test_and_with_it_wider():
    baseline = [{1.0: 60, 0.0: 340}] * 8
    current = {1.0: 40, 0.0: 360}
    calm = weekly_drop(baseline, current, WeekSpread(within=0.1275, excess=0.0, weeks=26, between=0.0003))
    z = (0.15 - 0.1) / math.sqrt((0.1 * 0.9 * 400 / 399) / 400 + 0.1275 / 3200)
    assert calm.z == pytest.approx(z)
    assert calm.p_value == pytest.approx(normal_sf(z))
    moody = weekly_drop(baseline, current, WeekSpread(within=0.1275, excess=0.001, weeks=26, between=0.0013))
    assert moody.z < calm.z and moody.p_value > calm.p_value
    assert "t-test" in moody.test


def test_the_cusum_adds_up_a_slow_slide_that_no_single_week_shows():
    spread = WeekSpread(within=0.25, excess=0.0, weeks=52, between=0.000625)
    baseline = [{1.0: 200, 0.0: 200}] * 8  # a mean of 0.5, a week's mean has sd 0.025
    slide = [{1.0: 200 - 10 * k, 0.0: 200 + 10 * k} for k in (1, 2, 3, 4)]  # 0.025 lower each week
    drift = drift_cusum(baseline, slide, spread, allowance=0.5)
    assert drift.weeks == 4
    # shortfalls of about 1, 2, 3 and 4 sd (a little less: the baseline's own variance), less 0.5 each
    assert 7.0 < drift.statistic < 8.0
    assert drift.comparison.worse == pytest.approx(0.5 - 0.4375)
    steady = drift_cusum(baseline, [{1.0: 200, 0.0: 200}] * 4, spread, allowance=0.5)
    assert steady.statistic == 0.0


def test_weeks_where_everyone_gives_the_same_answer_are_no_evidence():
    same = [{1.0: 50}] * 8
    spread = week_spread([{1.0: 50}] * 26)
    assert spread.within == 0 and spread.excess == 0
    assert weekly_drop(same, {1.0: 50}, spread).p_value == 0.5
    assert drift_cusum(same, [{1.0: 50}] * 4, spread, allowance=0.5).statistic == 0.0
