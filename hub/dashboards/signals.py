"""/dashboard/signals: significant drops of a store against its own baseline (found by the
hourly job, hub/services/signals.py), with the values and n of window and baseline, the test
and its p-value; the same list as CSV and JSON. Scoped: a person sees the signals of the stores
they may see. HQ admins and the store's managers dismiss a signal (a CSRF-checked POST); a
signal of another store answers 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for

from hub.auth.guard import current_scope, signed_in
from hub.clock import now
from hub.dashboards.pages import bp, csv_response
from hub.models import Signal, Store
from hub.services import signals
from shared.errors import NotFound

COLUMNS = (
    "id",
    "store",
    "store_name",
    "kpi",
    "window_start",
    "window_end",
    "current_value",
    "current_n",
    "baseline_start",
    "baseline_end",
    "baseline_value",
    "baseline_n",
    "p_value",
    "test",
    "detected_at",
    "state",
)


def _listed() -> tuple[list[Signal], str, Store | None]:
    """The signals asked for: ?state=open|dismissed|all, ?store=CODE (within the scope)."""
    scope = current_scope()
    state = request.args.get("state", "open")
    if state not in signals.STATES:
        state = "open"
    store = None
    code = request.args.get("store")
    if code:
        store = Store.get_or_none(Store.code == code)
        if store is None or not scope.sees(store.id):
            raise NotFound("not_found", "no such store")
    return signals.list_signals(scope, state=state, store_id=store.id if store else None), state, store


def _row(signal: Signal) -> dict[str, Any]:
    return {
        "id": signal.id,
        "store": signal.store.code,
        "store_name": signal.store.name,
        "kpi": signal.kpi,
        "window_start": str(signal.window_start),
        "window_end": str(signal.window_end),
        "current_value": round(signal.current_value, 2),
        "current_n": signal.current_n,
        "baseline_start": str(signal.baseline_start),
        "baseline_end": str(signal.baseline_end),
        "baseline_value": round(signal.baseline_value, 2),
        "baseline_n": signal.baseline_n,
        "p_value": signal.p_value,
        "test": signal.test,
        "detected_at": signal.detected_at.isoformat() + "Z",
        "state": signal.state,
    }


@bp.get("/dashboard/signals")
@signed_in
def signal_list() -> str:
    found, state, store = _listed()
    scope = current_scope()
    return render_template(
        "dashboards/signals.html",
        signals=found,
        state=state,
        states=signals.STATES,
        store=store,
        labels=signals.KPI_LABELS,
        may_dismiss={s.id: signals.may_dismiss(scope, s.store_id) for s in found},
        alpha=signals.ALPHA,
        p_floor=signals.P_FLOOR,
        min_drop=signals.MIN_DROP,
        window_days=signals.WINDOW_DAYS,
        baseline_days=signals.BASELINE_DAYS,
    )


@bp.get("/dashboard/signals.csv")
@signed_in
def signal_csv() -> Response:
    found, _, _ = _listed()
    return csv_response(COLUMNS, ([_row(s)[c] for c in COLUMNS] for s in found), "signals")


@bp.get("/dashboard/signals.json")
@signed_in
def signal_json() -> Response:
    found, _, _ = _listed()
    return jsonify({"signals": [_row(s) for s in found]})


@bp.post("/dashboard/signals/<int:signal_id>/dismiss")
@signed_in
def signal_dismiss(signal_id: int) -> Response:
    signal = signals.dismiss(signal_id, current_scope(), now=now())
    flash(f"Signal #{signal.id} dismissed.", "ok")
    return redirect(url_for("dashboards.signal_list", state=request.form.get("state", "open")))
