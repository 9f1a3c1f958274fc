"""The statements windowed alert rules read: a window's smiley answers and response counts.

Both filter on capture times (``response.captured_at``), not receive times, so a terminal's
backlog arriving at once does not look like a bad quarter of an hour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.db import database, db_time

_SMILEYS = (
    "SELECT r.id, r.store_id, t.code, s.key, r.survey_id, r.survey_version, a.question, a.number, c.state "
    "FROM response r JOIN answer a ON a.response_id = r.id "
    "JOIN touchpoint t ON t.id = r.touchpoint_id JOIN survey s ON s.id = r.survey_id "
    "LEFT JOIN case_response cr ON cr.response_id = r.id LEFT JOIN alert_case c ON c.id = cr.case_id "
    "WHERE r.captured_at >= {p} AND r.captured_at < {p} AND a.kind = 'smiley' AND a.number IS NOT NULL "
    "AND r.flags NOT LIKE {p} "
    "ORDER BY r.captured_at DESC"
)


def smiley_answers(start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """Every smiley answer of a finished response captured in [start, end), newest first, as
    (response id, store id, touchpoint code, survey key, survey id, survey version, question,
    face, the state of the case the response is in or None)."""
    return database.execute_sql(
        _SMILEYS.format(p=database.param), (db_time(start), db_time(end), "%partial%")
    ).fetchall()


def response_count(store_id: int, start: datetime, end: datetime) -> int:
    """How many responses of a store were captured in [start, end)."""
    p = database.param
    return database.execute_sql(
        f"SELECT COUNT(*) FROM response WHERE store_id = {p} AND captured_at >= {p} AND captured_at < {p}",
        (store_id, db_time(start), db_time(end)),
    ).fetchone()[0]
