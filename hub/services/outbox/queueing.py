"""Queue a message: the one way anything leaves the hub, written where its cause is written.

``queue(...)`` inserts an outbox message in the caller's write transaction (so a message
commits with the alert, case step, signal or report that caused it, and an SMTP outage
delays it, never loses it) and wakes this process's delivery jobs. Two ways to say that a
message exists already:

- ``dedupe_key``: one message per key, ever (a digest per person and day, an escalation per
  case, level and person). A second ``queue`` with the key queues nothing and returns None.
- ``group_key``: messages of a group gather. While the group's message is pending, ``queue``
  adds its ``items`` (response ids) and ``count`` to that one; otherwise it starts one, due at
  ``deliver_after`` or one ``throttle`` period after the group's last message, whichever is
  later. So a bad hour at a store is one email per throttle period, listing everything.

Waking happens at once; the delivery job starts a moment later (hub/jobs.py: WAKE_DELAY) and
finds the message once the caller's transaction committed, or at its next poll.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from hub.db import db_time, write_transaction
from hub.models import OutboxMessage, User
from hub.queries import outbox as q

log = logging.getLogger("voxloop.outbox")

GATHER_ATTEMPTS = 3  # a gathering message can be sent between our two statements: try again


@dataclass
class Wakers:
    """Per app: whom to wake when a message is queued (the delivery jobs of this process)."""

    wakers: list[Callable[[], None]] = field(default_factory=list)

    def add(self, waker: Callable[[], None]) -> None:
        self.wakers.append(waker)

    def discard(self, waker: Callable[[], None]) -> None:
        if waker in self.wakers:
            self.wakers.remove(waker)

    def wake(self) -> None:
        for waker in list(self.wakers):
            try:
                waker()
            except Exception:
                log.exception("waking the delivery job failed")


def wakers() -> Wakers:
    return current_app.extensions.setdefault("voxloop_outbox", Wakers())


def queue(
    *,
    kind: str,
    channel: str,
    recipient: str,
    now: datetime,
    user_id: int | None = None,
    case_id: int | None = None,
    rule_id: int | None = None,
    store_id: int | None = None,
    dedupe_key: str | None = None,
    group_key: str | None = None,
    throttle: timedelta = timedelta(0),
    items: Sequence[str] = (),
    count: int = 0,
    payload: dict[str, Any] | None = None,
    deliver_after: datetime | None = None,
) -> int | None:
    """Queue one message (call inside a write transaction) and wake the delivery jobs; the
    message's id, or None when ``dedupe_key`` names a message that exists."""
    values = {
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "user_id": user_id,
        "case_id": case_id,
        "rule_id": rule_id,
        "store_id": store_id,
        "group_key": group_key,
        "dedupe_key": dedupe_key,
        "payload": json.dumps(payload or {}, sort_keys=True),
        "state": "pending",
        "item_count": count,
        "attempts": 0,
        "created_at": db_time(now),
    }
    earliest = deliver_after or now
    if group_key is None:
        message_id = q.insert_message(_due(values, earliest), conflict="dedupe")
    else:
        message_id = _gather(values, group_key, count, earliest, throttle)
    if message_id is not None:
        q.add_items([(message_id, r) for r in items])
        wakers().wake()
    return message_id


def already_queued(dedupe_key: str) -> bool:
    """A message with this key exists: a job can skip computing what it would say."""
    return OutboxMessage.select().where(OutboxMessage.dedupe_key == dedupe_key).exists()


def queue_personal_email(kind: str, user: User, dedupe_key: str, payload: dict[str, Any], now: datetime) -> bool:
    """Queue one email for ``user`` (a digest, a report) in its own transaction, unless a
    message with ``dedupe_key`` exists (another job process was quicker: nothing twice);
    whether this call queued it."""
    with write_transaction():
        made = queue(
            kind=kind,
            channel="email",
            recipient=user.email,
            user_id=user.id,
            dedupe_key=dedupe_key,
            payload=payload,
            now=now,
        )
    return made is not None


def _due(values: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {**values, "deliver_after": db_time(at), "due_at": db_time(at)}


def _gather(values: dict[str, Any], group_key: str, count: int, earliest: datetime, throttle: timedelta) -> int:
    for _attempt in range(GATHER_ATTEMPTS):
        message_id = q.gather(group_key, count)
        if message_id is not None:
            return message_id
        last = q.last_scheduled(group_key)
        at = max(earliest, last + throttle) if last else earliest
        message_id = q.insert_message(_due(values, at), conflict="gathering")
        if message_id is not None:
            return message_id
    raise RuntimeError(f"could not queue a message for {group_key}")  # pragma: no cover - three races in a row
