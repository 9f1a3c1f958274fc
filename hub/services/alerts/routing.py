"""Routing: a matching response (or window) opens or joins a case and queues its messages.

``route_alerts(responses, now=...)`` is the one call the ingest paths make, inside the write
transaction that stored the responses, so a response and its alert commit together (an SMTP
outage delays an alert, it never loses one). It evaluates the active single-response rules
from the in-memory rule book, and only when one matches touches the database:

1. a response is in at most one case (docs/cases.md): when several rules match it, the
   oldest rule (lowest id) takes it, and the others' channels hear of it under that case; a
   response in a case already is not alerted again;
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
from hub.services.alerts.recipients import LEVELS, Recipient, first_reachable
from hub.services.alerts.rule_book import BookCache, RuleFacts, StoreFacts, new_book_cache
from hub.services.case_classification import classify_cases, classify_later, reclassify_cases_of
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
    rules = sorted(book.rules, key=lambda rule: rule.id)
    takes, also = _matches(live, rules)
    by_id = {rule.id: rule for rule in rules}
    touched = 0
    attached: dict[str, int] = {}  # response id -> the case it joined now
    for (store_code, rule_id), ids in takes.items():
        store, rule = book.store(store_code), by_id[rule_id]
        found = _open_or_join(store, rule, ids, now=now, summary=None)
        if found is not None:
            attached.update((r, found.case_id) for r in found.responses)
            touched += _queue_messages(store, rule, found, now=now)
    for (store_code, rule_id), ids in also.items():
        touched += _tell_rule(book.store(store_code), by_id[rule_id], [r for r in ids if r in attached], attached, now)
    return touched


Matches = dict[tuple[str, int], list[str]]  # (store code, rule id) -> response ids


def _matches(responses: Sequence[ValidResponse], rules: Sequence[RuleFacts]) -> tuple[Matches, Matches]:
    """Per store and rule: the responses the rule takes (it is the first that matches them),
    and those it matches that an older rule takes."""
    takes: Matches = {}
    also: Matches = {}
    for response in responses:
        matched = [
            rule
            for rule in rules
            if rule.applies_to(response) and rule.condition.matches(response.answers, response.contact is not None)
        ]
        if matched:  # one case per response: the first rule that matches takes it
            takes.setdefault((response.store, matched[0].id), []).append(response.id)
            for rule in matched[1:]:
                also.setdefault((response.store, rule.id), []).append(response.id)
    return takes, also


def _tell_rule(store: StoreFacts, rule: RuleFacts, ids: list[str], cases: dict[str, int], now: datetime) -> int:
    """A rule that matched responses an older rule took: its channels hear of them under the
    case they are in (an email to a person gathers with the other rule's, so nobody gets two;
    the rule's webhook gets its own message), and the case records it."""
    by_case: dict[int, list[str]] = {}
    for r in ids:
        by_case.setdefault(cases[r], []).append(r)
    touched = 0
    for case_id, in_case in by_case.items():
        level, people = first_reachable(store)
        first_at = store_opens_at(store, now) if rule.quiet_hours else now
        data = json.dumps({"responses": len(in_case)}, sort_keys=True)
        q.add_events([(case_id, now, None, "alerted", rule.name, data)])
        touched += _queue_messages(store, rule, _Found(case_id, in_case, level, people, first_at, None), now=now)
    return touched


@dataclass(frozen=True)
class _Found:
    """A case opened or joined, and what its messages need."""

    case_id: int
    responses: list[str]  # attached now
    level: int
    people: list[Recipient]
    first_at: datetime
    summary: dict[str, Any] | None


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
    found = _open_or_join(store, rule, response_ids, now=now, summary=summary)
    return 0 if found is None else _queue_messages(store, rule, found, now=now)


def _open_or_join(
    store: StoreFacts, rule: RuleFacts, response_ids: Sequence[str], *, now: datetime, summary: dict[str, Any] | None
) -> _Found | None:
    """The case the responses in no case yet join (opened when none of the store and rule is
    unresolved), with the responses attached; None when there is nothing to alert on."""
    wanted = list(dict.fromkeys(response_ids))
    taken = q.in_a_case(wanted)
    fresh = [r for r in wanted if r not in taken]
    if not fresh and (summary is None or wanted):
        reclassify_cases_of(taken, now=now)  # a follow-up may have added reasons to them
        return None  # nothing new: every response is in a case already
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
    if opened:
        classify_cases([case_id], now=now)
    elif fresh:
        classify_later([case_id], now=now)  # once for all the batches that join it meanwhile
    if not fresh and summary is None:
        return None  # another transaction linked them meanwhile
    return _Found(case_id, fresh, level, people, first_at, summary)


def _queue_messages(store: StoreFacts, rule: RuleFacts, found: _Found, *, now: datetime) -> int:
    """One message per recipient of the rule (its people by email, its webhook) gathers the
    case's alerts (hub/services/outbox); returns how many were queued or extended."""
    payload = {"level": found.level, **({"figures": found.summary} if found.summary else {})}
    to: list[tuple[str, dict[str, Any]]] = []
    if rule.email:
        to += [
            (f"u{p.user_id}", {"channel": "email", "recipient": p.email, "user_id": p.user_id}) for p in found.people
        ]
    if rule.webhook_url:
        to.append((f"webhook:{rule.id}", {"channel": "webhook", "recipient": rule.webhook_url}))
    for suffix, recipient in to:
        queue(
            kind="alert",
            case_id=found.case_id,
            rule_id=rule.id,
            store_id=store.id,
            group_key=f"alert:{found.case_id}:{suffix}",
            throttle=timedelta(minutes=rule.throttle_minutes),
            items=found.responses,
            count=max(1, len(found.responses)),
            payload=payload,
            deliver_after=found.first_at,
            now=now,
            **recipient,
        )
    return len(to)
