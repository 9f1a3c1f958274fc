"""Routing: a matching response (or window) opens or joins a case and queues its messages.

``route_alerts(responses, now=...)`` is the one call the ingest paths make, inside the write
transaction that stored the responses, so a response and its alert commit together (an SMTP
outage delays an alert, it never loses one). It evaluates the active single-response rules
from the in-memory rule book, and only when one matches touches the database:

1. the case of the store and rule: opened, or joined when one is open (partial unique index);
2. who hears of it: the store's active store managers (level 0); a store without one is
   *misrouted* to its regional managers (level 1), and without those to the HQ admins (2);
3. one message per recipient (and one per webhook) gathers the alerts of a store and rule:
   the first goes out at once (or at the store's next opening, when the rule keeps quiet
   hours), later ones wait the rule's throttle period after it and report everything that came
   in meanwhile.

The delivery job (hub/jobs.py) is woken in this process; other processes poll.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from hub.db import db_time
from hub.models import User, UserRegion, UserStore
from hub.queries import alerts as q
from hub.services.alerts.opening_hours import next_open_moment
from hub.services.alerts.rules import BookCache, RuleFacts, StoreFacts, new_book_cache
from shared.protocol import ValidResponse

log = logging.getLogger("voxloop.alerts")

LEVELS = ("store managers", "regional managers", "HQ admins")
TOP_LEVEL = len(LEVELS) - 1


@dataclass
class AlertsState:
    """Per app: the rule book in memory, and whom to wake when a message is queued."""

    book: BookCache = field(default_factory=new_book_cache)
    wakers: list[Callable[[], None]] = field(default_factory=list)

    def wake(self) -> None:
        for waker in list(self.wakers):
            try:
                waker()
            except Exception:
                log.exception("waking the delivery job failed")


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
    queued = 0
    for (store_code, rule_id), ids in matches.items():
        queued += raise_alert(book.store(store_code), rules[rule_id], ids, now=now)
    if queued:
        state.wake()
    return queued


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str


def recipients_at(store: StoreFacts, level: int) -> list[Recipient]:
    """The active people of one level for a store."""
    if level == 0:
        query = (
            User.select(User.id, User.email)
            .join(UserStore, on=(UserStore.user == User.id))
            .where((UserStore.store == store.id) & (User.role == "store_manager"))
        )
    elif level == 1:
        in_region = UserRegion.select(UserRegion.user).where(UserRegion.region == store.region_id)
        direct = UserStore.select(UserStore.user).where(UserStore.store == store.id)
        query = User.select(User.id, User.email).where(
            (User.role == "regional_manager") & (User.id.in_(in_region) | User.id.in_(direct))
        )
    else:
        query = User.select(User.id, User.email).where(User.role == "hq_admin")
    rows = query.where(User.active == True).order_by(User.id)  # noqa: E712
    return [Recipient(u.id, u.email) for u in rows]


def first_reachable(store: StoreFacts, start: int = 0) -> tuple[int, list[Recipient]]:
    """The first level from ``start`` up that has someone to tell, and those people."""
    for level in range(start, TOP_LEVEL + 1):
        people = recipients_at(store, level)
        if people:
            return level, people
    return TOP_LEVEL, []


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
    first_at = next_open_moment(store.opening_hours, store.time_zone, now) if rule.quiet_hours else now
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

    touched = 0
    payload = {"level": level, **({"figures": summary} if summary else {})}
    if rule.email:
        for person in people:
            touched += _gather(
                f"alert:{rule.id}:{store.id}:u{person.user_id}",
                dict(channel="email", recipient=person.email, user_id=person.user_id),
                case_id,
                rule,
                store,
                fresh,
                payload,
                earliest=first_at,
                now=now,
            )
    if rule.webhook_url:
        touched += _gather(
            f"alert:{rule.id}:{store.id}:webhook",
            dict(channel="webhook", recipient=rule.webhook_url, user_id=None),
            case_id,
            rule,
            store,
            fresh,
            payload,
            earliest=first_at,
            now=now,
        )
    return touched


def _gather(
    group_key: str,
    to: dict[str, Any],
    case_id: int,
    rule: RuleFacts,
    store: StoreFacts,
    response_ids: Sequence[str],
    payload: dict[str, Any],
    *,
    earliest: datetime,
    now: datetime,
) -> int:
    """Add the responses to the group's gathering message, or start one: due at ``earliest``,
    or one throttle period after the group's last message, whichever is later."""
    count = max(1, len(response_ids))
    for _attempt in range(3):
        message_id = q.gather(group_key, count)
        if message_id is not None:
            break
        last = q.last_scheduled(group_key)
        at = max(earliest, last + timedelta(minutes=rule.throttle_minutes)) if last else earliest
        message_id = q.insert_message(
            new_message(
                kind="alert",
                case_id=case_id,
                rule_id=rule.id,
                store_id=store.id,
                group_key=group_key,
                payload=payload,
                count=count,
                deliver_after=at,
                now=now,
                **to,
            ),
            conflict="gathering",
        )
        if message_id is not None:
            break
    else:  # pragma: no cover - three races in a row with other hub processes
        raise RuntimeError(f"could not queue a message for {group_key}")
    q.add_items([(message_id, r) for r in response_ids])
    return 1


def new_message(
    *,
    kind: str,
    channel: str,
    recipient: str,
    now: datetime,
    user_id: int | None = None,
    case_id: int | None = None,
    rule_id: int | None = None,
    store_id: int | None = None,
    group_key: str | None = None,
    dedupe_key: str | None = None,
    payload: dict[str, Any] | None = None,
    count: int = 0,
    deliver_after: datetime | None = None,
) -> dict[str, Any]:
    """The column values of a new outbox message (hub/queries/alerts.py, MESSAGE_COLUMNS)."""
    at = db_time(deliver_after or now)
    return {
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "user_id": user_id,
        "case_id": case_id,
        "rule_id": rule_id,
        "store_id": store_id,
        "group_key": group_key,
        "dedupe_key": dedupe_key,
        "payload": json.dumps(payload or {}, sort_keys=True),
        "state": "pending",
        "item_count": count,
        "deliver_after": at,
        "due_at": at,
        "attempts": 0,
        "created_at": db_time(now),
    }
