"""/dashboard/drivers and /dashboard/themes: why customers feel as they do and what to work on
first (hub/services/drivers.py), and what they write about (hub/services/themes.py), for
every store in scope or one (?store=CODE), each chart with its numbers as a table, as CSV (text
cells neutralised) and as JSON. For all stores, the drivers page also says where the potential
sits (each store's top reason); the store page shows its "three things to work on this week"
through ``store_actions``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Response, g, jsonify, render_template, request, url_for

from hub import charts
from hub.auth.guard import current_scope, signed_in
from hub.clock import now
from hub.dashboards import params
from hub.dashboards.pages import bp, csv_response
from hub.i18n import current_language, gettext, lazy_gettext
from hub.models import Store
from hub.services import analytics, drivers, measure_links, themes
from hub.services.analytics import Period
from hub.services.comment_text import LANGUAGES
from hub.services.drivers import Action, Driver, StorePotential
from hub.services.themes import Theme

ACTION_DAYS = 7
DRIVER_VIEWS = ("reasons", "touchpoints", "stores")


def viewer_language() -> str:
    """The person's language (hub/i18n.py) among the survey languages, else English."""
    language = current_language()
    return language if language in LANGUAGES else "en"


def _where() -> tuple[Store | None, Any, Period]:
    """The store asked for (in scope, else not found), the store ids to read and the period."""
    scope = current_scope()
    code = request.args.get("store", "").strip()
    shop = analytics.store_in_scope(scope, code) if code else None
    store_ids = [shop.id] if shop else scope.store_ids
    return shop, store_ids, params.period(shop.time_zone if shop else "UTC")


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _about(shop: Store | None, period: Period) -> dict[str, str | None]:
    """What a JSON export covers."""
    return {"store": shop.code if shop else None, "from": period.start.isoformat(), "to": period.end.isoformat()}


def _dates(period: Period, shop: Store | None) -> dict[str, str]:
    found = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if shop:
        found["store"] = shop.code
    return found


# --- drivers -------------------------------------------------------------------------------------


def _chart_value(d: Driver) -> float | None:
    """What a driver's bar shows: its gain, or (only unhappy faces asked) its share named."""
    return d.gain if d.basis == "gain" else d.share


def _driver_chart(title: str, rows: Sequence[Driver]) -> Any:
    shown = [d for d in rows if _chart_value(d) is not None][:15]
    highest = max([5.0, *(_chart_value(d) * 1.1 for d in shown)])
    return charts.bar_chart(
        title,
        [charts.Point(d.label, max(_chart_value(d), 0.0), muted=d.small_sample) for d in shown],
        lowest=0.0,
        highest=round(highest, 0),
    )


REASON_CHART_TITLES = {
    "gain": lazy_gettext("Reasons by the index points gained without them"),
    "named": lazy_gettext("Reasons by the share of the unhappy customers asked who name them (%)"),
}


@bp.get("/dashboard/drivers")
@signed_in
def drivers_page() -> str:
    shop, store_ids, period = _where()
    language = viewer_language()
    analysis = drivers.analyse(store_ids, period, language)
    actions: list[Action] = []
    potentials: list[StorePotential] = []
    if shop:
        actions = drivers.top_actions(current_scope(), shop, Period.ending(period.end, ACTION_DAYS), language=language)
    else:
        potentials = drivers.store_potentials(current_scope(), period, language)
    links = measure_links.links_for(
        current_scope(), shop.id if shop else None, period.start, period.end, language=language
    )
    return render_template(
        "dashboards/drivers.html",
        store=shop,
        period=period,
        analysis=analysis,
        measure_links=[(link, measure_links.sentence(link)) for link in links],
        actions=actions,
        reason_chart=_driver_chart(str(REASON_CHART_TITLES[analysis.basis]), analysis.reasons),
        touchpoint_chart=_driver_chart(
            gettext("Touchpoints by the index points gained without the gap"), analysis.touchpoints
        ),
        potentials=potentials,
        store_chart=_driver_chart(
            gettext("Stores by their top reason: index points gained, or share of the unhappy naming it (%)"),
            [replace(p.top, label=f"{p.code} {p.top.label}") for p in potentials if p.top],
        ),
        small_sample=analytics.SMALL_SAMPLE,
        dates=_dates(period, shop),
    )


DRIVER_COLUMNS = (
    "rank", "kind", "key", "label", "n", "rated", "occurrence_pct", "index_with", "index_without", "basis", "asked",
    "named_pct", "named_low", "named_high", "gain", "gain_low", "gain_high", "warnings", "small_sample",
)  # fmt: skip
THEME_COLUMNS = (
    "language", "term", "n", "share_pct", "negative_pct", "positive_pct", "mean_sentiment", "previous_n", "change",
)  # fmt: skip


def _csv(columns: Sequence[str], records: Sequence[dict[str, Any]], name: str) -> Response:
    """Records as CSV: None as an empty cell, yes/no flags as "yes" or empty."""

    def cell(value: Any) -> Any:
        if value is None or value is False:
            return ""
        return "yes" if value is True else value

    return csv_response(columns, ([cell(r[c]) for c in columns] for r in records), name)


STORE_COLUMNS = (
    "code", "name", "smiley_index", "n", "top_reason", "top_label", "occurrence_pct", "basis", "asked", "named_pct",
    "gain", "gain_low", "gain_high",
)  # fmt: skip


def store_record(p: StorePotential) -> dict[str, Any]:
    """A row of the stores' potentials: the store and its top reason."""
    top = p.top
    return {
        "code": p.code,
        "name": p.name,
        "smiley_index": _rounded(p.overall.value),
        "n": p.overall.n,
        "top_reason": top.key if top else None,
        "top_label": top.label if top else None,
        "occurrence_pct": _rounded(top.occurrence) if top else None,
        "basis": top.basis if top else None,
        "asked": top.asked if top else None,
        "named_pct": _rounded(top.share) if top else None,
        "gain": _rounded(top.gain, 2) if top else None,
        "gain_low": _rounded(top.gain_low, 2) if top else None,
        "gain_high": _rounded(top.gain_high, 2) if top else None,
    }


def driver_record(d: Driver) -> dict[str, Any]:
    """A row of a drivers table, as the CSV and the JSON give it."""
    return {
        "rank": d.rank,
        "kind": d.kind,
        "key": d.key,
        "label": d.label,
        "n": d.n,
        "rated": d.rated,
        "occurrence_pct": _rounded(d.occurrence),
        "index_with": _rounded(d.index_with.value),
        "index_without": _rounded(d.index_without.value),
        "basis": d.basis,
        "asked": d.asked,
        "named_pct": _rounded(d.share),
        "named_low": _rounded(d.share_low),
        "named_high": _rounded(d.share_high),
        "gain": _rounded(d.gain, 2),
        "gain_low": _rounded(d.gain_low, 2),
        "gain_high": _rounded(d.gain_high, 2),
        "warnings": " ".join(d.warnings) or None,
        "small_sample": d.small_sample,
    }


@bp.get("/dashboard/drivers.csv")
@signed_in
def drivers_csv() -> Response:
    """The table behind a drivers chart: ?view=reasons|touchpoints, scope or ?store=CODE."""
    shop, store_ids, period = _where()
    view = params.choice("view", DRIVER_VIEWS, "reasons")
    name = f"voxloop-drivers-{view}-{shop.code if shop else 'stores'}-{period.start}-{period.end}"
    if view == "stores":
        stores = drivers.store_potentials(current_scope(), period, viewer_language())
        return _csv(STORE_COLUMNS, [store_record(p) for p in stores if not shop or p.code == shop.code], name)
    analysis = drivers.analyse(store_ids, period, viewer_language())
    records = [driver_record(d) for d in (analysis.reasons if view == "reasons" else analysis.touchpoints)]
    return _csv(DRIVER_COLUMNS, records, name)


@bp.get("/dashboard/drivers.json")
@signed_in
def drivers_json() -> Response:
    """Both drivers tables and the overall index, scope or ?store=CODE."""
    shop, store_ids, period = _where()
    analysis = drivers.analyse(store_ids, period, viewer_language())
    return jsonify(
        {
            **_about(shop, period),
            "overall": analysis.overall.as_dict(),
            "reasons": [driver_record(d) for d in analysis.reasons],
            "touchpoints": [driver_record(d) for d in analysis.touchpoints],
            "stores": [store_record(p) for p in drivers.store_potentials(current_scope(), period, viewer_language())]
            if shop is None
            else None,
        }
    )


@bp.app_template_global("store_actions")
def store_actions(store: Store, last_day: date | None = None) -> list[Action]:
    """The store's three things to work on in the seven days up to ``last_day`` (the store
    page's period end), for the store pages; the scope is checked again here."""
    end = last_day or now().date()
    return drivers.top_actions(current_scope(), store, Period.ending(end, ACTION_DAYS), language=viewer_language())


# --- themes --------------------------------------------------------------------------------------


def comments_link(theme: Theme, period: Period, shop: Store | None) -> str:
    """The comment browser, filtered to the comments behind a theme (url_for once per page,
    a theme table has a hundred links)."""
    if "comments_url" not in g:
        g.comments_url = url_for("dashboards.comments")
    query = {"term": theme.term, "language": theme.language, **_dates(period, shop)}
    return f"{g.comments_url}?{urlencode(query)}"


def _theme_charts(found: dict[str, list[Theme]]) -> list[tuple[str, Any, Any]]:
    made = []
    for language, rows in found.items():
        top = rows[:15]
        most = max([10, *(t.n for t in top)])
        made.append(
            (
                language,
                charts.bar_chart(
                    gettext("Most frequent terms (%(language)s)", language=language),
                    [charts.Point(t.term, t.n) for t in top],
                    0.0,
                    float(most),
                ),
                charts.bar_chart(
                    gettext("Mean sentiment of the most frequent terms (%(language)s), -100 to 100", language=language),
                    [charts.Point(t.term, 100.0 * t.sentiment) for t in top],
                ),
            )
        )
    return made


def _language() -> str | None:
    return params.choice("language", LANGUAGES, "") or None


@bp.get("/dashboard/themes")
@signed_in
def themes_page() -> str:
    shop, store_ids, period = _where()
    language = _language()
    found = themes.themes(store_ids, period, language)
    return render_template(
        "dashboards/themes.html",
        store=shop,
        period=period,
        previous=period.previous(),
        found=found,
        language=language,
        languages=LANGUAGES,
        theme_charts=_theme_charts(found),
        link=lambda t: comments_link(t, period, shop),
        dates=_dates(period, shop),
    )


def theme_record(t: Theme) -> dict[str, Any]:
    return {
        "language": t.language,
        "term": t.term,
        "n": t.n,
        "share_pct": _rounded(t.share),
        "negative_pct": _rounded(t.negative),
        "positive_pct": _rounded(t.positive),
        "mean_sentiment": _rounded(t.sentiment, 3),
        "previous_n": t.previous_n,
        "change": t.change,
    }


@bp.get("/dashboard/themes.csv")
@signed_in
def themes_csv() -> Response:
    """The themes table: every language, or ?language=de|en; scope or ?store=CODE."""
    shop, store_ids, period = _where()
    found = themes.themes(store_ids, period, _language())
    records = [theme_record(t) for rows in found.values() for t in rows]
    return _csv(THEME_COLUMNS, records, f"voxloop-themes-{shop.code if shop else 'stores'}-{period.start}-{period.end}")


@bp.get("/dashboard/themes.json")
@signed_in
def themes_json() -> Response:
    """The themes per language, each with the link to its comments; scope or ?store=CODE."""
    shop, store_ids, period = _where()
    found = themes.themes(store_ids, period, _language())
    return jsonify(
        {
            **_about(shop, period),
            "themes": {
                language: [{**theme_record(t), "comments": comments_link(t, period, shop)} for t in rows]
                for language, rows in found.items()
            },
        }
    )
