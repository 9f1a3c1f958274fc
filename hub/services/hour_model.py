"""How a figure differs between two kinds of hours, hour of day and weekday held equal: the
statistics of hub/services/measure_links.py, pure (no I/O), so bench/measure_links.py runs
them on simulated hours.

The model is the linear one of the responses, y = beta * band + hour of day + weekday
(+ store, across stores) + error, where y is a response's smiley weight (-100..100) or 100
when it names a reason (0 when not), and ``band`` says whether the hour it was given in is in
the band (e.g. fewer than 3 tills open). Every response of one store-hour shares its
regressors, so the responses enter as cells: how many and the sum of their y.
Least squares on the cells weighted by their responses gives the responses' estimate; the
fixed effects are swept out by alternating weighted demeaning (Frisch-Waugh-Lovell), so the
cost grows with the cells, not with the effects.

The interval is cluster-robust by store-day (a day's hours share its weather, staff and
customers): the sandwich variance of the responses' scores summed per cluster, with the
small-sample factor G/(G-1) * (N-1)/(N-K) and Student's t with G-1 degrees of freedom.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from shared.stats import student_t_sf

SWEEPS = 200  # the most demeaning rounds; the sweeps stop when nothing moves any more
TOLERANCE = 1e-10


@dataclass(frozen=True)
class Cell:
    """The responses of one store-hour: ``n`` of them (their y come apart, per outcome);
    ``effects``: the fixed effects it belongs to (its hour of day, weekday, store),
    ``cluster``: its store-day."""

    band: bool
    n: int
    effects: tuple[Hashable, ...]
    cluster: Hashable


@dataclass(frozen=True)
class Estimate:
    """beta (the band's hours minus the others, in y's units) with its 95 % interval."""

    value: float
    low: float
    high: float
    se: float
    responses: int
    hours: int
    band_hours: int
    clusters: int


@functools.cache
def t_quantile(p: float, df: float) -> float:
    """The t with P(T >= t) = 1 - p (p > 0.5), by bisection on the survival function."""
    low, high = 0.0, 1e3
    for _ in range(60):
        middle = (low + high) / 2
        if student_t_sf(middle, df) > 1 - p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _demean(cells: Sequence[Cell], columns: list[list[float]]) -> int:
    """Sweep every fixed effect out of ``columns`` (in place), weighted by the cells' responses;
    returns how many effect levels there are (degrees of freedom used)."""
    groups: list[list[tuple[list[int], list[int], float]]] = []
    for position in range(len(cells[0].effects)):
        members: dict[Hashable, list[int]] = defaultdict(list)
        for i, c in enumerate(cells):
            members[c.effects[position]].append(i)
        groups.append([(ix, [cells[i].n for i in ix], float(sum(cells[i].n for i in ix))) for ix in members.values()])
    for _ in range(SWEEPS):
        moved = 0.0
        for members in groups:
            for indexes, weights, weight in members:
                for column in columns:
                    mean = sum(w * column[i] for i, w in zip(indexes, weights, strict=True)) / weight
                    if abs(mean) > TOLERANCE:
                        moved = max(moved, abs(mean))
                        for i in indexes:
                            column[i] -= mean
        if moved <= TOLERANCE:
            break
    # levels less one per effect but the first (the intercept), as a dummy regression counts
    return sum(len(members) for members in groups) - len(groups) + 1


def fit(cells: Sequence[Cell], totals: Sequence[float]) -> Estimate | None:
    """beta and its interval for one outcome (``totals``: the sum of y of each cell)."""
    return fit_all(cells, [totals])[0]


def fit_all(cells: Sequence[Cell], outcomes: Sequence[Sequence[float]]) -> list[Estimate | None]:
    """beta and its interval for each outcome over the same cells (the fixed effects are swept
    out of them all at once); None when the band or the other hours are empty after the fixed
    effects (no hour to compare with), or there are fewer than two clusters."""
    kept = [i for i, c in enumerate(cells) if c.n > 0]
    cells = [cells[i] for i in kept]
    if not cells or len({c.cluster for c in cells}) < 2:
        return [None] * len(outcomes)
    x = [1.0 if c.band else 0.0 for c in cells]
    ys = [[totals[i] / cells[j].n for j, i in enumerate(kept)] for totals in outcomes]
    levels = _demean(cells, [x, *ys])
    sxx = sum(c.n * xi * xi for c, xi in zip(cells, x, strict=True))
    if sxx < 1e-9:
        return [None] * len(outcomes)
    return [_estimate(cells, x, y, sxx, levels) for y in ys]


def _estimate(cells: Sequence[Cell], x: list[float], y: list[float], sxx: float, levels: int) -> Estimate:
    beta = sum(c.n * xi * yi for c, xi, yi in zip(cells, x, y, strict=True)) / sxx
    scores: dict[Hashable, float] = defaultdict(float)
    for c, xi, yi in zip(cells, x, y, strict=True):
        # the cell's responses' residuals sum to n times the cell's residual (FWL)
        scores[c.cluster] += c.n * xi * (yi - beta * xi)
    clusters = len(scores)
    responses = sum(c.n for c in cells)
    k = levels + 1
    factor = clusters / (clusters - 1) * (responses - 1) / max(responses - k, 1)
    se = math.sqrt(factor * sum(s * s for s in scores.values())) / sxx
    half = t_quantile(0.975, clusters - 1) * se
    return Estimate(
        value=beta,
        low=beta - half,
        high=beta + half,
        se=se,
        responses=responses,
        hours=len(cells),
        band_hours=sum(1 for c in cells if c.band),
        clusters=clusters,
    )
