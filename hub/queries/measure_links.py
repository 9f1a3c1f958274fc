"""Raw statements of the link between measures and scores (hub/services/measure_links.py) and
of the trend's measure overlay: a measure's hourly values per store, the smiley answers per
store and local hour (hour_daily), the reasons named per response with its capture time (the
one read of raw responses here: no rollup counts reasons by hour), and a measure's values per
local day over a set of stores."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, datetime
from typing import Any

from hub.db import database, db_day, placeholders, stored_day, stored_time

TOTAL = 0  # hour_daily's row of every store together


def _stores(store_ids: Collection[int] | None, params: list[Any], column: str = "store_id") -> str:
    if store_ids is None:  # every store, named so the (measure, store, day) index is sought per store
        params.append(TOTAL)
        return f"{column} IN (SELECT id FROM store WHERE id <> {database.param})"
    params.extend(sorted(store_ids))
    return f"{column} IN ({placeholders(len(store_ids))})"


def measures_with_values(store_ids: Collection[int] | None) -> set[int]:
    """The ids of the measures with any value in the stores."""
    if store_ids is not None and not store_ids:
        return set()
    found = set()
    for (measure_id,) in database.execute_sql("SELECT id FROM measure").fetchall():
        params: list[Any] = [measure_id]
        stores = _stores(store_ids, params)
        sql = f"SELECT 1 FROM measure_value WHERE measure_id = {database.param} AND {stores} LIMIT 1"
        if database.execute_sql(sql, tuple(params)).fetchone() is not None:
            found.add(int(measure_id))
    return found


def _value_rows(
    keys: str, measure_id: int, store_ids: Collection[int] | None, start: date, end: date, hourly: bool
) -> list[tuple]:
    """A measure's values in the local days grouped by ``keys``: the keys, the sum, how many."""
    if store_ids is not None and not store_ids:
        return []
    params: list[Any] = [measure_id, db_day(start), db_day(end)]
    stores = _stores(store_ids, params)
    p = database.param
    return database.execute_sql(
        f"SELECT {keys}, SUM(value), COUNT(*) FROM measure_value WHERE measure_id = {p} AND day BETWEEN {p} AND {p} "
        f"{'AND hour IS NOT NULL ' if hourly else ''}AND {stores} GROUP BY {keys}",
        tuple(params),
    ).fetchall()


def hour_values(
    measure_id: int, store_ids: Collection[int] | None, start: date, end: date
) -> dict[tuple[int, date, int], float]:
    """An hourly measure's values per (store, local day, local hour); the two 02:00 hours of
    the night the clocks go back (whose responses hour_daily counts together) give their mean."""
    rows = _value_rows("store_id, day, hour", measure_id, store_ids, start, end, hourly=True)
    return {(int(s), stored_day(day), int(hour)): float(total) / int(n) for s, day, hour, total, n in rows}


def hour_faces(store_ids: Collection[int] | None, start: date, end: date) -> dict[tuple[int, date, int], list[int]]:
    """The smiley answers per (store, local day, local hour): counts of faces 1..5."""
    if store_ids is not None and not store_ids:
        return {}
    params: list[Any] = [db_day(start), db_day(end)]
    stores = _stores(store_ids, params)
    p = database.param
    rows = database.execute_sql(
        f"SELECT store_id, day, hour, v1, v2, v3, v4, v5 FROM hour_daily WHERE day BETWEEN {p} AND {p} AND {stores}",
        tuple(params),
    ).fetchall()
    return {(int(s), stored_day(day), int(hour)): [int(v or 0) for v in counts] for s, day, hour, *counts in rows}


def named_reasons(
    question: str, store_ids: Collection[int] | None, start: date, end: date
) -> Iterator[tuple[int, datetime, datetime, str, str]]:
    """(store, captured, received, flags, option) of every option of ``question`` named by a
    response that is not suspect, in the local days; the caller takes the local hour."""
    if store_ids is not None and not store_ids:
        return
    params: list[Any] = [question, db_day(start), db_day(end)]
    stores = _stores(store_ids, params, "r.store_id")
    p = database.param
    cursor = database.execute_sql(
        "SELECT r.store_id, r.captured_at, r.received_at, r.flags, a.text FROM response r "
        f"JOIN answer a ON a.response_id = r.id WHERE a.question = {p} AND a.kind = 'choice' "
        f"AND r.local_day BETWEEN {p} AND {p} AND {stores} AND r.flags NOT LIKE {p}",
        (*params, "%suspect%"),
    )
    for store_id, captured, received, flags, option in cursor:
        yield int(store_id), stored_time(captured), stored_time(received), flags or "", option


def day_values(
    measure_id: int, store_ids: Collection[int] | None, start: date, end: date
) -> dict[date, tuple[float, int]]:
    """Per local day over the stores: the sum of the values and how many there are."""
    rows = _value_rows("day", measure_id, store_ids, start, end, hourly=False)
    return {stored_day(day): (float(total), int(n)) for day, total, n in rows}
