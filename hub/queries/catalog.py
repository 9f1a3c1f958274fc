"""The catalog reads every dashboard page and API call makes (a survey's current definition,
the stores' names), as plain statements: building them through the ORM cost several times
the statements themselves (bench/dashboard_queries.py)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from hub.db import database, placeholders


def current_definition(survey_key: str) -> str | None:
    """The JSON text of the survey's current version; None: no such survey."""
    row = database.execute_sql(
        "SELECT v.definition FROM survey s JOIN survey_version v "
        "ON v.survey_id = s.id AND v.version = s.current_version "
        f"WHERE s.key = {database.param}",
        (survey_key,),
    ).fetchone()
    return row[0] if row else None


def store_names(store_ids: Collection[int] | None) -> list[tuple[int, str, str]]:
    """(id, code, name) of the stores ``store_ids`` (None: every store), by id."""
    return _stores("SELECT s.id, s.code, s.name FROM store s", store_ids)


def store_regions(store_ids: Collection[int] | None) -> list[tuple[int, int | None, str | None]]:
    """(store id, region id, region name) of the stores ``store_ids`` (None: every store), by
    store id; a store without a region has None for both."""
    return _stores("SELECT s.id, r.id, r.name FROM store s LEFT JOIN region r ON r.id = s.region_id", store_ids)


def _stores(select: str, store_ids: Collection[int] | None) -> list[tuple[Any, ...]]:
    if store_ids is None:
        return database.execute_sql(f"{select} ORDER BY s.id").fetchall()
    if not store_ids:
        return []
    ids = sorted(store_ids)
    where = f"WHERE s.id IN ({placeholders(len(ids))})"
    return database.execute_sql(f"{select} {where} ORDER BY s.id", tuple(ids)).fetchall()
