"""The ``recommendation.made`` webhook event: a team's recommendation of the day, sent through
the outbox to the alert rules of kind ``action`` that want it (condition ``{}`` or
``events_in`` naming it; hub/services/action_events.py ``rules_for``) and whose scope holds its
store, signed like every webhook or shaped for Slack or Teams
(hub/services/outbox/render/recommendation.py). Webhooks are written in English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.models import Recommendation, Store
from hub.queries.recommendations import comment_texts
from hub.services.action_events import rules_for
from hub.services.outbox import queue

EVENT = "recommendation.made"


def event(found: Recommendation, store: Store) -> dict[str, Any]:
    """What a webhook receives. ``path`` is the recommendation on the start page (the hub's
    public URL goes in front when sent)."""
    data = found.data or {}
    texts = comment_texts([c["answer"] for c in data.get("comments", ())])
    label = data.get("label") or {}
    return {
        "event": EVENT,
        "recommendation": found.id,
        "store": {"code": store.code, "name": store.name},
        "team": {"id": found.team_id, "name": found.team_name or "Whole store"},
        "day": str(found.day),
        "period": data.get("period"),
        "reason": None if found.reason is None else {"id": found.reason, "label": label.get("en") or found.reason},
        "figures": data.get("figures"),
        "comments": [
            {"text": texts[c["answer"]], "face": c.get("face"), "at": c.get("at"), "touchpoint": c.get("touchpoint")}
            for c in data.get("comments", ())
            if texts.get(c["answer"])
        ],
        "tried": data.get("tried", []),
        "path": f"/#recommendation-{found.id}",
    }


def announce(found: Recommendation, store: Store, now: datetime) -> int:
    """Queue the event for each rule that wants it (call inside the write transaction that
    keeps the recommendation); returns how many."""
    rules = rules_for([store.id], EVENT)
    if not rules:
        return 0
    payload = event(found, store)
    queued = 0
    for rule in rules:
        made = queue(
            kind="recommendation",
            channel="webhook",
            recipient=rule.webhook_url or "",
            rule_id=rule.id,
            store_id=store.id,
            dedupe_key=f"recommendation:{found.id}:{rule.id}",
            payload=payload,
            now=now,
        )
        queued += made is not None
    return queued
