"""Tests for a drop: is a recent window worse than its baseline by more than chance explains?

Pure math on counts ({value: how many gave it}, what the rollups hold), so a check over
eight weeks of a store costs as much as one over a day. No scipy: the normal tail comes from
``math.erfc``, which is exact to double precision far beyond the alphas used here.

- ``proportion_rise``: one-sided two-proportion z-test (pooled variance under H0: the window
  has the baseline's share) that a share (e.g. of unhappy faces) went *up*. With the sample
  sizes the signals demand (see hub/services/signals.py) the normal approximation is close;
  the pooled form is the score test, the two-sample relative of the Wilson interval.
- ``mean_drop``: one-sided Welch z-test that a mean (e.g. the smiley index, the mean face
  weight) went *down*; each side's variance is computed from its own counts.
- ``overdispersion``: how much more the days of a period differ from each other than single
  responses explain (between-day over within-day mean square, the one-way ANOVA F ratio; for
  a 0/1 value it is Pearson's chi-square over its degrees of freedom). Real stores have good
  and bad days (weather, staffing), so their daily results vary more than independent
  responses would; a test that ignores this fires on ordinary bad weeks. Both tests take a
  ``dispersion`` factor (>= 1) that widens their variance: the quasi-likelihood correction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SQRT2 = math.sqrt(2.0)


def normal_sf(z: float) -> float:
    """P(Z >= z) for a standard normal Z (the one-sided p-value of a z statistic)."""
    return 0.5 * math.erfc(z / SQRT2)


def normal_isf(p: float) -> float:
    """The z with P(Z >= z) = p, for 0 < p < 1 (bisection on ``normal_sf``; exact enough for
    critical values and power estimates)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be between 0 and 1")
    low, high = -40.0, 40.0
    for _ in range(200):
        mid = (low + high) / 2
        if normal_sf(mid) > p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


@dataclass(frozen=True)
class Comparison:
    """A window against its baseline: both values and sizes, the test's statistic and p-value.

    ``worse`` is how much worse the window is, in the measure's own units (positive: worse).
    """

    test: str
    baseline: float
    baseline_n: int
    current: float
    current_n: int
    z: float
    p_value: float
    worse: float


def _moments(counts: Mapping[float, int]) -> tuple[int, float, float]:
    """n, mean and sample variance (n - 1) of the values in ``counts``."""
    n = sum(counts.values())
    if n == 0:
        return 0, math.nan, math.nan
    mu = sum(v * c for v, c in counts.items()) / n
    var = sum(c * (v - mu) ** 2 for v, c in counts.items()) / (n - 1) if n > 1 else 0.0
    return n, mu, var


def proportion_rise(baseline_hits: int, baseline_n: int, hits: int, n: int, *, dispersion: float = 1.0) -> Comparison:
    """One-sided test that the share ``hits / n`` is above ``baseline_hits / baseline_n``.
    Values are shares 0..1; ``worse`` is the rise of the share."""
    if baseline_n <= 0 or n <= 0:
        raise ValueError("both sides need answers")
    p0, p1 = baseline_hits / baseline_n, hits / n
    pooled = (baseline_hits + hits) / (baseline_n + n)
    variance = max(dispersion, 1.0) * pooled * (1 - pooled) * (1 / baseline_n + 1 / n)
    # every answer on both sides the same (variance 0): nothing moved
    z = 0.0 if variance <= 0 else (p1 - p0) / math.sqrt(variance)
    return Comparison("one-sided two-proportion z-test", p0, baseline_n, p1, n, z, normal_sf(z), p1 - p0)


def mean_drop(baseline: Mapping[float, int], current: Mapping[float, int], *, dispersion: float = 1.0) -> Comparison:
    """One-sided Welch z-test that the mean of ``current`` is below that of ``baseline``;
    ``worse`` is the fall of the mean."""
    n0, m0, v0 = _moments(baseline)
    n1, m1, v1 = _moments(current)
    if n0 < 2 or n1 < 2:
        raise ValueError("both sides need two answers or more")
    variance = max(dispersion, 1.0) * (v0 / n0 + v1 / n1)
    z = 0.0 if variance <= 0 else (m0 - m1) / math.sqrt(variance)
    return Comparison("one-sided Welch z-test", m0, n0, m1, n1, z, normal_sf(z), m0 - m1)


def overdispersion(days: Sequence[Mapping[float, int]]) -> float:
    """Between-day mean square over within-day mean square of the values in ``days`` (one
    mapping of counts per day; empty days are skipped). About 1 when the days differ only by
    chance, more when they really differ; 1.0 when there is too little to tell."""
    filled = [_moments(day) for day in days]
    filled = [m for m in filled if m[0] > 0]
    k = len(filled)
    total = sum(n for n, _, _ in filled)
    if k < 2 or total - k < 1:
        return 1.0
    grand = sum(n * mu for n, mu, _ in filled) / total
    between = sum(n * (mu - grand) ** 2 for n, mu, _ in filled) / (k - 1)
    within = sum((n - 1) * var for n, _, var in filled) / (total - k)
    if within <= 0:
        return 1.0
    return between / within
