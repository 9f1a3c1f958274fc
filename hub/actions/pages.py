"""/actions: the list, a new action, an action and its steps, and the CSV downloads of actions
and of their tasks (every store in scope, or one: ``?store=<code>``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.auth.guard import current_scope, current_user, signed_in
from hub.charts import comparison_chart
from hub.clock import now
from hub.dashboards.csv_download import csv_download
from hub.i18n import current_language, day, gettext, lazy_gettext, number
from hub.models import Action
from hub.services import action_effects, action_export, actions
from hub.services.access import Scope
from shared.errors import NotFound, VoxloopError

bp = Blueprint("actions", __name__, url_prefix="/actions")

STATE_NAMES = {
    "planned": lazy_gettext("planned"),
    "in_progress": lazy_gettext("in progress"),
    "done": lazy_gettext("done"),
    "dropped": lazy_gettext("dropped"),
    "open": lazy_gettext("open"),
    "all": lazy_gettext("all"),
}
KPI_NAMES = {
    "smiley_index": lazy_gettext("Smiley index"),
    "nps": "NPS",
    "csat": "CSAT",
    "reason_share": lazy_gettext("A reason's share"),
}
VERDICT_NAMES = {
    "clear": lazy_gettext("clear improvement"),
    "unclear": lazy_gettext("unclear"),
    "negative": lazy_gettext("worse"),
    "pending": lazy_gettext("effect pending"),
    "not_measurable": lazy_gettext("not measurable"),
}
UNIT_NAMES = {
    "smiley_index": lazy_gettext("index points"),
    "nps": lazy_gettext("NPS points"),
    "csat": lazy_gettext("CSAT points"),
    "reason_share": lazy_gettext("percentage points"),
}
FORM_FIELDS = ("title", "description", "kpi", "reason", "direction", "scope", "owner", "due_on", "effect_from")
FORM_FIELDS += ("project", "project_name", "origin", "signal", "cases")


def _filled(typed: Mapping[str, str]) -> dict[str, Any]:
    """A form's fields as the service takes them: an empty field is no value."""
    return {key: value if value != "" else None for key, value in typed.items()}


def _number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18


def _today(action: Action | None = None) -> Any:
    return actions.local_today(action, now()) if action is not None else now().date()


@bp.get("")
@signed_in
def list_page() -> str:
    scope = current_scope()
    state = request.args.get("state", "open")
    state = state if state in actions.LIST_STATES else "open"
    overdue = request.args.get("overdue") == "1"
    project = request.args.get("project", "")
    rows = actions.list_actions(
        scope, state=state, overdue_only=overdue, project_id=int(project) if _number(project) else None, today=_today()
    )
    every = actions.list_actions(scope, state="all", today=_today())
    effects = action_effects.effects_of([r.action for r in rows], now())
    return render_template(
        "actions/list.html",
        rows=rows,
        state=state,
        states=actions.LIST_STATES,
        state_names=STATE_NAMES,
        overdue=overdue,
        counts=actions.summary(every),
        projects=actions.projects(scope),
        project=project,
        names=actions.names_of(r.action.owner_id for r in rows),
        may_work=actions.may_work(scope),
        effects=effects,
        verdict_names=VERDICT_NAMES,
        verdicts={v: sum(e.verdict == v for e in effects.values()) for v in VERDICT_NAMES},
        download_stores=action_export.stores_in(scope),
    )


def _form_page(scope: Scope, values: Mapping[str, Any], error: str | None = None) -> str:
    return render_template(
        "actions/new.html",
        values=values,
        error=error,
        kpis=KPI_NAMES,
        reasons=actions.reasons(current_language()),
        scopes=actions.scope_choices(scope),
        people=actions.people_for([]) if scope.store_ids is None else _people_of(scope, values),
        projects=actions.projects(scope),
        max_title=actions.MAX_TITLE,
    )


def _people_of(scope: Scope, values: Mapping[str, Any]) -> list[Any]:
    """Who may own the action: those who see its store (the chosen one, else the person's)."""
    key = str(values.get("scope") or "")
    if key.startswith("store:") and _number(key[6:]) and scope.sees(int(key[6:])):
        return actions.people_for([int(key[6:])])
    return actions.people_for(sorted(scope.store_ids or [])[:1])


@bp.get("/new")
@signed_in
def new() -> str:
    """The form, filled in from where the insight is: ?kpi=reason_share&reason=queue&store=B001
    (the drivers page), ?signal=<id>, ?case=<id>, or nothing (by hand)."""
    scope = current_scope()
    if not actions.may_work(scope):
        raise VoxloopError("forbidden", "HQ analysts read actions; they do not make them")
    args = request.args
    values: dict[str, Any] = {key: args.get(key, "") for key in FORM_FIELDS}
    values["scope"] = args.get("scope") or actions.store_scope(scope, args.get("store")) or ""
    if args.get("case"):
        values["cases"] = args["case"]
        values["origin"] = "case"
    values["origin"] = values["origin"] or ("signal" if args.get("signal") else "hand")
    values["kpi"] = values["kpi"] or "smiley_index"
    return _form_page(scope, values)


@bp.post("/new")
@signed_in
def create() -> Response | tuple[str, int]:
    scope = current_scope()
    form = request.form
    typed = {key: form.get(key, "") for key in FORM_FIELDS}
    fields: dict[str, Any] = _filled(typed)
    fields["cases"] = form.get("cases", "").replace(",", " ").split()
    try:
        action = actions.create_action(scope, current_user(), fields, now=now())
    except NotFound:
        raise
    except VoxloopError as error:
        return _form_page(scope, typed, error.detail), 422
    flash(gettext("Action created."), "ok")
    return redirect(url_for("actions.show", action_id=action.id))


def _chart(action: Action, effect: action_effects.Effect) -> tuple[Any, list[Any]]:
    weeks = action_effects.weekly_trend(action, effect, now())
    if not weeks:
        return None, []
    labels = [w.start.isoformat() for w in weeks]
    marker = next((i for i, w in enumerate(weeks) if w.start >= action.effect_from), None)
    ours = [w.treated.value if w.treated else None for w in weeks]
    theirs = [w.comparison.value if w.comparison else None for w in weeks]
    lowest, highest = _range([v for v in ours + theirs if v is not None], action.kpi in ("reason_share", "csat"))
    title = gettext(
        "%(goal)s: the action's stores and comparable stores, by week",
        goal=actions.goal_label(action, current_language()),
    )
    chart = comparison_chart(title, labels, ours, theirs, marker, lowest=lowest, highest=highest)
    return chart, weeks


def _range(values: list[float], share: bool) -> tuple[float, float]:
    """The chart's scale: the figures' own range in steps of 10 points, within the KPI's scale."""
    floor, ceiling = (0.0, 100.0) if share else (-100.0, 100.0)
    if not values:
        return floor, ceiling
    low = max(floor, math.floor((min(values) - 5) / 10) * 10)
    high = min(ceiling, math.ceil((max(values) + 5) / 10) * 10)
    return (low, high) if high > low else (floor, ceiling)


def _signed(value: float | None) -> str:
    return ("+" if value is not None and value > 0 else "") + number(value)


def effect_words(action: Action, effect: action_effects.Effect) -> list[str]:
    """What the effect means, in the person's language (the API's ``words`` stay English)."""
    if effect.verdict in ("clear", "negative", "unclear") and effect.before and effect.after:
        return _measured_words(action, effect)
    if effect.verdict == "not_measurable":
        if effect.before is None:
            return [gettext("Not measurable: an action for every store leaves no store to compare with.")]
        return [
            gettext(
                "Not measurable: %(n)s comparable stores without the action had answers before and after; "
                "at least %(least)s are needed to tell its effect from what changed everywhere.",
                n=effect.extra.get("comparable", 0),
                least=action_effects.MIN_CONTROLS,
            )
        ]
    return [_pending_words(effect)]


def _pending_words(effect: action_effects.Effect) -> str:
    if effect.effect_from is None:
        return gettext("Not in effect yet: set the day it started to measure its effect.")
    if effect.after is None:
        return gettext("In effect from %(start)s; the first day is not over yet.", start=day(effect.effect_from))
    if effect.days_needed is None:
        return gettext(
            "Too few answers before the action (%(n)s in the %(days)s days up to %(end)s, %(least)s needed): "
            "its effect cannot be measured.",
            n=effect.extra.get("answers_before", 0),
            days=action_effects.PRE_DAYS,
            end=day(effect.before[1]) if effect.before else "–",
            least=action_effects.MIN_ANSWERS,
        )
    return gettext(
        "Too early to tell: %(days)s days and %(n)s answers since %(start)s; about %(needed)s more days needed "
        "(at least %(least_days)s days and %(least_n)s answers).",
        days=effect.extra.get("post_days", 0),
        n=effect.extra.get("answers_after", 0),
        start=day(effect.effect_from),
        needed=effect.days_needed,
        least_days=action_effects.MIN_POST_DAYS,
        least_n=action_effects.MIN_ANSWERS,
    )


def _measured_words(action: Action, effect: action_effects.Effect) -> list[str]:
    assert effect.before and effect.after
    head = {
        "clear": gettext("A clear improvement"),
        "negative": gettext("A clear change for the worse"),
        "unclear": gettext("No clear change"),
    }[effect.verdict]
    words = [
        gettext(
            "%(head)s: %(estimate)s %(unit)s against comparable stores (95 %% interval %(low)s to %(high)s).",
            head=head,
            estimate=_signed(effect.estimate),
            unit=UNIT_NAMES[action.kpi],
            low=_signed(effect.low),
            high=_signed(effect.high),
        ),
        gettext(
            "%(stores)s stores with the action: %(before_n)s answers from %(b0)s to %(b1)s, %(after_n)s from "
            "%(a0)s to %(a1)s; %(controls)s comparison stores: %(cb)s and %(ca)s answers.",
            stores=len(effect.treated),
            before_n=effect.n_treated[0],
            b0=day(effect.before[0]),
            b1=day(effect.before[1]),
            after_n=effect.n_treated[1],
            a0=day(effect.after[0]),
            a1=day(effect.after[1]),
            controls=len(effect.controls),
            cb=effect.n_controls[0],
            ca=effect.n_controls[1],
        ),
    ]
    if effect.matched:
        words.append(gettext("The comparison stores are those whose trend before was closest to these stores'."))
    if effect.verdict == "unclear":
        words.append(gettext("The interval covers zero: the action may have helped, done nothing or harmed."))
    return words


def _page(action_id: int, *, drafts: Mapping[str, str] | None = None, error: str | None = None) -> str:
    scope = current_scope()
    action = actions.get_action(scope, action_id)
    effect = action_effects.effect_of(action, now())
    chart, weeks = _chart(action, effect)
    tasks = actions.tasks(action)
    events = actions.events(action)
    participants = actions.participants(action)
    names = actions.names_of(
        [action.owner_id, *participants, *(t.assignee_id for t in tasks), *(e.user_id for e in events)]
    )
    return render_template(
        "actions/action.html",
        action=action,
        scope_label=actions.scope_labels([action])[action.id],
        goal=actions.goal_label(action, current_language()),
        effect=effect,
        effect_words=effect_words(action, effect),
        verdict_names=VERDICT_NAMES,
        chart=chart,
        weeks=weeks,
        tasks=tasks,
        events=events,
        participants=participants,
        people=actions.people_for(action),
        names=names,
        cases=actions.linked_cases(scope, action),
        may_work=actions.may_work(scope),
        next_states=actions.TRANSITIONS[action.state],
        state_names=STATE_NAMES,
        today=_today(action),
        zone=actions.time_zone_of(action),
        drafts=drafts or {},
        error=error,
    )


@bp.get("/<int:action_id>")
@signed_in
def show(action_id: int) -> str:
    return _page(action_id)


def _step(action_id: int, step: Callable[[Scope, Any], Any], done: str, drafts: Mapping[str, str] | None = None) -> Any:
    """Run a step; refused, the page comes back with why and what was typed (422)."""
    try:
        step(current_scope(), current_user())
    except NotFound:
        raise
    except VoxloopError as error:
        return _page(action_id, drafts=drafts or {}, error=error.detail), 422
    flash(done, "ok")
    return redirect(url_for("actions.show", action_id=action_id))


@bp.post("/<int:action_id>/edit")
@signed_in
def edit(action_id: int) -> Any:
    form = request.form
    typed = {key: form.get(key, "") for key in ("state", "due_on", "effect_from", "owner")}
    fields: dict[str, Any] = _filled(typed)
    if form.get("participants_shown"):
        fields["participants"] = form.getlist("participants")
    return _step(
        action_id,
        lambda s, u: actions.update_action(s, u, action_id, fields, now=now()),
        gettext("Saved."),
        typed,
    )


@bp.post("/<int:action_id>/tasks")
@signed_in
def add_task(action_id: int) -> Any:
    form = request.form
    typed = {key: form.get(key, "") for key in ("title", "assignee", "due_on")}
    return _step(
        action_id,
        lambda s, u: actions.add_task(s, u, action_id, _filled(typed), now=now()),
        gettext("Task added."),
        {f"task_{k}": v for k, v in typed.items()},
    )


@bp.post("/<int:action_id>/tasks/<int:task_id>")
@signed_in
def task_done(action_id: int, task_id: int) -> Any:
    done = request.form.get("done") == "1"
    return _step(
        action_id,
        lambda s, u: actions.update_task(s, u, action_id, task_id, {"done": done}, now=now()),
        gettext("Task done.") if done else gettext("Task open again."),
    )


@bp.post("/<int:action_id>/comment")
@signed_in
def comment(action_id: int) -> Any:
    text = request.form.get("text", "")
    return _step(
        action_id,
        lambda s, u: actions.comment(s, u, action_id, text, now=now()),
        gettext("Comment added."),
        {"comment": text},
    )


@bp.post("/<int:action_id>/cases")
@signed_in
def link_case(action_id: int) -> Any:
    case = request.form.get("case", "").strip()
    return _step(
        action_id,
        lambda s, u: actions.link_case(s, u, action_id, case or None, now=now()),
        gettext("Case linked."),
        {"case": case},
    )


@bp.get("/export.csv")
@signed_in
def export() -> Response:
    """Every action in scope (or of one store) with its progress and its effect as measured now."""
    scope = current_scope()
    store = action_export.store_in_scope(scope, request.args.get("store"))
    return csv_answer(action_export.action_rows(scope, now(), store), "voxloop-actions")


@bp.get("/tasks.csv")
@signed_in
def export_tasks() -> Response:
    """Every task of the actions in scope (or of one store)."""
    scope = current_scope()
    store = action_export.store_in_scope(scope, request.args.get("store"))
    return csv_answer(action_export.task_rows(scope, now(), store), "voxloop-tasks", action_export.TASK_COLUMNS)


def csv_answer(
    records: list[dict[str, Any]], name: str, columns: tuple[str, ...] = action_effects.EXPORT_COLUMNS
) -> Response:
    """The person's spreadsheet's CSV (hub/dashboards/csv_download.py); ``name`` without .csv."""
    return csv_download(columns, ([record[c] for c in columns] for record in records), name)
