"""Actions and projects: what people decided to do about a figure, worked to done.

An action has a title, a goal figure (a KPI, or the share of responses naming a reason) for a
scope (every store, a region, a store, or a touchpoint of a store), an owner, participants, a
due date, tasks (one person each, with a due date, done or not), comments and an audit trail
(action_event: who did what when, comments included). A project groups actions across stores.
States: planned -> in_progress -> done, or dropped; ``effect_from`` is the first local day the
action is in effect, from which hub/services/action_effects.py measures its effect.

An action is created where the insight is (the drivers page for a reason, a signal, a case:
``origin``) or by hand. Several cases may link to one action.

Who sees what, decided on every read: HQ every action; a regional manager the actions of
their stores and of their regions; a store manager those of their stores (a store's or one of
its touchpoints'). Another's action is "not found". HQ analysts read; everyone else in scope
works (edits, tasks, comments). An action for every store is HQ's; a region's needs every
store of the region in the person's scope. Owner, participants and assignees are active
people who see the action.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from peewee import JOIN

from hub.db import write_transaction
from hub.i18n import gettext, in_language
from hub.models import (
    Action,
    ActionCase,
    ActionEvent,
    ActionParticipant,
    ActionProject,
    ActionTask,
    Case,
    Region,
    Signal,
    Store,
    Touchpoint,
    User,
)
from hub.services import action_events
from hub.services.access import Scope, scope_for
from hub.services.drivers import choice_questions, label, survey_definition
from shared.errors import NotFound, RequestError, VoxloopError

STATES = Action.STATES
KPIS = Action.KPIS
ORIGINS = ("hand", "driver", "signal", "case", "theme")
DIRECTIONS = ("up", "down")
OPEN_STATES = ("planned", "in_progress")
# which state may follow which; done and dropped may be opened again
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "planned": ("in_progress", "done", "dropped"),
    "in_progress": ("planned", "done", "dropped"),
    "done": ("in_progress",),
    "dropped": ("planned",),
}
MAX_TITLE = 200
MAX_TEXT = 4000
MAX_TASKS = 100
MAX_PEOPLE = 50


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_LARGEST_ID = 2**63 - 1


def _digits(text: str) -> bool:
    """An id written in ASCII digits that a column can hold."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def _id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _LARGEST_ID


def invalid(detail: str) -> RequestError:
    return RequestError("invalid_action", detail)


class ActionStateError(VoxloopError):
    def __init__(self, detail: str) -> None:
        super().__init__("action_state", detail)


# --- what a scope may see --------------------------------------------------------------------


def _whole_regions(scope: Scope) -> list[int]:
    """Regions every store of which the scope sees, for a regional manager (a store manager
    works their stores' actions, not a region's, even a region of one store)."""
    if scope.store_ids is None or not scope.store_ids or scope.role != "regional_manager":
        return []
    stores_of: dict[int, set[int]] = {}
    for region_id, store_id in Store.select(Store.region, Store.id).where(Store.region.is_null(False)).tuples():
        stores_of.setdefault(region_id, set()).add(store_id)
    return sorted(r for r, ids in stores_of.items() if ids <= scope.store_ids)


def _visible(scope: Scope) -> Any:
    """The condition on Action that keeps what ``scope`` may see."""
    if scope.store_ids is None:
        return True
    condition = Action.store.in_(sorted(scope.store_ids) or [-1])
    regions = _whole_regions(scope)
    if regions:
        condition |= Action.store.is_null() & Action.region.in_(regions)
    return condition


def get_action(scope: Scope, action_id: int) -> Action:
    found = Action.select().where((Action.id == action_id) & _visible(scope)).first()
    if found is None:
        raise NotFound("not_found", f"there is no action {action_id}")
    return found


def may_work(scope: Scope) -> bool:
    return scope.can_act_on_cases  # HQ analysts read


def _workable(scope: Scope, action_id: int) -> Action:
    action = get_action(scope, action_id)
    if not may_work(scope):
        raise VoxloopError("forbidden", "HQ analysts read actions; they do not work them")
    return action


def stores_of(action: Action) -> list[int]:
    """The stores an action applies to (its scope's)."""
    if action.store_id is not None:
        return [action.store_id]
    query = Store.select(Store.id)
    if action.region_id is not None:
        query = query.where(Store.region == action.region_id)
    return [row.id for row in query.order_by(Store.id)]


def time_zone_of(action: Action) -> str:
    """Where an action's days are counted: its store's zone, else the first of its stores'."""
    ids = stores_of(action)
    store = Store.get_or_none(Store.id == ids[0]) if ids else None
    return store.time_zone if store else "UTC"


def local_today(action: Action, now: datetime) -> date:
    return now.astimezone(ZoneInfo(time_zone_of(action))).date()


# --- lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    action: Action
    tasks: int
    tasks_done: int
    overdue: bool
    overdue_tasks: int
    scope_label: str


LIST_STATES = ("open", "all", *STATES)


def list_actions(
    scope: Scope,
    *,
    state: str = "open",
    project_id: int | None = None,
    store_id: int | None = None,
    overdue_only: bool = False,
    today: date,
    limit: int = 500,
) -> list[Progress]:
    """The actions in scope with their progress, due first (no due date last)."""
    if state not in LIST_STATES:
        raise RequestError("malformed_request", f"state must be one of {', '.join(LIST_STATES)}")
    query = Action.select().where(_visible(scope))
    if state == "open":
        query = query.where(Action.state.in_(OPEN_STATES))
    elif state != "all":
        query = query.where(Action.state == state)
    if project_id is not None:
        query = query.where(Action.project == project_id)
    if store_id is not None:
        query = query.where(Action.store == store_id)
    found = list(query.order_by(Action.due_on.is_null(), Action.due_on, Action.id).limit(limit))
    counts = _task_counts([a.id for a in found], today)
    labels = scope_labels(found)
    rows = []
    for action in found:
        total, done, late = counts.get(action.id, (0, 0, 0))
        overdue = action.state in OPEN_STATES and action.due_on is not None and action.due_on < today
        if overdue_only and not (overdue or late):
            continue
        rows.append(Progress(action, total, done, overdue, late, labels[action.id]))
    return rows


def _task_counts(action_ids: Sequence[int], today: date) -> dict[int, tuple[int, int, int]]:
    """Per action: tasks, of them done, and open ones past their due date."""
    counts: dict[int, list[int]] = {}
    if not action_ids:
        return {}
    for task in ActionTask.select().where(ActionTask.action.in_(list(action_ids))):
        row = counts.setdefault(task.action_id, [0, 0, 0])
        row[0] += 1
        row[1] += task.done_at is not None
        row[2] += task.done_at is None and task.due_on is not None and task.due_on < today
    return {k: (v[0], v[1], v[2]) for k, v in counts.items()}


def summary(rows: Iterable[Progress]) -> dict[str, int]:
    """HQ's overview: actions by state, overdue ones, and those in effect."""
    found = {state: 0 for state in STATES} | {"overdue": 0, "in_effect": 0}
    for row in rows:
        found[row.action.state] += 1
        found["overdue"] += row.overdue
        found["in_effect"] += row.action.effect_from is not None and row.action.state != "dropped"
    return found


def scope_labels(actions: Iterable[Action]) -> dict[int, str]:
    """How each action's scope reads: "every store", a region's name, a store's code and name."""
    actions = list(actions)
    stores = {s.id: s for s in Store.select().where(Store.id.in_({a.store_id for a in actions} or {-1}))}
    regions = {r.id: r.name for r in Region.select().where(Region.id.in_({a.region_id for a in actions} or {-1}))}
    points = {
        t.id: t.name for t in Touchpoint.select().where(Touchpoint.id.in_({a.touchpoint_id for a in actions} or {-1}))
    }
    labels = {}
    for a in actions:
        if a.scope_key == "all":
            labels[a.id] = gettext("every store")
        elif a.region_id is not None and a.store_id is None:
            labels[a.id] = gettext("region %(name)s", name=regions.get(a.region_id, "?"))
        else:
            store = stores.get(a.store_id)
            name = f"{store.code} {store.name}" if store else "?"
            labels[a.id] = name + (f" · {points.get(a.touchpoint_id, '?')}" if a.touchpoint_id else "")
    return labels


def projects(scope: Scope) -> list[ActionProject]:
    """Projects with at least one action in scope, and (for people who work) the empty ones."""
    visible = Action.select(Action.project).where(_visible(scope) & Action.project.is_null(False))
    query = ActionProject.select()
    if scope.store_ids is not None:
        query = query.where(ActionProject.id.in_(visible) | (ActionProject.created_by == scope.user_id))
    return list(query.order_by(ActionProject.name))


# --- the goal, the scope, people -------------------------------------------------------------


def reasons(language: str = "en") -> list[tuple[str, str]]:
    """(option id, label) of every reason the exit survey offers."""
    try:
        definition = survey_definition()
    except NotFound:
        return []
    return [
        (option.id, label(option.text, language, option.id))
        for question in choice_questions(definition)
        for option in question.options
    ]


def reason_question(option: str) -> str | None:
    """The choice question of the exit survey that offers ``option``."""
    try:
        definition = survey_definition()
    except NotFound:
        return None
    return next((q.id for q in choice_questions(definition) if option in q.option_ids), None)


def goal_label(action: Action, language: str = "en") -> str:
    with in_language(language):
        if action.kpi == "reason_share":
            names = dict(reasons(language))
            return gettext("share naming “%(reason)s”", reason=names.get(action.reason, action.reason))
        return {"smiley_index": gettext("smiley index"), "nps": "NPS", "csat": "CSAT"}[action.kpi]


@dataclass(frozen=True)
class Target:
    scope_key: str
    region_id: int | None
    store_id: int | None
    touchpoint_id: int | None


def _target(scope: Scope, raw: object) -> Target:
    """The action's scope from "all", "region:<id>", "store:<id>" or "touchpoint:<id>"."""
    text = raw if isinstance(raw, str) else ""
    kind, _, ident = text.partition(":")
    if text == "all":
        if scope.store_ids is not None:
            raise invalid("an action for every store is HQ's; choose your store")
        return Target("all", None, None, None)
    if kind not in ("region", "store", "touchpoint") or not _digits(ident):
        raise invalid("scope must be all, region:<id>, store:<id> or touchpoint:<id>")
    number = int(ident)
    if kind == "store":
        if Store.get_or_none(Store.id == number) is None or not scope.sees(number):
            raise invalid(f"there is no store {number} in your stores")
        return Target(f"store:{number}", None, number, None)
    if kind == "touchpoint":
        point = Touchpoint.get_or_none(Touchpoint.id == number)
        if point is None or not scope.sees(point.store_id):
            raise invalid(f"there is no touchpoint {number} in your stores")
        return Target(f"touchpoint:{number}", None, point.store_id, number)
    region = Region.get_or_none(Region.id == number)
    if region is None or (scope.store_ids is not None and number not in _whole_regions(scope)):
        raise invalid(f"there is no region {number} whose stores are all yours")
    return Target(f"region:{number}", number, None, None)


def _stores_of_target(target: Target) -> list[int]:
    if target.store_id is not None:
        return [target.store_id]
    query = Store.select(Store.id)
    if target.region_id is not None:
        query = query.where(Store.region == target.region_id)
    return [row.id for row in query]


def _person(raw: object, stores: Sequence[int], what: str) -> int | None:
    """An active person who sees every store of the action, or None for nobody."""
    if raw is None:
        return None
    if isinstance(raw, str) and _digits(raw):
        raw = int(raw)
    if not _id(raw):
        raise invalid(f"{what} must be a person's id")
    user = User.get_or_none((User.id == raw) & (User.active == True))  # noqa: E712
    if user is None or not all(scope_for(user).sees(s) for s in stores):
        raise invalid(f"{what} must be an active person who sees the action's stores")
    return user.id


def people_for(action_or_stores: Action | Sequence[int]) -> list[User]:
    """Active people who see every store of an action: who may own, join or do a task."""
    stores = stores_of(action_or_stores) if isinstance(action_or_stores, Action) else list(action_or_stores)
    found = User.select().where(User.active == True).order_by(User.name)  # noqa: E712
    return [u for u in found if all(scope_for(u).sees(s) for s in stores)]


def _text(raw: object, what: str, *, required: bool, limit: int = MAX_TEXT) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise invalid(f"{what} must not be empty")
        return None
    if not isinstance(raw, str):
        raise invalid(f"{what} must be a text")
    if len(raw) > limit:
        raise invalid(f"{what} has {len(raw):,} characters; at most {limit:,} are kept")
    return raw.strip()


def _day(raw: object, what: str) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, date):
        return raw
    try:
        if not isinstance(raw, str) or not _DAY.match(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid(f"{what} must be a date as YYYY-MM-DD") from None


def _goal(fields: Mapping[str, object]) -> tuple[str, str | None, str]:
    kpi = fields.get("kpi")
    if kpi not in KPIS:
        raise invalid(f"kpi must be one of {', '.join(KPIS)}")
    reason = None
    if kpi == "reason_share":
        reason = fields.get("reason")
        if not isinstance(reason, str) or reason_question(reason) is None:
            raise invalid("a reason's share needs a reason the survey offers")
    direction = fields.get("direction")
    if direction is None:
        direction = "down" if kpi == "reason_share" else "up"
    if direction not in DIRECTIONS:
        raise invalid("direction must be up or down")
    return str(kpi), reason, str(direction)


def _ids(raw: object, what: str) -> list[int]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    if len(items) > MAX_PEOPLE:
        raise invalid(f"at most {MAX_PEOPLE} {what}")
    found = []
    for item in items:
        if isinstance(item, str) and _digits(item):
            item = int(item)
        if not _id(item):
            raise invalid(f"{what} must be ids")
        found.append(item)
    return sorted(set(found))


# --- writing ---------------------------------------------------------------------------------


def _event(action_id: int, user: User | None, kind: str, at: datetime, text: str | None = None, **data: Any) -> None:
    ActionEvent.create(
        action=action_id,
        at=at.replace(tzinfo=None),
        user=user.id if user else None,
        kind=kind,
        text=text,
        data=data or None,
    )


def _announce(action_id: int, event: str, user: User | None, now: datetime, **extra: Any) -> None:
    """Queue ``event`` for the action rules' webhooks in this transaction, with the action as
    it is now (hub/services/action_events.py)."""
    action = Action.get_by_id(action_id)
    body = {"action": action_as_dict(action, today=local_today(action, now)), "by": user.id if user else None}
    action_events.announce(event, stores_of(action), {**body, **extra}, now)


def _project(scope: Scope, user: User, fields: Mapping[str, object], at: datetime) -> int | None:
    name = _text(fields.get("project_name"), "the new project's name", required=False, limit=MAX_TITLE)
    if name:
        return ActionProject.create(name=name, created_by=user.id, created_at=at.replace(tzinfo=None)).id
    raw = fields.get("project")
    if raw is None:
        return None
    if isinstance(raw, str) and _digits(raw):
        raw = int(raw)
    if not _id(raw) or raw not in {p.id for p in projects(scope)}:
        raise invalid("project must be one of your projects")
    return raw


def _signal(scope: Scope, raw: object) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, str) and _digits(raw):
        raw = int(raw)
    signal = Signal.get_or_none(Signal.id == raw) if _id(raw) else None
    if signal is None or not scope.sees(signal.store_id):
        raise invalid("signal must be a signal of your stores")
    return signal.id


def _cases(scope: Scope, raw: object, stores: Sequence[int]) -> list[int]:
    ids = _ids(raw, "cases")
    found = {c.id: c.store_id for c in Case.select(Case.id, Case.store).where(Case.id.in_(ids or [-1]))}
    for case_id in ids:
        if case_id not in found or not scope.sees(found[case_id]) or found[case_id] not in stores:
            raise invalid(f"case {case_id} is not a case of the action's stores")
    return ids


def create_action(scope: Scope, user: User, fields: Mapping[str, object], *, now: datetime) -> Action:
    """A new action, planned unless ``state`` says otherwise. ``fields`` as a form or the API
    sends them: title, description, kpi, reason, direction, scope, owner, participants,
    due_on, effect_from, project (an id) or project_name (a new one), origin, signal, cases."""
    if not may_work(scope):
        raise VoxloopError("forbidden", "HQ analysts read actions; they do not make them")
    title = _text(fields.get("title"), "title", required=True, limit=MAX_TITLE)
    description = _text(fields.get("description"), "description", required=False)
    kpi, reason, direction = _goal(fields)
    target = _target(scope, fields.get("scope"))
    stores = _stores_of_target(target)
    owner = _person(fields.get("owner"), stores, "owner") or user.id
    participants = [_person(p, stores, "participant") for p in _ids(fields.get("participants"), "participants")]
    origin = "hand" if fields.get("origin") is None else fields.get("origin")
    if origin not in ORIGINS:
        raise invalid(f"origin must be one of {', '.join(ORIGINS)}")
    due_on = _day(fields.get("due_on"), "due_on")
    effect_from = _day(fields.get("effect_from"), "effect_from")
    state = "planned" if fields.get("state") is None else fields.get("state")
    if state not in STATES:
        raise invalid(f"state must be one of {', '.join(STATES)}")
    signal = _signal(scope, fields.get("signal"))
    cases = _cases(scope, fields.get("cases"), stores)
    at = now.replace(tzinfo=None)
    with write_transaction():
        project = _project(scope, user, fields, now)
        action = Action.create(
            project=project,
            title=title,
            description=description,
            kpi=kpi,
            reason=reason,
            goal_direction=direction,
            scope_key=target.scope_key,
            region=target.region_id,
            store=target.store_id,
            touchpoint=target.touchpoint_id,
            owner=owner,
            state=state,
            due_on=due_on,
            effect_from=effect_from,
            origin=origin,
            signal=signal,
            created_by=user.id,
            created_at=at,
            updated_at=at,
            closed_at=at if state in ("done", "dropped") else None,
        )
        for person in participants:
            ActionParticipant.create(action=action.id, user=person)
        for case_id in cases:
            ActionCase.create(action=action.id, case=case_id, linked_at=at)
        _event(action.id, user, "created", now, title, origin=origin, cases=cases or None)
        _announce(action.id, "action.created", user, now, participants=sorted(p for p in participants if p))
    return get_action(scope, action.id)


EDITABLE = ("title", "description", "owner", "due_on", "effect_from", "state", "participants", "project")


def update_action(scope: Scope, user: User, action_id: int, fields: Mapping[str, object], *, now: datetime) -> Action:
    """Change what ``fields`` names (of EDITABLE); every change is in the audit trail. The
    goal and scope stay: a different goal is a different action."""
    action = _workable(scope, action_id)
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise invalid(f"{', '.join(unknown)} cannot be changed; what can: {', '.join(EDITABLE)}")
    stores = stores_of(action)
    changes = _edits(action, fields, stores)
    participants = None
    if "participants" in fields:
        participants = [_person(p, stores, "participant") for p in _ids(fields["participants"], "participants")]
    at = now.replace(tzinfo=None)
    with write_transaction():
        if "project" in fields:
            changes["project"] = _project(scope, user, {"project": fields["project"]}, now)
        changed = {k: v for k, v in changes.items() if _stored(action, k) != v}
        if "state" in changed:
            changed["closed_at"] = at if changed["state"] in ("done", "dropped") else None
        if changed:
            Action.update(updated_at=at, **changed).where(Action.id == action.id).execute()
        _log_changes(action, user, changed, now)
        if "state" in changed:
            _announce(action.id, "action.state_changed", user, now, before=action.state, after=changed["state"])
        if participants is not None:
            _set_participants(action, user, participants, now)
    return get_action(scope, action.id)


def _edits(action: Action, fields: Mapping[str, object], stores: Sequence[int]) -> dict[str, Any]:
    """The checked new values of what ``fields`` changes (not participants and project)."""
    checks: dict[str, Any] = {
        "title": lambda v: _text(v, "title", required=True, limit=MAX_TITLE),
        "description": lambda v: _text(v, "description", required=False),
        "owner": lambda v: _person(v, stores, "owner"),
        "due_on": lambda v: _day(v, "due_on"),
        "effect_from": lambda v: _day(v, "effect_from"),
        "state": lambda v: _next_state(action, v),
    }
    return {name: check(fields[name]) for name, check in checks.items() if name in fields}


def _next_state(action: Action, new: object) -> str:
    if new not in STATES:
        raise invalid(f"state must be one of {', '.join(STATES)}")
    if new != action.state and new not in TRANSITIONS[action.state]:
        raise ActionStateError(f"action {action.id} is {action.state}; it cannot become {new}")
    return str(new)


def _stored(action: Action, name: str) -> Any:
    return getattr(action, f"{name}_id") if name in ("owner", "project") else getattr(action, name)


def _log_changes(action: Action, user: User, changed: Mapping[str, Any], now: datetime) -> None:
    for name, value in changed.items():
        if name == "closed_at":
            continue
        before = _stored(action, name)
        if name == "state":
            _event(action.id, user, "state", now, None, before=before, after=value)
        elif name == "effect_from":
            _event(action.id, user, "in_effect", now, None, before=_iso(before), after=_iso(value))
        else:
            _event(action.id, user, "edited", now, None, field=name, before=_iso(before), after=_iso(value))


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _set_participants(action: Action, user: User, wanted: Sequence[int | None], now: datetime) -> None:
    have = {p.user_id for p in ActionParticipant.select().where(ActionParticipant.action == action.id)}
    want = {p for p in wanted if p is not None}
    for person in sorted(want - have):
        ActionParticipant.create(action=action.id, user=person)
    if have - want:
        ActionParticipant.delete().where(
            (ActionParticipant.action == action.id) & ActionParticipant.user.in_(sorted(have - want))
        ).execute()
    if want != have:
        _event(action.id, user, "participants", now, None, added=sorted(want - have), removed=sorted(have - want))


def add_task(scope: Scope, user: User, action_id: int, fields: Mapping[str, object], *, now: datetime) -> ActionTask:
    action = _workable(scope, action_id)
    title = _text(fields.get("title"), "the task's title", required=True, limit=MAX_TITLE)
    assignee = _person(fields.get("assignee"), stores_of(action), "assignee")
    due_on = _day(fields.get("due_on"), "due_on")
    with write_transaction():
        if ActionTask.select().where(ActionTask.action == action.id).count() >= MAX_TASKS:
            raise invalid(f"an action holds at most {MAX_TASKS} tasks")
        task = ActionTask.create(
            action=action.id, title=title, assignee=assignee, due_on=due_on, created_at=now.replace(tzinfo=None)
        )
        _event(action.id, user, "task_added", now, title, task=task.id, assignee=assignee)
        _announce(action.id, "action.task_created", user, now, task=task_as_dict(task))
        action_events.tell_assignee(action.id, task.id, assignee, user, now)
    return task


def get_task(action: Action, task_id: int) -> ActionTask:
    task = ActionTask.get_or_none((ActionTask.id == task_id) & (ActionTask.action == action.id))
    if task is None:
        raise NotFound("not_found", f"action {action.id} has no task {task_id}")
    return task


def update_task(
    scope: Scope, user: User, action_id: int, task_id: int, fields: Mapping[str, object], *, now: datetime
) -> ActionTask:
    """Mark a task done or not done (``done``), or change its title, assignee or due date."""
    action = _workable(scope, action_id)
    task = get_task(action, task_id)
    unknown = sorted(set(fields) - {"done", "title", "assignee", "due_on"})
    if unknown:
        raise invalid(f"{', '.join(unknown)} cannot be changed on a task")
    changes: dict[str, Any] = {}
    if "title" in fields:
        changes["title"] = _text(fields["title"], "the task's title", required=True, limit=MAX_TITLE)
    if "assignee" in fields:
        changes["assignee"] = _person(fields["assignee"], stores_of(action), "assignee")
    if "due_on" in fields:
        changes["due_on"] = _day(fields["due_on"], "due_on")
    if "done" in fields:
        if not isinstance(fields["done"], bool):
            raise invalid("done must be true or false")
        if fields["done"] != (task.done_at is not None):
            changes["done_at"] = now.replace(tzinfo=None) if fields["done"] else None
            changes["done_by"] = user.id if fields["done"] else None
    with write_transaction():
        if changes:
            ActionTask.update(**changes).where(ActionTask.id == task.id).execute()
            Action.update(updated_at=now.replace(tzinfo=None)).where(Action.id == action.id).execute()
        if "done_at" in changes:
            _event(
                action.id, user, "task_done" if changes["done_at"] else "task_reopened", now, task.title, task=task.id
            )
        elif changes:
            _event(action.id, user, "task_edited", now, task.title, task=task.id, fields=sorted(changes))
        _announce_task(action.id, task, changes, user, now)
    return get_task(action, task.id)


def _announce_task(action_id: int, task: ActionTask, changes: Mapping[str, Any], user: User, now: datetime) -> None:
    """A task done or open again, or given to someone else: its webhooks and the new assignee's email."""
    if not changes:
        return
    changed = ActionTask.get_by_id(task.id)
    if "done_at" in changes:
        event = "action.task_done" if changes["done_at"] else "action.task_reopened"
        _announce(action_id, event, user, now, task=task_as_dict(changed))
    if "assignee" in changes and changes["assignee"] != task.assignee_id:
        _announce(action_id, "action.task_assigned", user, now, task=task_as_dict(changed), before=task.assignee_id)
        action_events.tell_assignee(action_id, task.id, changes["assignee"], user, now)


def comment(scope: Scope, user: User, action_id: int, text: object, *, now: datetime) -> ActionEvent:
    action = _workable(scope, action_id)
    body = _text(text, "the comment", required=True)
    with write_transaction():
        _event(action.id, user, "commented", now, body)
        Action.update(updated_at=now.replace(tzinfo=None)).where(Action.id == action.id).execute()
    return ActionEvent.select().where(ActionEvent.action == action.id).order_by(ActionEvent.id.desc()).first()


def link_case(scope: Scope, user: User, action_id: int, case_id: object, *, now: datetime) -> None:
    """Link a case of the action's stores to it (once; linking again changes nothing)."""
    action = _workable(scope, action_id)
    if case_id is None:
        raise invalid("name the case to link")
    (case,) = _cases(scope, [case_id], stores_of(action))
    with write_transaction():
        if ActionCase.get_or_none((ActionCase.action == action.id) & (ActionCase.case == case)) is None:
            ActionCase.create(action=action.id, case=case, linked_at=now.replace(tzinfo=None))
            _event(action.id, user, "case_linked", now, None, case=case)


# --- reading one action ----------------------------------------------------------------------


def tasks(action: Action) -> list[ActionTask]:
    return list(ActionTask.select().where(ActionTask.action == action.id).order_by(ActionTask.id))


def events(action: Action) -> list[ActionEvent]:
    return list(
        ActionEvent.select(ActionEvent, User)
        .join(User, JOIN.LEFT_OUTER, on=(ActionEvent.user == User.id))
        .where(ActionEvent.action == action.id)
        .order_by(ActionEvent.at, ActionEvent.id)
    )


def participants(action: Action) -> list[int]:
    return [p.user_id for p in ActionParticipant.select().where(ActionParticipant.action == action.id)]


def linked_cases(scope: Scope, action: Action) -> list[int]:
    found = (
        ActionCase.select(Case.id, Case.store)
        .join(Case, on=(ActionCase.case == Case.id))
        .where(ActionCase.action == action.id)
        .tuples()
    )
    return sorted(case_id for case_id, store_id in found if scope.sees(store_id))


def actions_of_case(scope: Scope, case_id: int) -> list[Action]:
    linked = ActionCase.select(ActionCase.action).where(ActionCase.case == case_id)
    return list(Action.select().where(Action.id.in_(linked) & _visible(scope)).order_by(Action.id))


def names_of(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return dict(User.select(User.id, User.name).where(User.id.in_(wanted or {-1})).tuples())


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def task_as_dict(task: ActionTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "assignee": task.assignee_id,
        "due_on": _iso(task.due_on),
        "done": task.done_at is not None,
        "done_at": _stamp(task.done_at),
        "done_by": task.done_by_id,
    }


def action_as_dict(action: Action, *, today: date, scope_label: str | None = None) -> dict[str, Any]:
    overdue = action.state in OPEN_STATES and action.due_on is not None and action.due_on < today
    return {
        "id": action.id,
        "title": action.title,
        "description": action.description,
        "state": action.state,
        "goal": {"kpi": action.kpi, "reason": action.reason, "direction": action.goal_direction},
        "scope": action.scope_key,
        "scope_label": scope_label if scope_label is not None else scope_labels([action])[action.id],
        "project": action.project_id,
        "owner": action.owner_id,
        "due_on": _iso(action.due_on),
        "overdue": overdue,
        "effect_from": _iso(action.effect_from),
        "origin": action.origin,
        "signal": action.signal_id,
        "created_at": _stamp(action.created_at),
        "updated_at": _stamp(action.updated_at),
        "closed_at": _stamp(action.closed_at),
    }


def scope_choices(scope: Scope) -> list[tuple[str, str]]:
    """(scope key, label) of what a person may make an action for: every store (HQ), their
    whole regions, their stores."""
    found: list[tuple[str, str]] = []
    if scope.store_ids is None:
        found.append(("all", gettext("every store")))
        regions = list(Region.select().order_by(Region.name))
    else:
        regions = list(Region.select().where(Region.id.in_(_whole_regions(scope) or [-1])).order_by(Region.name))
    found += [(f"region:{r.id}", gettext("region %(name)s", name=r.name)) for r in regions]
    stores = Store.select().order_by(Store.code)
    if scope.store_ids is not None:
        stores = stores.where(Store.id.in_(sorted(scope.store_ids) or [-1]))
    found += [(f"store:{s.id}", f"{s.code} {s.name}") for s in stores]
    return found


def store_scope(scope: Scope, code: str | None) -> str | None:
    """The scope key of a store named by its code, if the person sees it (the drivers page's links)."""
    store = Store.get_or_none(Store.code == code) if code else None
    return f"store:{store.id}" if store is not None and scope.sees(store.id) else None
