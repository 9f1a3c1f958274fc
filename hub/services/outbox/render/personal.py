"""Digests (hub/services/digests.py) and reports (hub/services/reports.py): computed when
queued and kept in the payload, so the email says what was true at its hour."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from hub.models import OutboxMessage
from hub.services.outbox.links import Links
from hub.services.outbox.render.envelope import email


def personal_email(message: OutboxMessage, *, links: Links, sender: str, now: datetime) -> EmailMessage:
    """A digest or report: the template of its kind over its payload."""
    ctx = {message.kind: message.payload, "hub_url": links.public_url.rstrip("/")}
    return email(
        message,
        to=message.recipient,
        subject=message.payload["subject"],
        template=message.kind,
        sender=sender,
        now=now,
        context=ctx,
    )
