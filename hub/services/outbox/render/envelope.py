"""The envelope every email shares: headers, and a plain-text and an HTML part from the
templates in hub/templates/email/ (the HTML ones autoescape, so a customer's words never
become markup)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from flask import render_template

from hub.models import OutboxMessage


def email(
    message: OutboxMessage, *, to: str, subject: str, template: str, sender: str, now: datetime, context: dict[str, Any]
) -> EmailMessage:
    """An email for an outbox message from the templates ``template``.txt and .html over
    ``context``, dated ``now`` (the delivery run's time)."""
    mail = EmailMessage()
    mail["Subject"] = " ".join(subject.split())  # no line breaks from a store's or rule's name
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid("voxloop", domain=sender.rpartition("@")[2] or "localhost")
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Voxloop-Message"] = str(message.id)
    if message.case_id:
        mail["X-Voxloop-Case"] = str(message.case_id)
    mail.set_content(render_template(f"email/{template}.txt", **context))
    mail.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    return mail
