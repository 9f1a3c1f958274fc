"""Action messages: the notices to the people of an action (emails) and the action events for
the action rules' webhooks (hub/services/action_events.py, hub/services/action_notifications.py).

The emails are rendered when sent, from what the database holds then, in the recipient's
language (``render_email`` chooses it), each with a link to the action's page. A task notice
whose task was done, given to someone else or moved to another day since it was queued, or
whose action was closed, is ``Withdrawn``: it would tell the person something no longer
true. The effect notice says what was measured when it was queued (kept in its payload).

A webhook sends the event as it was when it happened (its payload), with the delivery id and
the action's link, or shaped for Slack or Teams.
"""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage
from typing import Any

from hub.i18n import day, gettext, lazy_gettext, number
from hub.models import Action, ActionTask, OutboxMessage
from hub.services.outbox.links import Links, action_url
from hub.services.outbox.render import chat
from hub.services.outbox.render.alert import Withdrawn
from hub.services.outbox.render.envelope import email

NOTICE_KINDS = ("task_assigned", "task_due", "task_overdue", "effect_measured")
CLOSED = ("done", "dropped")

VERDICTS = {
    "clear": lazy_gettext("a clear improvement"),
    "unclear": lazy_gettext("no clear change"),
    "negative": lazy_gettext("a clear change for the worse"),
}
UNITS = {
    "smiley_index": lazy_gettext("index points"),
    "nps": lazy_gettext("NPS points"),
    "csat": lazy_gettext("CSAT points"),
    "reason_share": lazy_gettext("percentage points"),
}


def _task_withdrawn(message: OutboxMessage, action: Action, task: ActionTask | None) -> str | None:
    payload = message.payload or {}
    if task is None:
        return "the task no longer exists"
    if task.done_at is not None:
        return f"task {task.id} was done before this notice went out"
    if task.assignee_id != message.user_id:
        return f"task {task.id} was given to someone else"
    if message.kind != "task_assigned" and payload.get("due_on") != (task.due_on.isoformat() if task.due_on else None):
        return f"task {task.id} is due on another day now"
    if action.state in CLOSED:
        return f"action {action.id} is {action.state}"
    return None


def notice_context(message: OutboxMessage, links: Links) -> dict[str, Any]:
    """What a notice's templates read; ``Withdrawn`` when it must not go out."""
    payload = message.payload or {}
    action = Action.get_or_none(Action.id == payload.get("action"))
    if action is None:
        raise Withdrawn("the action no longer exists")
    task = None
    if message.kind != "effect_measured":
        task = ActionTask.get_or_none((ActionTask.id == payload.get("task")) & (ActionTask.action == action.id))
        why = _task_withdrawn(message, action, task)
        if why:
            raise Withdrawn(why)
    return {
        "kind": message.kind,
        "action": action,
        "task": task,
        "due": day(task.due_on) if task is not None and task.due_on else None,
        "by": payload.get("by"),
        "url": action_url(links.public_url, action.id),
        "effect": effect_lines(action, payload.get("effect")) if message.kind == "effect_measured" else [],
    }


def _signed(value: float | None) -> str:
    return ("+" if value is not None and value > 0 else "") + number(value)


def _day(text: str | None) -> str:
    return day(date.fromisoformat(text)) if text else "–"


def effect_lines(action: Action, effect: dict[str, Any] | None) -> list[str]:
    """The measured effect in words: the verdict with the figure and its interval, then n and dates."""
    if not effect:
        return []
    before, after = effect.get("before") or {}, effect.get("after") or {}
    treated = effect.get("treated") or {}
    return [
        gettext(
            "The effect: %(verdict)s, %(estimate)s %(unit)s against comparable stores "
            "(95 %% interval %(low)s to %(high)s).",
            verdict=VERDICTS.get(effect.get("verdict", ""), effect.get("verdict", "")),
            estimate=_signed(effect.get("estimate")),
            unit=UNITS.get(action.kpi, ""),
            low=_signed(effect.get("low")),
            high=_signed(effect.get("high")),
        ),
        gettext(
            "n = %(before_n)s answers from %(b0)s to %(b1)s and %(after_n)s from %(a0)s to %(a1)s in the action's "
            "stores; %(controls)s comparison stores.",
            before_n=number(treated.get("answers_before", 0), 0),
            b0=_day(before.get("start")),
            b1=_day(before.get("end")),
            after_n=number(treated.get("answers_after", 0), 0),
            a0=_day(after.get("start")),
            a1=_day(after.get("end")),
            controls=(effect.get("comparison") or {}).get("stores", 0),
        ),
    ]


def notice_subject(ctx: dict[str, Any]) -> str:
    title = ctx["action"].title
    if ctx["kind"] == "task_assigned":
        return gettext("New task for you: %(task)s (%(action)s)", task=ctx["task"].title, action=title)
    if ctx["kind"] == "task_due":
        return gettext("Due tomorrow: %(task)s (%(action)s)", task=ctx["task"].title, action=title)
    if ctx["kind"] == "task_overdue":
        return gettext("Overdue: %(task)s (%(action)s)", task=ctx["task"].title, action=title)
    return gettext("Effect measured: %(action)s", action=title)


def notice_email(message: OutboxMessage, *, links: Links, sender: str, now: datetime) -> EmailMessage:
    ctx = notice_context(message, links)
    return email(
        message,
        to=message.recipient,
        subject=notice_subject(ctx),
        template="action_notice",
        sender=sender,
        now=now,
        context=ctx,
    )


def action_event(message: OutboxMessage, links: Links) -> dict[str, Any]:
    """The event as it happened, with its delivery id and the action's page."""
    event = dict(message.payload or {})
    action = dict(event.get("action") or {})
    if "id" in action:
        action["url"] = action_url(links.public_url, action["id"])
    return {**event, "action": action, "delivery": str(message.id)}


def _text(event: dict[str, Any]) -> tuple[str, str]:
    action = event.get("action") or {}
    title = f"{event['event']}: {action.get('title', '')}"
    task = event.get("task")
    line = f"{action.get('scope_label', '')} · {action.get('state', '')}"
    if task:
        line += f" · task {task.get('title', '')}" + (" (done)" if task.get("done") else "")
    if event.get("effect"):
        effect = event["effect"]
        line += (
            f" · effect {effect.get('verdict')} {effect.get('estimate')} [{effect.get('low')}, {effect.get('high')}]"
        )
    return title, line


def action_webhook(message: OutboxMessage, *, links: Links, form: str) -> dict[str, Any]:
    """Our JSON event, or shaped for Slack or Teams (``form``)."""
    event = action_event(message, links)
    if form in ("slack", "teams"):
        title, line = _text(event)
        link = ("Open the action", event["action"]["url"]) if "url" in event["action"] else None
        if form == "slack":
            return chat.slack(chat.slack_escape(title), [chat.slack_escape(line)], link=link)
        return chat.teams(chat.teams_escape(title), [chat.teams_escape(line)], link=link)
    return event
