"""The figures an operator watches, read straight from the database: the outbox by channel and
the terminals by status (hub/services/operations_metrics.py, hub/services/readiness.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.db import database, db_time, stored_time

_WAITING = "state IN ('pending', 'sending', 'retry')"


@dataclass(frozen=True)
class OutboxFigures:
    channel: str
    waiting: int  # pending, sending or retry: not sent yet, not given up
    failed: int  # given up: undeliverable
    failed_attempts: int  # attempts that failed, of the messages held (not one that sent or was withdrawn)
    oldest_due: datetime | None  # naive UTC: when the oldest waiting message that is due was to go out


def outbox_figures(now: datetime) -> list[OutboxFigures]:
    """Per channel that has messages. A message is due once its ``deliver_after`` passed
    (throttling and opening hours hold it until then); retries move ``due_at``, never that."""
    rows = database.execute_sql(
        f"SELECT channel, SUM(CASE WHEN {_WAITING} THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), "
        "SUM(attempts) - SUM(CASE WHEN state IN ('sent', 'sending', 'withdrawn') AND attempts > 0 THEN 1 ELSE 0 END), "
        f"MIN(CASE WHEN {_WAITING} AND deliver_after <= {database.param} THEN deliver_after END) "
        "FROM outbox_message GROUP BY channel ORDER BY channel",
        (db_time(now),),
    ).fetchall()
    return [
        OutboxFigures(
            channel, int(waiting or 0), int(failed or 0), int(attempts or 0), None if due is None else stored_time(due)
        )
        for channel, waiting, failed, attempts, due in rows
    ]


def terminals_by_status() -> dict[str, int]:
    rows = database.execute_sql("SELECT status, COUNT(*) FROM terminal GROUP BY status").fetchall()
    return {status: int(count) for status, count in rows}


def silent_terminals() -> int:
    """Active terminals flagged silent and not heard from since (hub/services/terminal_health.py)."""
    row = database.execute_sql(
        "SELECT COUNT(*) FROM terminal WHERE status = 'active' AND silent_since IS NOT NULL "
        "AND (last_seen_at IS NULL OR last_seen_at <= silent_since)"
    ).fetchone()
    return int(row[0])
