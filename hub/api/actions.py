"""/api/v1/actions: the caller's actions with their tasks, comments, trail and measured effect,
made and worked like on the pages (hub/services/actions.py), and a CSV export. Actions of
stores outside the caller's scope answer 404; API tokens need actions:read or actions:write."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from hub.api import bp
from hub.api.people import person
from hub.api.request_body import json_body
from hub.clock import now
from hub.models import Action, User
from hub.services import action_effects, action_export, actions
from hub.services.access import Scope
from shared.errors import RequestError

CREATE_FIELDS = frozenset(
    {
        "title", "description", "kpi", "reason", "direction", "scope", "owner", "participants", "due_on",
        "effect_from", "state", "project", "project_name", "origin", "signal", "cases",
    }
)  # fmt: skip


def _body() -> dict[str, Any]:
    body = json_body(request, request.get_data(cache=True))
    if not isinstance(body, dict):
        raise RequestError("malformed_request", "send a JSON object")
    return body


def _summary(action: Action, row: actions.Progress | None = None) -> dict[str, Any]:
    today = actions.local_today(action, now())
    body = actions.action_as_dict(action, today=today, scope_label=row.scope_label if row else None)
    if row is None:
        tasks = actions.tasks(action)
        done = sum(t.done_at is not None for t in tasks)
        body["tasks"] = {"total": len(tasks), "done": done}
    else:
        body["tasks"] = {"total": row.tasks, "done": row.tasks_done}
    return body


def _detail(scope: Scope, action: Action) -> dict[str, Any]:
    body = _summary(action)
    body["task_list"] = [actions.task_as_dict(t) for t in actions.tasks(action)]
    body["participants"] = actions.participants(action)
    body["cases"] = actions.linked_cases(scope, action)
    body["events"] = [
        {
            "at": e.at.isoformat(timespec="seconds") + "Z",
            "user": e.user_id,
            "kind": e.kind,
            "text": e.text,
        }
        for e in actions.events(action)
    ]
    body["effect"] = action_effects.effect_of(action, now()).as_dict()
    return body


@bp.get("/actions")
@person(grant="actions:read")
def list_actions(user: User, scope: Scope) -> Response:
    state = request.args.get("state", "open")
    rows = actions.list_actions(scope, state=state, today=now().date())
    return jsonify({"actions": [_summary(row.action, row) for row in rows]})


@bp.post("/actions")
@person(write=True, grant="actions:write")
def create_action(user: User, scope: Scope) -> tuple[Response, int]:
    body = _body()
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        raise actions.invalid(f"unknown fields: {', '.join(unknown)}")
    action = actions.create_action(scope, user, body, now=now())
    return jsonify(_detail(scope, action)), 201


@bp.get("/actions/<int:action_id>")
@person(grant="actions:read")
def get_action(user: User, scope: Scope, action_id: int) -> Response:
    return jsonify(_detail(scope, actions.get_action(scope, action_id)))


@bp.patch("/actions/<int:action_id>")
@person(write=True, grant="actions:write")
def update_action(user: User, scope: Scope, action_id: int) -> Response:
    action = actions.update_action(scope, user, action_id, _body(), now=now())
    return jsonify(_detail(scope, action))


@bp.get("/actions/<int:action_id>/effect")
@person(grant="actions:read")
def action_effect(user: User, scope: Scope, action_id: int) -> Response:
    return jsonify(action_effects.effect_of(actions.get_action(scope, action_id), now()).as_dict())


@bp.get("/actions/<int:action_id>/tasks")
@person(grant="actions:read")
def list_action_tasks(user: User, scope: Scope, action_id: int) -> Response:
    return jsonify({"tasks": [actions.task_as_dict(t) for t in actions.tasks(actions.get_action(scope, action_id))]})


@bp.post("/actions/<int:action_id>/tasks")
@person(write=True, grant="actions:write")
def add_action_task(user: User, scope: Scope, action_id: int) -> tuple[Response, int]:
    body = _body()
    unknown = sorted(set(body) - {"title", "assignee", "due_on"})
    if unknown:
        raise actions.invalid(f"unknown fields: {', '.join(unknown)}")
    return jsonify(actions.task_as_dict(actions.add_task(scope, user, action_id, body, now=now()))), 201


@bp.patch("/actions/<int:action_id>/tasks/<int:task_id>")
@person(write=True, grant="actions:write")
def update_action_task(user: User, scope: Scope, action_id: int, task_id: int) -> Response:
    task = actions.update_task(scope, user, action_id, task_id, _body(), now=now())
    return jsonify(actions.task_as_dict(task))


@bp.post("/actions/<int:action_id>/comments")
@person(write=True, grant="actions:write")
def comment_action(user: User, scope: Scope, action_id: int) -> tuple[Response, int]:
    actions.comment(scope, user, action_id, _body().get("text"), now=now())
    return jsonify(_detail(scope, actions.get_action(scope, action_id))), 201


@bp.post("/actions/<int:action_id>/cases")
@person(write=True, grant="actions:write")
def link_action_case(user: User, scope: Scope, action_id: int) -> Response:
    body = _body()
    if "case" not in body:
        raise actions.invalid('send {"case": <case id>}')
    actions.link_case(scope, user, action_id, body["case"], now=now())
    return jsonify(_detail(scope, actions.get_action(scope, action_id)))


@bp.get("/actions.csv")
@person(grant="actions:read")
def export_actions(user: User, scope: Scope) -> Response:
    """Every action in scope (or of one store) with its progress and its effect as measured now."""
    store = action_export.store_in_scope(scope, request.args.get("store"))
    return _csv(action_export.action_rows(scope, now(), store), "actions.csv", action_effects.EXPORT_COLUMNS)


@bp.get("/actions/tasks.csv")
@person(grant="actions:read")
def export_action_tasks(user: User, scope: Scope) -> Response:
    """Every task of the actions in scope (or of one store)."""
    store = action_export.store_in_scope(scope, request.args.get("store"))
    return _csv(action_export.task_rows(scope, now(), store), "tasks.csv", action_export.TASK_COLUMNS)


def _csv(records: list[dict[str, Any]], name: str, columns: tuple[str, ...]) -> Response:
    """Plain CSV for machines (UTF-8, commas, decimal points)."""
    return Response(
        action_export.csv_text(columns, records),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
