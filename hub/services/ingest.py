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

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from hub.db import db_time, is_sqlite, write_transaction
from hub.models import Terminal
from hub.queries import responses as q
from hub.queries.terminals import StorePlaces, lock_sequence_state, record_sync, store_places
from hub.services import comment_search
from hub.services.alerts import route_alerts
from hub.services.catalog import SurveyCache
from hub.services.continuations import merge_follow_ups
from hub.services.response_records import answer_rows, conflict_row, local_time, response_row
from hub.services.rollups import Rollups, smiley_faces
from shared.errors import Problem, SignatureError
from shared.protocol import Batch, Heartbeat, ValidResponse, validate_response
from shared.sequence import add_to_ranges, clip_ranges, missing_page, union_ranges


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
    sender: Sender, batch: Batch, *, surveys: SurveyCache, contact_key: bytes, content_key: bytes, now: datetime
) -> SyncResult:
    terminal = sender.terminal
    store = store_places(terminal.store_id)
    touchpoints = store.touchpoints
    zone = ZoneInfo(store.time_zone)
    result = SyncResult(results=[{} for _ in batch.responses])
    valid: list[tuple[int, ValidResponse]] = []
    problems_seen: list[dict[str, Any]] = []
    refused_seqs: list[int] = []  # the terminal quarantines what the hub refuses: never sent again

    for index, item in enumerate(batch.responses):
        response, problems = validate_response(item, surveys.lookup, content_key)
        if response is not None:
            problems = _belongs_to(response, store, touchpoints)
        if problems:
            echo = item.get("id") if isinstance(item, dict) else None
            entry = {"id": echo if isinstance(echo, str) else None, "status": "invalid"}  # string or null
            entry["code"] = problems[0].code
            entry["problems"] = [p.as_dict() for p in problems]
            result.results[index] = entry
            problems_seen.append({"id": entry["id"], "code": entry["code"]})
            refused_seqs += _sequence_number(item)
            continue
        valid.append((index, response))

    received = now.astimezone(UTC)
    # the rows are made before the transaction, on the likely guess that every valid response
    # is new (a retry or a follow-up makes them again below): on SQLite, whose writers take
    # turns, the turn is then spent writing
    make_rows = partial(
        _rows_of,
        terminal=terminal,
        store_id=store.id,
        touchpoints=touchpoints,
        zone=zone,
        surveys=surveys,
        contact_key=contact_key,
        received=received,
    )
    made = make_rows([r for _, r in valid])
    with write_transaction():
        if not q.remember_nonce(terminal.id, sender.nonce, db_time(datetime.fromtimestamp(sender.created, UTC))):
            raise SignatureError("replayed_nonce", "this nonce was already used; sign the request again")
        q.forget_nonces_before(terminal.id, db_time(received - sender.max_skew - timedelta(minutes=1)))
        locked = lock_sequence_state(terminal.id, for_update=not is_sqlite())
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
            if response.seq is not None:
                (refused_seqs if status == "conflict" else received_seqs).append(response.seq)
            entry = {"id": response.id, "status": status}
            if status == "conflict":
                entry["code"] = "response_conflict"
                problems_seen.append({"id": response.id, "code": "response_conflict"})
            result.results[index] = entry

        # a phone follow-up that waited for one of these taps joins it: stored, counted, routed once
        new = merge_follow_ups(new, terminal_id=terminal.id, contact_key=contact_key, now=received)
        counted = _store(made.of(new, make_rows))
        route_alerts(new, now=received)  # alerts and their outbox messages commit with the responses
        q.insert_conflicts(
            [
                conflict_row(r, raw, terminal_id=terminal.id, contact_key=contact_key, received=received)
                for r, raw in conflicts
            ]
        )
        sequence = _sequence_state(locked, received_seqs, refused_seqs, batch.heartbeat)
        result.missing = sequence.pop("missing")
        beat = batch.heartbeat
        result.counts = Counter(entry["status"] for entry in result.results)
        heartbeat = {
            **sequence,
            "clock_offset_ms": int((sender.created - received.timestamp()) * 1000),
            "app_version": beat.app_version or locked["app_version"],
            "queue_depth": beat.queue_depth,
            "quarantined": beat.quarantined,
            "last_error": beat.last_error,
        }
        record_sync(terminal.id, heartbeat, result.counts, problems_seen[:20], db_time(received))
        # last: the every-store rollup rows are the locks other stores' batches wait for
        counted.write()
    return result


def _sequence_state(locked: dict[str, Any], received: list[int], refused: list[int], beat: Heartbeat) -> dict[str, Any]:
    """The terminal's sequence numbers after this batch: received, closed (refused by the hub,
    or named unavailable by the terminal: they will never come), the highest one, and the next
    page of missing ranges with where the page after it starts."""
    ranges = add_to_ranges(locked["seq_ranges"], received)
    last_seq = max([locked["last_seq"], *received, beat.last_seq or 0])
    closed = union_ranges(
        add_to_ranges(locked["seq_closed"], refused), clip_ranges(beat.unavailable or (), 1, last_seq)
    )
    missing, missing_from = missing_page(union_ranges(ranges, closed), last_seq, locked["missing_from"])
    return {
        "seq_ranges": ranges,
        "seq_closed": closed,
        "last_seq": last_seq,
        "missing_from": missing_from,
        "missing": missing,
    }


def _sequence_number(item: object) -> list[int]:
    """The sequence number of a refused item, if it carries a usable one."""
    seq = item.get("seq") if isinstance(item, dict) else None
    return [seq] if isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq < 2**63 else []


def _belongs_to(response: ValidResponse, store: StorePlaces, touchpoints: dict[str, int]) -> list[Problem]:
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


@dataclass
class _Rows:
    """The rows of responses to be stored (made before the write transaction, so its lock is
    held only to write them): the response rows, the answer rows and their rollup counts."""

    responses: list[ValidResponse]
    response_rows: list[tuple]
    answers: list[tuple]
    rollups: Rollups

    def of(self, responses: list[ValidResponse], make: Callable[[list[ValidResponse]], _Rows]) -> _Rows:
        """These rows when they were made of exactly ``responses`` (the same objects, in order),
        else ``make(responses)``: rows made again (a retry among them, a follow-up merged in)."""
        same = len(responses) == len(self.responses)
        if same and all(a is b for a, b in zip(responses, self.responses, strict=True)):
            return self
        return make(responses)


def _rows_of(
    new: list[ValidResponse],
    terminal: Terminal,
    store_id: int,
    touchpoints: dict[str, int],
    zone: ZoneInfo,
    surveys: SurveyCache,
    contact_key: bytes,
    received: datetime,
) -> _Rows:
    """The response rows, answer rows and rollup counts of ``new``; writes nothing."""
    response_rows, answers = [], []
    rollups = Rollups()
    received_at = db_time(received)
    for r in new:
        moment, dating_flags = local_time(r, received, zone)
        day = moment.date()
        touchpoint_id = touchpoints[r.touchpoint]
        survey_id, definition = surveys.get(r.survey, r.survey_version)
        response_rows.append(
            response_row(
                r,
                store_id=store_id,
                touchpoint_id=touchpoint_id,
                terminal_id=terminal.id,
                survey_id=survey_id,
                flags=set(r.flags) | dating_flags,
                day=day,
                received_at=received_at,
                contact_key=contact_key,
            )
        )
        answers += answer_rows(r.id, r.answers)
        rollups.add(
            store_id=store_id,
            touchpoint_id=touchpoint_id,
            channel=r.channel,
            day=day,
            hour=moment.hour,
            locale=r.locale,
            answers=r.answers,
            faces=smiley_faces(definition),
            suspect="suspect" in r.flags,
        )
    return _Rows(new, response_rows, answers, rollups)


def _store(rows: _Rows) -> Rollups:
    """Insert the responses, their answers and comment index (in the caller's transaction);
    returns their counts, for the caller to write at the end of its transaction."""
    q.insert_responses(rows.response_rows)
    q.insert_answers(rows.answers)
    comment_search.index_comments(rows.answers, {r.id: r.locale for r in rows.responses})
    return rows.rollups
