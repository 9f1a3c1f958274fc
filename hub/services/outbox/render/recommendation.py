"""Recommendation messages (hub/services/recommendation_events.py): the ``recommendation.made``
event is in the payload, as it was made that morning; rendering adds the delivery id and the
full link, or shapes it for Slack or Teams. Webhooks are written in English."""

from __future__ import annotations

from typing import Any

from hub.models import OutboxMessage
from hub.services.outbox.links import Links
from hub.services.outbox.render import chat


def recommendation_event(message: OutboxMessage, links: Links) -> dict[str, Any]:
    """The event of a message, with its delivery id and the full link."""
    event = dict(message.payload)
    path = event.pop("path")
    return {**event, "delivery": str(message.id), "url": links.public_url.rstrip("/") + path}


def _title(event: dict[str, Any]) -> str:
    store, team, reason = event["store"], event["team"], event.get("reason")
    what = f"work on “{reason['label']}”" if reason else "no reason stands out this week"
    return f"Recommendation for {team['name']} at {store['code']} {store['name']}, {event['day']}: {what}"


def _lines(event: dict[str, Any]) -> list[str]:
    figures = event.get("figures") or {}
    lines = []
    if figures:
        period = event["period"]
        lines.append(f"Named in {figures.get('n')} responses in {period['start']} to {period['end']}.")
    lines += [f"“{c['text']}”" for c in event.get("comments", ())]
    lines += [f"Tried: {a['title']} ({a.get('verdict') or 'not in effect yet'})" for a in event.get("tried", ())]
    return lines


def recommendation_webhook(message: OutboxMessage, *, links: Links, form: str) -> dict[str, Any]:
    """The event as it is, or shaped for Slack or Teams (``form``)."""
    event = recommendation_event(message, links)
    link = ("Open", event["url"])
    if form == "slack":
        lines = [chat.slack_escape(line) for line in _lines(event)]
        return chat.slack(chat.slack_escape(_title(event)), lines, link=link)
    if form == "teams":
        lines = [chat.teams_escape(line) for line in _lines(event)]
        return chat.teams(chat.teams_escape(_title(event)), lines, link=link)
    return event
