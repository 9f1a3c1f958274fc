"""The CSV downloads of actions and of their tasks, for every store in a person's scope or for
one of them (``?store=<code>``: the actions made for that store or one of its touchpoints).

The rows of actions with their progress and effect are hub/services/action_effects.py's
``export_rows``; this adds the store filter, the tasks' rows, and the plain CSV the API sends
machines (``csv_text``: UTF-8, commas, every text cell a spreadsheet would run as a formula
written as text). The pages send people their spreadsheet's CSV through
hub/dashboards/csv_download.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from hub.models import ActionTask, Store
from hub.services import action_effects, actions
from hub.services.access import Scope
from shared.errors import NotFound, RequestError

TASK_COLUMNS = (
    "action_id",
    "action_title",
    "action_state",
    "scope_label",
    "task_id",
    "title",
    "assignee",
    "due_on",
    "overdue",
    "done",
    "done_at",
    "done_by",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CODE = 40


def store_in_scope(scope: Scope, code: str | None) -> int | None:
    """The id of the store named by ``code`` (None: every store in scope); a code that is no
    store in the person's scope is "not found", one that cannot be a code a request error."""
    if code is None or code == "":
        return None
    if len(code) > MAX_CODE:
        raise RequestError("malformed_request", f"store must be a store's code (at most {MAX_CODE} characters)")
    store = Store.get_or_none(Store.code == code) if code.isprintable() else None  # no NUL reaches PostgreSQL
    if store is None or not scope.sees(store.id):
        raise NotFound("not_found", f"there is no store {code} in your stores")
    return store.id


def stores_in(scope: Scope) -> list[tuple[str, str]]:
    """(code, label) of the stores a person may download for."""
    query = Store.select().order_by(Store.code)
    if scope.store_ids is not None:
        query = query.where(Store.id.in_(sorted(scope.store_ids) or [-1]))
    return [(s.code, f"{s.code} {s.name}") for s in query]


def action_rows(scope: Scope, now: datetime, store_id: int | None) -> list[dict[str, object]]:
    return action_effects.export_rows(scope, now, store_id=store_id)


def task_rows(scope: Scope, now: datetime, store_id: int | None) -> list[dict[str, object]]:
    """Every task of the actions in scope (of one store), by action and task."""
    rows = actions.list_actions(scope, state="all", store_id=store_id, today=now.date())
    by_id = {row.action.id: row for row in rows}
    tasks = list(
        ActionTask.select()
        .where(ActionTask.action.in_(sorted(by_id) or [-1]))
        .order_by(ActionTask.action, ActionTask.id)
    )
    names = actions.names_of([t.assignee_id for t in tasks] + [t.done_by_id for t in tasks])
    found = []
    for task in tasks:
        row = by_id[task.action_id]
        today = actions.local_today(row.action, now)
        found.append(
            {
                "action_id": row.action.id,
                "action_title": row.action.title,
                "action_state": row.action.state,
                "scope_label": row.scope_label,
                "task_id": task.id,
                "title": task.title,
                "assignee": names.get(task.assignee_id),
                "due_on": task.due_on,
                "overdue": "yes" if task.done_at is None and task.due_on is not None and task.due_on < today else "",
                "done": "yes" if task.done_at is not None else "",
                "done_at": task.done_at.isoformat(timespec="seconds") + "Z" if task.done_at else None,
                "done_by": names.get(task.done_by_id),
            }
        )
    return found


def _cell(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(columns: Sequence[str], records: Iterable[Mapping[str, Any]]) -> str:
    """The file: the header, a line per record."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record[c]) for c in columns])
    return out.getvalue()
