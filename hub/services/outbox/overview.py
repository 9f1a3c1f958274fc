"""What HQ's deliveries page shows of the outbox, and sending a failed message again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from hub.db import write_transaction
from hub.models import OutboxMessage, Store

TROUBLED = ("failed", "retry", "sending", "pending")


@dataclass(frozen=True)
class Overview:
    counts: dict[str, int]  # messages per state
    troubled: list[OutboxMessage]  # not sent (yet): failed first, then by due time
    recent: list[OutboxMessage]  # the last ones sent
    stores: dict[int, str]  # store id -> code, to name each message's store


def overview(*, troubled: int = 200, recent: int = 20) -> Overview:
    counts = dict(
        OutboxMessage.select(OutboxMessage.state, fn.COUNT(OutboxMessage.id)).group_by(OutboxMessage.state).tuples()
    )
    waiting = (
        OutboxMessage.select()
        .where(OutboxMessage.state.in_(TROUBLED))
        .order_by(OutboxMessage.state, OutboxMessage.due_at)
        .limit(troubled)
    )
    sent = OutboxMessage.select().where(OutboxMessage.state == "sent").order_by(OutboxMessage.sent_at.desc())
    stores = {s.id: s.code for s in Store.select(Store.id, Store.code)}
    return Overview(counts, list(waiting), list(sent.limit(recent)), stores)


def send_again(message_id: int, *, now: datetime) -> bool:
    """A failed message goes back into the queue, due now, with a fresh give-up period;
    False when the message is not failed (sent meanwhile, or never failed)."""
    at = now.replace(tzinfo=None)
    with write_transaction():
        changed = (
            OutboxMessage.update(state="retry", due_at=at, created_at=at)
            .where((OutboxMessage.id == message_id) & (OutboxMessage.state == "failed"))
            .execute()
        )
    return changed == 1
