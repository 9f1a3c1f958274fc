"""The statements of cases as alert routing and escalation write them, run with the driver.

Routing runs inside the ingest transaction, so its statements are few and batched (see
hub/queries/responses.py for why). The partial unique index ``alert_case_open`` (one case per
store and rule is not resolved) is the ``INSERT ... ON CONFLICT`` target of ``open_case``, so
two hub processes on one PostgreSQL never open two cases. An escalation step is a
compare-and-set on the case's level (``raise_level``), so two job processes step it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hub.db import database, db_time, is_sqlite, placeholders


def _executemany(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        database.cursor().executemany(sql, rows)


def already_alerted(rule_id: int, response_ids: Sequence[str]) -> set[str]:
    """Those of ``response_ids`` that are behind a case of this rule already (a phone response
    sent again when completed, a retried batch): they are not alerted twice."""
    if not response_ids:
        return set()
    rows = database.execute_sql(
        "SELECT cr.response_id FROM case_response cr JOIN alert_case c ON c.id = cr.case_id "
        f"WHERE c.rule_id = {database.param} AND cr.response_id IN ({placeholders(len(response_ids))})",
        (rule_id, *response_ids),
    ).fetchall()
    return {str(row[0]) for row in rows}


def open_case(
    store_id: int,
    rule_id: int,
    *,
    now: datetime,
    count: int,
    level: int,
    misrouted: bool,
    ack_due_at: datetime,
    summary: Any,
) -> int | None:
    """Open a case; None when one is open for this store and rule already."""
    at = db_time(now)
    row = database.execute_sql(
        "INSERT INTO alert_case (store_id, rule_id, state, opened_at, last_alert_at, alert_count, ack_due_at, "
        f"escalation_level, misrouted, summary) VALUES ({placeholders(10)}) "
        "ON CONFLICT (store_id, rule_id) WHERE state <> 'resolved' DO NOTHING RETURNING id",
        (store_id, rule_id, "open", at, at, count, db_time(ack_due_at), level, misrouted, summary),
    ).fetchone()
    return None if row is None else row[0]


def join_case(store_id: int, rule_id: int, *, now: datetime, count: int, summary: Any) -> tuple[int, int, str]:
    """Add ``count`` alerts to the open case of this store and rule: (id, escalation level, state)."""
    lock = "" if is_sqlite() else " FOR UPDATE"
    row = database.execute_sql(
        "SELECT id, escalation_level, state FROM alert_case "
        f"WHERE store_id = {database.param} AND rule_id = {database.param} AND state <> 'resolved'{lock}",
        (store_id, rule_id),
    ).fetchone()
    changes = "last_alert_at = {p}, alert_count = alert_count + {p}" + (", summary = {p}" if summary else "")
    params: list[Any] = [db_time(now), count] + ([summary] if summary else [])
    database.execute_sql(
        f"UPDATE alert_case SET {changes.format(p=database.param)} WHERE id = {database.param}", (*params, row[0])
    )
    return row[0], row[1], row[2]


def attach_responses(case_id: int, response_ids: Sequence[str]) -> None:
    _executemany(
        f"INSERT INTO case_response (case_id, response_id) VALUES ({placeholders(2)}) ON CONFLICT DO NOTHING",
        [(case_id, r) for r in response_ids],
    )


def add_events(rows: Sequence[tuple[int, Any, int | None, str, str | None, str | None]]) -> None:
    """Rows of (case_id, at, user_id, action, text, data as JSON text)."""
    _executemany(
        f"INSERT INTO case_event (case_id, at, user_id, action, text, data) VALUES ({placeholders(6)})",
        [(c, db_time(at), u, a, t, d) for c, at, u, a, t, d in rows],
    )


def raise_level(case_id: int, *, from_level: int, to_level: int, ack_due_at: datetime) -> bool:
    """Move an open case from ``from_level`` to ``to_level`` with a new acknowledgement due
    time; False when it is not open at ``from_level`` any more (another run moved it first)."""
    p = database.param
    cursor = database.execute_sql(
        f"UPDATE alert_case SET escalation_level = {p}, ack_due_at = {p} "
        f"WHERE id = {p} AND escalation_level = {p} AND state = 'open'",
        (to_level, db_time(ack_due_at), case_id, from_level),
    )
    return cursor.rowcount == 1
