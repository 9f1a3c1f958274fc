"""Figures against their targets on the dashboards: each headline figure against the target
that applies to the place shown (hub/services/targets.py picks the most specific), and per
touchpoint on a store's page."""

from __future__ import annotations

from hub.models import Store, Touchpoint
from hub.services import targets
from hub.services.access import Scope
from hub.services.analytics import Overview, Period, Ranking
from hub.services.targets import Versus

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
