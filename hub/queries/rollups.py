"""Adding counts to the rollups (hub/services/rollups.py says what each holds), and reading
the raw responses to count them all again.

Each adding statement is an upsert that adds to what is there. Keys are sorted first, so
concurrent transactions on PostgreSQL take the rows' locks in one order and never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from hub.db import database, db_day, insert_rows, is_sqlite, placeholders

TOTAL = 0  # the store_id of the rows that count every store
ALL_COMMENTS = ""  # the term_daily term that counts every comment
TABLES = (
    "rollup_daily",
    "score_daily",
    "score_monthly",
    "score_weekly",
    "hour_daily",
    "reason_daily",
    "reason_pair_daily",
    "term_daily",
    "suspect_daily",
    "suspect_monthly",
)

_DAILY_KEY = ("store_id", "touchpoint_id", "channel", "question", "day", "value")
_SCORE_KEY = ("question", "day", "store_id", "channel")
_HOUR_KEY = ("day", "store_id", "hour")
_REASON_KEY = ("question", "day", "store_id", "option")
_PAIR_KEY = ("question", "day", "store_id", "option", "other")
_TERM_KEY = ("day", "store_id", "language", "term")
_SUSPECT_MONTH_KEY = ("question", "day", "store_id")
_ELEVEN = tuple(f"v{k}" for k in range(11))
_FIVE = tuple(f"v{k}" for k in range(1, 6))


# PostgreSQL: each column's array type for ``unnest`` (the rest are TEXT)
_INTEGERS = frozenset({"store_id", "touchpoint_id", "hour", "count", "n", "negative", "positive", *_ELEVEN, *_FIVE})
_ARRAY_TYPE = {"day": "date[]", "sentiment": "float8[]", **dict.fromkeys(_INTEGERS, "int[]")}


def _upsert(table: str, key: tuple[str, ...], values: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows (key columns, then value columns); on a clash add the values. SQLite: many
    rows to a statement (``insert_rows``). PostgreSQL: one statement for all rows,
    a column an array (``unnest``), which costs the server a fraction of a statement per row;
    the rows go in their (sorted) order, so locks are still taken in one order."""
    if not rows:
        return
    columns = key + values
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in values)
    day_at = key.index("day")
    if not is_sqlite() or not all(isinstance(row[day_at], str) for row in rows):  # SQLite takes ISO text
        rows = [(*row[:day_at], db_day(row[day_at]), *row[day_at + 1 :]) for row in rows]
    conflict = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    if is_sqlite():
        insert_rows(f"INSERT INTO {table} ({', '.join(columns)})", len(columns), rows, conflict)
        return
    arrays = ", ".join(f"%s::{_ARRAY_TYPE.get(c, 'text[]')}" for c in columns)
    database.execute_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) {conflict}",
        [list(column) for column in zip(*rows, strict=True)],
    )


def add_daily(counts: Iterable[tuple[tuple, int]]) -> None:
    _upsert("rollup_daily", _DAILY_KEY, ("count",), [(*k, n) for k, n in sorted(counts)])


def add_suspect(counts: Iterable[tuple[tuple, int]]) -> None:
    _upsert("suspect_daily", _DAILY_KEY, ("count",), [(*k, n) for k, n in sorted(counts)])


def add_suspect_monthly(counts: Iterable[tuple[tuple, int]]) -> None:
    """suspect_daily's counts by question, month and store: the key's day is the month's first."""
    _upsert("suspect_monthly", _SUSPECT_MONTH_KEY, ("count",), [(*k, n) for k, n in sorted(counts)])


def add_scores(counts: Iterable[tuple[tuple, list[int]]]) -> None:
    _upsert("score_daily", _SCORE_KEY, ("n", *_ELEVEN), [(*k, *v) for k, v in sorted(counts)])


def add_monthly_scores(counts: Iterable[tuple[tuple, list[int]]]) -> None:
    """score_daily's counts by month: the key's day is the first of the month."""
    _upsert("score_monthly", _SCORE_KEY, ("n", *_ELEVEN), [(*k, *v) for k, v in sorted(counts)])


def add_weekly_scores(counts: Iterable[tuple[tuple, list[int]]]) -> None:
    """score_daily's counts by ISO week: the key's day is the week's Monday."""
    _upsert("score_weekly", _SCORE_KEY, ("n", *_ELEVEN), [(*k, *v) for k, v in sorted(counts)])


def add_hours(counts: Iterable[tuple[tuple, list[int]]]) -> None:
    _upsert("hour_daily", _HOUR_KEY, ("n", *_FIVE), [(*k, *v) for k, v in sorted(counts)])


def add_reasons(counts: Iterable[tuple[tuple, list[int]]]) -> None:
    _upsert("reason_daily", _REASON_KEY, ("n", *_FIVE), [(*k, *v) for k, v in sorted(counts)])


def add_reason_pairs(counts: Iterable[tuple[tuple, list[int]]]) -> None:
    _upsert("reason_pair_daily", _PAIR_KEY, ("n", *_FIVE), [(*k, *v) for k, v in sorted(counts)])


def add_terms(counts: Iterable[tuple[tuple, list[Any]]]) -> None:
    _upsert("term_daily", _TERM_KEY, ("n", "negative", "positive", "sentiment"), [(*k, *v) for k, v in sorted(counts)])


# --- counting again from the raw responses ---------------------------------------------------


def empty_rollups() -> None:
    for table in TABLES:
        database.execute_sql(f"DELETE FROM {table}")


_STORED = (
    "SELECT r.id, r.store_id, r.touchpoint_id, r.channel, r.local_day, r.captured_at, r.received_at, "
    "r.flags, r.locale, s.time_zone, v.definition "
    "FROM response r JOIN store s ON s.id = r.store_id "
    "JOIN survey_version v ON v.survey_id = r.survey_id AND v.version = r.survey_version "
)


def stored_responses(chunk: int) -> Iterator[list[tuple]]:
    """Responses in id order, ``chunk`` at a time, as rows of (id, store_id, touchpoint_id,
    channel, local_day, captured_at, received_at, flags, locale, the store's time zone, the
    survey version's definition)."""
    last = ""
    while True:
        rows = database.execute_sql(
            _STORED + f"WHERE CAST(r.id AS TEXT) > {database.param} ORDER BY CAST(r.id AS TEXT) LIMIT {int(chunk)}",
            (last,),
        ).fetchall()
        if not rows:
            return
        yield rows
        last = str(rows[-1][0])


def responses_by_id(response_ids: Sequence[str]) -> list[tuple]:
    """The rows of ``stored_responses`` for these ids (locked on PostgreSQL: their flags change)."""
    if not response_ids:
        return []
    lock = "" if is_sqlite() else " FOR UPDATE OF r"
    return database.execute_sql(
        _STORED + f"WHERE r.id IN ({placeholders(len(response_ids))}) ORDER BY CAST(r.id AS TEXT){lock}",
        list(response_ids),
    ).fetchall()


def set_flags(response_id: str, flags: str) -> None:
    database.execute_sql(
        f"UPDATE response SET flags = {database.param} WHERE id = {database.param}", (flags, response_id)
    )


def answers_of(response_ids: Sequence[str]) -> list[tuple]:
    """(response_id, question, kind, number, text) of the responses' answers, in answer order."""
    return database.execute_sql(
        "SELECT response_id, question, kind, number, text FROM answer "
        f"WHERE CAST(response_id AS TEXT) IN ({placeholders(len(response_ids))}) ORDER BY id",
        list(response_ids),
    ).fetchall()
