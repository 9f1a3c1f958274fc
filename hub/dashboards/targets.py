"""Targets on the dashboards: each headline figure against the target that applies to the
place shown (hub/services/targets.py picks the most specific), per touchpoint on a store's
page; and /admin/targets, where HQ admins set and delete them (everyone else: 403)."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.auth.guard import current_user, require_role
from hub.clock import now
from hub.models import Region, Store, Touchpoint
from hub.services import targets
from hub.services.access import Scope
from hub.services.analytics import Overview, Period, Ranking
from hub.services.targets import Versus
from shared.errors import NotFound, VoxloopError

bp = Blueprint("targets", __name__, url_prefix="/admin/targets")
editors = require_role("hq_admin")
TOUCHPOINT_KPIS = ("smiley_index", "nps", "volume")


def figure_value(overview: Overview, kpi: str) -> float | None:
    """The period's figure of a KPI as its target reads it (volume: responses per day)."""
    found = overview.figure(kpi)
    if found is None or found.current.n == 0:
        return None
    if kpi == "volume":
        return found.current.n / overview.period.days
    return found.current.value


def _versus(overview: Overview, chosen: dict) -> list[Versus]:
    return [Versus(f.key, figure_value(overview, f.key), chosen.get(f.key)) for f in overview.figures]


def scope_place(scope: Scope) -> tuple[Store | None, int | None]:
    """The place whose targets fit what the scope sees: its one store, or its stores' one
    region; HQ (and a mix of regions) the target for all."""
    if scope.store_ids is None or not scope.store_ids:
        return None, None
    stores = list(Store.select().where(Store.id.in_(sorted(scope.store_ids))))
    if len(stores) == 1:
        return stores[0], None
    regions = {s.region_id for s in stores}
    return None, (regions.pop() if len(regions) == 1 and None not in regions else None)


def overview_targets(scope: Scope, overview: Overview) -> list[Versus]:
    store, region_id = scope_place(scope)
    return _versus(overview, targets.applicable_all(store=store, region_id=region_id))


def store_targets(store: Store, overview: Overview) -> list[Versus]:
    return _versus(overview, targets.applicable_all(store=store))


def touchpoint_targets(store: Store, ranking: Ranking, period: Period) -> list[tuple[str, str, list[Versus]]]:
    """(code, name, [Versus per KPI]) for every touchpoint of the store in the ranking."""
    points = {t.id: t for t in Touchpoint.select().where(Touchpoint.store == store.id)}
    found = []
    for row in ranking.rows:
        point = points.get(row.id)
        if point is None:
            continue
        chosen = targets.applicable_all(store=store, touchpoint=point, kpis=TOUCHPOINT_KPIS)
        actual = {
            "smiley_index": row.score.value,
            "nps": row.nps.value,
            "volume": row.score.n / period.days if row.score.n else None,
        }
        found.append((row.code, row.name, [Versus(k, actual[k], chosen.get(k)) for k in TOUCHPOINT_KPIS]))
    return found


# --- /admin/targets ----------------------------------------------------------------------------


def _places() -> dict[str, Sequence]:
    return {
        "regions": list(Region.select().order_by(Region.name)),
        "stores": list(Store.select().order_by(Store.code)),
        "touchpoints": list(Touchpoint.select(Touchpoint, Store).join(Store).order_by(Store.code, Touchpoint.code)),
    }


def _place(key: str) -> dict:
    """The place a form's scope field names (``all``, ``region:1``, ``store:2``, ``touchpoint:3``)."""
    kind, _, ident = key.partition(":")
    if kind == "all" and not ident:
        return {}
    model = {"region": Region, "store": Store, "touchpoint": Touchpoint}.get(kind)
    found = model.get_or_none(model.id == int(ident)) if model and ident.isdigit() else None
    if found is None:
        raise NotFound("not_found", "no such region, store or touchpoint")
    return {kind: found}


@bp.get("")
@editors
def index() -> str:
    return render_template(
        "dashboards/targets_admin.html",
        targets=[(t, targets.scope_label(t)) for t in targets.list_targets()],
        kpis=targets.KPI_NAMES,
        ranges=targets.RANGES,
        **_places(),
    )


@bp.post("")
@editors
def save() -> Response:
    try:
        value = float(request.form.get("value", ""))
        place = _place(request.form.get("scope", "all"))
        targets.set_target(request.form.get("kpi", ""), value, now=now(), by=current_user(), **place)
    except ValueError:
        flash("the target must be a number", "error")
    except NotFound:
        raise
    except VoxloopError as error:
        flash(error.detail, "error")
    else:
        flash("Target saved", "ok")
    return redirect(url_for("targets.index"))


@bp.post("/<int:target_id>/delete")
@editors
def delete(target_id: int) -> Response:
    targets.delete_target(target_id)
    flash("Target deleted", "ok")
    return redirect(url_for("targets.index"))
