"""A help desk's signed event: "ticket N changed" (``POST /api/v1/helpdesk/<name>/events``).

The body is signed as Standard Webhooks says: ``webhook-id``, ``webhook-timestamp`` (unix
seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``,
several separated by spaces while a secret rotates) under HELPDESK_INBOUND_SECRET (``whsec_``
and base64: those bytes; any other secret: its UTF-8 bytes, as for the outbound webhooks,
hub/services/outbox/transports/webhook.py). A timestamp more than five minutes from the hub's
clock is refused; a webhook id seen before is acknowledged again and does nothing (ids are
kept for twice the window, which covers every timestamp still accepted).

The event is never trusted for the ticket's state: it only names the ticket, and the hub then
reads that ticket from the help desk through the connector and applies it as the sync job does
(``hub.services.helpdesk.sync.apply_ticket``). A forged or stale event can therefore change
nothing by itself, and a help desk that cannot be read now leaves the change to the next poll.
"""

from __future__ import annotations

import binascii
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError

from hub.db import write_transaction
from hub.models import HelpdeskEvent
from hub.services.helpdesk import HelpDesk, HelpDeskError
from hub.services.helpdesk.settings import HelpDeskSettings
from hub.services.helpdesk.sync import SyncRun, apply_ticket
from hub.services.outbox.transports.webhook import (
    STANDARD_ID_HEADER,
    STANDARD_SIGNATURE_HEADER,
    STANDARD_TIMESTAMP_HEADER,
    standard_signature,
)
from shared.errors import NotFound, RequestError, SignatureError

log = logging.getLogger("voxloop.helpdesk")

TOLERANCE_SECONDS = 300
MAX_ID_LENGTH = 200
MAX_TICKET_LENGTH = 40


@dataclass(frozen=True)
class EventResult:
    """What an event did: ``duplicate`` for a webhook id seen before (nothing done);
    ``case_id`` and ``state`` when the ticket is a case's, as read from the help desk;
    ``applied`` False when the help desk could not be read (the next poll reads it)."""

    ticket: str
    duplicate: bool = False
    applied: bool = True
    case_id: int | None = None
    state: str | None = None
    changed: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "ticket": self.ticket,
            "duplicate": self.duplicate,
            "applied": self.applied,
            "case_id": self.case_id,
            "state": self.state,
            "changed": self.changed,
        }


def receive(
    settings: HelpDeskSettings,
    name: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    *,
    desk: HelpDesk | None = None,
) -> EventResult:
    """Check the event's signature, remember its id, and apply the named ticket's state as
    the help desk tells it."""
    if not (settings.enabled and settings.inbound_secret) or name != settings.system:
        raise NotFound("not_found", f"no help desk called {name!r} sends events to this hub")
    webhook_id = verify(settings.inbound_secret, headers, body, now)
    ticket = ticket_named(body)
    if not _first_time(settings.system, webhook_id, now):
        return EventResult(ticket=ticket, duplicate=True)
    desk = desk or settings.desk()
    run = SyncRun()
    try:
        row = apply_ticket(settings.system, desk, ticket, now, run)
    except HelpDeskError as error:
        log.warning("a help desk event cannot be followed now: %s", error, extra={"helpdesk": settings.system})
        return EventResult(ticket=ticket, applied=False)
    if row is None:
        return EventResult(ticket=ticket)
    return EventResult(ticket=ticket, case_id=row.case_id, state=row.state, changed=bool(run.changed))


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> str:
    """The event's webhook id, once its Standard Webhooks signature verifies under ``secret``
    and its timestamp is within the window of ``now``."""
    webhook_id = headers.get(STANDARD_ID_HEADER)
    timestamp = headers.get(STANDARD_TIMESTAMP_HEADER)
    signatures = headers.get(STANDARD_SIGNATURE_HEADER)
    if not (webhook_id and timestamp and signatures):
        raise SignatureError(
            "missing_signature",
            f"send {STANDARD_ID_HEADER}, {STANDARD_TIMESTAMP_HEADER} and {STANDARD_SIGNATURE_HEADER}",
        )
    readable = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12
    if len(webhook_id) > MAX_ID_LENGTH or not webhook_id.isprintable() or not readable:
        raise SignatureError("malformed_signature", "the webhook id or timestamp cannot be read")
    try:
        expected = standard_signature(secret, webhook_id, int(timestamp), body)
    except binascii.Error:  # a whsec_ secret that is not base64: the hub's setting
        log.error("HELPDESK_INBOUND_SECRET starts with whsec_ but is not base64")
        raise SignatureError("bad_signature") from None
    matched = False
    for sent in signatures.split(" "):
        matched |= hmac.compare_digest(sent.encode(), expected.encode())
    if not matched:
        raise SignatureError("bad_signature", "the webhook-signature does not verify under the hub's secret")
    if abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
        raise SignatureError("stale_created", f"the webhook-timestamp is more than {TOLERANCE_SECONDS} s from now")
    return webhook_id


def ticket_named(body: bytes) -> str:
    """The ticket number the body names: ``{"ticket": "17"}`` (or 17)."""
    try:
        sent = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError("malformed_json", f"the body is not valid JSON: {exc}") from None
    ticket = sent.get("ticket") if isinstance(sent, dict) else None
    if isinstance(ticket, int) and not isinstance(ticket, bool):
        ticket = str(ticket)
    if not isinstance(ticket, str) or not ticket or len(ticket) > MAX_TICKET_LENGTH or not ticket.isprintable():
        raise RequestError("malformed_request", 'send {"ticket": "<the ticket\'s number in the help desk>"}')
    return ticket


def _first_time(system: str, webhook_id: str, now: datetime) -> bool:
    """Remember the webhook id; False when it was seen (a replay or a retry of a delivery)."""
    at = now.replace(tzinfo=None)
    try:
        with write_transaction():
            HelpdeskEvent.delete().where(
                HelpdeskEvent.received_at < at - timedelta(seconds=2 * TOLERANCE_SECONDS)
            ).execute()
            HelpdeskEvent.insert(system=system, webhook_id=webhook_id, received_at=at).execute()
    except IntegrityError:
        return False
    return True
