"""What an outbox message says, rendered when it is sent from what the database holds then.

One module per kind of message; this picks the one for a message's kind:

    alert.py       alert, escalation and test messages (email, and JSON / Slack / Teams webhooks);
                   ``Withdrawn`` when the message's case moved on since it was queued
    signal.py      signal.detected (email and webhooks)
    recommendation.py  recommendation.made (webhooks)
    measure_signal.py  a signal on a measure (email)
    action.py      notices to an action's people (email) and action events (webhooks)
    personal.py    digests and reports (email)
    close_loop.py  the close-the-loop email to a customer
    invitation.py  the invitation to give feedback and its reminder (the customer's language)
    password_reset.py  the link to set a new password (email)
    envelope.py    the headers and parts every email shares
    chat.py        Slack and Teams shapes and their escaping
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from hub.i18n import in_language
from hub.models import OutboxMessage, User
from hub.services.outbox.links import Links
from hub.services.outbox.render.action import NOTICE_KINDS, action_webhook, notice_email
from hub.services.outbox.render.alert import Withdrawn, alert_email, alert_webhook
from hub.services.outbox.render.chat import as_json
from hub.services.outbox.render.close_loop import close_loop_email
from hub.services.outbox.render.invitation import invitation_email
from hub.services.outbox.render.measure_signal import measure_signal_email
from hub.services.outbox.render.password_reset import password_reset_email
from hub.services.outbox.render.personal import personal_email
from hub.services.outbox.render.recommendation import recommendation_webhook
from hub.services.outbox.render.signal import signal_email, signal_webhook

__all__ = ["Withdrawn", "render_email", "webhook_body"]


def render_email(
    message: OutboxMessage, *, links: Links, sender: str, contact_key: bytes, now: datetime
) -> EmailMessage:
    if message.kind == "close_loop":  # the customer's language, chosen on the phone page
        return close_loop_email(message, sender=sender, contact_key=contact_key, now=now)
    if message.kind in ("invitation", "invitation_reminder"):  # the customer's language, as asked
        return invitation_email(message, links=links, sender=sender, now=now)
    with in_language(staff_language(message)):
        return _staff_email(message, links=links, sender=sender, contact_key=contact_key, now=now)


def staff_language(message: OutboxMessage) -> str | None:
    """The language an email to staff is written in: the password reset's page's, else the
    recipient's choice on /account (None: the hub's LANGUAGE setting, hub/i18n.py)."""
    if message.kind == "password_reset":
        return (message.payload or {}).get("lang")
    person = User.get_or_none(User.id == message.user_id) if message.user_id else None
    if person is None and "@" in message.recipient:
        person = User.get_or_none(User.email == message.recipient)
    return person.language if person is not None else None


def _staff_email(
    message: OutboxMessage, *, links: Links, sender: str, contact_key: bytes, now: datetime
) -> EmailMessage:
    if message.kind == "close_loop":
        return close_loop_email(message, sender=sender, contact_key=contact_key, now=now)
    if message.kind == "password_reset":
        return password_reset_email(message, links=links, sender=sender, contact_key=contact_key, now=now)
    if message.kind in ("digest", "report"):
        return personal_email(message, links=links, sender=sender, now=now)
    if message.kind == "signal":
        return signal_email(message, links=links, sender=sender, now=now)
    if message.kind == "measure_signal":
        return measure_signal_email(message, links=links, sender=sender, now=now)
    if message.kind in NOTICE_KINDS:
        return notice_email(message, links=links, sender=sender, now=now)
    return alert_email(message, links=links, sender=sender, now=now)


def webhook_body(message: OutboxMessage, *, links: Links, now: datetime, form: str) -> bytes:
    if message.kind == "signal":
        return as_json(signal_webhook(message, links=links, form=form))
    if message.kind == "action_event":
        return as_json(action_webhook(message, links=links, form=form))
    if message.kind == "recommendation":
        return as_json(recommendation_webhook(message, links=links, form=form))
    return as_json(alert_webhook(message, links=links, now=now, form=form))
