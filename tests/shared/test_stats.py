"""shared/stats: the drop tests checked against published values and independent formulas."""

from __future__ import annotations

import math
import random

import pytest

from shared.stats import mean_drop, normal_isf, normal_sf, overdispersion, proportion_rise


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
