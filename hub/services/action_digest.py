"""The digest's "due soon / overdue": the tasks a person should do, for the daily digest
(hub/services/digests.py). Who gets them there instead of single emails:
hub/services/action_notifications.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hub.i18n import day
from hub.models import Action, ActionTask, User
from hub.services import actions
from hub.services.access import scope_for
from hub.services.outbox.links import action_url


def digest_tasks(user: User, today: date, public_url: str) -> list[dict[str, Any]]:
    """The open tasks given to ``user`` of the open actions they see that are due by tomorrow
    (``today``: the digest's local day), overdue first: the digest's "due soon / overdue"."""
    visible = [row.action.id for row in actions.list_actions(scope_for(user), state="open", today=today)]
    found = (
        ActionTask.select(ActionTask, Action)
        .join(Action, on=(ActionTask.action == Action.id))
        .where(
            (ActionTask.assignee == user.id)
            & ActionTask.done_at.is_null()
            & (ActionTask.due_on <= today + timedelta(days=1))
            & ActionTask.action.in_(visible or [-1])
        )
        .order_by(ActionTask.due_on, ActionTask.id)
    )
    return [
        {
            "title": task.title,
            "action": task.action.title,
            "due": day(task.due_on),
            "overdue": task.due_on < today,
            "url": action_url(public_url, task.action.id),
        }
        for task in found
    ]
