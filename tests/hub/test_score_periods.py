"""Scores by month and week (score_monthly, migration v0031; score_weekly, v0033): a period's
whole months are read from the first, the whole weeks at its edges from the second and the
days left from score_daily. Whatever the period and grouping, the counts equal those summed
from the answers themselves (the known truth here), on SQLite and PostgreSQL; a response
moved out again (``weight=-1``) leaves every table; the migration's own summing of
score_daily gives the rows ingest writes."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from hub.db import database, is_sqlite
from hub.migrations import v0033_weekly_scores
from hub.queries import scores
from hub.queries.analytics import month_start, week_start
from hub.queries.scores import _net_parts, _periods
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


def write_planted(stores: dict[int, int], planted, weight: int = 1, *, suspect: bool = False) -> None:
    """Count the planted (store, channel, day, face) as responses with that smiley answer and,
    when ``suspect``, a reason too, as suspect responses."""
    acc = Rollups(weight=weight)
    for store, channel, day, face in planted:
        answers = [AnswerRow("rating", "smiley", face, None)]
        acc.add(
            store_id=store,
            touchpoint_id=stores[store],
            channel=channel,
            day=day,
            hour=10,
            locale="de",
            answers=[*answers, AnswerRow("reasons", "choice", None, "wait")] if suspect else answers,
            suspect=suspect,
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
            date(2026, 1, 15),  # a Thursday
            date(2026, 4, 10),
            [
                ("score_monthly", date(2026, 2, 1), date(2026, 3, 1)),
                ("score_weekly", date(2026, 1, 19), date(2026, 1, 19)),
                ("score_daily", date(2026, 1, 15), date(2026, 1, 18)),
                ("score_daily", date(2026, 1, 26), date(2026, 1, 31)),
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
        (
            date(2026, 11, 5),  # 28 days to a Wednesday: three whole weeks, by month cut at its end
            date(2026, 12, 2),
            [
                ("score_weekly", date(2026, 11, 9), date(2026, 11, 23)),
                ("score_daily", date(2026, 11, 5), date(2026, 11, 8)),
                ("score_daily", date(2026, 11, 30), date(2026, 11, 30)),
                ("score_daily", date(2026, 12, 1), date(2026, 12, 2)),
            ],
        ),
        (date(2026, 11, 2), date(2026, 11, 29), [("score_weekly", date(2026, 11, 2), date(2026, 11, 23))]),
        (date(2026, 11, 3), date(2026, 11, 8), [("score_daily", date(2026, 11, 3), date(2026, 11, 8))]),
        (date(2024, 2, 1), date(2024, 2, 29), [("score_monthly", date(2024, 2, 1), date(2024, 2, 1))]),
    ],
)
def test_a_period_reads_whole_months_then_whole_weeks_then_days(start, end, parts):
    """By month (and by week and day): each part folds into one group."""
    assert _periods(start, end, "month") == parts
    assert _periods(start, end, "day") == [("score_daily", start, end)]


@pytest.mark.parametrize(
    ("start", "end", "parts"),
    [
        (  # the 28-day ranking to a Tuesday: November less its first three days, and a day
            date(2026, 11, 4),
            date(2026, 12, 1),
            [
                ("score_monthly", date(2026, 11, 1), date(2026, 11, 1), 1),
                ("score_daily", date(2026, 11, 1), date(2026, 11, 3), -1),
                ("score_daily", date(2026, 12, 1), date(2026, 12, 1), 1),
            ],
        ),
        (  # the year view: twelve months less two days, and a day
            date(2025, 12, 3),
            date(2026, 12, 1),
            [
                ("score_monthly", date(2025, 12, 1), date(2026, 11, 1), 1),
                ("score_daily", date(2025, 12, 1), date(2025, 12, 2), -1),
                ("score_daily", date(2026, 12, 1), date(2026, 12, 1), 1),
            ],
        ),
        (  # five days of a week: the week less two
            date(2026, 11, 3),
            date(2026, 11, 7),
            [
                ("score_weekly", date(2026, 11, 2), date(2026, 11, 2), 1),
                ("score_daily", date(2026, 11, 2), date(2026, 11, 2), -1),
                ("score_daily", date(2026, 11, 8), date(2026, 11, 8), -1),
            ],
        ),
        (date(2026, 11, 3), date(2026, 11, 6), [("score_daily", date(2026, 11, 3), date(2026, 11, 6), 1)]),
        (date(2026, 1, 1), date(2026, 12, 31), [("score_monthly", date(2026, 1, 1), date(2026, 12, 1), 1)]),
    ],
)
def test_a_period_by_store_reads_the_fewest_rows_taking_away_what_lies_outside(start, end, parts):
    assert _net_parts(start, end) == parts


def test_the_net_parts_count_every_day_of_any_period_once_and_never_read_more_rows():
    """Signed, the parts count each day of the period once and no other day; they cost no more
    rows (a month, a week or a day each, per store) than the parts without taking away."""
    rng = random.Random(8)
    for _ in range(1500):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
        end = start + timedelta(days=rng.choice([0, 1, 4, 6, 13, 27, 30, 45, 90, 200, 364, 500]))
        net: dict[date, int] = defaultdict(int)
        for table, first, last, sign in _net_parts(start, end):
            for day in _days_of(table, first, last):
                net[day] += sign
        assert {day: n for day, n in net.items() if n} == {
            start + timedelta(days=k): 1 for k in range((end - start).days + 1)
        }, (start, end)
        assert _cost(_net_parts(start, end)) <= _cost([(*part, 1) for part in _periods(start, end, "store")])


def _days_of(table: str, first: date, last: date) -> list[date]:
    """The days the rows of ``table`` from ``first`` to ``last`` count."""
    if table == "score_monthly":
        last = month_start(last + timedelta(days=31)) - timedelta(days=1)
    elif table == "score_weekly":
        last += timedelta(days=6)
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def _cost(parts) -> int:
    """Rows per store and channel: a month's, a week's or a day's one each."""
    total = 0
    for table, first, last, _ in parts:
        if table == "score_monthly":
            total += (last.year - first.year) * 12 + last.month - first.month + 1
        else:
            total += (last - first).days // (7 if table == "score_weekly" else 1) + 1
    return total


@pytest.mark.parametrize("by", ["total", "store", "channel", "day", "week", "month"])
def test_the_parts_cover_every_day_of_any_period_once_and_fold_into_its_groups(by):
    rng = random.Random(5)
    for _ in range(400):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
        end = start + timedelta(days=rng.randrange(500))
        days: list[date] = []
        for table, first, last in _periods(start, end, by):
            if table == "score_monthly":
                assert by not in ("day", "week") and first.day == 1 and last.day == 1
                last = month_start(last + timedelta(days=31)) - timedelta(days=1)
            elif table == "score_weekly":
                assert by != "day" and first.weekday() == 0 and last.weekday() == 0
                last += timedelta(days=6)
                if by == "month":  # each week folds into one month
                    assert all(month_start(d) == month_start(d + timedelta(days=6)) for d in _mondays(first, last))
            days += [first + timedelta(days=k) for k in range((last - first).days + 1)]
        assert sorted(days) == [start + timedelta(days=k) for k in range((end - start).days + 1)], (start, end, by)


def _mondays(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range(0, (last - first).days, 7)]


def test_scores_read_by_month_week_and_day_equal_the_answers_for_any_period(app, stores):
    planted = _plant(stores)
    ids = sorted(stores)
    rng = random.Random(11)
    with connected(app):
        write_planted(stores, planted)
        for _ in range(60):
            start = FIRST + timedelta(days=rng.randrange(DAYS))
            end = min(start + timedelta(days=rng.choice([6, 13, 27, 45, 90, 200, 400])), FIRST + timedelta(days=DAYS))
            store_ids = rng.choice([None, ids[:1], ids])
            by = rng.choice(["total", "store", "channel", "month", "day", "week"])
            expected = _truth(planted, start, end, store_ids, by)
            assert scores.score_counts("rating", start, end, store_ids, by) == expected, (start, end, store_ids, by)
            # read with the faces' columns only, as the dashboards do
            found = scores.score_counts("rating", start, end, store_ids, by, scale=scores.ONE_TO_FIVE)
            assert found == expected, (start, end, store_ids, by)


def test_a_scale_reads_only_its_values_columns(app, stores):
    """A count outside the scale is not read (the dashboards pass a question's own scale)."""
    planted = [(sorted(stores)[0], "terminal", FIRST, face) for face in (1, 5, 5)]
    with connected(app):
        write_planted(stores, planted)
        assert scores.score_counts("rating", FIRST, FIRST, None, "store", scale=range(2, 6)) == {
            sorted(stores)[0]: {5: 2}
        }
        assert scores.score_counts("rating", FIRST, FIRST, None, scale=range(1, 3)) == {None: {1: 1}}


def _summed(app, fold) -> dict:
    """score_daily's rows summed by ``fold(day)``."""
    found = defaultdict(lambda: [0] * 12)
    for question, day, store, channel, n, *values in rows(app, "SELECT * FROM score_daily"):
        key = (question, fold(str(day)[:10]), store, channel)
        found[key] = [a + b for a, b in zip(found[key], [n, *values], strict=True)]
    return {key: values for key, values in found.items() if any(values)}


def _table(app, table: str) -> dict:
    return {
        (question, str(day)[:10], store, channel): [n, *values]
        for question, day, store, channel, n, *values in rows(app, f"SELECT * FROM {table}")
        if n or any(values)
    }


def _monday(day: str) -> str:
    return week_start(date.fromisoformat(day)).isoformat()


def test_monthly_and_weekly_rows_are_the_sums_of_the_daily_rows_and_leave_with_a_moved_response(app, stores):
    planted = _plant(stores)
    with connected(app):
        write_planted(stores, planted)
        write_planted(stores, planted[:100], weight=-1)
    assert _table(app, "score_monthly") == _summed(app, lambda day: day[:8] + "01")
    assert _table(app, "score_weekly") == _summed(app, _monday)
    rest = _truth(planted[100:], FIRST, FIRST + timedelta(days=DAYS), None, "store")
    with connected(app):
        assert scores.score_counts("rating", FIRST, FIRST + timedelta(days=DAYS), None, "store") == rest


def test_the_migration_sums_the_held_daily_rows_into_the_weeks_ingest_writes(app, stores):
    """v0033 on a hub that held responses: its weeks, summed by the database from score_daily
    (a Sunday stays in its Monday's week, across a year's end too), equal ingest's."""
    planted = [
        *_plant(stores),
        (min(stores), "phone", date(2026, 1, 4), 2),
        (min(stores), "phone", date(2025, 12, 29), 4),
    ]
    with connected(app):
        write_planted(stores, planted)
    written = _table(app, "score_weekly")
    assert ("rating", "2025-12-29", min(stores), "phone") in written
    with connected(app), database.atomic():
        database.execute_sql("DROP TABLE score_weekly")
        v0033_weekly_scores.up(database.obj, _dialect_sql)
    assert _table(app, "score_weekly") == written


def _dialect_sql(statement: str) -> None:
    without_rowid = " WITHOUT ROWID" if is_sqlite() else ""
    database.execute_sql(statement.format(without_rowid=without_rowid))
