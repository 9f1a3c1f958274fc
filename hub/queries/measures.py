"""Raw statements of operational measures (hub/services/measures.py): the stored values of a
batch's periods, writing a batch at once, and the sums the dashboards read."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from hub.db import database, db_day, db_time, placeholders, stored_day, stored_time


def stored_values(measure_id: int, store_id: int, first: datetime, last: datetime) -> dict[datetime, float]:
    """The values held for one measure and store from ``first`` to ``last`` (UTC starts)."""
    p = database.param
    rows = database.execute_sql(
        f"SELECT period_start, value FROM measure_value WHERE measure_id = {p} AND store_id = {p} "
        f"AND period_start BETWEEN {p} AND {p}",
        (measure_id, store_id, db_time(first), db_time(last)),
    ).fetchall()
    return {stored_time(start): float(value) for start, value in rows}


Row = tuple[int, int, datetime, date, int | None, float, datetime]
COLUMNS = "(measure_id, store_id, period_start, day, hour, value, updated_at)"
# a value another load wrote since this one read (PostgreSQL, two loads at once) is replaced
UPSERT = (
    "ON CONFLICT (measure_id, store_id, period_start) "
    "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)


def insert_values(rows: Sequence[Row]) -> None:
    """New values: (measure, store, period start, local day, local hour, value, written at)."""
    if not rows:
        return
    sql = f"INSERT INTO measure_value {COLUMNS} VALUES ({placeholders(7)}) {UPSERT}"
    cursor = database.cursor()
    cursor.executemany(
        sql,
        [(m, s, db_time(start), db_day(day), hour, value, db_time(at)) for m, s, start, day, hour, value, at in rows],
    )


def update_values(rows: Sequence[Row]) -> None:
    """Changed values, a few hundred a statement (one UPDATE per row costs a round trip each
    on PostgreSQL): an upsert on the key, which a stored row always meets."""
    for first in range(0, len(rows), UPDATE_CHUNK):
        chunk = rows[first : first + UPDATE_CHUNK]
        values = ", ".join([f"({placeholders(7)})"] * len(chunk))
        params: list[Any] = []
        for m, s, start, day, hour, value, at in chunk:
            params += [m, s, db_time(start), db_day(day), hour, value, db_time(at)]
        database.execute_sql(f"INSERT INTO measure_value {COLUMNS} VALUES {values} {UPSERT}", tuple(params))


UPDATE_CHUNK = 500


def _stores(store_ids: Collection[int] | None, params: list[Any]) -> str:
    if store_ids is None:
        return "1 = 1"
    params.extend(sorted(store_ids))
    return f"store_id IN ({placeholders(len(store_ids))})"


def _of_stores(statement: str, params: list[Any], store_ids: Collection[int] | None) -> list[tuple]:
    """The rows of ``statement`` ({p}: a parameter, {stores}: its last condition) for
    ``store_ids`` (None: every store; none: no rows)."""
    if store_ids is not None and not store_ids:
        return []
    stores = _stores(store_ids, params)
    return database.execute_sql(statement.format(p=database.param, stores=stores), tuple(params)).fetchall()


def hour_sums(
    measure_id: int, store_ids: Collection[int] | None, start: date, end: date
) -> dict[tuple[date, int], tuple[float, int]]:
    """Per store-local (day, hour): the sum of the values and how many there are."""
    rows = _of_stores(
        "SELECT day, hour, SUM(value), COUNT(*) FROM measure_value WHERE measure_id = {p} "
        "AND day BETWEEN {p} AND {p} AND hour IS NOT NULL AND {stores} GROUP BY day, hour",
        [measure_id, db_day(start), db_day(end)],
        store_ids,
    )
    return {(stored_day(day), int(hour)): (float(total), int(n)) for day, hour, total, n in rows}


def day_sums(measure_id: int, store_id: int, start: date, end: date) -> dict[date, tuple[float, int]]:
    """Per store-local day of one store: the sum of the values and how many there are."""
    p = database.param
    rows = database.execute_sql(
        f"SELECT day, SUM(value), COUNT(*) FROM measure_value WHERE measure_id = {p} AND store_id = {p} "
        f"AND day BETWEEN {p} AND {p} GROUP BY day",
        (measure_id, store_id, db_day(start), db_day(end)),
    ).fetchall()
    return {stored_day(day): (float(total), int(n)) for day, total, n in rows}


def day_totals(
    store_ids: Collection[int] | None, day: date, last_hour: int
) -> dict[tuple[int, int], tuple[float, int]]:
    """Per (measure, store): the sum of one store-local day's values and how many there are,
    hourly values up to ``last_hour`` (a day so far)."""
    rows = _of_stores(
        "SELECT measure_id, store_id, SUM(value), COUNT(*) FROM measure_value WHERE day = {p} "
        "AND (hour IS NULL OR hour <= {p}) AND {stores} GROUP BY measure_id, store_id",
        [db_day(day), last_hour],
        store_ids,
    )
    return {(int(m), int(s)): (float(total), int(n)) for m, s, total, n in rows}
