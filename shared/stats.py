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


# --- weeks that differ: a random-effects baseline -------------------------------------------


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 400):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function, for 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def student_t_sf(t: float, df: float) -> float:
    """P(T >= t) for Student's t with ``df`` degrees of freedom (any df > 0, not only whole
    numbers; ``math.inf``: the normal tail)."""
    if math.isinf(df):
        return normal_sf(t)
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


@dataclass(frozen=True)
class WeekSpread:
    """How much a store's weeks differ beyond chance, from its weekly counts.

    ``within``: the variance of single answers within a week (pooled); ``excess``: the
    variance of the weekly means beyond what ``within`` explains (tau squared of a
    random-effects model, at least 0: good and bad days, good and bad weeks); ``weeks``: how
    many weeks it was estimated from (``weeks - 1`` degrees of freedom)."""

    within: float
    excess: float
    weeks: int
    between: float  # the sample variance of the weekly means (what the excess is estimated from)


def week_spread(weeks: Sequence[Mapping[float, int]]) -> WeekSpread | None:
    """The spread of ``weeks`` (counts per value, one mapping per week; weeks with fewer than
    two answers are skipped): the method of moments, sample variance of the weekly means less
    their mean sampling variance. None with fewer than three weeks."""
    filled = [m for m in map(_moments, weeks) if m[0] >= 2]
    k = len(filled)
    if k < 3:
        return None
    within = sum((n - 1) * var for n, _, var in filled) / sum(n - 1 for n, _, _ in filled)
    means = [mu for _, mu, _ in filled]
    grand = sum(means) / k
    between = sum((mu - grand) ** 2 for mu in means) / (k - 1)
    sampling = sum(within / n for n, _, _ in filled) / k
    return WeekSpread(within, max(0.0, between - sampling), k, between)


def weekly_drop(
    baseline_weeks: Sequence[Mapping[float, int]], current: Mapping[float, int], spread: WeekSpread
) -> Comparison:
    """One-sided test that the mean of ``current`` (one week) is below that of
    ``baseline_weeks`` when weeks differ by more than chance (``spread``).

    The variance of the difference is the window's sampling variance, the baseline's
    (pooled within-week variance over its n), and the week-to-week variance ``excess`` of the
    window and of the baseline's n-weighted mean of weeks. The excess is estimated from
    ``spread.weeks`` weeks, so the statistic is referred to Student's t with Satterthwaite's
    degrees of freedom, counting the whole observed variance of the weekly means as estimated
    when it exceeds chance (about ``weeks - 1`` degrees of freedom where the weeks' spread
    dominates, more where the answers' own sampling variance does); the z-test when the weeks
    differ no more than chance says."""
    n1, m1, v1 = _moments(current)
    counts = [sum(week.values()) for week in baseline_weeks]
    n0 = sum(counts)
    if n0 < 2 or n1 < 2:
        raise ValueError("both sides need two answers or more")
    m0 = sum(v * c for week in baseline_weeks for v, c in week.items()) / n0
    weights = sum((n / n0) ** 2 for n in counts)
    estimated = spread.excess * (1.0 + weights)
    variance = v1 / n1 + spread.within / n0 + estimated
    z = 0.0 if variance <= 0 else (m0 - m1) / math.sqrt(variance)
    # what is estimated from the weeks is the variance of their means, sampling and excess
    # together (``between``, weeks - 1 degrees of freedom): a zero excess estimated from a few
    # weeks that happened to agree is no proof that weeks do not differ
    measured = (1.0 + weights) * spread.between if spread.excess > 0 else estimated
    df = (spread.weeks - 1) * (variance / measured) ** 2 if measured > 0 else math.inf
    if math.isinf(df):
        test = f"one-sided z-test on weekly means ({spread.weeks} weeks, no spread beyond chance)"
    else:
        test = f"one-sided t-test on weekly means ({spread.weeks} weeks, {df:.1f} df)"
    return Comparison(test, m0, n0, m1, n1, z, student_t_sf(z, df), m0 - m1)


def _normal_score(t: float, df: float) -> float:
    """The standard normal value with the same upper tail as ``t`` under Student's t."""
    p = student_t_sf(t, df)
    if p <= 1e-300:
        return 37.0
    if p >= 1.0:
        return -37.0
    return normal_isf(p)


@dataclass(frozen=True)
class Drift:
    """A CUSUM over the last weeks: ``statistic`` (the largest sum of standardised weekly
    shortfalls less the allowance, over the weeks ending now), ``weeks`` it spans, and the
    comparison of those weeks' pooled mean with the baseline."""

    statistic: float
    weeks: int
    comparison: Comparison


def drift_cusum(
    baseline_weeks: Sequence[Mapping[float, int]],
    recent_weeks: Sequence[Mapping[float, int]],
    spread: WeekSpread,
    allowance: float,
) -> Drift | None:
    """The one-sided tabular CUSUM (Page 1954) of the weeks in ``recent_weeks`` (oldest first)
    below the baseline's mean: S = max(0, S + z - allowance) week by week, where z is a week's
    shortfall in standard deviations of a week's mean (its sampling variance plus the
    week-to-week ``excess`` and the baseline mean's own variance). The statistic is S after
    the last week, which equals the largest sum of (z - allowance) over the weeks ending now;
    a slow drift adds up there while each single week stays within the weekly test's noise.
    None when the baseline or a recent week has fewer than two answers."""
    counts = [sum(week.values()) for week in baseline_weeks]
    n0 = sum(counts)
    if n0 < 2 or any(sum(week.values()) < 2 for week in recent_weeks):
        return None
    m0 = sum(v * c for week in baseline_weeks for v, c in week.items()) / n0
    weights = sum((n / n0) ** 2 for n in counts)
    base_variance = spread.within / n0 + spread.excess * weights
    s, run = 0.0, 0
    for week in recent_weeks:
        n, mu, _ = _moments(week)
        variance = spread.within / n + spread.excess + base_variance
        if variance <= 0:  # every answer the same everywhere: nothing moved
            s, run = 0.0, 0
            continue
        z = (m0 - mu) / math.sqrt(variance)
        estimated = spread.excess * (1.0 + weights)
        if estimated > 0:  # the excess is estimated: a t statistic, taken back to the normal scale
            z = _normal_score(z, (spread.weeks - 1) * (variance / estimated) ** 2)
        s, run = s + z - allowance, run + 1
        if s <= 0:
            s, run = 0.0, 0
    span = recent_weeks[len(recent_weeks) - run :] if run else recent_weeks[-1:]
    pooled: dict[float, int] = {}
    for week in span:
        for v, c in week.items():
            pooled[v] = pooled.get(v, 0) + c
    n1, m1, _ = _moments(pooled)
    # the chance of so large a sum over ``run`` weeks of independent standard normal shortfalls,
    # times the runs it could have ended in: a rough p-value for the record, not the decision
    weeks = max(run, 1)
    p = min(1.0, len(recent_weeks) * normal_sf((s + allowance * weeks) / math.sqrt(weeks)))
    test = f"CUSUM of weekly means over the last {len(recent_weeks)} weeks (allowance {allowance:g} sd)"
    return Drift(s, run, Comparison(test, m0, n0, m1, n1, s, p, m0 - m1))
