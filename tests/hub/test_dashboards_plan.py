"""The dashboards' rollup queries read a period through the day index, not a store's whole
history; a store manager's year of scores seeks their store's rows, HQ's reads the every-store
rows of the period. SQLite only: its plan without statistics is the one the query names an index for
(PostgreSQL chooses by its statistics)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hub.db import database
from hub.queries import analytics, scores
from tests.hub.conftest import connected


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


def last_plan(app, query) -> str:
    """SQLite's plan for the last statement ``query()`` runs."""
    captured: list[tuple[str, tuple]] = []
    execute = database.obj.execute_sql

    def record(sql, params=None, *args, **kwargs):
        captured.append((sql, tuple(params or ())))
        return execute(sql, params, *args, **kwargs)

    with connected(app), pytest.MonkeyPatch.context() as patch:
        patch.setattr(database.obj, "execute_sql", record)
        query()
        patch.undo()
        sql, params = captured[-1]
        return " ".join(row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())


def plan(app, by: str, store_ids) -> str:
    return last_plan(
        app, lambda: analytics.value_counts("rating", date(2026, 10, 27), date(2026, 11, 23), store_ids, by)
    )


@pytest.mark.parametrize("by", ["total", "store", "day", "touchpoint"])
def test_a_scoped_query_reads_the_period_through_the_day_index(app, store, by):
    assert "USING INDEX rollup_daily_day (day>? AND day<?)" in plan(app, by, [store.id])


def test_an_unscoped_query_reads_the_period_through_the_day_index(app):
    assert "USING INDEX rollup_daily_day (day>? AND day<?)" in plan(app, "store", None)


def score_plan(app, by: str, store_ids) -> str:
    return last_plan(app, lambda: scores.score_counts("rating", date(2025, 11, 24), date(2026, 11, 23), store_ids, by))


@pytest.mark.parametrize("by", ["total", "day", "channel"])
def test_a_store_managers_year_seeks_their_stores_rows_through_the_store_index(app, store, by):
    assert "USING INDEX score_daily_store (store_id=? AND question=? AND day>? AND day<?)" in score_plan(
        app, by, [store.id]
    )


@pytest.mark.parametrize("by", ["total", "day", "store"])
def test_hq_reads_the_period_of_the_primary_key(app, by):
    assert "USING PRIMARY KEY (question=? AND day>? AND day<?)" in score_plan(app, by, None)
