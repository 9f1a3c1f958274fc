"""The statements of alert routing and delivery, run with the database driver directly.

Routing runs inside the ingest transaction, so its statements are few and batched (see
hub/queries/responses.py for why). Two partial unique indexes carry the concurrency:
``alert_case_open`` (one case per store and rule is not resolved) and ``outbox_gathering``
(one message per group still gathers alerts); both are ``INSERT ... ON CONFLICT`` targets, so
two hub processes on one PostgreSQL never open two cases or two gathering messages.

Delivery claims messages with one ``UPDATE ... RETURNING``: a message moves from pending or
retry (or a sending claim whose lease ran out) to sending, stamped with the claimer and a
lease. On PostgreSQL the candidates are picked ``FOR UPDATE SKIP LOCKED``, so two job
processes take disjoint sets without waiting on each other; on SQLite writers are serialised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hub.db import database, db_time, is_sqlite, placeholders


def as_utc(value: Any) -> datetime | None:
    """A timestamp read with raw SQL (text on SQLite, naive on PostgreSQL) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _executemany(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        database.cursor().executemany(sql, rows)


# --- cases ----------------------------------------------------------------------------------


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


# --- the outbox -----------------------------------------------------------------------------

MESSAGE_COLUMNS = (
    "kind",
    "channel",
    "recipient",
    "user_id",
    "case_id",
    "rule_id",
    "store_id",
    "group_key",
    "dedupe_key",
    "payload",
    "state",
    "item_count",
    "deliver_after",
    "due_at",
    "attempts",
    "created_at",
)


def gather(group_key: str, count: int) -> int | None:
    """Add ``count`` items to the group's gathering message (locking it until commit); None
    when the group has none."""
    row = database.execute_sql(
        f"UPDATE outbox_message SET item_count = item_count + {database.param} "
        f"WHERE group_key = {database.param} AND state = 'pending' RETURNING id",
        (count, group_key),
    ).fetchone()
    return None if row is None else row[0]


def last_scheduled(group_key: str) -> datetime | None:
    """When the group's latest message was (or is) to go out: the next waits a throttle period."""
    row = database.execute_sql(
        f"SELECT MAX(deliver_after) FROM outbox_message WHERE group_key = {database.param}", (group_key,)
    ).fetchone()
    return as_utc(row[0]) if row else None


def insert_message(values: dict[str, Any], *, conflict: str) -> int | None:
    """Insert one message; ``conflict`` names what makes it a duplicate: "gathering" (the group
    has a gathering message: None, gather into that one) or "dedupe" (a message with this
    dedupe_key exists: None)."""
    target = {
        "gathering": "(group_key) WHERE state = 'pending'",
        "dedupe": "(dedupe_key)",
    }[conflict]
    row = database.execute_sql(
        f"INSERT INTO outbox_message ({', '.join(MESSAGE_COLUMNS)}) VALUES ({placeholders(len(MESSAGE_COLUMNS))}) "
        f"ON CONFLICT {target} DO NOTHING RETURNING id",
        tuple(values[c] for c in MESSAGE_COLUMNS),
    ).fetchone()
    return None if row is None else row[0]


def add_items(rows: Sequence[tuple[int, str]]) -> None:
    """Rows of (message_id, response_id)."""
    _executemany(
        f"INSERT INTO outbox_item (message_id, response_id) VALUES ({placeholders(2)}) ON CONFLICT DO NOTHING", rows
    )


_CLAIMABLE = (
    "((state IN ('pending', 'retry') AND due_at <= {p}) OR (state = 'sending' AND claimed_until < {p}))"
    " AND channel = {p}"
)


def anything_due(now: datetime, channel: str) -> bool:
    """A cheap read first, so an idle delivery job never takes the write lock."""
    at = db_time(now)
    row = database.execute_sql(
        f"SELECT 1 FROM outbox_message WHERE {_CLAIMABLE.format(p=database.param)} LIMIT 1", (at, at, channel)
    ).fetchone()
    return row is not None


def claim(now: datetime, *, channel: str, lease_until: datetime, worker: str, limit: int) -> list[int]:
    """Take up to ``limit`` due messages of ``channel`` for ``worker`` until ``lease_until``."""
    at = db_time(now)
    skip = "" if is_sqlite() else " FOR UPDATE SKIP LOCKED"
    p = database.param
    rows = database.execute_sql(
        f"UPDATE outbox_message SET state = 'sending', claimed_by = {p}, claimed_until = {p}, "
        "attempts = attempts + 1 "
        f"WHERE id IN (SELECT id FROM outbox_message WHERE {_CLAIMABLE.format(p=p)} "
        f"ORDER BY due_at LIMIT {int(limit)}{skip}) RETURNING id",
        (worker, db_time(lease_until), at, at, channel),
    ).fetchall()
    return sorted(row[0] for row in rows)


def finish(
    message_id: int, worker: str, *, state: str, now: datetime, due_at: datetime | None, error: str | None
) -> bool:
    """Record how an attempt ended, if ``worker`` still holds the claim (``claimed_by`` keeps
    naming the worker that tried last)."""
    p = database.param
    changes = f"state = {p}, claimed_until = NULL, last_error = {p}"  # claimed_by stays: who tried last
    params: list[Any] = [state, error]
    if state == "sent":
        changes += f", sent_at = {p}"
        params.append(db_time(now))
    if due_at is not None:
        changes += f", due_at = {p}"
        params.append(db_time(due_at))
    cursor = database.execute_sql(
        f"UPDATE outbox_message SET {changes} WHERE id = {p} AND state = 'sending' AND claimed_by = {p}",
        (*params, message_id, worker),
    )
    return cursor.rowcount == 1
