"""Rows for BI tools, read a page at a time by keyset (never OFFSET, which rereads every page
before and shifts when rows arrive): counts per store and local day from score_daily, and
raw responses with their answers.

Both take ``store_ids`` like hub/queries/analytics.py (None: every store; empty: none) and an
inclusive range of store-local days. Plain SQL, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from hub.db import database, db_day, is_sqlite, placeholders, stored_day
from hub.queries.rollups import TOTAL

# up to this many stores, SQLite seeks each store's rows through score_daily_store (store_id,
# question, day) instead of reading the day range of every store in the primary key
_SEEK_STORES = 20


def _stores(store_ids: Collection[int] | None) -> tuple[str, list[int]]:
    if store_ids is None:
        return "", []
    ids = sorted(store_ids)
    return f" AND store_id IN ({placeholders(len(ids))})", ids


def _hint(stores: Collection[int] | None) -> str:
    return " INDEXED BY score_daily_store" if is_sqlite() and stores is not None and len(stores) <= _SEEK_STORES else ""


# --- per store and day ----------------------------------------------------------------------


def store_days(
    question: str,
    start: date,
    end: date,
    store_ids: Collection[int] | None,
    *,
    after: tuple[date, int] | None,
    limit: int,
) -> list[tuple[date, int]]:
    """The next ``limit`` (day, store id) pairs, in that order, with answers to ``question``
    (the smiley, which every response answers); only those after ``after``. Read from
    score_daily in its primary key's order (question, day, store_id), never the total rows."""
    if store_ids is not None and not store_ids:
        return []
    p = database.param
    in_stores, ids = _stores(store_ids)
    params: list[Any] = [question, db_day(start), db_day(end), TOTAL, *ids]
    where = f"question = {p} AND day BETWEEN {p} AND {p} AND store_id <> {p}{in_stores}"
    if after is not None:
        where += f" AND (day > {p} OR (day = {p} AND store_id > {p}))"
        params += [db_day(after[0]), db_day(after[0]), after[1]]
    cursor = database.execute_sql(
        f"SELECT day, store_id FROM score_daily{_hint(store_ids)} WHERE {where} "
        f"GROUP BY day, store_id ORDER BY day, store_id LIMIT {int(limit)}",
        tuple(params),
    )
    return [(stored_day(day), int(store)) for day, store in cursor.fetchall()]


def store_day_counts(
    questions: Sequence[str], keys: Sequence[tuple[date, int]]
) -> dict[tuple[date, int], dict[str, dict[int, int]]]:
    """{(day, store id): {question: {value: count}}} for exactly these (day, store) pairs,
    every channel together; zero counts left out."""
    if not keys or not questions:
        return {}
    p = database.param
    days = sorted({day for day, _ in keys})
    stores = sorted({store for _, store in keys})
    values = ", ".join(f"SUM(v{k})" for k in range(11))
    cursor = database.execute_sql(
        f"SELECT day, store_id, question, {values} FROM score_daily{_hint(stores)} "
        f"WHERE question IN ({placeholders(len(questions))}) AND day BETWEEN {p} AND {p} "
        f"AND store_id IN ({placeholders(len(stores))}) GROUP BY day, store_id, question",
        (*questions, db_day(days[0]), db_day(days[-1]), *stores),
    )
    found: dict[tuple[date, int], dict[str, dict[int, int]]] = {key: {} for key in keys}
    for day, store, question, *counts in cursor.fetchall():
        key = (stored_day(day), int(store))
        if key in found:
            found[key][question] = {value: int(n) for value, n in enumerate(counts) if n}
    return found


# --- raw responses ----------------------------------------------------------------------------

RESPONSE_FIELDS = (
    "r.id",
    "r.store_id",
    "s.code",
    "t.code",
    "r.channel",
    "v.key",
    "r.survey_version",
    "r.captured_at",
    "r.received_at",
    "r.local_day",
    "r.locale",
    "r.flags",
)


def responses_of_store(
    store_id: int, start: date, end: date, *, after: tuple[date, str] | None, limit: int
) -> list[tuple[Any, ...]]:
    """The next ``limit`` responses of one store in the day range, by (local day, id), as
    RESPONSE_FIELDS tuples; one store at a time, so the index (store_id, local_day) carries
    both the filter and the order. Never the contact."""
    p = database.param
    params: list[Any] = [store_id, db_day(start), db_day(end)]
    where = f"r.store_id = {p} AND r.local_day BETWEEN {p} AND {p}"
    if after is not None:
        where += f" AND (r.local_day > {p} OR (r.local_day = {p} AND r.id > {p}))"
        params += [db_day(after[0]), db_day(after[0]), after[1]]
    cursor = database.execute_sql(
        f"SELECT {', '.join(RESPONSE_FIELDS)} FROM response r "
        "JOIN store s ON s.id = r.store_id JOIN touchpoint t ON t.id = r.touchpoint_id "
        f"JOIN survey v ON v.id = r.survey_id WHERE {where} ORDER BY r.local_day, r.id LIMIT {int(limit)}",
        tuple(params),
    )
    return cursor.fetchall()


def answers_of(response_ids: Sequence[str]) -> dict[str, list[tuple[str, str, int | None, str | None]]]:
    """{response id: [(question, kind, number, text), ...]} in the order they were stored."""
    if not response_ids:
        return {}
    cursor = database.execute_sql(
        "SELECT response_id, question, kind, number, text FROM answer "
        f"WHERE response_id IN ({placeholders(len(response_ids))}) ORDER BY id",
        tuple(response_ids),
    )
    found: dict[str, list[tuple[str, str, int | None, str | None]]] = defaultdict(list)
    for response_id, question, kind, number, text in cursor.fetchall():
        found[str(response_id)].append((question, kind, number, text))
    return dict(found)
