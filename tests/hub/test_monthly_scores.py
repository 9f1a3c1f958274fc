"""Scores by month (score_monthly, migration v0031): a period's whole months are read from it
and its edge days from score_daily. Whatever the period and grouping, the counts equal those
summed from the answers themselves (the known truth here), on SQLite and PostgreSQL; a
response moved out again (``weight=-1``) leaves both tables."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from hub.db import database
from hub.queries import scores
from hub.queries.analytics import month_start, week_start
from hub.queries.scores import _periods
from hub.services import catalog
from hub.services.rollups import Rollups
from shared.protocol import AnswerRow
from tests.hub.conftest import connected, rows

FIRST = date(2025, 11, 3)
DAYS = 420
CHANNELS = ("terminal", "phone")


@pytest.fixture
def stores(app, store, other_store) -> dict[int, int]:
    """{store id: its exit touchpoint's id} of two stores."""
    with connected(app):
        return {s.id: catalog.touchpoint_by_code(s, "exit").id for s in (store, other_store)}


def _plant(stores: dict[int, int], seed: int = 7) -> list[tuple[int, str, date, int]]:
    """(store, channel, day, face) of seeded answers spread over 14 months."""
    rng = random.Random(seed)
    ids = sorted(stores)
    return [
        (rng.choice(ids), rng.choice(CHANNELS), FIRST + timedelta(days=rng.randrange(DAYS)), rng.randint(1, 5))
        for _ in range(900)
    ]


def _write(stores: dict[int, int], planted, weight: int = 1) -> None:
    acc = Rollups(weight=weight)
    for store, channel, day, face in planted:
        acc.add(
            store_id=store,
            touchpoint_id=stores[store],
            channel=channel,
            day=day,
            hour=10,
            locale="de",
            answers=[AnswerRow("rating", "smiley", face, None)],
        )
    with database.atomic():
        acc.write()


def _truth(planted, start: date, end: date, store_ids, by: str) -> dict:
    fold = {
        "total": lambda s, c, d: None,
        "store": lambda s, c, d: s,
        "channel": lambda s, c, d: c,
        "day": lambda s, c, d: d,
        "week": lambda s, c, d: week_start(d),
        "month": lambda s, c, d: month_start(d),
    }[by]
    found: dict = defaultdict(lambda: defaultdict(int))
    for store, channel, day, face in planted:
        if start <= day <= end and (store_ids is None or store in store_ids):
            found[fold(store, channel, day)][face] += 1
    return {key: dict(values) for key, values in found.items()}


@pytest.mark.parametrize(
    ("start", "end", "parts"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), [("score_monthly", date(2026, 1, 1), date(2026, 12, 1))]),
        (
            date(2026, 1, 15),
            date(2026, 4, 10),
            [
                ("score_monthly", date(2026, 2, 1), date(2026, 3, 1)),
                ("score_daily", date(2026, 1, 15), date(2026, 1, 31)),
                ("score_daily", date(2026, 4, 1), date(2026, 4, 10)),
            ],
        ),
        (
            date(2026, 1, 31),
            date(2026, 2, 28),
            [
                ("score_monthly", date(2026, 2, 1), date(2026, 2, 1)),
                ("score_daily", date(2026, 1, 31), date(2026, 1, 31)),
            ],
        ),
        (date(2026, 2, 2), date(2026, 3, 30), [("score_daily", date(2026, 2, 2), date(2026, 3, 30))]),
        (date(2026, 2, 1), date(2026, 2, 27), [("score_daily", date(2026, 2, 1), date(2026, 2, 27))]),
        (date(2024, 2, 1), date(2024, 2, 29), [("score_monthly", date(2024, 2, 1), date(2024, 2, 1))]),
    ],
)
def test_a_period_reads_its_whole_months_by_month_and_its_edges_by_day(start, end, parts):
    assert _periods(start, end, "store") == parts
    assert _periods(start, end, "week") == [("score_daily", start, end)]


def test_scores_read_by_month_and_day_equal_the_answers_for_any_period(app, stores):
    planted = _plant(stores)
    ids = sorted(stores)
    rng = random.Random(11)
    with connected(app):
        _write(stores, planted)
        for _ in range(60):
            start = FIRST + timedelta(days=rng.randrange(DAYS))
            end = min(start + timedelta(days=rng.choice([6, 27, 45, 90, 200, 400])), FIRST + timedelta(days=DAYS))
            store_ids = rng.choice([None, ids[:1], ids])
            by = rng.choice(["total", "store", "channel", "month", "day", "week"])
            expected = _truth(planted, start, end, store_ids, by)
            assert scores.score_counts("rating", start, end, store_ids, by) == expected, (start, end, store_ids, by)


def test_monthly_rows_are_the_sums_of_the_daily_rows_and_leave_with_a_moved_response(app, stores):
    planted = _plant(stores)
    with connected(app):
        _write(stores, planted)
        _write(stores, planted[:100], weight=-1)
    daily = defaultdict(lambda: [0] * 12)
    for question, day, store, channel, n, *values in rows(app, "SELECT * FROM score_daily"):
        key = (question, str(day)[:8] + "01", store, channel)
        daily[key] = [a + b for a, b in zip(daily[key], [n, *values], strict=True)]
    monthly = {
        (question, str(day)[:10], store, channel): [n, *values]
        for question, day, store, channel, n, *values in rows(app, "SELECT * FROM score_monthly")
    }
    assert monthly == dict(daily)
    rest = _truth(planted[100:], FIRST, FIRST + timedelta(days=DAYS), None, "store")
    with connected(app):
        assert scores.score_counts("rating", FIRST, FIRST + timedelta(days=DAYS), None, "store") == rest
