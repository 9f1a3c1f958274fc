"""A measure beside the smiley index's trend (the dashboard and the store page, ``?measure=``):
the select lists the measures with values in the stores shown, the chosen one is drawn on a
second axis of the index chart with its unit (hub/services/measure_overlay.py says how a
bucket's value is made), its numbers in a table under it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from flask import request

from hub import charts
from hub.dashboards import params
from hub.i18n import gettext
from hub.services import measure_overlay
from hub.services.analytics import Period, TrendPoint
from shared.errors import NotFound


def _label(overlay: measure_overlay.Overlay) -> str:
    m = overlay.measure
    if overlay.summed:
        return gettext("%(measure)s (%(unit)s, sum per day)", measure=m.name, unit=m.unit)
    return gettext("%(measure)s (%(unit)s, mean per day)", measure=m.name, unit=m.unit)


def trend_overlay(
    store_ids: Collection[int] | None,
    period: Period,
    grain: str,
    points: Sequence[TrendPoint],
    labels: Sequence[str],
    grain_text: str,
) -> dict[str, Any]:
    """The page's measures, the one chosen with its values per bucket and the index chart
    drawn with it (None without one); ``labels`` name the buckets, ``grain_text`` the grain."""
    found = measure_overlay.scope_measures(store_ids)
    code = request.args.get("measure", "").strip()
    if not code:
        return {"trend_measures": found, "trend_overlay": None, "overlay_chart": None}
    try:
        measure = measure_overlay.chosen_measure(store_ids, code)
    except NotFound:
        raise params.refuse("measure", gettext("There is no measure %(code)s for these stores.", code=code)) from None
    overlay = measure_overlay.overlay(measure, store_ids, period, grain, [p.start for p in points])
    label = _label(overlay)
    chart = charts.overlay_chart(
        gettext("Smiley index per %(grain)s with %(measure)s (right axis)", grain=grain_text, measure=label),
        [charts.Point(t, p.smiley.value, p.smiley.low, p.smiley.high) for t, p in zip(labels, points, strict=True)],
        label,
        overlay.values,
    )
    return {"trend_measures": found, "trend_overlay": overlay, "overlay_label": label, "overlay_chart": chart}
