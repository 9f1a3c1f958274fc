"""The hour model (hub/services/hour_model.py) against the textbook computation: least squares
over the single responses with a dummy column for every hour of day, weekday and store, solved
by the normal equations, and the cluster-robust (CR1) variance by store-day from the
responses' residuals. The cells' shortcut (weighted demeaning, residual sums) must give the
same estimate and standard error."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from hub.services.hour_model import Cell, fit, fit_all, t_quantile

FIRST = date(2026, 3, 2)


def _responses(seed: int) -> list[tuple[int, date, int, bool, float]]:
    """(store, day, hour, band, y) of single responses, with store, hour and band effects."""
    rng = random.Random(seed)
    found = []
    for store in range(3):
        for d in range(12):
            day = FIRST + timedelta(days=d)
            for hour in range(9, 15):
                band = rng.random() < 0.35
                for _ in range(rng.randint(0, 5)):
                    y = 10 * store - 2 * hour + (-15 if band else 0) + rng.gauss(0, 40)
                    found.append((store, day, hour, band, y))
    return found


def _solve(matrix: list[list[float]]) -> list[list[float]]:
    """The inverse of a small symmetric matrix (Gauss-Jordan with pivoting)."""
    size = len(matrix)
    work = [row[:] + [1.0 if i == j else 0.0 for j in range(size)] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(work[r][col]))
        work[col], work[pivot] = work[pivot], work[col]
        scale = work[col][col]
        work[col] = [v / scale for v in work[col]]
        for r in range(size):
            if r != col and work[r][col]:
                factor = work[r][col]
                work[r] = [a - factor * b for a, b in zip(work[r], work[col], strict=True)]
    return [row[size:] for row in work]


def _textbook(responses: list[tuple[int, date, int, bool, float]]) -> tuple[float, float, int]:
    """beta of the band, its CR1 standard error by store-day, and the clusters."""
    hours = sorted({r[2] for r in responses})[1:]
    weekdays = sorted({r[1].weekday() for r in responses})[1:]
    stores = sorted({r[0] for r in responses})[1:]
    rows = []
    for store, day, hour, band, _ in responses:
        row = [1.0, 1.0 if band else 0.0]
        row += [1.0 if hour == h else 0.0 for h in hours]
        row += [1.0 if day.weekday() == w else 0.0 for w in weekdays]
        row += [1.0 if store == s else 0.0 for s in stores]
        rows.append(row)
    k = len(rows[0])
    xtx = [[sum(r[i] * r[j] for r in rows) for j in range(k)] for i in range(k)]
    xty = [sum(r[i] * resp[4] for r, resp in zip(rows, responses, strict=True)) for i in range(k)]
    inverse = _solve(xtx)
    beta = [sum(inverse[i][j] * xty[j] for j in range(k)) for i in range(k)]
    scores: dict[tuple[int, date], list[float]] = {}
    for r, resp in zip(rows, responses, strict=True):
        e = resp[4] - sum(b * x for b, x in zip(beta, r, strict=True))
        into = scores.setdefault((resp[0], resp[1]), [0.0] * k)
        for i in range(k):
            into[i] += r[i] * e
    meat = [[sum(s[i] * s[j] for s in scores.values()) for j in range(k)] for i in range(k)]
    g, n = len(scores), len(responses)
    factor = g / (g - 1) * (n - 1) / (n - k)
    variance = factor * sum(inverse[1][i] * meat[i][j] * inverse[j][1] for i in range(k) for j in range(k))
    return beta[1], math.sqrt(variance), g


def _cells(responses):
    cells: dict[tuple, list] = {}
    for store, day, hour, band, y in responses:
        cell = cells.setdefault((store, day, hour), [band, 0, 0.0])
        cell[1] += 1
        cell[2] += y
    keys = sorted(cells)
    return (
        [Cell(cells[k][0], cells[k][1], (k[2], k[1].weekday(), k[0]), (k[0], k[1])) for k in keys],
        [cells[k][2] for k in keys],
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_cells_give_the_textbook_estimate_and_cluster_robust_error(seed):
    responses = _responses(seed)
    beta, se, clusters = _textbook(responses)
    cells, totals = _cells(responses)

    found = fit(cells, totals)

    assert found.value == pytest.approx(beta, abs=1e-6)
    assert found.se == pytest.approx(se, rel=1e-6)
    assert found.clusters == clusters and found.responses == len(responses)
    half = t_quantile(0.975, clusters - 1) * se
    assert (found.low, found.high) == pytest.approx((beta - half, beta + half), abs=1e-6)


def test_several_outcomes_at_once_equal_each_alone():
    cells, totals = _cells(_responses(4))
    other = [t * 0.5 + c.n * 3 for t, c in zip(totals, cells, strict=True)]

    both = fit_all(cells, [totals, other])

    assert both[0] == fit(cells, totals) and both[1] == fit(cells, other)


def test_without_hours_outside_the_band_there_is_no_estimate():
    cells, totals = _cells([r for r in _responses(5) if r[3]])
    assert fit(cells, totals) is None


def test_the_t_quantile_is_students():
    assert t_quantile(0.975, 1e9) == pytest.approx(1.95996, abs=1e-4)
    assert t_quantile(0.975, 10) == pytest.approx(2.22814, abs=1e-4)
