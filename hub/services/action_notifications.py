"""The timed notices of actions, queued through the outbox by two jobs: ``action_notices``
(tasks, every 15 minutes) and ``action_effects`` (effects, hourly: new figures come daily).

- due soon: the day before a task's due date, from ``hour`` o'clock store-local (the action's
  stores' time zone), to its assignee;
- overdue: the day after its due date, from that hour, once, to its assignee;
- effect measured: the first time hub/services/action_effects.py can say whether the action
  worked (clear, unclear or negative, with the figure, its interval, n and the dates), to its
  owner and participants, and as the ``action.effect_measured`` webhook event. It is also
  written into the action's trail (``effect_measured``), which is how the job knows it is
  done; a new ``effect_from`` is measured and told anew.

``hour`` is the hub's DIGEST_HOUR (7 by default), or 7 when digests are off.

Digest-friendly, one rule: a person who gets the daily digest (hub/services/digests.py: store
and regional managers with stores, while digests are on) finds their tasks due today or
tomorrow and their overdue tasks listed in it (hub/services/action_digest.py) and gets no single email for
them; everyone else (HQ, people without a store, every person while digests are off) gets the
single emails. Task assignments and measured effects always come as single emails.

Never twice: every notice has a dedupe key (task, due date and person; action, effect_from and
person), so job processes running side by side, or a job run again, queue each once. A due
date moved is a new date and is told again. Nobody deactivated, and nobody who no longer sees
the action, is told; a notice whose task was done or moved meanwhile is withdrawn when it
would go out (hub/services/outbox/render/action.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.db import write_transaction
from hub.models import Action, ActionEvent, ActionTask, User
from hub.services import action_effects, action_events, actions
from hub.services.access import scope_for
from hub.services.digests import DIGEST_ROLES
from hub.services.outbox import already_queued, queue, queue_personal_email
from shared.errors import NotFound

MORNING_HOUR = 7  # when digests are off
MEASURED = ("clear", "unclear", "negative")


def notice_hour(digest_hour: int) -> int:
    return digest_hour if 0 <= digest_hour <= 23 else MORNING_HOUR


def gets_digest(user: User, digest_hour: int) -> bool:
    """Whether ``user`` gets the daily digest, which then lists their due and overdue tasks."""
    if not 0 <= digest_hour <= 23 or user.role not in DIGEST_ROLES:
        return False
    return bool(scope_for(user).store_ids)


def _sees(user: User, action: Action) -> bool:
    try:
        actions.get_action(scope_for(user), action.id)
    except NotFound:
        return False
    return True


def queue_action_notices(now: datetime, *, digest_hour: int) -> int:
    """Queue the due-soon, overdue and effect notices whose time has come (both jobs' work);
    returns how many."""
    return queue_task_notices(now, digest_hour=digest_hour) + queue_effect_notices(now)


# --- tasks due soon and overdue ---------------------------------------------------------------


def _task_notice(task: ActionTask, action: Action, now: datetime, hour: int) -> str | None:
    """``task_due`` or ``task_overdue`` when today (the action's local day) is its day, else None."""
    local = now.astimezone(ZoneInfo(actions.time_zone_of(action)))
    if local.hour < hour:
        return None
    if task.due_on == local.date() + timedelta(days=1):
        return "task_due"
    if task.due_on == local.date() - timedelta(days=1):
        return "task_overdue"
    return None


def queue_task_notices(now: datetime, *, digest_hour: int) -> int:
    hour = notice_hour(digest_hour)
    utc_day = now.date()
    # every store-local day is within a day of the UTC one
    found = list(
        ActionTask.select(ActionTask, Action)
        .join(Action, on=(ActionTask.action == Action.id))
        .where(
            ActionTask.done_at.is_null()
            & ActionTask.assignee.is_null(False)
            & ActionTask.due_on.between(utc_day - timedelta(days=2), utc_day + timedelta(days=2))
            & Action.state.in_(actions.OPEN_STATES)
        )
        .order_by(ActionTask.id)
    )
    queued = 0
    for task in found:
        kind = _task_notice(task, task.action, now, hour)
        if kind is None:
            continue
        key = f"{kind}:{task.id}:{task.due_on.isoformat()}:{task.assignee_id}"
        if already_queued(key):
            continue
        person = User.get_or_none((User.id == task.assignee_id) & (User.active == True))  # noqa: E712
        if person is None or gets_digest(person, digest_hour) or not _sees(person, task.action):
            continue
        payload = {"action": task.action.id, "task": task.id, "due_on": task.due_on.isoformat()}
        queued += queue_personal_email(kind, person, key, payload, now)
    return queued


# --- the effect measured ----------------------------------------------------------------------


def _told(action: Action) -> bool:
    """Whether the effect from this ``effect_from`` was told already (the action's trail)."""
    start = action.effect_from.isoformat()
    return any(
        (event.data or {}).get("effect_from") == start
        for event in ActionEvent.select().where(
            (ActionEvent.action == action.id) & (ActionEvent.kind == "effect_measured")
        )
    )


def _in_effect(now: datetime) -> list[Action]:
    """The actions whose effect may be measurable now: in effect for at least MIN_POST_DAYS
    (a day's slack for the stores' zones), and not so long that their after is complete (a
    complete after still pending stays pending: it is not read again every run)."""
    today = now.date()
    first = today - timedelta(days=action_effects.POST_MAX_DAYS + 2)
    last = today - timedelta(days=action_effects.MIN_POST_DAYS - 1)
    return list(
        Action.select()
        .where(Action.effect_from.between(first, last) & (Action.state != "dropped") & (Action.scope_key != "all"))
        .order_by(Action.id)
    )


def queue_effect_notices(now: datetime) -> int:
    waiting = [a for a in _in_effect(now) if not _told(a)]
    if not waiting:
        return 0
    effects = action_effects.effects_of(waiting, now, limit=len(waiting))
    queued = 0
    for action in waiting:
        effect = effects.get(action.id)
        if effect is None or effect.verdict not in MEASURED:
            continue
        queued += _tell_effect(action, effect.as_dict(), now)
    return queued


def _tell_effect(action: Action, effect: dict[str, Any], now: datetime) -> int:
    """Record the measured effect in the trail and queue its emails and webhooks, in one transaction."""
    start = action.effect_from.isoformat()
    people = sorted({action.owner_id, *actions.participants(action)})
    told = [
        p
        for p in User.select().where(User.id.in_(people) & (User.active == True)).order_by(User.id)  # noqa: E712
        if _sees(p, action)
    ]
    queued = 0
    with write_transaction():
        if _told(action):  # another job process was quicker
            return 0
        data = {key: effect[key] for key in ("verdict", "estimate", "low", "high")}
        ActionEvent.create(
            action=action.id,
            at=now.replace(tzinfo=None),
            user=None,
            kind="effect_measured",
            text=effect["words"],
            data={**data, "effect_from": start},
        )
        for person in told:
            made = queue(
                kind="effect_measured",
                channel="email",
                recipient=person.email,
                user_id=person.id,
                dedupe_key=f"effect_measured:{action.id}:{start}:{person.id}",
                payload={"action": action.id, "effect": effect},
                now=now,
            )
            queued += made is not None
        body = {"action": actions.action_as_dict(action, today=actions.local_today(action, now)), "by": None}
        queued += action_events.announce(
            "action.effect_measured", actions.stores_of(action), {**body, "effect": effect}, now
        )
    return queued
