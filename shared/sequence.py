"""Device sequence numbers: which ones arrived, which are missing.

A terminal numbers its responses 1, 2, 3, ... The hub keeps what it received as sorted,
disjoint, inclusive ranges ``[[first, last], ...]`` (compact after millions of responses)
and tells the terminal the ranges it is missing, so a hub restored from a backup gets them
again.

Not every number will ever arrive: a response the hub refused, or one the terminal's own check
quarantined, is kept on the terminal and never sent again, and one forgotten after the
terminal's retention period is gone. Those numbers are *closed* (the hub records the ones it
refused, the terminal names the others when asked), and a closed number is not missing. What is
still missing is handed out a page at a time, each page starting where the last one ended
(``missing_page``), so a terminal with thousands of gaps is asked for every one of them in
turn, and the range a restored hub really lacks is never crowded out by older gaps.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

Ranges = list[list[int]]


def add_to_ranges(ranges: Ranges, numbers: Iterable[int]) -> Ranges:
    """``ranges`` with ``numbers`` added, merged and sorted (the input is not changed)."""
    points = sorted(set(numbers))
    if not points:
        return [list(r) for r in ranges]
    return union_ranges(ranges, [list(r) for r in _runs(points)])


def union_ranges(*lists: Sequence[Sequence[int]]) -> Ranges:
    """Every number in any of the range lists, as sorted, disjoint, merged ranges."""
    merged: Ranges = []
    for first, last in sorted((int(r[0]), int(r[1])) for ranges in lists for r in ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


def subtract_numbers(ranges: Sequence[Sequence[int]], numbers: Iterable[int]) -> Ranges:
    """The numbers of ``ranges`` that are not in ``numbers``, as ranges."""
    holes = sorted(set(numbers))
    left: Ranges = []
    for first, last in union_ranges(ranges):
        start = first
        for n in holes[bisect_left(holes, first) :]:
            if n > last:
                break
            if n > start:
                left.append([start, n - 1])
            start = n + 1
        if start <= last:
            left.append([start, last])
    return left


def clip_ranges(ranges: Sequence[Sequence[int]], low: int, high: int) -> Ranges:
    """The parts of ``ranges`` inside ``low..high``."""
    clipped = ([max(first, low), min(last, high)] for first, last in ranges)
    return union_ranges([r for r in clipped if r[0] <= r[1]])


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


def missing_ranges(ranges: Ranges, up_to: int) -> Ranges:
    """Every range from 1 to ``up_to`` that is not in ``ranges`` (sorted and disjoint)."""
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
    return missing


def missing_page(known: Ranges, up_to: int, start: int = 1, limit: int = 100) -> tuple[Ranges, int]:
    """At most ``limit`` of the ranges from 1 to ``up_to`` not in ``known`` (sorted, disjoint),
    and where the next page starts.

    The page begins with the first missing range that ends at or after ``start`` and wraps
    around to the lowest ones when it reaches ``up_to``; handing each page's answer in as the
    next ``start`` walks through every missing range in turn, however many there are, so none
    is starved by others that stay missing.
    """
    gaps = missing_ranges(known, up_to)
    if len(gaps) <= limit:
        return gaps, 1
    at = bisect_left([last for _, last in gaps], start)
    if at == len(gaps):
        at = 0
    page = gaps[at : at + limit]
    wrapped = gaps[: limit - len(page)]
    next_start = (wrapped or page)[-1][1] + 1
    return sorted(wrapped + page), next_start
