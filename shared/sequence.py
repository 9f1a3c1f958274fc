"""Device sequence numbers: which ones arrived, which are missing.

A terminal numbers its responses 1, 2, 3, ... The hub keeps what it received as sorted,
disjoint, inclusive ranges ``[[first, last], ...]`` (compact after millions of responses)
and tells the terminal the ranges it is missing, so a hub restored from a backup gets them
again.
"""

from __future__ import annotations

from collections.abc import Iterable

Ranges = list[list[int]]


def add_to_ranges(ranges: Ranges, numbers: Iterable[int]) -> Ranges:
    """``ranges`` with ``numbers`` added, merged and sorted (the input is not changed)."""
    points = sorted(set(numbers))
    if not points:
        return [list(r) for r in ranges]
    merged: Ranges = []
    for first, last in sorted([*(tuple(r) for r in ranges), *_runs(points)]):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


def _runs(points: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = prev = points[0]
    for n in points[1:]:
        if n != prev + 1:
            runs.append((start, prev))
            start = n
        prev = n
    runs.append((start, prev))
    return runs


def missing_ranges(ranges: Ranges, up_to: int, limit: int = 100) -> Ranges:
    """The ranges from 1 to ``up_to`` that are not in ``ranges``, at most ``limit`` of them."""
    missing: Ranges = []
    expected = 1
    for first, last in ranges:
        if first > up_to:
            break
        if first > expected:
            missing.append([expected, first - 1])
        expected = max(expected, last + 1)
    if expected <= up_to:
        missing.append([expected, up_to])
    return missing[:limit]
