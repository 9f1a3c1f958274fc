"""Sequence numbers: what is missing, a page at a time, and the ranges arithmetic behind it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.sequence import add_to_ranges, clip_ranges, missing_page, missing_ranges, subtract_numbers, union_ranges


def every_other(up_to: int) -> list[list[int]]:
    """1, 3, 5, ... received: every even number up to ``up_to`` is a gap of its own."""
    return add_to_ranges([], range(1, up_to + 1, 2))


def test_missing_ranges_names_every_gap_up_to_the_last_number():
    assert missing_ranges([[1, 2], [5, 5]], 8) == [[3, 4], [6, 8]]


def test_a_page_holds_all_gaps_when_there_are_few():
    assert missing_page([[1, 2], [5, 5]], 8, start=6) == ([[3, 4], [6, 8]], 1)


def test_pages_continue_where_the_last_one_ended_and_wrap_around():
    known = every_other(500)  # 250 gaps: 2, 4, ..., 500
    first, start = missing_page(known, 500, 1, limit=100)
    second, start = missing_page(known, 500, start, limit=100)
    third, start = missing_page(known, 500, start, limit=100)

    assert first == [[n, n] for n in range(2, 201, 2)]
    assert second == [[n, n] for n in range(202, 401, 2)]
    assert third == [[n, n] for n in range(2, 101, 2)] + [[n, n] for n in range(402, 501, 2)]  # wrapped
    assert start == 101


def test_a_range_behind_more_than_a_page_of_other_gaps_is_asked_for():
    known = union_ranges(every_other(300), [[301, 400]])  # 150 old gaps, then a lost range
    pages, start = [], 1
    for _ in range(2):
        page, start = missing_page(known, 600, start, limit=100)
        pages.append(page)

    assert [401, 600] in pages[1]


@given(
    received=st.sets(st.integers(1, 400), max_size=300),
    up_to=st.integers(0, 420),
    limit=st.integers(1, 30),
    start=st.integers(1, 450),
)
def test_consecutive_pages_name_every_missing_range(received, up_to, limit, start):
    known = add_to_ranges([], received)
    gaps = missing_ranges(known, up_to)
    seen: list[list[int]] = []
    for _ in range(-(-len(gaps) // limit)):
        page, start = missing_page(known, up_to, start, limit)
        assert len(page) <= limit and page == sorted(page)
        seen += page

    assert {tuple(r) for r in seen} == {tuple(r) for r in gaps}


def test_subtract_numbers_leaves_the_ranges_around_them():
    assert subtract_numbers([[1, 10], [20, 22]], [1, 4, 5, 10, 21, 99]) == [[2, 3], [6, 9], [20, 20], [22, 22]]


def test_union_and_clip_merge_and_bound_ranges():
    assert union_ranges([[1, 3], [10, 12]], [[4, 5], [11, 20]]) == [[1, 5], [10, 20]]
    assert clip_ranges([[1, 3], [5, 9], [12, 14]], 2, 8) == [[2, 3], [5, 8]]
