"""The statements of the ingest hot path, run with the database driver directly.

peewee's generic insert builds each row as objects, which costs more than ten times the
driver's executemany; ingest is the one path where that matters, so its statements live here,
behind plain functions, written once for SQLite and PostgreSQL (both speak
``INSERT ... ON CONFLICT``). They run inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.db import database, insert_rows, placeholders


def existing_hashes(ids: Sequence[str]) -> dict[str, str]:
    """content_hash of each response among ``ids`` that is already stored."""
    if not ids:
        return {}
    cursor = database.execute_sql(
        f"SELECT id, content_hash FROM response WHERE id IN ({placeholders(len(ids))})", tuple(ids)
    )
    return {str(row[0]): row[1] for row in cursor.fetchall()}


def _executemany(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        cursor = database.cursor()
        cursor.executemany(sql, rows)


RESPONSE_COLUMNS = (
    "id",
    "store_id",
    "touchpoint_id",
    "terminal_id",
    "channel",
    "survey_id",
    "survey_version",
    "captured_at",
    "received_at",
    "local_day",
    "locale",
    "seq",
    "flags",
    "content_hash",
    "contact_sealed",
)


def insert_responses(rows: Sequence[Sequence[Any]]) -> None:
    """Rows in RESPONSE_COLUMNS order. No conflict clause: the caller checked under its lock,
    so a clash here is a real race and must roll the whole transaction back."""
    columns = ", ".join(RESPONSE_COLUMNS)
    insert_rows(f"INSERT INTO response ({columns})", len(RESPONSE_COLUMNS), rows)


def insert_answers(rows: Sequence[Sequence[Any]]) -> None:
    """Rows of (response_id, question, kind, number, text)."""
    insert_rows("INSERT INTO answer (response_id, question, kind, number, text)", 5, rows)


def insert_conflicts(rows: Sequence[Sequence[Any]]) -> None:
    """Rows of (response_id, terminal_id, content_hash, body, received_at); a conflict already
    kept with the same content is not kept twice."""
    _executemany(
        "INSERT INTO response_conflict (response_id, terminal_id, content_hash, body, received_at) "
        f"VALUES ({placeholders(5)}) ON CONFLICT (response_id, content_hash) DO NOTHING",
        rows,
    )


def remember_nonce(terminal_id: str, nonce: str, created_at: Any) -> bool:
    """Record a nonce; False when the terminal already used it (a replay)."""
    cursor = database.execute_sql(
        f"INSERT INTO seen_nonce (terminal_id, nonce, created_at) VALUES ({placeholders(3)}) "
        "ON CONFLICT (terminal_id, nonce) DO NOTHING",
        (terminal_id, nonce, created_at),
    )
    return cursor.rowcount == 1


def forget_nonces_before(terminal_id: str, cutoff: Any) -> int:
    """A terminal's nonces older than the signature window can no longer be replayed (their
    created time is refused anyway): drop them, so the table holds minutes, not years."""
    cursor = database.execute_sql(
        f"DELETE FROM seen_nonce WHERE terminal_id = {database.param} AND created_at < {database.param}",
        (terminal_id, cutoff),
    )
    return cursor.rowcount
