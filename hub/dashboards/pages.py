"""/dashboard, /dashboard/stores/<code>, /dashboard/hours and their tables as /dashboard.csv and
/dashboard.json (see the package docstring)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from hub import charts
from hub.auth.guard import current_scope, current_user, signed_in
from hub.dashboards import params
from hub.dashboards.csv_download import csv_cell, csv_download, csv_note  # noqa: F401 (csv_cell: the actions export)
from hub.dashboards.heatmap import HOURS, WEEKDAYS, hour_grid, measure_chart
from hub.dashboards.trend_overlay import trend_overlay
from hub.i18n import gettext, lazy_gettext, number
from hub.models import Store
from hub.services import analytics, measures, target_gaps
from hub.services.analytics import Period, Ranking, TrendPoint
from hub.services.channels import channel_split
from hub.services.hours import SMALL_CELL, hour_cells
from shared.scoring import Score

bp = Blueprint("dashboards", __name__)
bp.add_app_template_global(csv_note)

EXPORT_VIEWS = ("trend", "ranking", "regions", "hours", "channels")


GRAIN_NAMES = {"day": lazy_gettext("day"), "week": lazy_gettext("week"), "month": lazy_gettext("month")}


@bp.app_template_filter("figure")
def figure(value: float | None) -> str:
    """A figure with one decimal in the person's language ("73,4" in German)."""
    return number(value)


@bp.app_template_global()
def grain_name(grain: str) -> str:
    return str(GRAIN_NAMES.get(grain, grain))


def _suspect_switch(with_suspect: bool) -> str:
    """This page's address with the suspect responses' switch turned the other way."""
    args = {k: v for k, v in request.args.items() if k != "suspect"}
    if not with_suspect:
        args["suspect"] = "include"
    return url_for(request.endpoint or "dashboards.overview", **(request.view_args or {}), **args)


def _grain() -> str:
    return params.choice("grain", analytics.GRAINS, "day")


def _label(point: TrendPoint, grain: str) -> str:
    return point.start.strftime("%Y-%m") if grain == "month" else point.start.isoformat()


def _trend_charts(points: Sequence[TrendPoint], grain: str) -> list[tuple[str, Any]]:
    """The smiley index and the NPS over time, each with its 95 % interval."""
    return [
        (
            name,
            charts.line_chart(
                gettext("%(figure)s per %(grain)s (95 %% interval shaded)", figure=name, grain=grain_name(grain)),
                [charts.Point(_label(p, grain), s.value, s.low, s.high) for p in points for s in [pick(p)]],
            ),
        )
        for name, pick in ((gettext("Smiley index"), lambda p: p.smiley), ("NPS", lambda p: p.nps))
    ]


def _ranking_chart(title: str, ranking: Ranking) -> Any:
    return charts.bar_chart(
        title,
        [
            charts.Point(f"{r.code} {r.name}", r.score.value, r.score.low, r.score.high, muted=r.small_sample)
            for r in ranking.rows
        ],
    )


def _figures(store_ids: Collection[int] | None, zone: str) -> dict[str, Any]:
    period, grain, with_suspect = params.period(zone), _grain(), params.with_suspect()
    scales = analytics.survey_scales()
    points = analytics.trend(store_ids, period, scales, grain, with_suspect=with_suspect)
    labels = [_label(p, grain) for p in points]
    overlay = trend_overlay(store_ids, period, grain, points, labels, grain_name(grain))
    trend_charts = _trend_charts(points, grain)
    if overlay["overlay_chart"] is not None:  # the index drawn with the measure beside it
        trend_charts[0] = (trend_charts[0][0], overlay["overlay_chart"])
    return {
        **overlay,
        "period": period,
        "grain": grain,
        "grains": analytics.GRAINS,
        "with_suspect": with_suspect,
        "suspect_switch": _suspect_switch(with_suspect),
        "overview": analytics.overview(store_ids, period, scales, with_suspect=with_suspect),
        "channels": channel_split(store_ids, period, scales, with_suspect=with_suspect),
        "points": points,
        "trend_charts": trend_charts,
        "small_sample": analytics.SMALL_SAMPLE,
        "scales": scales,
    }


@bp.get("/dashboard")
@signed_in
def overview() -> str:
    scope = current_scope()
    context = _figures(scope.store_ids, "UTC")
    period, scales = context["period"], context["scales"]
    counts = analytics.store_counts(scope, period, scales, with_suspect=context["with_suspect"])
    ranking = analytics.rank_stores(scope, period, scales, counts=counts)
    regions = analytics.rank_regions(scope, period, scales, counts=counts)
    user = current_user()
    return render_template(
        "dashboards/overview.html",
        ranking=ranking,
        regions=regions if len(regions.rows) > 1 else None,
        regions_chart=_ranking_chart(gettext("Regions by smiley index"), regions),
        targets=target_gaps.overview_targets(scope, context["overview"]),
        may_set_targets=user is not None and user.role == "hq_admin",
        ranking_chart=_ranking_chart(gettext("Stores by smiley index"), ranking),
        **context,
    )


@bp.get("/dashboard/stores/<code>")
@signed_in
def store(code: str) -> str:
    scope = current_scope()
    shop = analytics.store_in_scope(scope, code)
    context = _figures([shop.id], shop.time_zone)
    ranking = analytics.rank_touchpoints(
        scope, [shop.id], context["period"], context["scales"], with_suspect=context["with_suspect"]
    )
    return render_template(
        "dashboards/store.html",
        store=shop,
        **_store_measures(shop, context),
        ranking=ranking,
        targets=target_gaps.store_targets(shop, context["overview"]),
        touchpoint_targets=target_gaps.touchpoint_targets(shop, ranking, context["period"]),
        ranking_chart=_ranking_chart(gettext("Touchpoints by smiley index"), ranking),
        **context,
    )


@bp.get("/dashboard/hours")
@signed_in
def hours() -> str:
    """Hour of day x weekday for every store in scope, or one (?store=CODE)."""
    scope = current_scope()
    shop = analytics.store_in_scope(scope, request.args["store"]) if request.args.get("store") else None
    period = params.period(shop.time_zone if shop else "UTC")
    store_ids = [shop.id] if shop else scope.store_ids
    scales = analytics.survey_scales()
    return render_template(
        "dashboards/hours.html",
        store=shop,
        **_hour_overlay(store_ids, period),
        period=period,
        grid=hour_grid(hour_cells(store_ids, period, scales)),
        suspect=analytics.suspect_responses(store_ids, period, scales),
        weekdays=WEEKDAYS,
        hour_names=HOURS,
        small_cell=SMALL_CELL,
    )


def _hour_overlay(store_ids: Collection[int] | None, period: Period) -> dict[str, Any]:
    """The hourly measure chosen (?measure=CODE) as its mean per weekday and hour."""
    hourly = [m for m in measures.measures() if m.grain == "hour"]
    code = request.args.get("measure", "")
    chosen = next((m for m in hourly if m.code == code), None)
    if code and chosen is None:
        raise params.refuse("measure", gettext("There is no hourly measure %(code)s.", code=code))
    if chosen is None:
        return {"hourly_measures": hourly, "overlay": None}
    means = measures.hour_means(chosen, store_ids, period.start, period.end)
    return {
        "hourly_measures": hourly,
        "overlay": {"measure": chosen, "means": means, "chart": measure_chart(chosen, means)},
    }


def _store_measures(shop: Store, context: dict[str, Any]) -> dict[str, Any]:
    """The store's measures per day in the period beside its index, and its response rate."""
    period: Period = context["period"]
    found = measures.store_measures(shop.id, period.start, period.end)
    if not found:
        return {"store_measures": [], "response_rate": None}
    daily = context["points"]
    if context["grain"] != "day":
        daily = analytics.trend([shop.id], period, context["scales"], "day", with_suspect=context["with_suspect"])
    answered = {p.start: p.smiley.n for p in daily}
    days = measures.day_range(period.start, period.end)
    drawn = []
    for m in found:
        highest = max(m.days.values()) or 1.0
        title = gettext("%(measure)s per day (%(unit)s)", measure=m.measure.name, unit=m.measure.unit)
        points = [charts.Point(d.isoformat(), m.days.get(d)) for d in days]
        drawn.append((m, charts.line_chart(title, points, 0.0, highest * 1.1)))
    return {
        "store_measures": drawn,
        "measure_days": days,
        "answered": answered,
        "day_index": {p.start: p.smiley for p in daily},
        "response_rate": measures.response_rate(found, answered),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _score_cells(score: Score) -> list[Any]:
    return [_rounded(score.value), score.n, _rounded(score.low), _rounded(score.high)]


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], name: str) -> Response:
    """A download for the person's spreadsheet (hub/dashboards/csv_download.py)."""
    return csv_download(header, rows, name)


def _table(scope: Any, view: str, shop: Store | None, period: Period) -> tuple[list[str], Iterable[Sequence[Any]]]:
    """The header and rows of one of the dashboard's tables (EXPORT_VIEWS)."""
    store_ids = [shop.id] if shop else scope.store_ids
    scales = analytics.survey_scales()
    counted = {"with_suspect": params.with_suspect()}  # the hours are counted without them always
    if view == "hours":
        header = ["weekday", "hour", "smiley_index", "n", "low", "high"]
        cells = hour_cells(store_ids, period, scales)
        return header, ([WEEKDAYS[c.weekday], c.hour, *_score_cells(c.score)] for c in cells)
    if view == "channels":
        header = ["channel", "responses", "share", "smiley_index", "smiley_n", "smiley_low", "smiley_high"]
        header += ["nps", "nps_n", "nps_low", "nps_high"]
        return header, (
            [r.channel, r.responses, _rounded(r.share), *_score_cells(r.smiley), *_score_cells(r.nps)]
            for r in channel_split(store_ids, period, scales, **counted)
        )
    if view == "trend":
        header = ["start", "smiley_index", "smiley_n", "smiley_low", "smiley_high", "nps", "nps_n", "nps_low"]
        header += ["nps_high"]
        return header, (
            [p.start.isoformat(), *_score_cells(p.smiley), *_score_cells(p.nps)]
            for p in analytics.trend(store_ids, period, scales, _grain(), **counted)
        )
    if view == "regions":
        ranking = analytics.rank_regions(scope, period, scales, **counted)
    elif shop:
        ranking = analytics.rank_touchpoints(scope, [shop.id], period, scales, **counted)
    else:
        ranking = analytics.rank_stores(scope, period, scales, **counted)
    header = ["rank", "code", "name", "smiley_index", "n", "low", "high", "nps", "nps_n", "small_sample"]
    return header, (
        [
            r.rank or "",
            r.code,
            r.name,
            *_score_cells(r.score),
            _rounded(r.nps.value),
            r.nps.n,
            "yes" if r.small_sample else "",
        ]
        for r in ranking.rows
    )


def _export_request() -> tuple[list[str], Iterable[Sequence[Any]], str]:
    """The table an export asks for: ?view=trend|ranking|regions|hours|channels, for all
    stores in scope or ?store=CODE (a store outside the scope: not found)."""
    scope = current_scope()
    view = params.choice("view", EXPORT_VIEWS, "trend")
    shop: Store | None = analytics.store_in_scope(scope, request.args["store"]) if request.args.get("store") else None
    period = params.period(shop.time_zone if shop else "UTC")
    header, rows = _table(scope, view, shop, period)
    return header, rows, f"voxloop-{view}-{shop.code if shop else 'stores'}-{period.start}-{period.end}"


@bp.get("/dashboard.csv")
@signed_in
def export() -> Response:
    """The numbers behind a chart as CSV (see ``_export_request``)."""
    return csv_response(*_export_request())


@bp.get("/dashboard.json")
@signed_in
def export_json() -> Response:
    """The same table as JSON: ``{"columns": [...], "rows": [{column: value}, ...]}``; text
    is JSON-escaped, never neutralised (JSON is not run as a formula)."""
    header, rows, name = _export_request()
    response = jsonify({"columns": header, "rows": [dict(zip(header, row, strict=True)) for row in rows]})
    response.headers["Content-Disposition"] = f'inline; filename="{name}.json"'
    return response
