"""The password reset email (hub/services/password_resets.py): the link's token stays sealed in
the message until this renders it, in the language of the page it was asked on
(``render_email`` chooses it)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from hub.i18n import gettext
from hub.models import OutboxMessage
from hub.services.outbox.links import Links
from hub.services.outbox.render.envelope import email
from hub.services.personal_data import open_contact


def password_reset_email(
    message: OutboxMessage, *, links: Links, sender: str, contact_key: bytes, now: datetime
) -> EmailMessage:
    payload = message.payload
    token = open_contact(contact_key, bytes.fromhex(payload["sealed"]), payload["bound_to"])["token"]
    ctx = {"link": f"{links.public_url.rstrip('/')}/password-reset/{token}", "minutes": 30}
    return email(
        message,
        to=message.recipient,
        subject=gettext("Your voxloop password"),  # in the language of the page it was asked on
        template="password_reset",
        sender=sender,
        now=now,
        context=ctx,
    )
