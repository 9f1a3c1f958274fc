"""What a change of an action sends out, queued in the transaction that makes the change.

Webhooks: the alert rules of kind ``action`` (HQ's alert rules page, /admin/alert-rules:
webhook only, their condition ``{}`` or ``{"events_in": [...]}``) hear of every action event
(``ACTION_EVENTS``: action.created, action.state_changed, action.task_created,
action.task_assigned, action.task_done, action.task_reopened, action.effect_measured) of the actions whose stores
their scope covers: a rule for every store hears of every action, a region's or a store's of
the actions wholly within it. Each event is one outbox message per rule, signed like every
webhook, so a task tool or a CRM mirrors the actions (docs/webhooks.md has the payload).

Emails: a task given to someone tells them (``task_assigned``), unless they gave it to
themselves. The timed notices (due soon, overdue, the effect measured) are queued by the job
of hub/services/action_notifications.py.

This module reads no action through hub/services/actions.py (which calls it); the caller
hands in the event's body.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hub.models import AlertRule, Store, Survey, Touchpoint, User
from hub.services.alerts.conditions import ACTION_EVENTS, ActionCondition
from hub.services.alerts.rule_book import RuleFacts, StoreFacts, compile_rule
from hub.services.outbox import queue

__all__ = ["ACTION_EVENTS", "announce", "rules_for", "tell_assignee"]


def rules_for(store_ids: Sequence[int], event: str) -> list[RuleFacts]:
    """The active action rules with a webhook that want ``event`` of an action of these stores."""
    rows = list(
        AlertRule.select()
        .where((AlertRule.kind == "action") & (AlertRule.active == True) & AlertRule.webhook_url.is_null(False))  # noqa: E712
        .order_by(AlertRule.id)
    )
    if not rows:
        return []
    stores = {s.code: StoreFacts.of(s) for s in Store.select()}
    by_id = {s.id: s.code for s in stores.values()}
    codes = {by_id[i] for i in store_ids if i in by_id}
    points = {
        t.id: (by_id[t.store_id], t.code) for t in Touchpoint.select(Touchpoint.id, Touchpoint.store, Touchpoint.code)
    }
    surveys = {s.id: s.key for s in Survey.select(Survey.id, Survey.key)}
    found = []
    for row in rows:
        facts = compile_rule(row, stores, points, surveys)
        if facts is None or not isinstance(facts.condition, ActionCondition) or not facts.condition.wants(event):
            continue
        if facts.store_codes is None or (codes and codes <= facts.store_codes):
            found.append(facts)
    return found


def announce(event: str, store_ids: Sequence[int], body: dict[str, Any], now: datetime) -> int:
    """Queue ``event`` for every action rule that wants it (inside the caller's write
    transaction); returns how many messages."""
    if event not in ACTION_EVENTS:
        raise ValueError(f"unknown action event {event!r}")
    payload = {"event": event, "occurred_at": now.replace(tzinfo=None).isoformat(timespec="seconds") + "Z", **body}
    store = store_ids[0] if len(store_ids) == 1 else None
    made = 0
    for rule in rules_for(store_ids, event):
        queued = queue(
            kind="action_event",
            channel="webhook",
            recipient=rule.webhook_url or "",
            rule_id=rule.id,
            store_id=store,
            payload=payload,
            now=now,
        )
        made += queued is not None
    return made


def tell_assignee(action_id: int, task_id: int, assignee_id: int | None, by: User, now: datetime) -> bool:
    """Queue the ``task_assigned`` email to the task's new assignee (inside the caller's write
    transaction), unless there is none, they gave it to themselves, or they are deactivated."""
    if assignee_id is None or assignee_id == by.id:
        return False
    person = User.get_or_none((User.id == assignee_id) & (User.active == True))  # noqa: E712
    if person is None:
        return False
    made = queue(
        kind="task_assigned",
        channel="email",
        recipient=person.email,
        user_id=person.id,
        payload={"action": action_id, "task": task_id, "by": by.name},
        now=now,
    )
    return made is not None
