"""How a validated response becomes rows, the same for terminals and phones: its local day,
its response row, its answer rows and rollup counts, and a conflicting version kept aside."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.db import db_day, db_time
from hub.services.personal_data import seal_contact
from shared.protocol import AnswerRow, ValidResponse, canonical_json

# Capture times outside this window are taken as a wrong device clock: the response is kept,
# dated by the hub's receive time and flagged clock_skew.
MAX_FUTURE = timedelta(minutes=5)
MAX_PAST = timedelta(days=400)


def local_time(r: ValidResponse, received: datetime, zone: ZoneInfo) -> tuple[datetime, set[str]]:
    """The store's local time of the capture, and the flags that dating adds (clock_skew)."""
    if received - MAX_PAST <= r.captured_at <= received + MAX_FUTURE:
        return r.captured_at.astimezone(zone), set()
    return received.astimezone(zone), {"clock_skew"}


def local_day(r: ValidResponse, received: datetime, zone: ZoneInfo) -> tuple[date, set[str]]:
    """The store's local date of the capture, and the flags that dating adds (clock_skew)."""
    moment, flags = local_time(r, received, zone)
    return moment.date(), flags


def response_row(
    r: ValidResponse,
    *,
    store_id: int,
    touchpoint_id: int,
    terminal_id: str | None,
    survey_id: int,
    flags: Iterable[str],
    day: date,
    received_at: datetime | str,
    contact_key: bytes,
) -> tuple[Any, ...]:
    """A row in hub.queries.responses.RESPONSE_COLUMNS order; the contact sealed.
    ``received_at`` is the receipt time as ``db_time`` gives it (once for a whole batch)."""
    sealed = seal_contact(contact_key, r.contact, r.id) if r.contact else None
    return (
        r.id,
        store_id,
        touchpoint_id,
        terminal_id,
        r.channel,
        survey_id,
        r.survey_version,
        db_time(r.captured_at),
        received_at,
        db_day(day),
        r.locale,
        r.seq,
        " ".join(sorted(set(flags))),
        r.content_hash,
        sealed,
    )


def rollup_value(answer: AnswerRow) -> str:
    """What a rollup counts for an answer: the number, the chosen option, or '' for a comment."""
    if answer.kind == "text":
        return ""
    return answer.text if answer.number is None else str(answer.number)


def answer_rows(response_id: str, answers: Iterable[AnswerRow]) -> list[tuple[Any, ...]]:
    """Answer rows for insert_answers."""
    return [(response_id, a.question, a.kind, a.number, a.text) for a in answers]


def conflict_row(
    r: ValidResponse, raw: Any, *, terminal_id: str | None, contact_key: bytes, received: datetime
) -> tuple[Any, ...]:
    """The conflicting version, kept for inspection, its contact sealed (never kept in clear)."""
    body = dict(raw)
    if r.contact:
        body["contact"] = {"sealed": base64.b64encode(seal_contact(contact_key, r.contact, r.id)).decode()}
    return (r.id, terminal_id, r.content_hash, canonical_json(body).decode(), db_time(received))
