"""Suspect answers by month (suspect_monthly, migration v0036): a period's count of suspect
responses reads its whole months there and the days around them from suspect_daily. Whatever
the period and stores, the count equals the suspect answers themselves (the known truth
here), on SQLite and PostgreSQL; a response moved out again (``weight=-1``) leaves the
months too; the migration's own summing of suspect_daily gives the rows ingest writes."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from hub.db import database, is_sqlite
from hub.migrations import v0036_suspect_monthly
from hub.queries.scores import suspect_total
from hub.services import catalog
from tests.hub.conftest import connected, rows
from tests.hub.test_score_periods import write_planted

FIRST = date(2025, 11, 3)
DAYS = 420


@pytest.fixture
def stores(app, store, other_store) -> dict[int, int]:
    """{store id: its exit touchpoint's id} of two stores."""
    with connected(app):
        return {s.id: catalog.touchpoint_by_code(s, "exit").id for s in (store, other_store)}


def _plant(store_ids: list[int], seed: int = 3) -> list[tuple[int, str, date, int]]:
    """(store, channel, day, face) of suspect responses spread over 14 months."""
    rng = random.Random(seed)
    return [
        (rng.choice(store_ids), rng.choice(("terminal", "phone")), FIRST + timedelta(days=rng.randrange(DAYS)), 1)
        for _ in range(600)
    ]


def _months(app) -> dict[tuple, int]:
    return {(q, str(d)[:10], s): n for q, d, s, n in rows(app, "SELECT * FROM suspect_monthly") if n}


def test_the_suspect_count_of_any_period_equals_the_suspect_answers(app, stores):
    ids = sorted(stores)
    planted = _plant(ids)
    rng = random.Random(9)
    with connected(app):
        write_planted(stores, planted, suspect=True)
        for _ in range(80):
            start = FIRST + timedelta(days=rng.randrange(DAYS))
            end = start + timedelta(days=rng.choice([0, 6, 27, 31, 45, 90, 200, 400]))
            store_ids = rng.choice([None, ids[:1], ids])
            truth = sum(1 for s, _, d, _ in planted if start <= d <= end and (store_ids is None or s in store_ids))
            assert suspect_total("rating", start, end, store_ids) == truth, (start, end, store_ids)
            assert suspect_total("reasons", start, end, store_ids) == truth
        assert suspect_total("comment", FIRST, FIRST + timedelta(days=DAYS), None) == 0


def test_the_months_are_the_sums_of_the_suspect_days_and_leave_with_a_moved_response(app, stores):
    planted = _plant(sorted(stores))
    with connected(app):
        write_planted(stores, planted, suspect=True)
        write_planted(stores, planted[:150], weight=-1, suspect=True)
    summed: dict[tuple, int] = {}
    for question, day, store_id, count in rows(app, "SELECT question, day, store_id, count FROM suspect_daily"):
        key = (question, str(day)[:8] + "01", store_id)
        summed[key] = summed.get(key, 0) + count
    assert _months(app) == {key: n for key, n in summed.items() if n}
    with connected(app):
        everything = suspect_total("rating", FIRST, FIRST + timedelta(days=DAYS), None)
    assert everything == len(planted) - 150


def test_the_migration_sums_the_held_suspect_days_into_the_months_ingest_writes(app, store, stores):
    """v0036 on a hub that held suspect answers: its months, summed by the database from
    suspect_daily (the last day of a month stays in it, across a year's end too), equal ingest's."""
    planted = [
        *_plant(sorted(stores)),
        (store.id, "phone", date(2025, 12, 31), 1),
        (store.id, "phone", date(2026, 1, 1), 1),
    ]
    with connected(app):
        write_planted(stores, planted, suspect=True)
    written = _months(app)
    assert ("rating", "2025-12-01", store.id) in written and ("rating", "2026-01-01", store.id) in written
    with connected(app), database.atomic():
        database.execute_sql("DROP TABLE suspect_monthly")
        without_rowid = " WITHOUT ROWID" if is_sqlite() else ""
        v0036_suspect_monthly.up(database.obj, lambda s: database.execute_sql(s.format(without_rowid=without_rowid)))
    assert _months(app) == written
