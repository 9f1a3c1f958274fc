"""What an outbox message says: rendered when it is sent, from what the database holds then.

Emails have a plain-text and an HTML part from the templates in hub/templates/email/ (the
HTML ones autoescape, so a customer's words never become markup); webhooks carry JSON in our
own shape or shaped for Slack (Block Kit) or Teams (an Adaptive Card). Neither carries the
customer's contact: staff see it on the case page, where it is opened for those who work the
case. The close-the-loop email opens the contact only to address it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template

from hub.models import AlertRule, Case, OutboxItem, OutboxMessage, Response, Store
from hub.services.alerts.conditions import describe
from hub.services.alerts.links import ack_url, case_url
from hub.services.alerts.routing import LEVELS
from hub.services.cases import case_response_ids, response_views
from hub.services.personal_data import open_contact
from shared.errors import NotFound

MAX_LISTED = 20  # responses listed in one message; the rest are on the case page


@dataclass(frozen=True)
class Links:
    public_url: str
    secret_key: str
    ttl: timedelta


def context(message: OutboxMessage, links: Links, now: datetime) -> dict[str, Any]:
    """Everything a template needs for an alert, escalation or test message."""
    payload = message.payload or {}
    store = Store.get_by_id(message.store_id) if message.store_id else None
    rule = AlertRule.get_by_id(message.rule_id) if message.rule_id else None
    case = Case.get_by_id(message.case_id) if message.case_id else None
    if message.kind == "alert":
        ids = [
            str(r)
            for (r,) in OutboxItem.select(OutboxItem.response)
            .join(Response, on=(OutboxItem.response == Response.id))
            .where(OutboxItem.message == message.id)
            .order_by(Response.received_at.desc())
            .tuples()
        ]
    elif case is not None:
        ids = case_response_ids(case.id, limit=MAX_LISTED)
    else:
        ids = []
    zone = store.time_zone if store else "UTC"
    responses = response_views(ids[:MAX_LISTED], zone)
    ctx: dict[str, Any] = {
        "kind": message.kind,
        "store": store,
        "rule": rule,
        "condition": describe(rule.kind, rule.condition) if rule else "",
        "case": case,
        "responses": responses,
        "count": len(ids) or message.item_count,
        "more": max(0, len(ids) - MAX_LISTED),
        "figures": payload.get("figures"),
        "figures_line": summary_line(payload.get("figures")),
        "level": payload.get("level", 0),
        "level_name": LEVELS[min(int(payload.get("level", 0)), len(LEVELS) - 1)],
        "why": payload.get("why"),
        "case_url": case_url(links.public_url, case.id) if case else None,
        "ack_url": None,
        "local_now": now.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M"),
        "hub_url": links.public_url.rstrip("/"),
    }
    if case is not None and message.user_id is not None and message.kind in ("alert", "escalation"):
        ctx["ack_url"] = ack_url(links.public_url, links.secret_key, case.id, message.user_id, now + links.ttl)
    return ctx


def subject(ctx: dict[str, Any]) -> str:
    store, rule, case = ctx["store"], ctx["rule"], ctx["case"]
    where = f"{store.code} {store.name}" if store else "voxloop"
    what = rule.name if rule else "message"
    count = f" ({ctx['count']} responses)" if ctx["count"] > 1 else ""
    tag = f" [case #{case.id}]" if case else ""
    if ctx["kind"] == "escalation":
        return f"Escalated: {where}: {what} not acknowledged{tag}"
    if ctx["kind"] == "test":
        return f"Test alert: {where}: {what}"
    return f"{where}: {what}{count}{tag}"


def _email(row: OutboxMessage, to: str, subject_line: str, template: str, sender: str, **ctx: Any) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = " ".join(subject_line.split())  # no line breaks from a store's or rule's name
    email["From"] = sender
    email["To"] = to
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = make_msgid("voxloop", domain=sender.rpartition("@")[2] or "localhost")
    email["Auto-Submitted"] = "auto-generated"
    email["X-Voxloop-Message"] = str(row.id)
    if row.case_id:
        email["X-Voxloop-Case"] = str(row.case_id)
    email.set_content(render_template(f"email/{template}.txt", **ctx))
    email.add_alternative(render_template(f"email/{template}.html", **ctx), subtype="html")
    return email


def render_email(
    message: OutboxMessage, *, links: Links, sender: str, contact_key: bytes, now: datetime
) -> EmailMessage:
    if message.kind == "close_loop":
        return _close_loop_email(message, links=links, sender=sender, contact_key=contact_key)
    if message.kind in ("digest", "report"):  # computed when queued (alerts/digests.py, reports.py)
        ctx = {message.kind: message.payload, "hub_url": links.public_url.rstrip("/")}
        return _email(message, message.recipient, message.payload["subject"], message.kind, sender, **ctx)
    if message.kind == "signal":
        event = signal_event(message, links)
        return _email(message, message.recipient, signal_subject(event), "signal", sender, event=event)
    ctx = context(message, links, now)
    return _email(message, message.recipient, subject(ctx), "alert", sender, **ctx)


def _close_loop_email(message: OutboxMessage, *, links: Links, sender: str, contact_key: bytes) -> EmailMessage:
    payload = message.payload
    response = Response.get_or_none(Response.id == payload["response_id"])
    if response is None or response.contact_sealed is None:  # deleted after its retention period
        raise NotFound("not_found", "the customer's contact is no longer kept")
    address = open_contact(contact_key, bytes(response.contact_sealed), str(response.id))["address"]
    store = Store.get_by_id(message.store_id)
    lang = "de" if (response.locale or "").startswith("de") else "en"
    ctx = {"store": store, "message": payload.get("message"), "by": payload.get("by"), "lang": lang}
    subject_line = (
        f"Ihr Feedback an {store.name}" if lang == "de" else f"Your feedback to {store.name}"
    )  # the store's name, not the hub's
    return _email(message, address, subject_line, "close_loop", sender, **ctx)


# --- webhooks -------------------------------------------------------------------------------


def webhook_body(message: OutboxMessage, *, links: Links, now: datetime, form: str) -> bytes:
    if message.kind == "signal":
        return _json(_signal_webhook(signal_event(message, links), form))
    ctx = context(message, links, now)
    if form == "slack":
        body: dict[str, Any] = _slack(ctx)
    elif form == "teams":
        body = _teams(ctx)
    else:
        body = _plain(message, ctx)
    return _json(body)


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _plain(message: OutboxMessage, ctx: dict[str, Any]) -> dict[str, Any]:
    store, rule, case = ctx["store"], ctx["rule"], ctx["case"]
    return {
        "event": message.kind,
        "delivery": str(message.id),
        "store": {"code": store.code, "name": store.name} if store else None,
        "rule": {"id": rule.id, "key": rule.key, "name": rule.name, "condition": ctx["condition"]} if rule else None,
        "case": {"id": case.id, "state": case.state, "url": ctx["case_url"]} if case else None,
        "count": ctx["count"],
        "figures": ctx["figures"],
        "responses": [r.as_dict() for r in ctx["responses"]],
    }


def summary_line(figures: dict[str, Any] | None) -> str:
    """A window alert's figures, or what a silent terminal's alert is about, in one sentence."""
    if not figures:
        return ""
    if figures.get("terminal"):
        place = f"Terminal {figures.get('terminal_name') or figures['terminal']} at {figures.get('touchpoint')}"
        seen = figures.get("last_seen_at")
        return f"{place} has not been heard from since {seen} (UTC)." if seen else f"{place} has never been heard from."

    def shown(value: Any) -> Any:
        return "-" if value is None else value

    line = (
        f"In the window: {figures.get('n')} responses, {shown(figures.get('negative_share'))} % negative, "
        f"smiley index {shown(figures.get('index'))}"
    )
    return line + (f", usually {figures['baseline']}." if figures.get("baseline") is not None else ".")


def _lines(ctx: dict[str, Any], escape: Any) -> list[str]:
    lines = []
    for r in ctx["responses"]:
        parts = [r.local_time, r.touchpoint]
        if r.rating_label:
            parts.append(f"rating {r.rating_label}")
        if r.nps is not None:
            parts.append(f"NPS {r.nps}")
        if r.reasons:
            parts.append(", ".join(r.reasons))
        line = " · ".join(escape(p) for p in parts)
        if r.comment:
            line += f"\n> {escape(r.comment)}"
        if r.contact_left:
            line += "\n(left a contact for a call back: see the case)"
        lines.append(line)
    if ctx["figures"]:
        lines.append(escape(summary_line(ctx["figures"])))
    return lines


def _slack_escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(ctx: dict[str, Any]) -> dict[str, Any]:
    title = _slack_escape(subject(ctx))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}]
    for line in _lines(ctx, _slack_escape):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
    if ctx["case_url"]:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open the case"}, "url": ctx["case_url"]}
                ],
            }
        )
    return {"text": title, "blocks": blocks}


def _teams_escape(text: str) -> str:
    # Adaptive Card TextBlocks render a subset of Markdown: keep the customer's words literal
    out = str(text)
    for char in "\\*_[]()#>`~":
        out = out.replace(char, "\\" + char)
    return out


def _teams(ctx: dict[str, Any]) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _teams_escape(subject(ctx)), "weight": "Bolder", "wrap": True}
    ]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in _lines(ctx, _teams_escape)]
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    }
    if ctx["case_url"]:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the case", "url": ctx["case_url"]}]
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }


# --- signals (hub/services/signals.py): the event is in the payload, the link gets the hub's URL


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


def _signal_text(event: dict[str, Any]) -> str:
    values, window, baseline = event["values"], event["window"], event["baseline"]
    return (
        f"{event['kpi_label']} {values['current']:g} (n = {values['current_n']}) in {window['start']} to "
        f"{window['end']}, against {values['baseline']:g} (n = {values['baseline_n']}) in {baseline['start']} to "
        f"{baseline['end']}; {event['test']}, p = {event['p_value']:.2g}"
    )


def _signal_webhook(event: dict[str, Any], form: str) -> dict[str, Any]:
    if form == "slack":
        title = _slack_escape(signal_subject(event))
        return {
            "text": title,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(_signal_text(event))}},
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": event["url"]}
                    ],
                },
            ],
        }
    if form == "teams":
        card = {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": _teams_escape(signal_subject(event)), "weight": "Bolder", "wrap": True},
                {"type": "TextBlock", "text": _teams_escape(_signal_text(event)), "wrap": True},
            ],
            "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": event["url"]}],
        }
        return {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }
    return event
