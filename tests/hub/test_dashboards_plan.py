"""The dashboards' rollup queries read a period through the day index, not a store's whole
history. SQLite only: its plan without statistics is the one the query names an index for
(PostgreSQL chooses by its statistics)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hub.db import database
from hub.queries import analytics
from tests.hub.conftest import connected


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


def plan(app, by: str, store_ids) -> str:
    captured: list[tuple[str, tuple]] = []
    execute = database.obj.execute_sql

    def record(sql, params=None, *args, **kwargs):
        captured.append((sql, tuple(params or ())))
        return execute(sql, params, *args, **kwargs)

    with connected(app), pytest.MonkeyPatch.context() as patch:
        patch.setattr(database.obj, "execute_sql", record)
        analytics.value_counts("rating", date(2026, 10, 27), date(2026, 11, 23), store_ids, by)
        patch.undo()
        sql, params = captured[-1]
        return " ".join(row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())


@pytest.mark.parametrize("by", ["total", "store", "day", "touchpoint"])
def test_a_scoped_query_reads_the_period_through_the_day_index(app, store, by):
    assert "USING INDEX rollup_daily_day (day>? AND day<?)" in plan(app, by, [store.id])


def test_an_unscoped_query_reads_the_period_through_the_day_index(app):
    assert "USING INDEX rollup_daily_day (day>? AND day<?)" in plan(app, "store", None)
