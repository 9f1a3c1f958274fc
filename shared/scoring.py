"""Scores from counts per answer value, each with its n and a 95 % confidence interval.

Every function takes ``counts``: a mapping from answer value to how many gave it (what the
hub's rollups hold), so a score over a year costs as much as a score over a day.

- NPS (0-10): % promoters (9-10) minus % detractors (0-6), -100..100. Interval: adjusted Wald
  (three quarters of a pseudo-response added to the promoters and three quarters to the
  detractors, so n + 1.5 in all; the passives get none), which keeps its coverage near 95 % for
  small n where the plain Wald interval does not.
- CSAT (1-5): % of 4 and 5, with the Wilson score interval.
- Smiley index (4 or 5 faces): the mean face weight scaled to -100..100; the most negative
  face counts -100, the most positive +100, the others evenly between (so negatives weigh as
  much as positives of the same distance from the middle). Interval: the mean's normal
  interval after one pseudo-response at each end of the scale (a worst and a best face, the
  weak prior of the Agresti-Coull interval for a share), clipped to the scale and always
  holding the index. It is never of zero width, also when every face agrees or n is 1, and
  its coverage stays near 95 % where the plain interval's falls (0.86-0.88 at n = 20-30 when
  80 % give the top face): bench/analytics_truth.py, docs/performance.md.
- Mean of any numeric scale, with a normal-approximation interval.

The groups these rest on are defined here once, for the terminal and the hub alike: NPS
detractors 0-6, passives 7-8, promoters 9-10; a face's mood (lower half negative, upper half
positive); a low rating, the bad experience a store hears about at once (a face of 1 or 2, an
NPS of 0-6).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

Z95 = 1.959963984540054
DETRACTOR_MAX = 6  # NPS 0-6
PROMOTER_MIN = 9  # NPS 9-10; 7-8 are passives
LOW_FACE_MAX = 2  # a face of 1 or 2 is a bad experience, on four faces and on five


def nps_group(value: int) -> str:
    """'detractor', 'passive' or 'promoter' for an NPS answer of 0-10."""
    if value <= DETRACTOR_MAX:
        return "detractor"
    return "promoter" if value >= PROMOTER_MIN else "passive"


def nps_groups(counts: Mapping[int, int]) -> dict[str, int]:
    """Answers per NPS group: ``{"promoters": .., "passives": .., "detractors": ..}``."""
    groups = {"promoters": 0, "passives": 0, "detractors": 0}
    for value, count in counts.items():
        groups[nps_group(value) + "s"] += count
    return groups


def mood(face: int | None, faces: int) -> str | None:
    """'negative' for the lower half of the faces, 'positive' for the upper half (the middle
    face of five is neither), None without a face."""
    if face is None:
        return None
    if face <= faces // 2:
        return "negative"
    if face > (faces + 1) // 2:
        return "positive"
    return None


def is_low_rating(kind: str | None, value: object) -> bool:
    """A bad experience the store should hear about now: a face of 1 or 2, or an NPS of 0-6."""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (kind == "smiley" and value <= LOW_FACE_MAX) or (kind == "nps" and value <= DETRACTOR_MAX)


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
    n = promoters = detractors = 0
    for value, count in counts.items():
        n += count
        if value <= DETRACTOR_MAX:
            detractors += count
        elif value >= PROMOTER_MIN:
            promoters += count
    if n == 0:
        return EMPTY
    value = 100.0 * (promoters - detractors) / n
    # adjusted Wald: 3/4 pseudo-observation to promoters and to detractors, so n + 1.5
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


@functools.cache
def _weights(faces: int) -> dict[int, float]:
    """Every face's weight on a ``faces``-face scale."""
    return {value: smiley_weight(value, faces) for value in range(1, faces + 1)}


SMILEY_PRIOR = 1.0  # pseudo-responses added at each end of the scale for the interval


def smiley_index(counts: Mapping[int, int], faces: int = 5) -> Score:
    # one pass: the answers' count, weight sum and squared-weight sum (rankings score every
    # store of a chain per page)
    weights = _weights(faces)
    n = 0
    first = second = 0.0
    for v, c in counts.items():
        weight = weights[v] if v in weights else smiley_weight(v, faces)  # raises: not a face
        n += c
        first += weight * c
        second += weight * weight * c
    if n == 0:
        return EMPTY
    value = first / n
    # the interval's sample: the answers and SMILEY_PRIOR pseudo-responses at -100 and at +100
    # (which add nothing to the weight sum and 2 x SMILEY_PRIOR x 100² to the squares)
    size = n + 2 * SMILEY_PRIOR
    centre = first / size
    variance = max(0.0, (second + 2 * SMILEY_PRIOR * 10_000.0 - size * centre * centre) / (size - 1))
    half = Z95 * math.sqrt(variance / size)
    low, high = max(-100.0, centre - half), min(100.0, centre + half)
    return Score(value, n, min(low, value), max(high, value))
