"""The statements of cases as alert routing and escalation write them, run with the driver.

Routing runs inside the ingest transaction, so its statements are few and batched (see
hub/queries/responses.py for why). The partial unique index ``alert_case_open`` (one case per
store and rule is not resolved) is the ``INSERT ... ON CONFLICT`` target of ``open_case``, so
two hub processes on one PostgreSQL never open two cases. The unique index
``case_response_one_case`` keeps a response in at most one case: ``attach_responses`` says
which responses it attached, and only those are alerted (docs/cases.md). An escalation step is a
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


def in_a_case(response_ids: Sequence[str]) -> set[str]:
    """Those of ``response_ids`` that are in a case already, of any rule and state (a phone
    response sent again when completed, a retried batch, a window's response that a
    single-response rule took): a response is in at most one case."""
    if not response_ids:
        return set()
    rows = database.execute_sql(
        f"SELECT response_id FROM case_response WHERE response_id IN ({placeholders(len(response_ids))})",
        tuple(response_ids),
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


def attach_responses(case_id: int, response_ids: Sequence[str], *, now: datetime) -> list[str]:
    """Link the responses to the case, each unless it is in a case already; the ids linked.
    One statement with ``RETURNING``: a response another transaction linked meanwhile is left
    out (on PostgreSQL the insert waits for that transaction, then skips the row)."""
    if not response_ids:
        return []
    ids = list(dict.fromkeys(response_ids))
    p = database.param
    rows = database.execute_sql(
        "INSERT INTO case_response (case_id, response_id, joined_at, captured_at) "
        f"SELECT {p}, r.id, {p}, r.captured_at FROM response r WHERE r.id IN ({placeholders(len(ids))}) "
        "ON CONFLICT (response_id) DO NOTHING RETURNING response_id",
        (case_id, db_time(now), *ids),
    ).fetchall()
    linked = {str(row[0]) for row in rows}
    return [r for r in ids if r in linked]


def response_counts(case_ids: Sequence[int]) -> dict[int, int]:
    """How many responses each case holds (a case without responses is left out)."""
    if not case_ids:
        return {}
    rows = database.execute_sql(
        f"SELECT case_id, COUNT(*) FROM case_response WHERE case_id IN ({placeholders(len(case_ids))}) "
        "GROUP BY case_id",
        tuple(case_ids),
    ).fetchall()
    return {row[0]: row[1] for row in rows}


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


def case_header(case_id: int) -> tuple[int, Any, str, float | None] | None:
    """(store id, opened at as stored, store name, customer value or None) of a case."""
    p = database.param
    return database.execute_sql(
        "SELECT c.store_id, c.opened_at, s.name, k.customer_value FROM alert_case c "
        "JOIN store s ON s.id = c.store_id LEFT JOIN case_classification k ON k.case_id = c.id "
        f"WHERE c.id = {p}",
        (case_id,),
    ).fetchone()


def latest_answers(case_id: int, latest: int) -> list[tuple[Any, ...]]:
    """The case's ``latest`` responses (newest captured first) with their answers, one row
    per answer: (response id, locale, has a contact, kind, number, text); a response without
    answers gives one row with kind None."""
    p = database.param
    # the latest from the index on (case, capture time) alone, then their responses and answers
    return database.execute_sql(
        "SELECT r.id, r.locale, r.contact_sealed IS NOT NULL, a.kind, a.number, a.text FROM ("
        f"SELECT response_id, captured_at FROM case_response WHERE case_id = {p} "
        f"ORDER BY captured_at DESC, response_id DESC LIMIT {p}"
        ") cr JOIN response r ON r.id = cr.response_id LEFT JOIN answer a ON a.response_id = r.id "
        "ORDER BY cr.captured_at DESC, cr.response_id DESC, a.id",
        (case_id, latest),
    ).fetchall()


def people_to_tell(store_id: int, region_id: int | None) -> list[tuple[int, int, str]]:
    """(level, user id, email) of the active people who hear of a store's alerts, by level
    (hub/services/alerts/recipients.py) and user id: its store managers (0), the regional
    managers of its region or of the store itself (1), the HQ admins (2)."""
    p = database.param
    rows = database.execute_sql(
        f"SELECT 0, u.id, u.email FROM app_user u JOIN user_store s ON s.user_id = u.id "
        f"WHERE s.store_id = {p} AND u.role = 'store_manager' AND u.active = {p} "
        f"UNION ALL SELECT 1, u.id, u.email FROM app_user u WHERE u.role = 'regional_manager' AND u.active = {p} "
        f"AND (u.id IN (SELECT user_id FROM user_region WHERE region_id = {p}) "
        f"OR u.id IN (SELECT user_id FROM user_store WHERE store_id = {p})) "
        f"UNION ALL SELECT 2, u.id, u.email FROM app_user u WHERE u.role = 'hq_admin' AND u.active = {p} "
        "ORDER BY 1, 2",
        (store_id, True, True, region_id, store_id, True),
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def queue_classification(case_id: int, now: datetime) -> None:
    """Queue a case for the classify job. On a case already queued the upsert still takes the
    row's lock, so the job's ``take_queued`` waits for this transaction's responses to commit
    (or this waits for the job's, and queues the case again after it)."""
    p = database.param
    database.execute_sql(
        f"INSERT INTO case_to_classify (case_id, queued_at) VALUES ({p}, {p}) "
        "ON CONFLICT (case_id) DO UPDATE SET queued_at = excluded.queued_at",
        (case_id, db_time(now)),
    )


def queued_cases(limit: int) -> list[int]:
    """Up to ``limit`` queued cases, the longest waiting first."""
    rows = database.execute_sql(
        f"SELECT case_id FROM case_to_classify ORDER BY queued_at, case_id LIMIT {database.param}", (limit,)
    ).fetchall()
    return [row[0] for row in rows]


def take_queued(case_id: int) -> bool:
    """Take a case off the queue (in the transaction that classifies it); False when another
    job process took it first."""
    cursor = database.execute_sql(f"DELETE FROM case_to_classify WHERE case_id = {database.param}", (case_id,))
    return cursor.rowcount == 1


def save_classification(case_id: int, fields: dict[str, Any], computed_at: datetime) -> None:
    """Store a case's classification (``fields``: category, priority, priority_reasons as JSON
    text, language, suggested_reply), keeping a customer value a CRM sent before. One plain
    upsert: routing runs it for every case a batch opens or joins."""
    p = database.param
    columns = (*fields, "computed_at")
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
    database.execute_sql(
        f"INSERT INTO case_classification (case_id, {', '.join(columns)}) "
        f"VALUES ({p}, {placeholders(len(columns))}) ON CONFLICT (case_id) DO UPDATE SET {updates}",
        (case_id, *fields.values(), db_time(computed_at)),
    )
