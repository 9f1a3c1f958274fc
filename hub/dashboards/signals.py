"""/dashboard/signals: significant drops of a store against its own baseline (found by the
hourly job, hub/services/signals.py), with the values and n of window and baseline, the test
and its p-value; the same list as CSV and JSON. Scoped: a person sees the signals of the stores
they may see. HQ admins and the store's managers dismiss a signal (a CSRF-checked POST); a
signal of another store answers 404, as if it did not exist."""

from __future__ import annotations

from flask import Response, flash, jsonify, redirect, render_template, request, url_for

from hub.auth.guard import current_scope, signed_in
from hub.clock import now
from hub.dashboards import params
from hub.dashboards.pages import bp, csv_response
from hub.i18n import gettext, lazy_gettext
from hub.models import Signal, Store
from hub.services import analytics, measure_signals, signals

KPI_NAMES = {"smiley_index": lazy_gettext("Smiley index"), "unhappy_share": lazy_gettext("Unhappy share (%)")}
STATE_NAMES = {
    "open": lazy_gettext("open"),
    "dismissed": lazy_gettext("dismissed"),
    "all": lazy_gettext("all"),
}


@bp.app_template_global()
def signal_state(state: str) -> str:
    return str(STATE_NAMES.get(state, state))


def _listed() -> tuple[list[Signal], str, Store | None]:
    """The signals asked for: ?state=open|dismissed|all, ?store=CODE (within the scope)."""
    scope = current_scope()
    state = params.choice("state", signals.STATES, "open")
    code = request.args.get("store")
    store = analytics.store_in_scope(scope, code) if code else None
    return signals.list_signals(scope, state=state, store_id=store.id if store else None), state, store


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
        labels={kpi: str(KPI_NAMES.get(kpi, label)) for kpi, label in signals.KPI_LABELS.items()},
        may_dismiss={s.id: signals.may_dismiss(scope, s.store_id) for s in found},
        alpha=signals.ALPHA,
        p_floor=signals.P_FLOOR,
        min_drop=signals.MIN_DROP,
        window_days=signals.WINDOW_DAYS,
        baseline_days=signals.BASELINE_DAYS,
        history_weeks=signals.HISTORY_WEEKS,
        drift_weeks=signals.DRIFT_WEEKS,
        measure_signals=measure_signals.list_signals(scope, store_id=store.id if store else None),
        may_set_rules=scope.role in ("hq_admin", "hq_analyst"),
    )


@bp.get("/dashboard/signals.csv")
@signed_in
def signal_csv() -> Response:
    found, _, _ = _listed()
    rows = ([signals.signal_row(s)[c] for c in signals.SIGNAL_COLUMNS] for s in found)
    return csv_response(signals.SIGNAL_COLUMNS, rows, "signals")


@bp.get("/dashboard/signals.json")
@signed_in
def signal_json() -> Response:
    found, _, _ = _listed()
    return jsonify({"signals": [signals.signal_row(s) for s in found]})


@bp.post("/dashboard/signals/<int:signal_id>/dismiss")
@signed_in
def signal_dismiss(signal_id: int) -> Response:
    signal = signals.dismiss(signal_id, current_scope(), now=now())
    flash(gettext("Signal #%(id)s dismissed.", id=signal.id), "ok")
    return redirect(url_for("dashboards.signal_list", state=request.form.get("state", "open")))
