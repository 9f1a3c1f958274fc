"""Ingest: a terminal's batch becomes stored responses, exactly once.

Per item the answer is one of ``accepted`` (stored now), ``duplicate`` (stored before with the
same content: a retry, nothing changes), ``conflict`` (stored before with other content: the
new content is kept aside for inspection, the stored one stays) or ``invalid`` (with its
problems). Good items are stored even when others in the batch are bad.

Everything a batch changes (responses, answers, rollups, conflicts, the nonce, the terminal's
heartbeat and sequence ranges, the sync log) commits in one transaction before the hub
answers, so an acknowledgement always means "on disk", and an error means "nothing written".
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.db import database, db_time, is_sqlite, write_transaction
from hub.models import Store, SyncLog, Terminal, Touchpoint
from hub.queries import responses as q
from hub.services.catalog import SurveyCache
from hub.services.personal_data import seal_contact
from shared.errors import Problem, SignatureError
from shared.protocol import Batch, ValidResponse, canonical_json, validate_response
from shared.sequence import add_to_ranges, missing_ranges

# Capture times outside this window are taken as a wrong terminal clock: the response is
# kept, dated by the hub's receive time and flagged clock_skew.
MAX_FUTURE = timedelta(minutes=5)
MAX_PAST = timedelta(days=400)


@dataclass
class SyncResult:
    results: list[dict[str, Any]] = field(default_factory=list)
    missing: list[list[int]] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Sender:
    """Who sent the batch, as established by the signature check."""

    terminal: Terminal
    nonce: str
    created: int
    # how far ``created`` may be from the hub's clock; a nonce older than that can never be
    # accepted again, so it need not be remembered longer (plus a margin)
    max_skew: timedelta = timedelta(seconds=300)


def ingest_batch(
    sender: Sender, batch: Batch, *, surveys: SurveyCache, contact_key: bytes, now: datetime
) -> SyncResult:
    terminal = sender.terminal
    store = Store.get_by_id(terminal.store_id)
    touchpoints = {tp.code: tp for tp in Touchpoint.select().where(Touchpoint.store == store.id)}
    zone = ZoneInfo(store.time_zone)
    result = SyncResult(results=[{} for _ in batch.responses])
    valid: list[tuple[int, ValidResponse]] = []
    problems_seen: list[dict[str, Any]] = []

    for index, item in enumerate(batch.responses):
        response, problems = validate_response(item, surveys.lookup)
        if response is not None:
            problems = _belongs_to(response, store, touchpoints)
        if problems:
            echo = item.get("id") if isinstance(item, dict) else None
            entry = {"id": echo if isinstance(echo, str) else None, "status": "invalid"}  # string or null
            entry["code"] = problems[0].code
            entry["problems"] = [p.as_dict() for p in problems]
            result.results[index] = entry
            problems_seen.append({"id": entry["id"], "code": entry["code"]})
            continue
        valid.append((index, response))

    received = now.astimezone(UTC)
    with write_transaction():
        if not q.remember_nonce(terminal.id, sender.nonce, db_time(datetime.fromtimestamp(sender.created, UTC))):
            raise SignatureError("replayed_nonce", "this nonce was already used; sign the request again")
        q.forget_nonces_before(terminal.id, db_time(received - sender.max_skew - timedelta(minutes=1)))
        locked = _lock_terminal(terminal.id)
        stored = q.existing_hashes([r.id for _, r in valid])
        new: list[ValidResponse] = []
        conflicts: list[tuple[ValidResponse, Any]] = []
        received_seqs: list[int] = []
        for index, response in valid:
            known = stored.get(response.id)
            if known is None:
                stored[response.id] = response.content_hash
                new.append(response)
                status = "accepted"
            elif known == response.content_hash:
                status = "duplicate"
            else:
                conflicts.append((response, batch.responses[index]))
                status = "conflict"
            if status != "conflict" and response.seq is not None:
                received_seqs.append(response.seq)
            entry = {"id": response.id, "status": status}
            if status == "conflict":
                entry["code"] = "response_conflict"
                problems_seen.append({"id": response.id, "code": "response_conflict"})
            result.results[index] = entry

        _store_new(new, terminal, store.id, touchpoints, zone, surveys, contact_key, received)
        q.insert_conflicts(
            [
                (r.id, terminal.id, r.content_hash, canonical_json(raw).decode(), db_time(received))
                for r, raw in conflicts
            ]
        )
        ranges = add_to_ranges(locked["seq_ranges"], received_seqs)
        last_seq = max([locked["last_seq"], *received_seqs, batch.heartbeat.last_seq or 0])
        beat = batch.heartbeat
        Terminal.update(
            last_seen_at=received.replace(tzinfo=None),
            seq_ranges=ranges,
            last_seq=last_seq,
            clock_offset_ms=int((sender.created - received.timestamp()) * 1000),
            app_version=beat.app_version or locked["app_version"],
            queue_depth=beat.queue_depth,
            quarantined=beat.quarantined,
            last_error=beat.last_error,
        ).where(Terminal.id == terminal.id).execute()
        result.counts = Counter(entry["status"] for entry in result.results)
        SyncLog.create(
            terminal=terminal.id,
            received_at=received.replace(tzinfo=None),
            accepted=result.counts["accepted"],
            duplicates=result.counts["duplicate"],
            conflicts=result.counts["conflict"],
            invalid=result.counts["invalid"],
            problems=problems_seen[:20],
        )
    result.missing = missing_ranges(ranges, last_seq)
    return result


def _belongs_to(response: ValidResponse, store: Store, touchpoints: dict[str, Touchpoint]) -> list[Problem]:
    """A terminal writes only terminal responses, into its own store's touchpoints."""
    if response.channel != "kiosk":
        return [Problem("unknown_channel", "a terminal sends responses of channel 'kiosk'", "channel")]
    if response.store != store.code:
        return [Problem("wrong_store", f"this terminal belongs to store {store.code!r}", "store")]
    if response.touchpoint not in touchpoints:
        return [
            Problem("wrong_touchpoint", f"store {store.code!r} has no touchpoint {response.touchpoint!r}", "touchpoint")
        ]
    return []


def _lock_terminal(terminal_id: str) -> dict[str, Any]:
    """Re-read the terminal's sequence state inside the transaction; on PostgreSQL lock the
    row, so two batches of one terminal (a retry racing its original) run one after the other."""
    lock = "" if is_sqlite() else " FOR UPDATE"
    row = database.execute_sql(
        f"SELECT seq_ranges, last_seq, app_version FROM terminal WHERE id = {database.param}{lock}", (terminal_id,)
    ).fetchone()
    return {"seq_ranges": json.loads(row[0]), "last_seq": row[1], "app_version": row[2]}


def _store_new(
    new: list[ValidResponse],
    terminal: Terminal,
    store_id: int,
    touchpoints: dict[str, Touchpoint],
    zone: ZoneInfo,
    surveys: SurveyCache,
    contact_key: bytes,
    received: datetime,
) -> None:
    response_rows, answer_rows = [], []
    rollups: Counter = Counter()
    received_db = db_time(received)
    for r in new:
        flags = list(r.flags)
        when = r.captured_at
        if not received - MAX_PAST <= when <= received + MAX_FUTURE:
            when = received
            flags.append("clock_skew")
        day = when.astimezone(zone).date()
        touchpoint_id = touchpoints[r.touchpoint].id
        survey_id = surveys.get(r.survey, r.survey_version)[0]
        sealed = seal_contact(contact_key, r.contact, r.id) if r.contact else None
        response_rows.append(
            (
                r.id,
                store_id,
                touchpoint_id,
                terminal.id,
                r.channel,
                survey_id,
                r.survey_version,
                db_time(r.captured_at),
                received_db,
                day.isoformat() if is_sqlite() else day,
                r.locale,
                r.seq,
                " ".join(sorted(set(flags))),
                r.content_hash,
                sealed,
            )
        )
        day_key = day.isoformat() if is_sqlite() else day
        for a in r.answers:
            answer_rows.append((r.id, a.question, a.kind, a.number, a.text))
            value = "" if a.kind == "text" else (a.text if a.number is None else str(a.number))
            rollups[(store_id, touchpoint_id, r.channel, a.question, day_key, value)] += 1
    q.insert_responses(response_rows)
    q.insert_answers(answer_rows)
    q.bump_rollups(rollups.items())
