"""The ``recommendation.made`` webhook event: a team's recommendation of the day, sent through
the outbox to the active alert rules of kind ``recommendation`` that cover its store and have a
webhook (signed like every webhook, or shaped for Slack or Teams:
hub/services/outbox/render/recommendation.py). Rules opt in by their kind, so no receiver of
alerts or signals gets an event it did not ask for. Webhooks are written in English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.models import AlertRule, Recommendation, Store, Touchpoint
from hub.queries.recommendations import comment_texts
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


def _covers(rule: AlertRule, store: Store) -> bool:
    if rule.scope == "region":
        return rule.region_id is not None and rule.region_id == store.region_id
    if rule.scope == "store":
        return rule.store_id == store.id
    if rule.scope == "touchpoint":
        touchpoint = Touchpoint.get_or_none(Touchpoint.id == rule.touchpoint_id)
        return touchpoint is not None and touchpoint.store_id == store.id
    return True  # every store, or a survey every store asks


def announce(found: Recommendation, store: Store, now: datetime) -> int:
    """Queue the event for each rule that wants it (call inside the write transaction that
    keeps the recommendation); returns how many."""
    rules = AlertRule.select().where(
        (AlertRule.kind == "recommendation") & (AlertRule.active == True) & AlertRule.webhook_url.is_null(False)  # noqa: E712
    )
    payload = event(found, store)
    queued = 0
    for rule in rules.order_by(AlertRule.id):
        if not _covers(rule, store):
            continue
        made = queue(
            kind="recommendation",
            channel="webhook",
            recipient=rule.webhook_url,
            rule_id=rule.id,
            store_id=store.id,
            dedupe_key=f"recommendation:{found.id}:{rule.id}",
            payload=payload,
            now=now,
        )
        queued += made is not None
    return queued
