"""Test alerts: prove that a rule's channels reach someone, without a real bad rating.

A test message goes through the outbox like any other (same rendering, signing, retries and
delivery record), addressed to the given people or, by default, the active HQ admins, and to
the rule's webhook. It opens no case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.db import write_transaction
from hub.models import AlertRule, Store, User
from hub.services.outbox import queue


def queue_test_alert(rule: AlertRule, *, to: Sequence[str] = (), now: datetime) -> list[int]:
    """Queue test messages for ``rule``; returns their outbox ids."""
    if to:
        people = [(None, address) for address in to]
    else:
        admins = User.select().where((User.role == "hq_admin") & (User.active == True)).order_by(User.id)  # noqa: E712
        people = [(u.id, u.email) for u in admins]
    store = (
        Store.get_or_none(Store.id == rule.store_id) if rule.store_id else Store.select().order_by(Store.code).first()
    )
    common = {"kind": "test", "rule_id": rule.id, "store_id": store.id if store else None, "now": now}
    ids = []
    with write_transaction():
        if rule.email:
            ids += [queue(channel="email", recipient=address, user_id=user_id, **common) for user_id, address in people]
        if rule.webhook_url:
            ids.append(queue(channel="webhook", recipient=rule.webhook_url, **common))
    return [i for i in ids if i is not None]
