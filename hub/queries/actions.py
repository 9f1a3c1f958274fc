"""The daily store figures an action's effect is measured on (hub/services/action_effects.py):
per store and local day, the counts of a numeric question's values (score_daily, every
channel together) and how many responses named a reason (reason_daily). Per store rows only,
never the ``store_id = 0`` totals. Plain SQL, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from hub.db import database, db_day, placeholders, stored_day
from hub.queries.rollups import TOTAL

StoreDays = dict[tuple[int, date], dict[int, int]]


def _stores(store_ids: Collection[int] | None, params: list[Any]) -> str:
    if store_ids is None:
        params.append(TOTAL)
        return "store_id <> {p}"
    params.extend(sorted(store_ids))
    return f"store_id IN ({placeholders(len(store_ids))})"


def store_day_scores(question: str, start: date, end: date, store_ids: Collection[int] | None) -> StoreDays:
    """{(store id, day): {value: count}} of ``question`` from ``start`` to ``end`` inclusive."""
    if store_ids is not None and not store_ids:
        return {}
    params: list[Any] = [question, db_day(start), db_day(end)]
    stores = _stores(store_ids, params)
    values = ", ".join(f"SUM(v{k})" for k in range(11))
    sql = (
        f"SELECT store_id, day, {values} FROM score_daily "
        f"WHERE question = {{p}} AND day BETWEEN {{p}} AND {{p}} AND {stores} GROUP BY store_id, day"
    )
    found: StoreDays = {}
    for store, day, *counts in database.execute_sql(sql.format(p=database.param), tuple(params)).fetchall():
        found[(int(store), stored_day(day))] = {value: int(n) for value, n in enumerate(counts) if n}
    return found


def store_day_reason(
    question: str, option: str, start: date, end: date, store_ids: Collection[int] | None
) -> dict[tuple[int, date], int]:
    """{(store id, day): responses naming ``option``} of the choice ``question``."""
    if store_ids is not None and not store_ids:
        return {}
    params: list[Any] = [question, option, db_day(start), db_day(end)]
    stores = _stores(store_ids, params)
    sql = (
        "SELECT store_id, day, SUM(n) FROM reason_daily "
        f"WHERE question = {{p}} AND option = {{p}} AND day BETWEEN {{p}} AND {{p}} AND {stores} "
        "GROUP BY store_id, day"
    )
    rows = database.execute_sql(sql.format(p=database.param), tuple(params)).fetchall()
    return {(int(store), stored_day(day)): int(n) for store, day, n in rows}
