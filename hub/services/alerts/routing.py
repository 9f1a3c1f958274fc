"""Routing: a matching response (or window) opens or joins a case and queues its messages.

``route_alerts(responses, now=...)`` is the one call the ingest paths make, inside the write
transaction that stored the responses, so a response and its alert commit together (an SMTP
outage delays an alert, it never loses one). It evaluates the active single-response rules
from the in-memory rule book, and only when one matches touches the database:

1. the case of the store and rule: opened, or joined when one is open (partial unique index);
2. who hears of it: the store's active store managers (level 0); a store without one is
   *misrouted* to its regional managers (level 1), and without those to the HQ admins (2);
3. one message per recipient (and one per webhook) gathers the alerts of a store and rule
   (hub/services/outbox ``queue`` with a group key): the first goes out at once (or at the
   store's next opening, when the rule keeps quiet hours), later ones wait the rule's throttle
   period after it and report everything that came in meanwhile.

Who is at which level is hub/services/alerts/recipients.py; what the messages say and how
they go out is the outbox's business.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from hub.queries import cases as q
from hub.services.alerts.opening_hours import store_opens_at
from hub.services.alerts.recipients import LEVELS, first_reachable
from hub.services.alerts.rule_book import BookCache, RuleFacts, StoreFacts, new_book_cache
from hub.services.outbox import queue
from shared.protocol import ValidResponse


@dataclass
class AlertsState:
    """Per app: the rule book in memory."""

    book: BookCache = field(default_factory=new_book_cache)


def alerts_state() -> AlertsState:
    return current_app.extensions.setdefault("voxloop_alerts", AlertsState())


def route_alerts(responses: Sequence[ValidResponse], *, now: datetime) -> int:
    """Alert on the stored ``responses`` that match an active single-response rule; returns
    how many messages were queued or extended. Call inside the write transaction that stored
    them. Unfinished phone responses (flag ``partial``) wait until they are finished; a
    response already behind a case of a rule is not alerted again for it."""
    live = [r for r in responses if "partial" not in r.flags]
    if not live:
        return 0
    state = alerts_state()
    book = state.book.get()
    if any(r.store not in book.stores for r in live):
        book = state.book.get(stale_store=next(r.store for r in live if r.store not in book.stores))
    matches: dict[tuple[str, int], list[str]] = {}
    rules = {rule.id: rule for rule in book.rules}
    for response in live:
        for rule in book.rules:
            if rule.applies_to(response) and rule.condition.matches(response.answers, response.contact is not None):
                matches.setdefault((response.store, rule.id), []).append(response.id)
    return sum(
        raise_alert(book.store(store_code), rules[rule_id], ids, now=now)
        for (store_code, rule_id), ids in matches.items()
    )


def raise_alert(
    store: StoreFacts,
    rule: RuleFacts,
    response_ids: Sequence[str],
    *,
    now: datetime,
    summary: dict[str, Any] | None = None,
) -> int:
    """Open or join the case of ``store`` and ``rule`` for these responses and queue the
    messages; a window alert passes its figures as ``summary``. Returns messages touched."""
    if summary is None:
        seen = q.already_alerted(rule.id, response_ids)
        fresh = [r for r in dict.fromkeys(response_ids) if r not in seen]
        if not fresh:
            return 0
        count = len(fresh)
    else:
        fresh, count = list(dict.fromkeys(response_ids)), 1
    level, people = first_reachable(store)
    # quiet hours hold the alert's messages until the store opens; the SLA runs from then
    first_at = store_opens_at(store, now) if rule.quiet_hours else now
    summary_text = json.dumps(summary, sort_keys=True) if summary else None
    case_id = q.open_case(
        store.id,
        rule.id,
        now=now,
        count=count,
        level=level,
        misrouted=level > 0,
        ack_due_at=first_at + timedelta(minutes=rule.sla_minutes),
        summary=summary_text,
    )
    events: list[tuple[int, Any, int | None, str, str | None, str | None]] = []
    data = json.dumps({"responses": len(fresh), **({"figures": summary} if summary else {})}, sort_keys=True)
    if case_id is not None:
        events.append((case_id, now, None, "opened", rule.name, data))
        if level > 0:
            why = f"store {store.code} has no active store manager; sent to {LEVELS[level]}"
            events.append((case_id, now, None, "misrouted", why, None))
    else:
        case_id, _, _ = q.join_case(store.id, rule.id, now=now, count=count, summary=summary_text)
        events.append((case_id, now, None, "alerted", rule.name, data))
    q.attach_responses(case_id, fresh)
    q.add_events(events)

    payload = {"level": level, **({"figures": summary} if summary else {})}
    to: list[tuple[str, dict[str, Any]]] = []
    if rule.email:
        to += [(f"u{p.user_id}", {"channel": "email", "recipient": p.email, "user_id": p.user_id}) for p in people]
    if rule.webhook_url:
        to.append(("webhook", {"channel": "webhook", "recipient": rule.webhook_url}))
    for suffix, recipient in to:
        # one message per recipient gathers the store's alerts of this rule (hub/services/outbox)
        queue(
            kind="alert",
            case_id=case_id,
            rule_id=rule.id,
            store_id=store.id,
            group_key=f"alert:{rule.id}:{store.id}:{suffix}",
            throttle=timedelta(minutes=rule.throttle_minutes),
            items=fresh,
            count=max(1, len(fresh)),
            payload=payload,
            deliver_after=first_at,
            now=now,
            **recipient,
        )
    return len(to)
