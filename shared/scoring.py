"""Scores from counts per answer value, each with its n and a 95 % confidence interval.

Every function takes ``counts``: a mapping from answer value to how many gave it (what the
hub's rollups hold), so a score over a year costs as much as a score over a day.

- NPS (0-10): % promoters (9-10) minus % detractors (0-6), -100..100. Interval: adjusted Wald
  (three quarters of a pseudo-response added to each of the three groups), which keeps its
  coverage near 95 % for small n where the plain Wald interval does not.
- CSAT (1-5): % of 4 and 5, with the Wilson score interval.
- Smiley index (4 or 5 faces): the mean face weight scaled to -100..100; the most negative
  face counts -100, the most positive +100, the others evenly between (so negatives weigh as
  much as positives of the same distance from the middle). Interval: normal approximation of
  the mean, clipped to the scale.
- Mean of any numeric scale, with a normal-approximation interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Score:
    """A score, its sample size and its 95 % interval; value and interval are None when n is 0."""

    value: float | None
    n: int
    low: float | None
    high: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return {"value": self.value, "n": self.n, "low": self.low, "high": self.high}


EMPTY = Score(None, 0, None, None)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion, as fractions 0..1."""
    if n <= 0:
        raise ValueError("wilson needs n > 0")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # The interval always holds p; min/max keep rounding (e.g. low = 5.6e-17 for 0 of 3) from breaking that.
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def _total(counts: Mapping[int, int]) -> int:
    return sum(counts.values())


def nps(counts: Mapping[int, int]) -> Score:
    n = _total(counts)
    if n == 0:
        return EMPTY
    promoters = sum(c for v, c in counts.items() if v >= 9)
    detractors = sum(c for v, c in counts.items() if v <= 6)
    value = 100.0 * (promoters - detractors) / n
    # adjusted Wald: add 3/4 pseudo-observation to each of promoters, passives, detractors
    n_adj = n + 1.5
    p_pro, p_det = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    centre = p_pro - p_det
    variance = (p_pro + p_det - centre * centre) / n_adj
    half = Z95 * math.sqrt(max(variance, 0.0))
    return Score(value, n, max(-100.0, 100 * (centre - half)), min(100.0, 100 * (centre + half)))


def csat(counts: Mapping[int, int]) -> Score:
    n = _total(counts)
    if n == 0:
        return EMPTY
    satisfied = sum(c for v, c in counts.items() if v >= 4)
    low, high = wilson(satisfied, n)
    return Score(100.0 * satisfied / n, n, 100 * low, 100 * high)


def share(counts: Mapping[int, int], positive: set[int]) -> Score:
    """Share (in %) of answers whose value is in ``positive``, with the Wilson interval."""
    n = _total(counts)
    if n == 0:
        return EMPTY
    hits = sum(c for v, c in counts.items() if v in positive)
    low, high = wilson(hits, n)
    return Score(100.0 * hits / n, n, 100 * low, 100 * high)


def mean(counts: Mapping[int, int]) -> Score:
    n = _total(counts)
    if n == 0:
        return EMPTY
    mu = sum(v * c for v, c in counts.items()) / n
    if n == 1:
        return Score(mu, 1, None, None)
    variance = sum(c * (v - mu) ** 2 for v, c in counts.items()) / (n - 1)
    half = Z95 * math.sqrt(variance / n)
    return Score(mu, n, mu - half, mu + half)


def smiley_weight(value: int, faces: int) -> float:
    """The face's weight on the -100..100 scale (1 = most negative face)."""
    if faces < 2 or not 1 <= value <= faces:
        raise ValueError(f"face {value} is not on a {faces}-face scale")
    return -100.0 + 200.0 * (value - 1) / (faces - 1)


def smiley_index(counts: Mapping[int, int], faces: int = 5) -> Score:
    n = _total(counts)
    if n == 0:
        return EMPTY
    weighted = {smiley_weight(v, faces): c for v, c in counts.items()}
    m = mean(weighted)  # type: ignore[arg-type]
    if m.low is None:
        return m
    return Score(m.value, n, max(-100.0, m.low), min(100.0, m.high))
