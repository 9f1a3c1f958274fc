"""The password reset email (hub/services/password_resets.py): the link's token stays sealed in
the message until this renders it, in the language the person asked in."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from hub.models import OutboxMessage
from hub.services.outbox.links import Links
from hub.services.outbox.render.envelope import email
from hub.services.personal_data import open_contact

SUBJECTS = {"en": "Your voxloop password", "de": "Ihr voxloop-Passwort"}


def password_reset_email(
    message: OutboxMessage, *, links: Links, sender: str, contact_key: bytes, now: datetime
) -> EmailMessage:
    payload = message.payload
    token = open_contact(contact_key, bytes.fromhex(payload["sealed"]), payload["bound_to"])["token"]
    lang = payload.get("lang") if payload.get("lang") in SUBJECTS else "en"
    ctx = {"link": f"{links.public_url.rstrip('/')}/password-reset/{token}", "lang": lang, "minutes": 30}
    return email(
        message,
        to=message.recipient,
        subject=SUBJECTS[lang],
        template="password_reset",
        sender=sender,
        now=now,
        context=ctx,
    )
