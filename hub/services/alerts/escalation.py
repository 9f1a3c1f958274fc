"""Escalation: a case nobody acknowledged within its rule's SLA goes one level up.

Store managers (level 0) -> regional managers (1) -> HQ admins (2); a level without active
people is skipped. Each step gives the next level its own SLA period. The step is a
compare-and-set on the case's level, and each escalation message has a dedupe key, so two job
processes escalating at once send it once. The job passes ``now``; tests step it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from hub.db import write_transaction
from hub.models import AlertRule, Case, OutboxMessage, Store
from hub.queries import cases as q
from hub.services.alerts.recipients import LEVELS, TOP_LEVEL, first_reachable
from hub.services.alerts.rule_book import StoreFacts
from hub.services.outbox import queue


def escalate_due(now: datetime) -> int:
    """Escalate every open case whose acknowledgement is overdue; returns how many."""
    due = (
        Case.select(Case.id, Case.escalation_level)
        .where(
            (Case.state == "open") & (Case.ack_due_at <= now.replace(tzinfo=None)) & (Case.escalation_level < TOP_LEVEL)
        )
        .order_by(Case.ack_due_at)
        .tuples()
    )
    return sum(escalate_case(case_id, now=now, reason="sla", from_level=level) for case_id, level in list(due))


def escalate_case(case_id: int, *, now: datetime, reason: str, from_level: int | None = None) -> bool:
    """Move an open case one reachable level up and tell that level; False when it is not
    open, at the top already, not at ``from_level`` any more (another run escalated it first)
    or, for the SLA, not overdue. ``reason`` is "sla" or "undeliverable" (the level's messages
    could not be delivered)."""
    with write_transaction():
        case = Case.get_or_none(Case.id == case_id)
        if case is None or case.state != "open" or case.escalation_level >= TOP_LEVEL:
            return False
        if from_level is not None and case.escalation_level != from_level:
            return False
        if reason == "sla" and (case.ack_due_at is None or case.ack_due_at > now.replace(tzinfo=None)):
            return False
        row = Store.get_by_id(case.store_id)
        store = StoreFacts.of(row)
        rule = AlertRule.get_by_id(case.rule_id)
        level, people = first_reachable(store, case.escalation_level + 1)
        moved = q.raise_level(
            case.id,
            from_level=case.escalation_level,
            to_level=level,
            ack_due_at=now + timedelta(minutes=rule.sla_minutes),
        )
        if not moved:
            return False
        if reason == "sla":
            why = f"not acknowledged within {rule.sla_minutes} min: escalated to {LEVELS[level]}"
        else:
            why = f"the {LEVELS[case.escalation_level]} could not be reached: sent to {LEVELS[level]}"
        data = json.dumps({"from": case.escalation_level, "to": level, "reason": reason})
        q.add_events([(case.id, now, None, "escalated", why, data)])
        for person in people:
            queue(
                kind="escalation",
                channel="email",
                recipient=person.email,
                user_id=person.user_id,
                case_id=case.id,
                rule_id=rule.id,
                store_id=store.id,
                dedupe_key=f"escalation:{case.id}:{level}:{person.user_id}",
                payload={"level": level, "reason": reason, "why": why},
                now=now,
            )
    return True


def undeliverable(message: OutboxMessage, now: datetime) -> bool:
    """A message the outbox gave up on: when it was an alert or escalation of an open case,
    the case goes one level up, so the next people hear of it (the outbox's ``on_failed``)."""
    if not message.case_id or message.kind not in ("alert", "escalation"):
        return False
    level = (message.payload or {}).get("level")
    return escalate_case(message.case_id, now=now, reason="undeliverable", from_level=level)
