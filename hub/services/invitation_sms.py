"""Invitations by SMS go out of the outbox like emails (queued by the invitations job, channel
``sms``), through the hub's SMS provider (hub/services/outbox/transports/sms.py): claimed for
one worker, sent once, retried with the outbox's backoff after a temporary failure, failed
visibly after a permanent one; one whose customer unsubscribed or answered meanwhile is
withdrawn. The number is opened from its seal only to send."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from hub.db import write_transaction
from hub.models import OutboxMessage
from hub.queries import outbox as q
from hub.services.outbox.delivery import DeliveryRun, RetryPolicy
from hub.services.outbox.links import Links
from hub.services.outbox.render.alert import Withdrawn
from hub.services.outbox.render.invitation import invitation_sms
from hub.services.outbox.transports import DeliveryError
from hub.services.outbox.transports.sms import SmsProvider

log = logging.getLogger("voxloop.outbox.sms")
CHANNEL = "sms"
LEASE = timedelta(minutes=2)
DEFAULT_POLICY = RetryPolicy()


def deliver_sms(
    now: datetime, *, provider: SmsProvider, links: Links, worker: str, policy: RetryPolicy = DEFAULT_POLICY
) -> DeliveryRun:
    run = DeliveryRun()
    if not q.anything_due(now, CHANNEL):
        return run
    with write_transaction():
        ids = q.claim(now, channel=CHANNEL, lease_until=now + LEASE, worker=worker, limit=policy.batch)
    for message in OutboxMessage.select().where(OutboxMessage.id.in_(ids or [-1])).order_by(OutboxMessage.id):
        try:
            number, text = invitation_sms(message, links=links)
            provider.send(number, text)
        except Withdrawn as why:
            _finish(message, worker, "withdrawn", now, None, str(why), run.withdrawn)
        except DeliveryError as error:
            created = message.created_at.replace(tzinfo=UTC)
            if error.permanent or now - created >= policy.give_up:
                _finish(message, worker, "failed", now, None, error.reason, run.failed)
            else:
                due = now + policy.delay(message.attempts)
                _finish(message, worker, "retry", now, due, error.reason, run.retrying)
        else:
            _finish(message, worker, "sent", now, None, None, run.sent)
    return run


def _finish(
    message: OutboxMessage, worker: str, state: str, now: datetime, due: datetime | None, reason: str | None, into: list
) -> None:
    with write_transaction():
        held = q.finish(message.id, worker, state=state, now=now, due_at=due, error=reason)
    if held:
        into.append(message.id)
        log.info("outbox message %s (%s, sms) %s", message.id, message.kind, state)  # never the number
