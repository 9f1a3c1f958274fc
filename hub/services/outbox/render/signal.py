"""Signal messages (hub/services/signals.py): the ``signal.detected`` event is in the
payload, computed when the signal was found; rendering adds the delivery id and the link."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any

from hub.i18n import decimal, gettext, lazy_gettext
from hub.models import OutboxMessage
from hub.services.outbox.links import Links
from hub.services.outbox.render import chat
from hub.services.outbox.render.envelope import email


def signal_event(message: OutboxMessage, links: Links) -> dict[str, Any]:
    """The ``signal.detected`` event of a message, with its delivery id and the full link."""
    event = dict(message.payload)
    path = event.pop("path")
    return {**event, "delivery": str(message.id), "url": links.public_url.rstrip("/") + path}


def signal_subject(event: dict[str, Any]) -> str:
    store, values = event["store"], event["values"]
    return (
        f"Signal: {store['code']} {store['name']}: {event['kpi_label']} {values['current']:g} "
        f"against {values['baseline']:g} (p = {event['p_value']:.2g})"
    )


KPI_NAMES = {"smiley_index": lazy_gettext("Smiley index"), "unhappy_share": lazy_gettext("Unhappy share (%)")}


def signal_email(message: OutboxMessage, *, links: Links, sender: str, now: datetime) -> EmailMessage:
    """The email in its recipient's language (render_email chooses it); webhooks stay English."""
    event = signal_event(message, links)
    event["kpi_label"] = str(KPI_NAMES.get(event.get("kpi", ""), event["kpi_label"]))
    values, store = event["values"], event["store"]
    place = store["code"] + " " + store["name"]
    subject = gettext(
        "Signal: %(store)s: %(kpi)s %(current)s against %(baseline)s (p = %(p)s)",
        store=place,
        kpi=event["kpi_label"],
        current=decimal(values["current"]),
        baseline=decimal(values["baseline"]),
        p=format(event["p_value"], ".2g"),
    )
    return email(
        message,
        to=message.recipient,
        subject=subject,
        template="signal",
        sender=sender,
        now=now,
        context={"event": event},
    )


def signal_webhook(message: OutboxMessage, *, links: Links, form: str) -> dict[str, Any]:
    """The event as it is, or shaped for Slack or Teams (``form``)."""
    event = signal_event(message, links)
    link = ("Open", event["url"])
    if form == "slack":
        return chat.slack(chat.slack_escape(signal_subject(event)), [chat.slack_escape(_text(event))], link=link)
    if form == "teams":
        return chat.teams(chat.teams_escape(signal_subject(event)), [chat.teams_escape(_text(event))], link=link)
    return event


def _text(event: dict[str, Any]) -> str:
    values, window, baseline = event["values"], event["window"], event["baseline"]
    return (
        f"{event['kpi_label']} {values['current']:g} (n = {values['current_n']}) in {window['start']} to "
        f"{window['end']}, against {values['baseline']:g} (n = {values['baseline_n']}) in {baseline['start']} to "
        f"{baseline['end']}; {event['test']}, p = {event['p_value']:.2g}"
    )
