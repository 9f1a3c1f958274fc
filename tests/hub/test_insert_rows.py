"""hub.db.insert_rows: the ingest statements' many rows to a statement, on both engines."""

from __future__ import annotations

import pytest

from hub.db import ROWS_PER_STATEMENT, database, insert_rows, write_transaction
from tests.hub.conftest import connected

PROBE = "insert_probe"


def _probe_table() -> None:
    database.execute_sql(f"DROP TABLE IF EXISTS {PROBE}")
    database.execute_sql(f"CREATE TABLE {PROBE} (k INTEGER PRIMARY KEY, label TEXT, n INTEGER)")


def _stored() -> list[tuple]:
    return [tuple(row) for row in database.execute_sql(f"SELECT k, label, n FROM {PROBE} ORDER BY k").fetchall()]


# every count around the statement sizes: a size exactly, one more, one less, and mixtures
SIZES = sorted({0, 1, 2, 3, 5, 85, 300} | {s + d for s in ROWS_PER_STATEMENT for d in (-1, 0, 1) if s + d >= 0})


@pytest.mark.parametrize("count", SIZES)
def test_every_row_is_stored_once_with_its_values(app, count):
    rows = [(k, f"label {k} ä", k * 7 if k % 3 else None) for k in range(1, count + 1)]
    with connected(app):
        _probe_table()
        with write_transaction():
            insert_rows(f"INSERT INTO {PROBE} (k, label, n)", 3, rows)
        assert _stored() == rows


def test_the_tail_adds_to_rows_already_there(app):
    """The rollups' upsert: ON CONFLICT adds the new counts to the stored ones."""
    with connected(app):
        _probe_table()
        head, tail = f"INSERT INTO {PROBE} (k, label, n)", f"ON CONFLICT (k) DO UPDATE SET n = {PROBE}.n + excluded.n"
        with write_transaction():
            insert_rows(head, 3, [(k, "a", 1) for k in range(1, 71)], tail)
        with write_transaction():
            insert_rows(head, 3, [(k, "b", 10) for k in range(50, 91)], tail)
        stored = {k: n for k, _, n in _stored()}
    assert len(stored) == 90
    assert all(stored[k] == 1 for k in range(1, 50))
    assert all(stored[k] == 11 for k in range(50, 71))
    assert all(stored[k] == 10 for k in range(71, 91))


def test_a_clash_in_a_later_statement_takes_the_earlier_rows_back_with_it(app):
    """Rows go in several statements; a clash in the last one (the 86th row repeats the
    first) fails the transaction, and none of the batch's rows stay."""
    rows = [(k, "x", k) for k in range(1, 86)] + [(1, "again", 0)]
    with connected(app):
        _probe_table()
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"), write_transaction():
            insert_rows(f"INSERT INTO {PROBE} (k, label, n)", 3, rows)
        assert _stored() == []


def test_no_rows_run_no_statement(app):
    with connected(app):
        _probe_table()
        with write_transaction():
            insert_rows("INSERT INTO no_such_table (k)", 1, [])  # would fail if it ran
        assert _stored() == []
