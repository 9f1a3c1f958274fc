"""The signal decision without a database: windows, KPI values, minimum n and drop, the
dispersion check, and the false-positive and detection rates on the benchmark's seeded fleet
(bench/signals_false_positives.py; the full figures are in docs/performance.md)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from bench import signals_false_positives as sim
from hub.services import signals
from hub.services.signals import Window, assess, judge, kpi_values, unhappy


def test_the_window_is_the_last_seven_days_and_the_baseline_the_eight_weeks_before():
    window = Window.ending(date(2026, 11, 22))
    assert (window.start, window.end) == (date(2026, 11, 16), date(2026, 11, 22))
    assert (window.baseline_start, window.baseline_end) == (date(2026, 9, 21), date(2026, 11, 15))


@pytest.mark.parametrize(("faces", "low_half"), [(4, {1, 2}), (5, {1, 2})])
def test_unhappy_is_the_lower_half_of_the_faces(faces, low_half):
    assert {f for f in range(1, faces + 1) if unhappy(f, faces)} == low_half


def test_kpi_values_weigh_faces_or_count_the_unhappy_ones():
    counts = {1: 2, 3: 5, 5: 3}
    assert kpi_values("smiley_index", counts, 5) == {-100.0: 2, 0.0: 5, 100.0: 3}
    assert kpi_values("unhappy_share", counts, 5) == {1.0: 2, 0.0: 8}
    assert kpi_values("unhappy_share", {7: 4, 2: 1}, 5) == {1.0: 1}  # a face off the scale is ignored


def test_too_few_answers_on_either_side_are_no_verdict():
    bad = {1: 60, 4: 39}  # 99 answers
    assert assess("unhappy_share", {4: 1000}, bad, 4) is None
    assert assess("unhappy_share", {4: 399}, {1: 100}, 4) is None
    assert assess("unhappy_share", {4: 400}, {1: 100}, 4).fires


def test_a_significant_but_small_drop_is_no_signal():
    # two points more unhappy on 400,000 answers: overwhelming evidence, not worth a signal
    verdict = assess("unhappy_share", {1: 40_000, 4: 360_000}, {1: 12_000, 4: 88_000}, 4)
    assert verdict.comparison.p_value < 1e-20
    assert verdict.comparison.worse == pytest.approx(2.0)
    assert not verdict.fires


def test_days_that_differ_more_than_chance_widen_the_test():
    baseline = {1: 224, 4: 1_344}  # 14.3 % unhappy over 56 days of 28 answers
    window = {1: 52, 4: 148}  # 26 % in the window
    assert assess("unhappy_share", baseline, window, 4).fires
    steady_days = [{1: 4, 4: 24}] * 56
    moody_days = [{4: 28}, {1: 8, 4: 20}] * 28  # the same totals from good and bad days
    calm = judge("unhappy_share", baseline, window, 4, lambda: steady_days)
    moody = judge("unhappy_share", baseline, window, 4, lambda: moody_days)
    assert calm.fires and calm.dispersion == 1.0 and calm.test == "one-sided two-proportion z-test"
    assert moody.dispersion > 3
    assert "variance x" in moody.test
    assert not moody.fires


def test_the_days_are_read_only_when_the_test_fires():
    asked = []
    judge("unhappy_share", {1: 240, 4: 1_360}, {1: 30, 4: 170}, 4, lambda: asked.append(1) or [])
    assert asked == []


# --- rates on the benchmark's seeded fleet --------------------------------------------------


def seeded_fleet(seed: int = 20261123) -> tuple[random.Random, list[sim.Store]]:
    """30 stores of the benchmark's fleet and the generator that goes on from them."""
    rng = random.Random(seed)
    return rng, sim.fleet(rng, 30)


def test_pure_noise_gives_almost_no_signals_on_a_fixed_seed():
    rng, stores = seeded_fleet()
    tallies = sim.noise(rng, stores, spread=0.0)
    weekly, daily = tallies["weekly"], tallies["daily"]
    assert weekly.checks == 30 * 52
    assert weekly.rate <= 2 * signals.ALPHA  # the Bonferroni bound of two KPIs per check
    assert daily.signals / 30 <= 0.5  # at most one false signal per store in two years of daily checks


def test_planted_drops_are_found_and_bigger_ones_more_often():
    rng, stores = seeded_fleet()
    five = sim.drops(rng, stores, 5.0, 3, spread=0.0)
    ten = sim.drops(rng, stores, 10.0, 3, spread=0.0)
    assert ten["first week"].rate >= 0.5
    assert ten["within 14 days"].rate >= 0.7
    assert ten["first week, large stores"].rate >= 0.8
    assert five["first week"].rate < ten["first week"].rate
