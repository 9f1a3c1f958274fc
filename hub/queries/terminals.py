"""Terminal reads and writes on the sync hot path, as plain statements (see responses.py for
why: building each of these through the ORM cost more than the statement itself)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.db import database, placeholders
from hub.models import Terminal

_TERMINAL_COLUMNS = ("id", "store_id", "touchpoint_id", "name", "public_key", "status")


def load_terminal(terminal_id: str) -> Terminal | None:
    row = database.execute_sql(
        f"SELECT {', '.join(_TERMINAL_COLUMNS)} FROM terminal WHERE id = {database.param}", (terminal_id,)
    ).fetchone()
    return Terminal(**dict(zip(_TERMINAL_COLUMNS, row, strict=True))) if row else None


@dataclass(frozen=True)
class StorePlaces:
    """A store as ingest needs it: its code, time zone and touchpoint ids by code."""

    id: int
    code: str
    time_zone: str
    touchpoints: dict[str, int]


def store_places(store_id: int) -> StorePlaces:
    rows = database.execute_sql(
        "SELECT s.code, s.time_zone, t.code, t.id FROM store s LEFT JOIN touchpoint t ON t.store_id = s.id "
        f"WHERE s.id = {database.param}",
        (store_id,),
    ).fetchall()
    touchpoints = {row[2]: row[3] for row in rows if row[2] is not None}
    return StorePlaces(id=store_id, code=rows[0][0], time_zone=rows[0][1], touchpoints=touchpoints)


def lock_sequence_state(terminal_id: str, *, for_update: bool) -> dict[str, Any]:
    """The terminal's sequence state, re-read inside the transaction (and on PostgreSQL its row
    locked, so two batches of one terminal, a retry racing its original, run one after the other)."""
    lock = " FOR UPDATE" if for_update else ""
    row = database.execute_sql(
        "SELECT seq_ranges, last_seq, app_version, seq_closed, missing_from FROM terminal "
        f"WHERE id = {database.param}{lock}",
        (terminal_id,),
    ).fetchone()
    return {
        "seq_ranges": json.loads(row[0]),
        "last_seq": row[1],
        "app_version": row[2],
        "seq_closed": json.loads(row[3]),
        "missing_from": row[4],
    }


def record_sync(
    terminal_id: str, heartbeat: dict[str, Any], counts: dict[str, int], problems: list[Any], at: Any
) -> None:
    """The terminal's heartbeat and sequence state, and one sync_log row; a terminal flagged
    silent is heard from again (hub/services/terminal_health.py)."""
    columns = (
        "last_seen_at",
        "seq_ranges",
        "seq_closed",
        "last_seq",
        "missing_from",
        "clock_offset_ms",
        "app_version",
        "queue_depth",
        "quarantined",
        "last_error",
    )
    ranges = [json.dumps(heartbeat[c], separators=(",", ":")) for c in ("seq_ranges", "seq_closed")]
    values = [at, *ranges, *(heartbeat[c] for c in columns[3:])]
    assignments = ", ".join(f"{c} = {database.param}" for c in columns) + ", silent_since = NULL"
    database.execute_sql(f"UPDATE terminal SET {assignments} WHERE id = {database.param}", (*values, terminal_id))
    database.execute_sql(
        "INSERT INTO sync_log (terminal_id, received_at, accepted, duplicates, conflicts, invalid, problems) "
        f"VALUES ({placeholders(7)})",
        (
            terminal_id,
            at,
            counts.get("accepted", 0),
            counts.get("duplicate", 0),
            counts.get("conflict", 0),
            counts.get("invalid", 0),
            json.dumps(problems, sort_keys=True, separators=(",", ":")),
        ),
    )


def touchpoint_setting(touchpoint_id: int) -> tuple[Any, ...]:
    """(store code, store name, time zone, languages JSON, touchpoint code, name, kind, survey key,
    survey's current version) for a terminal's configuration."""
    return database.execute_sql(
        "SELECT s.code, s.name, s.time_zone, s.languages, t.code, t.name, t.kind, v.key, v.current_version "
        "FROM touchpoint t JOIN store s ON s.id = t.store_id JOIN survey v ON v.id = t.survey_id "
        f"WHERE t.id = {database.param}",
        (touchpoint_id,),
    ).fetchone()
