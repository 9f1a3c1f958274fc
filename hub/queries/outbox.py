"""The statements of the outbox, run with the database driver directly.

A message is inserted with ``INSERT ... ON CONFLICT DO NOTHING`` against one of two unique
indexes: ``outbox_gathering`` (one message per group still gathers items: alerts of a store
and rule wait in it for their throttle period) or the ``dedupe_key`` (a digest, report,
escalation or signal message is queued once however many job processes try).

Delivery claims messages with one ``UPDATE ... RETURNING``: a message moves from pending or
retry (or a sending claim whose lease ran out) to sending, stamped with the claimer and a
lease. On PostgreSQL the candidates are picked ``FOR UPDATE SKIP LOCKED``, so two job
processes take disjoint sets without waiting on each other; on SQLite writers are serialised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hub.db import database, db_time, is_sqlite, placeholders, stored_time

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
    value = row[0] if row else None
    return None if value is None else stored_time(value).replace(tzinfo=UTC)


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
    """Rows of (message_id, response_id): the responses a message lists."""
    if rows:
        database.cursor().executemany(
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
