"""Routing: a matching response (or window) opens or joins a case and queues its messages.

``route_alerts(responses, now=...)`` is the one call the ingest paths make, inside the write
transaction that stored the responses, so a response and its alert commit together (an SMTP
outage delays an alert, it never loses one). It evaluates the active single-response rules
from the in-memory rule book, and only when one matches touches the database:

1. a response is in at most one case (docs/cases.md): when several rules match it, the
   oldest rule (lowest id) takes it, and a response in a case already is not alerted again;
2. the case of the store and rule: opened, or joined when one is not resolved (partial unique
   index); after a resolution the next matching response opens a new case;
3. who hears of it: the store's active store managers (level 0); a store without one is
   *misrouted* to its regional managers (level 1), and without those to the HQ admins (2);
4. one message per case and recipient (and per webhook) gathers the case's alerts
   (hub/services/outbox ``queue`` with a group key): the first goes out at once (or at the
   store's next opening, when the rule keeps quiet hours), later ones wait the rule's throttle
   period after it and report everything that came in meanwhile. A message only ever lists
   responses of its own case; when it goes out, the case's state then decides what it says
   (hub/services/outbox/render/alert.py).

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
    them. Unfinished phone responses (flag ``partial``) wait until they are finished; each
    response goes to the first rule (by id) that matches it, and a response in a case
    already is not alerted again."""
    live = [r for r in responses if "partial" not in r.flags]
    if not live:
        return 0
    state = alerts_state()
    book = state.book.get()
    if any(r.store not in book.stores for r in live):
        book = state.book.get(stale_store=next(r.store for r in live if r.store not in book.stores))
    matches: dict[tuple[str, int], list[str]] = {}
    rules = sorted(book.rules, key=lambda rule: rule.id)
    for response in live:
        for rule in rules:
            if rule.applies_to(response) and rule.condition.matches(response.answers, response.contact is not None):
                matches.setdefault((response.store, rule.id), []).append(response.id)
                break  # one case per response: the first rule that matches takes it
    by_id = {rule.id: rule for rule in rules}
    return sum(
        raise_alert(book.store(store_code), by_id[rule_id], ids, now=now)
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
    """Open or join the case of ``store`` and ``rule`` for those of ``response_ids`` that are
    in no case yet, and queue the messages; a window alert passes its figures as ``summary``
    (and may come without responses: a volume drop). Returns messages touched."""
    wanted = list(dict.fromkeys(response_ids))
    taken = q.in_a_case(wanted)
    fresh = [r for r in wanted if r not in taken]
    if not fresh and (summary is None or wanted):
        return 0  # nothing new: every response is in a case already
    level, people = first_reachable(store)
    # quiet hours hold the alert's messages until the store opens; the SLA runs from then
    first_at = store_opens_at(store, now) if rule.quiet_hours else now
    summary_text = json.dumps(summary, sort_keys=True) if summary else None
    count = len(fresh) if summary is None else 1
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
    opened = case_id is not None
    if case_id is None:
        case_id, _, _ = q.join_case(store.id, rule.id, now=now, count=count, summary=summary_text)
    fresh = q.attach_responses(case_id, fresh, now=now)
    data = json.dumps({"responses": len(fresh), **({"figures": summary} if summary else {})}, sort_keys=True)
    events: list[tuple[int, Any, int | None, str, str | None, str | None]] = []
    if opened:
        events.append((case_id, now, None, "opened", rule.name, data))
        if level > 0:
            why = f"store {store.code} has no active store manager; sent to {LEVELS[level]}"
            events.append((case_id, now, None, "misrouted", why, None))
    else:
        events.append((case_id, now, None, "alerted", rule.name, data))
    q.add_events(events)
    if not fresh and summary is None:
        return 0  # another transaction linked them meanwhile

    payload = {"level": level, **({"figures": summary} if summary else {})}
    to: list[tuple[str, dict[str, Any]]] = []
    if rule.email:
        to += [(f"u{p.user_id}", {"channel": "email", "recipient": p.email, "user_id": p.user_id}) for p in people]
    if rule.webhook_url:
        to.append(("webhook", {"channel": "webhook", "recipient": rule.webhook_url}))
    for suffix, recipient in to:
        # one message per case and recipient gathers the case's alerts (hub/services/outbox)
        queue(
            kind="alert",
            case_id=case_id,
            rule_id=rule.id,
            store_id=store.id,
            group_key=f"alert:{case_id}:{suffix}",
            throttle=timedelta(minutes=rule.throttle_minutes),
            items=fresh,
            count=max(1, len(fresh)),
            payload=payload,
            deliver_after=first_at,
            now=now,
            **recipient,
        )
    return len(to)
