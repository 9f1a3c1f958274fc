"""/admin/measure-signals: the rules that raise a signal when the smiley index falls while a
measure moves (hub/services/measure_signals.py). HQ admins add and change them, HQ analysts
read; everyone else: 403. A refused form comes back filled, with what is wrong."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.admin.base import bp, editors, may_edit, readers
from hub.auth.guard import current_scope
from hub.clock import now
from hub.i18n import gettext, lazy_gettext
from hub.models import MeasureSignalRule
from hub.services import listings, measure_signals, measures
from shared.errors import NotFound, VoxloopError

DIRECTION_NAMES = {"up": lazy_gettext("rises"), "down": lazy_gettext("falls")}
PERIOD_NAMES = {
    "week": lazy_gettext("the last 7 days against the 28 before"),
    "today": lazy_gettext("today so far against the same weekday of the 4 weeks before (hourly measures)"),
}


def _page(form: dict[str, Any] | None = None, error: str | None = None, editing: int | None = None) -> str:
    return render_template(
        "admin/measure_signals.html",
        rules=measure_signals.rules(),
        measures=measures.measures(),
        stores=listings.all_stores(),
        directions=DIRECTION_NAMES,
        periods=PERIOD_NAMES,
        may_edit=may_edit(),
        form=form or {"active": "on", "direction": "up", "min_answers": "100", "period": "week"},
        error=error,
        editing=editing,
        window_days=measure_signals.WINDOW_DAYS,
        baseline_days=measure_signals.BASELINE_DAYS,
        min_days=measure_signals.MIN_MEASURE_DAYS,
    )


@bp.get("/measure-signals")
@readers
def measure_signal_rules() -> str:
    return _page()


@bp.get("/measure-signals/<int:rule_id>")
@readers
def measure_signal_rule(rule_id: int) -> str:
    rule = MeasureSignalRule.get_or_none(MeasureSignalRule.id == rule_id)
    if rule is None:
        raise NotFound("not_found", f"there is no rule {rule_id}")
    form = {
        "name": rule.name,
        "measure": rule.measure.code,
        "store": rule.store.code if rule.store_id else "",
        "direction": rule.direction,
        "index_drop": f"{rule.index_drop:g}",
        "measure_change": f"{rule.measure_change:g}",
        "min_answers": str(rule.min_answers),
        "period": rule.period,
        "active": "on" if rule.active else "",
    }
    return _page(form, editing=rule_id)


def _save(rule_id: int | None) -> Response | tuple[str, int]:
    form = request.form.to_dict()
    try:
        measure_signals.save_rule(current_scope(), form, now=now(), rule_id=rule_id)
    except NotFound:
        raise
    except VoxloopError as error:
        return _page(form, error=str(error.detail), editing=rule_id), 422
    flash(gettext("Rule saved."), "ok")
    return redirect(url_for("admin.measure_signal_rules"))


@bp.post("/measure-signals")
@editors
def add_measure_signal_rule() -> Response | tuple[str, int]:
    return _save(None)


@bp.post("/measure-signals/<int:rule_id>")
@editors
def change_measure_signal_rule(rule_id: int) -> Response | tuple[str, int]:
    return _save(rule_id)
