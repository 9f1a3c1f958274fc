"""/api/v1/analytics/...: the dashboards' figures as JSON for BI tools, for signed-in people
(session cookie) and API tokens with the scope analytics:read, each within the caller's
scope: a store outside it answers 404 like one that does not exist. The figures come from the
same services as the pages (hub/services/analytics.py), so the API and the dashboards never
disagree.

Parameters: ``from`` and ``to`` (inclusive store-local days, YYYY-MM-DD; default the 28 days up
to today), ``store`` (a store code), ``grain`` (day, week, month); lists take ``limit`` and
``cursor`` (hub/api/paging.py). A parameter that cannot be used answers 400 ``bad_parameter``
with the parameter's name.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, jsonify, request

from hub.api import bp
from hub.api.paging import Key, bad_parameter, page_of, page_request, paged_answer
from hub.api.people import person
from hub.clock import now
from hub.i18n import english
from hub.models import Store, User
from hub.services import analytics, daily_figures, measure_links, response_export
from hub.services.access import Scope
from hub.services.analytics import Figure, Period, Ranked, Scales, TrendPoint
from shared.errors import NotFound

# the lists of rows a BI tool loads may span years; the computed views at most MAX_DAYS
MAX_EXPORT_DAYS = 3700


# what a store's code can be (hub/services/catalog.py); any other text names no store, and is
# never sent to the database (PostgreSQL refuses a NUL in text)
STORE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _store(scope: Scope) -> Store | None:
    code = request.args.get("store", "")
    if code and not STORE_CODE.fullmatch(code):
        raise NotFound("not_found", "no such store")
    return analytics.store_in_scope(scope, code) if code else None


def _store_ids(scope: Scope, store: Store | None) -> Collection[int] | None:
    return [store.id] if store is not None else scope.store_ids


def _period(store: Store | None, max_days: int = analytics.MAX_DAYS) -> Period:
    """``from``/``to``; either left out: 28 days up to ``to`` or up to today (in the store's
    zone, else UTC)."""
    days: dict[str, date] = {}
    for name in ("from", "to"):
        text = request.args.get(name)
        if text is not None:  # given, even empty: it must be a day
            try:
                days[name] = date.fromisoformat(text)
            except ValueError:
                raise bad_parameter(name, f"{name} must be a day as YYYY-MM-DD") from None
    today = now().astimezone(ZoneInfo(store.time_zone if store else "UTC")).date()
    end = days.get("to", today)
    period = Period(days["from"], end) if "from" in days else Period.ending(end)
    if period.days < 1:
        raise bad_parameter("from", "from must not come after to")
    if period.days > max_days:
        raise bad_parameter("from", f"a period spans at most {max_days} days")
    return period


def _period_dict(period: Period) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def _figure(figure: Figure) -> dict[str, Any]:
    return {
        "key": figure.key,
        "label": english(figure.label),  # the API speaks English (hub/i18n.py)
        **figure.current.as_dict(),
        "previous": figure.previous.as_dict(),
        "change": figure.change,
    }


def _with_suspect() -> bool:
    """?suspect=include adds the suspect responses, which every figure leaves out by default."""
    value = request.args.get("suspect", "exclude")
    if value not in ("exclude", "include"):
        raise bad_parameter("suspect", "suspect must be exclude or include")
    return value == "include"


@bp.get("/analytics/overview")
@person(grant="analytics:read")
def analytics_overview(user: User, scope: Scope) -> Response:
    store = _store(scope)
    period = _period(store)
    result = analytics.overview(
        _store_ids(scope, store), period, analytics.survey_scales(), with_suspect=_with_suspect()
    )
    return jsonify(
        {
            "store": store.code if store else None,
            "period": _period_dict(result.period),
            "previous_period": _period_dict(result.previous),
            "figures": [_figure(f) for f in result.figures],
            "suspect": {"responses": result.suspect, "counted": result.with_suspect},
        }
    )


@bp.get("/analytics/trend")
@person(grant="analytics:read")
def analytics_trend(user: User, scope: Scope) -> Response:
    store = _store(scope)
    period = _period(store)
    grain = request.args.get("grain", "day")
    if grain not in analytics.GRAINS:
        raise bad_parameter("grain", f"grain must be one of {', '.join(analytics.GRAINS)}")
    page = page_request("trend", (str,))
    with_suspect = _with_suspect()
    points = analytics.trend(
        _store_ids(scope, store), period, analytics.survey_scales(), grain, with_suspect=with_suspect
    )

    def key(point: TrendPoint) -> Key:
        return (point.start.isoformat(),)

    chosen, next_key = page_of(points, key, page)
    body = {
        "store": store.code if store else None,
        "period": _period_dict(period),
        "grain": grain,
        "suspect_counted": with_suspect,
        "points": [
            {"start": p.start.isoformat(), "smiley_index": p.smiley.as_dict(), "nps": p.nps.as_dict()} for p in chosen
        ],
    }
    return paged_answer(body, page, next_key)


def _rank_key(row: Ranked) -> Key:
    """The ranking's order: ranked rows by index, then more responses; small samples after."""
    if row.rank is not None:
        return (0, -float(row.score.value or 0), -row.score.n, row.store_code, row.code, row.id)
    return (1, 0.0, -row.score.n, row.store_code, row.code, row.id)


_RANK_SHAPE = (int, (int, float), int, str, str, int)


def _ranked(row: Ranked, kind: str) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        **({"store": row.store_code} if kind == "touchpoint" else {}),
        "rank": row.rank,
        "small_sample": row.small_sample,
        "smiley_index": row.score.as_dict(),
        "nps": row.nps.as_dict(),
    }


@bp.get("/analytics/stores")
@person(grant="analytics:read")
def analytics_stores(user: User, scope: Scope) -> Response:
    period = _period(None)
    page = page_request("stores", _RANK_SHAPE)
    with_suspect = _with_suspect()
    ranking = analytics.rank_stores(scope, period, analytics.survey_scales(), with_suspect=with_suspect)
    chosen, next_key = page_of(ranking.rows, _rank_key, page)
    body = {
        "period": _period_dict(period),
        "suspect_counted": with_suspect,
        "small_sample": analytics.SMALL_SAMPLE,
        "stores": [_ranked(r, "store") for r in chosen],
    }
    return paged_answer(body, page, next_key)


@bp.get("/analytics/touchpoints")
@person(grant="analytics:read")
def analytics_touchpoints(user: User, scope: Scope) -> Response:
    store = _store(scope)
    period = _period(store)
    page = page_request("touchpoints", _RANK_SHAPE)
    wanted = [store.id] if store else None
    with_suspect = _with_suspect()
    ranking = analytics.rank_touchpoints(scope, wanted, period, analytics.survey_scales(), with_suspect=with_suspect)
    chosen, next_key = page_of(ranking.rows, _rank_key, page)
    body = {
        "store": store.code if store else None,
        "period": _period_dict(period),
        "suspect_counted": with_suspect,
        "small_sample": analytics.SMALL_SAMPLE,
        "touchpoints": [_ranked(r, "touchpoint") for r in chosen],
    }
    return paged_answer(body, page, next_key)


@bp.get("/analytics/daily")
@person(grant="analytics:read")
def analytics_daily(user: User, scope: Scope) -> Response:
    store = _store(scope)
    period = _period(store, MAX_EXPORT_DAYS)
    page = page_request("daily", (str, int))
    scales: Scales = analytics.survey_scales()
    after = (_cursor_day(page.after[0]), page.after[1]) if page.after else None
    rows = daily_figures.store_days(_store_ids(scope, store), period, scales, after=after, limit=page.limit + 1)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    body = {
        "store": store.code if store else None,
        "period": _period_dict(period),
        "faces": scales.faces,
        "days": [r.as_dict(scales) for r in rows],
    }
    return paged_answer(body, page, rows[-1].key if more else None)


@bp.get("/analytics/responses")
@person(grant="analytics:read")
def analytics_responses(user: User, scope: Scope) -> Response:
    store = _store(scope)
    period = _period(store, MAX_EXPORT_DAYS)
    page = page_request("responses", (int, str, str))
    after = (page.after[0], _cursor_day(page.after[1]).isoformat(), page.after[2]) if page.after else None
    found, next_key = response_export.responses(_store_ids(scope, store), period, after=after, limit=page.limit)
    body = {"store": store.code if store else None, "period": _period_dict(period), "responses": found}
    return paged_answer(body, page, next_key)


def _cursor_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise bad_parameter("cursor", "the cursor is not one this API gave out") from None


@bp.get("/analytics/measure-links")
@person(grant="analytics:read")
def analytics_measure_links(user: User, scope: Scope) -> Response:
    """How the smiley index and each reason's share move with each hourly measure: for one
    store (``store``) or across the stores in scope; ``measure`` narrows to one."""
    store = _store(scope)
    period = _period(store)
    code = request.args.get("measure") or None
    links = measure_links.links_for(scope, store.id if store else None, period.start, period.end, measure_code=code)
    return jsonify(
        {
            "store": store.code if store else None,
            "period": _period_dict(period),
            "caveat": "an association in the data, not proof of a cause",
            "links": [link.as_dict() for link in links],
        }
    )
