"""Alert, escalation and test messages: rendered when sent, from what the database holds then.

An alert names its case and lists the responses gathered in its message that are in that case
(the newest ``MAX_LISTED``), an escalation or a test those of its case. What the case's state
is when the message goes out decides (docs/cases.md):

- resolved: nothing goes out (``Withdrawn``): its responses were dealt with, and complaints
  that came after the resolution are in a new case with messages of their own;
- acknowledged: an escalation is withdrawn; an alert lists only the responses that joined the
  case after the acknowledgement, and is withdrawn when there are none.

Neither carries the customer's contact: staff see it on the case page, where it is opened for
those who work the case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from hub.i18n import decimal, gettext
from hub.models import AlertRule, Case, CaseResponse, OutboxItem, OutboxMessage, Response, Store, User
from hub.services.alerts.conditions import describe
from hub.services.alerts.recipients import LEVEL_NAMES
from hub.services.outbox.links import Links, ack_url, case_url
from hub.services.outbox.render import chat
from hub.services.outbox.render.envelope import email
from hub.services.response_views import case_response_count, case_response_ids, response_views

MAX_LISTED = 20  # responses listed in one message; the rest are on the case page


class Withdrawn(Exception):
    """The message is not sent: its case moved on since it was queued (the reason says how)."""


def listed_ids(message: OutboxMessage, case: Case) -> list[str]:
    """The alert's responses that are in its case, newest capture first; of an acknowledged
    case only those that joined it after the acknowledgement."""
    query = (
        OutboxItem.select(OutboxItem.response)
        .join(Response, on=(OutboxItem.response == Response.id))
        .join(CaseResponse, on=(CaseResponse.response == Response.id))
        .where((OutboxItem.message == message.id) & (CaseResponse.case == case.id))
    )
    if case.state == "acknowledged" and case.acknowledged_at is not None:
        query = query.where(CaseResponse.joined_at > case.acknowledged_at)
    return [str(r) for (r,) in query.order_by(Response.captured_at.desc(), Response.id.desc()).tuples()]


def withdrawn_because(message: OutboxMessage, case: Case, ids: list[str]) -> str | None:
    """Why an alert or escalation of ``case`` is not sent now, or None when it is."""
    if case.state == "resolved":
        return f"case #{case.id} was resolved before this message went out"
    if message.kind == "escalation" and case.state != "open":
        return f"case #{case.id} was acknowledged before this escalation went out"
    if message.kind == "alert" and not ids:
        if case.state == "acknowledged":
            return f"case #{case.id} was acknowledged and no response joined it since"
        if OutboxItem.select().where(OutboxItem.message == message.id).exists():
            return f"none of its responses is in case #{case.id}"
    return None


def context(message: OutboxMessage, links: Links, now: datetime) -> dict[str, Any]:
    """Everything a template needs for an alert, escalation or test message; ``Withdrawn``
    when its case moved on so that it must not go out."""
    payload = message.payload or {}
    store = Store.get_by_id(message.store_id) if message.store_id else None
    rule = AlertRule.get_by_id(message.rule_id) if message.rule_id else None
    case = Case.get_by_id(message.case_id) if message.case_id else None
    if message.kind == "alert" and case is not None:
        ids = listed_ids(message, case)
    elif case is not None:
        ids = case_response_ids(case.id, limit=MAX_LISTED)
    else:
        ids = []
    if case is not None and message.kind in ("alert", "escalation"):
        why = withdrawn_because(message, case, ids)
        if why:
            raise Withdrawn(why)
    zone = store.time_zone if store else "UTC"
    responses = response_views(ids[:MAX_LISTED], zone)
    ctx: dict[str, Any] = {
        "kind": message.kind,
        "store": store,
        "rule": rule,
        "condition": describe(rule.kind, rule.condition) if rule else "",
        "case": case,
        "responses": responses,
        "count": len(ids),
        "more": max(0, len(ids) - MAX_LISTED),
        "case_total": case_response_count(case.id) if case else 0,
        "acknowledged_by": _name(case.acknowledged_by_id) if case else None,
        "figures": payload.get("figures"),
        "figures_line": summary_line(payload.get("figures")),
        "level": payload.get("level", 0),
        "level_name": str(LEVEL_NAMES[min(int(payload.get("level", 0)), len(LEVEL_NAMES) - 1)]),
        "why": payload.get("why"),
        "case_url": case_url(links.public_url, case.id) if case else None,
        "ack_url": None,
        "local_now": now.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M"),
        "hub_url": links.public_url.rstrip("/"),
    }
    if (
        case is not None
        and case.state == "open"
        and message.user_id is not None
        and message.kind in ("alert", "escalation")
    ):
        ctx["ack_url"] = ack_url(links.public_url, links.secret_key, case.id, message.user_id, now + links.ttl)
    return ctx


def _name(user_id: int | None) -> str | None:
    user = User.get_or_none(User.id == user_id) if user_id else None
    return user.name if user else None


def subject(ctx: dict[str, Any]) -> str:
    """The subject in the language being rendered (render_email chooses the recipient's)."""
    store, rule, case = ctx["store"], ctx["rule"], ctx["case"]
    where = f"{store.code} {store.name}" if store else "voxloop"
    what = rule.name if rule else gettext("message")
    count = " (" + gettext("%(count)s new responses", count=ctx["count"]) + ")" if ctx["count"] > 1 else ""
    tag = ""
    if case is not None and case.state == "acknowledged":
        tag = " [" + gettext("case #%(id)s, acknowledged", id=case.id) + "]"
    elif case is not None:
        tag = " [" + gettext("case #%(id)s", id=case.id) + "]"
    if ctx["kind"] == "escalation":
        return gettext("Escalated: %(where)s: %(what)s not acknowledged", where=where, what=what) + tag
    if ctx["kind"] == "test":
        return gettext("Test alert: %(where)s: %(what)s", where=where, what=what)
    return f"{where}: {what}{count}{tag}"


def summary_line(figures: dict[str, Any] | None) -> str:
    """A window alert's figures, or what a silent terminal's alert is about, in one sentence."""
    if not figures:
        return ""
    if figures.get("terminal"):
        place = {
            "terminal": figures.get("terminal_name") or figures["terminal"],
            "touchpoint": figures.get("touchpoint"),
        }
        seen = figures.get("last_seen_at")
        if seen:
            return gettext(
                "Terminal %(terminal)s at %(touchpoint)s has not been heard from since %(seen)s (UTC).",
                seen=seen,
                **place,
            )
        return gettext("Terminal %(terminal)s at %(touchpoint)s has never been heard from.", **place)

    def shown(value: Any) -> Any:
        return "-" if value is None else decimal(value) if isinstance(value, float) else value

    line = gettext(
        "In the window: %(n)s responses, %(share)s %% negative, smiley index %(index)s",
        n=figures.get("n"),
        share=shown(figures.get("negative_share")),
        index=shown(figures.get("index")),
    )
    if figures.get("baseline") is not None:
        return line + ", " + gettext("usually %(value)s.", value=shown(figures["baseline"]))
    return line + "."


def alert_email(message: OutboxMessage, *, links: Links, sender: str, now: datetime) -> EmailMessage:
    ctx = context(message, links, now)
    return email(
        message, to=message.recipient, subject=subject(ctx), template="alert", sender=sender, now=now, context=ctx
    )


def alert_webhook(message: OutboxMessage, *, links: Links, now: datetime, form: str) -> dict[str, Any]:
    """Our own JSON shape, or one for Slack or Teams (``form``)."""
    ctx = context(message, links, now)
    link = ("Open the case", ctx["case_url"]) if ctx["case_url"] else None
    if form == "slack":
        return chat.slack(chat.slack_escape(subject(ctx)), _lines(ctx, chat.slack_escape), link=link)
    if form == "teams":
        return chat.teams(chat.teams_escape(subject(ctx)), _lines(ctx, chat.teams_escape), link=link)
    store, rule, case = ctx["store"], ctx["rule"], ctx["case"]
    return {
        "event": message.kind,
        "delivery": str(message.id),
        "store": {"code": store.code, "name": store.name} if store else None,
        "rule": {"id": rule.id, "key": rule.key, "name": rule.name, "condition": ctx["condition"]} if rule else None,
        "case": (
            {"id": case.id, "state": case.state, "url": ctx["case_url"], "responses": ctx["case_total"]}
            if case
            else None
        ),
        "count": ctx["count"],
        "figures": ctx["figures"],
        "responses": [r.as_dict() for r in ctx["responses"]],
    }


def _lines(ctx: dict[str, Any], escape: Callable[[str], str]) -> list[str]:
    lines = []
    for r in ctx["responses"]:
        parts = [f"{r.local_time} ({r.time_note})" if r.time_note else r.local_time, r.touchpoint]
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
