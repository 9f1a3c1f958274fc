"""Signals on measures (hub/services/measure_signals.py): the event is in the payload,
computed when the signal was found; the email is in its recipient's language with both
figures, their n and the window."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from hub.i18n import decimal, gettext
from hub.models import OutboxMessage
from hub.services.outbox.links import Links
from hub.services.outbox.render.envelope import email


def measure_signal_email(message: OutboxMessage, *, links: Links, sender: str, now: datetime) -> EmailMessage:
    event = dict(message.payload)
    event["url"] = links.public_url.rstrip("/") + event.pop("path")
    store, index, values = event["store"], event["index"], event["values"]
    subject = gettext(
        "Signal: %(store)s: smiley index %(now)s against %(before)s while %(measure)s changed by %(change)s %%",
        store=store["code"] + " " + store["name"],
        now=decimal(index["now"]),
        before=decimal(index["before"]),
        measure=event["measure"]["name"],
        change=("+" if values["change"] > 0 else "") + decimal(values["change"]),
    )
    return email(
        message,
        to=message.recipient,
        subject=subject,
        template="measure_signal",
        sender=sender,
        now=now,
        context={"event": event},
    )
