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
cost grows with the cells, not with the effects; NumPy does the sweeps over every outcome at
once (a scope's hours across hundreds of stores are tens of thousands of cells).

The interval is cluster-robust by store-day (a day's hours share its weather, staff and
customers): the sandwich variance of the responses' scores summed per cluster, with the
small-sample factor G/(G-1) * (N-1)/(N-K) and Student's t with G-1 degrees of freedom.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

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


def _levels(cells: Sequence[Cell]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per fixed effect: each cell's level (0..L-1) and each level's summed weight."""
    weights = np.fromiter((c.n for c in cells), dtype=float, count=len(cells))
    found = []
    for position in range(len(cells[0].effects)):
        numbers: dict[Hashable, int] = {}
        level = np.fromiter(
            (numbers.setdefault(c.effects[position], len(numbers)) for c in cells), dtype=np.intp, count=len(cells)
        )
        found.append((level, np.bincount(level, weights=weights, minlength=len(numbers))))
    return found


def _demean(weights: np.ndarray, levels: list[tuple[np.ndarray, np.ndarray]], columns: np.ndarray) -> int:
    """Sweep every fixed effect out of ``columns`` (cells x columns, in place), weighted by the
    cells' responses; returns how many effect levels there are (degrees of freedom used)."""
    weighted = np.empty_like(columns)
    for _ in range(SWEEPS):
        moved = 0.0
        for level, total in levels:
            np.multiply(columns, weights[:, None], out=weighted)
            sums = np.column_stack([np.bincount(level, weights=column, minlength=len(total)) for column in weighted.T])
            means = sums / total[:, None]
            means[np.abs(means) <= TOLERANCE] = 0.0
            moved = max(moved, float(np.abs(means).max(initial=0.0)))
            columns -= means[level]
        if moved <= TOLERANCE:
            break
    # levels less one per effect but the first (the intercept), as a dummy regression counts
    return sum(len(total) for _, total in levels) - len(levels) + 1


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
    n = np.fromiter((c.n for c in cells), dtype=float, count=len(cells))
    columns = np.empty((len(cells), 1 + len(outcomes)))
    columns[:, 0] = [1.0 if c.band else 0.0 for c in cells]
    for k, totals in enumerate(outcomes, start=1):
        columns[:, k] = np.asarray(totals, dtype=float)[kept] / n
    levels = _demean(n, _levels(cells), columns)
    x = columns[:, 0]
    sxx = float(np.dot(n * x, x))
    if sxx < 1e-9:
        return [None] * len(outcomes)
    numbers: dict[Hashable, int] = {}
    cluster = np.fromiter((numbers.setdefault(c.cluster, len(numbers)) for c in cells), dtype=np.intp, count=len(cells))
    band_hours = sum(1 for c in cells if c.band)
    return [_estimate(n, x, columns[:, k], sxx, levels, cluster, band_hours) for k in range(1, columns.shape[1])]


def _estimate(
    n: np.ndarray, x: np.ndarray, y: np.ndarray, sxx: float, levels: int, cluster: np.ndarray, band_hours: int
) -> Estimate:
    beta = float(np.dot(n * x, y)) / sxx
    # the cell's responses' residuals sum to n times the cell's residual (FWL)
    scores = np.bincount(cluster, weights=n * x * (y - beta * x))
    clusters = len(scores)
    responses = int(n.sum())
    k = levels + 1
    factor = clusters / (clusters - 1) * (responses - 1) / max(responses - k, 1)
    se = math.sqrt(factor * float(np.dot(scores, scores))) / sxx
    half = t_quantile(0.975, clusters - 1) * se
    return Estimate(
        value=beta,
        low=beta - half,
        high=beta + half,
        se=se,
        responses=responses,
        hours=len(n),
        band_hours=band_hours,
        clusters=clusters,
    )
