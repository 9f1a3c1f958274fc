"""Counts per answer value for the dashboards, read from rollup_daily only (never from raw
responses), so a year of figures costs as much as a day of them; or, asked for, from
suspect_daily, which holds the suspect responses' counts in the same shape.

Every function takes ``store_ids``: the stores the caller may see (``None``: every store; an
empty collection: none), and an inclusive range of store-local days. The day range comes
first in the WHERE clause, and the index ``rollup_daily_day (day, store_id)`` carries it
(named on SQLite, which otherwise prefers the primary key for a store filter). Plain SQL, the
same on SQLite and PostgreSQL, as in the other modules here.

The result maps a group key to ``{value: count}``, values as the rollup keeps them (text: the
face, the NPS number, the option id, '' for comments). Week and month groups are folded from
day groups here (no date functions, which differ between the engines).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any, Literal

from hub.db import database, db_day, is_sqlite, placeholders, stored_day

Grouping = Literal["total", "store", "day", "week", "month", "touchpoint", "channel"]
GROUPINGS: tuple[str, ...] = ("total", "store", "day", "week", "month", "touchpoint", "channel")

Counts = dict[str, int]

_COLUMNS = {"store": "store_id", "day": "day", "touchpoint": "touchpoint_id", "channel": "channel"}


def week_start(day: date) -> date:
    """The Monday of the ISO week that holds ``day``."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def value_counts(
    question: str,
    start: date,
    end: date,
    store_ids: Collection[int] | None,
    by: Grouping = "total",
    *,
    with_suspect: bool = False,
) -> dict[Any, Counts]:
    """Counts per value of ``question`` from ``start`` to ``end`` (inclusive), per group;
    ``with_suspect``: the suspect responses' answers added.

    Group keys: store id, touchpoint id, channel, the day, the Monday of the week or the first
    of the month (dates); ``None`` for ``total``."""
    result: dict[Any, Counts] = defaultdict(dict)
    for table in ("rollup_daily", "suspect_daily") if with_suspect else ("rollup_daily",):
        _value_counts(table, question, start, end, store_ids, by, result)
    return dict(result)


def suspect_counts(
    question: str, start: date, end: date, store_ids: Collection[int] | None, by: Grouping = "total"
) -> dict[Any, Counts]:
    """The suspect responses' answers alone, as ``value_counts`` groups them."""
    result: dict[Any, Counts] = defaultdict(dict)
    _value_counts("suspect_daily", question, start, end, store_ids, by, result)
    return dict(result)


def _value_counts(
    table: str,
    question: str,
    start: date,
    end: date,
    store_ids: Collection[int] | None,
    by: str,
    result: dict[Any, Counts],
) -> None:
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    if store_ids is not None and not store_ids:
        return
    sql_by = "day" if by in ("week", "month") else by
    column = _COLUMNS.get(sql_by)
    params: list[Any] = [db_day(start), db_day(end), question]
    where = "day BETWEEN {p} AND {p} AND question = {p}"
    if store_ids is not None:
        ids = sorted(store_ids)
        where += f" AND store_id IN ({placeholders(len(ids))})"
        params += ids
    # SQLite without statistics would take the primary key for a store filter and read the
    # store's whole history; the day index reads the period only
    hint = f" INDEXED BY {table}_day" if is_sqlite() else ""
    group = f"{column}, value" if column else "value"
    cursor = database.execute_sql(
        f"SELECT {column or 'NULL'}, value, SUM(count) FROM {table}{hint} "
        f"WHERE {where.format(p=database.param)} GROUP BY {group}",
        tuple(params),
    )
    for key, value, total in cursor.fetchall():
        if not total:  # a row whose answers were all moved to the suspect ones
            continue
        if sql_by == "day":
            key = stored_day(key)
            key = week_start(key) if by == "week" else month_start(key) if by == "month" else key
        counts = result[key]
        counts[value] = counts.get(value, 0) + int(total)
