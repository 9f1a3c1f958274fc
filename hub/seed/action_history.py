"""Daily smiley counts of a fleet with a planted improvement whose size and start are known, to
check an action's effect measurement against the truth (no I/O).

Each store has its own level (some better, some worse), answers a day around its volume
(Poisson), and days better or worse than chance explains (a daily shock). The whole fleet
drifts together (a season), so a before/after comparison without comparison stores would
be fooled, a difference in differences is not. From ``start`` on, ``improved`` stores move
``lift`` index points up: on the 4-face smiley (weights -100, -33.3, 33.3, 100) a share
``lift / 200`` of answers moves from the most unhappy face to the happiest, which raises the
index by exactly ``lift`` on average.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

FACES = 4
BASE = (0.22, 0.14, 0.30, 0.34)  # an average store's faces: index 17.3


@dataclass(frozen=True)
class History:
    first: date
    last: date
    start: date  # the first day of the planted change
    improved: tuple[int, ...]  # store numbers 1..stores
    lift: float  # index points
    stores: int
    days: dict[int, dict[date, dict[int, int]]]  # store -> day -> face -> answers

    def index_points(self, face: int) -> float:
        return -100.0 + 200.0 * (face - 1) / (FACES - 1)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def history(
    *,
    seed: int,
    stores: int = 30,
    improved: tuple[int, ...] = (1, 2, 3),
    lift: float = 10.0,
    first: date = date(2026, 8, 3),
    start: date = date(2026, 9, 28),
    last: date = date(2026, 10, 25),
    volume: float = 40.0,
    day_shock: float = 0.02,
) -> History:
    """Stores 1..``stores``; ``improved`` gain ``lift`` index points from ``start``."""
    rng = random.Random(seed)
    days: dict[int, dict[date, dict[int, int]]] = {}
    span = (last - first).days + 1
    for store in range(1, stores + 1):
        level = rng.gauss(0.0, 0.04)  # share moved from face 1 to 4 (or back): the store's level
        store_volume = volume * rng.uniform(0.6, 1.4)
        days[store] = {}
        for offset in range(span):
            day = first + timedelta(days=offset)
            season = 0.04 * math.sin(offset / 20.0)  # the fleet's common drift
            shift = level + season + rng.gauss(0.0, day_shock)
            if store in improved and day >= start:
                shift += lift / 200.0
            probabilities = _shifted(shift)
            n = _poisson(rng, store_volume)
            days[store][day] = _multinomial(rng, n, probabilities)
    return History(first, last, start, tuple(improved), lift, stores, days)


def _shifted(shift: float) -> tuple[float, ...]:
    """BASE with ``shift`` moved from face 1 to face 4 (negative: back), kept in [0, 1]."""
    move = max(-BASE[3], min(BASE[0], shift))
    return (BASE[0] - move, BASE[1], BASE[2], BASE[3] + move)


def _multinomial(rng: random.Random, n: int, probabilities: tuple[float, ...]) -> dict[int, int]:
    """``n`` answers spread over the faces, one binomial draw per face."""
    counts: dict[int, int] = {}
    left, mass = n, 1.0
    for face, p in enumerate(probabilities, start=1):
        if left == 0:
            break
        k = left if face == len(probabilities) else _binomial(rng, left, min(1.0, p / mass) if mass > 0 else 0.0)
        if k:
            counts[face] = k
        left -= k
        mass -= p
    return counts


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if n > 200:  # the normal approximation, close at such sizes
        return max(0, min(n, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))
    return sum(rng.random() < p for _ in range(n))
