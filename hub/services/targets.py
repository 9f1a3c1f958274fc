"""Targets: what a KPI should reach, for every store (``all``), a region, a store or a
touchpoint. The most specific target applies: touchpoint, then store, then region, then all.

KPIs and their scales: ``smiley_index`` and ``nps`` -100..100, ``csat`` 0..100 (% satisfied),
``volume`` responses per day (a daily rate, so one target fits a week, a month or a screen
showing today). A target is met when the figure reaches it (figure >= target).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.db import write_transaction
from hub.i18n import lazy_gettext
from hub.models import Region, Store, Target, Touchpoint, User
from shared.errors import NotFound, RequestError

KPIS = Target.KPIS
KPI_NAMES = {
    "smiley_index": lazy_gettext("Smiley index"),
    "csat": "CSAT",
    "nps": "NPS",
    "volume": lazy_gettext("Responses per day"),
}
RANGES = {"smiley_index": (-100.0, 100.0), "nps": (-100.0, 100.0), "csat": (0.0, 100.0), "volume": (0.0, 1e9)}


def scope_key(region: Region | None = None, store: Store | None = None, touchpoint: Touchpoint | None = None) -> str:
    """The key of the most specific of the places given; none given: ``all``."""
    if touchpoint is not None:
        return f"touchpoint:{touchpoint.id}"
    if store is not None:
        return f"store:{store.id}"
    if region is not None:
        return f"region:{region.id}"
    return "all"


def _check(kpi: str, value: float) -> None:
    if kpi not in KPIS:
        detail = lazy_gettext("unknown KPI %(kpi)s (one of %(kpis)s)", kpi=repr(kpi), kpis=", ".join(KPIS))
        raise RequestError("malformed_request", detail)
    low, high = RANGES[kpi]
    if not low <= value <= high:
        bounds = {"low": format(low, "g"), "high": format(high, "g")}
        detail = lazy_gettext("a target for %(kpi)s lies between %(low)s and %(high)s", kpi=KPI_NAMES[kpi], **bounds)
        raise RequestError("malformed_request", detail)


def set_target(
    kpi: str,
    value: float,
    *,
    now: datetime,
    region: Region | None = None,
    store: Store | None = None,
    touchpoint: Touchpoint | None = None,
    by: User | None = None,
) -> Target:
    """Set (add or change) the target of ``kpi`` for the place given (none: every store)."""
    _check(kpi, value)
    key = scope_key(region, store, touchpoint)
    fields = {
        "value": float(value),
        "updated_at": now.replace(tzinfo=None),
        "updated_by": by,
        "region": region if key.startswith("region:") else None,
        "store": store if key.startswith("store:") else (touchpoint.store_id if touchpoint else None),
        "touchpoint": touchpoint,
    }
    with write_transaction():
        found = Target.get_or_none((Target.kpi == kpi) & (Target.scope_key == key))
        if found is None:
            return Target.create(kpi=kpi, scope_key=key, **fields)
        Target.update(**fields).where(Target.id == found.id).execute()
    return Target.get_by_id(found.id)


def delete_target(target_id: int) -> None:
    with write_transaction():
        if not Target.delete().where(Target.id == target_id).execute():
            raise NotFound("not_found", lazy_gettext("no such target"))


def list_targets() -> list[Target]:
    """Every target, by KPI and then from the widest place to the narrowest."""
    order = {"all": 0, "region": 1, "store": 2, "touchpoint": 3}
    found = list(Target.select())
    return sorted(found, key=lambda t: (KPIS.index(t.kpi), order[t.scope_key.partition(":")[0]], t.scope_key))


def _candidates(store: Store | None, touchpoint: Touchpoint | None, region_id: int | None) -> list[str]:
    """The keys that could apply, most specific first."""
    keys = []
    if touchpoint is not None:
        keys.append(f"touchpoint:{touchpoint.id}")
        store = store or touchpoint.store
    if store is not None:
        keys.append(f"store:{store.id}")
        region_id = store.region_id
    if region_id is not None:
        keys.append(f"region:{region_id}")
    return [*keys, "all"]


def applicable(
    kpi: str,
    store: Store | None = None,
    touchpoint: Touchpoint | None = None,
    region_id: int | None = None,
) -> Target | None:
    """The most specific target of ``kpi`` for the place: touchpoint > store > region > all.
    ``region_id`` stands for a group of stores in one region (a regional manager's overview)."""
    return applicable_all(store, touchpoint, region_id, kpis=(kpi,)).get(kpi)


def applicable_all(
    store: Store | None = None,
    touchpoint: Touchpoint | None = None,
    region_id: int | None = None,
    kpis: Iterable[str] = KPIS,
) -> dict[str, Target]:
    """Each KPI's applicable target (KPIs without one are left out), in one query."""
    keys = _candidates(store, touchpoint, region_id)
    rank = {key: i for i, key in enumerate(keys)}
    best: dict[str, Target] = {}
    for target in Target.select().where(Target.kpi.in_(list(kpis)) & Target.scope_key.in_(keys)):
        if target.kpi not in best or rank[target.scope_key] < rank[best[target.kpi].scope_key]:
            best[target.kpi] = target
    return best


@dataclass(frozen=True)
class Versus:
    """A figure against its target: the gap is figure - target; met when the gap is >= 0."""

    kpi: str
    actual: float | None
    target: Target | None

    @property
    def name(self) -> str:
        return str(KPI_NAMES[self.kpi])

    @property
    def gap(self) -> float | None:
        if self.actual is None or self.target is None:
            return None
        return self.actual - self.target.value

    @property
    def met(self) -> bool | None:
        return None if self.gap is None else self.gap >= 0


def scope_label(target: Target) -> str:
    """Where a target applies, in words."""
    kind, _, ident = target.scope_key.partition(":")
    if kind == "all":
        return "All stores"
    if kind == "region":
        region = Region.get_or_none(Region.id == int(ident))
        return f"Region {region.name if region else ident}"
    if kind == "store":
        shop = Store.get_or_none(Store.id == int(ident))
        return f"Store {shop.code} {shop.name}" if shop else f"Store {ident}"
    point = Touchpoint.get_or_none(Touchpoint.id == int(ident))
    return f"Touchpoint {point.store.code}/{point.code} {point.name}" if point else f"Touchpoint {ident}"


def places() -> dict[str, Sequence]:
    """Every region, store and touchpoint a target may be set for, for the admin form."""
    return {
        "regions": list(Region.select().order_by(Region.name)),
        "stores": list(Store.select().order_by(Store.code)),
        "touchpoints": list(Touchpoint.select(Touchpoint, Store).join(Store).order_by(Store.code, Touchpoint.code)),
    }


def place_named(key: str) -> dict[str, Region | Store | Touchpoint]:
    """The place a scope key names (``all``, ``region:1``, ``store:2``, ``touchpoint:3``) as
    the keyword ``set_target`` takes; NotFound for anything else."""
    kind, _, ident = key.partition(":")
    if kind == "all" and not ident:
        return {}
    model = {"region": Region, "store": Store, "touchpoint": Touchpoint}.get(kind)
    found = model.get_or_none(model.id == int(ident)) if model and ident.isdigit() else None
    if found is None:
        raise NotFound("not_found", lazy_gettext("no such region, store or touchpoint"))
    return {kind: found}
