"""Customer weather, the Customer News Screen: a full-screen page for a screen in the HQ or a
store's back office (/weather for every store in scope, /weather/regions/<id> for a region,
/weather/stores/<code> for one store; 404 for a region or store the person does not see), large
type, fitting a
1920x1080 or 1280x720 screen without scrolling, reloading itself every REFRESH_SECONDS. Its
clock shows the hub's time in the screen's time zone to the minute: the server writes it, and
CLOCK_SCRIPT, the one script of the staff pages (allowed by its hash, nothing from elsewhere),
keeps it ticking from the hub's moment and reloads the page (a script, not a meta refresh,
which WCAG 2.2.1 and axe count as a critical barrier on pages people read). What it
shows and the weather's bands: hub/services/weather.py; the news beside it (praise,
annoyances, the NPS trend): hub/services/customer_news.py. The NPS trend is a small SVG drawn
here (``nps_sparkline``)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import Any

from flask import Response, current_app, make_response, render_template
from markupsafe import Markup, escape

from hub.auth.guard import current_scope, signed_in
from hub.clock import now
from hub.dashboards.comments import face_name
from hub.dashboards.insights import viewer_language
from hub.dashboards.pages import bp
from hub.i18n import gettext, lazy_gettext
from hub.page_headers import content_security_policy
from hub.services import analytics, customer_news
from hub.services import weather as forecasts
from hub.services.analytics import TrendPoint
from hub.services.target_gaps import scope_place

REFRESH_SECONDS = 60
WEATHER_NAMES = {
    "sunny": lazy_gettext("sunny"),
    "cloudy": lazy_gettext("cloudy"),
    "rain": lazy_gettext("rain"),
    "storm": lazy_gettext("storm"),
    "no weather yet": lazy_gettext("no weather yet"),
}


@bp.app_template_global()
def weather_name(name: str) -> str:
    return str(WEATHER_NAMES.get(name, name))


# The hub's moment (data-now, ms since the epoch) against the browser's at load, so the clock
# shows the hub's time however the screen's own clock is set.
CLOCK_SCRIPT = (
    "(function () { var c = document.getElementById('clock');"
    " var offset = Number(c.dataset.now) - Date.now();"
    " var f = new Intl.DateTimeFormat(document.documentElement.lang,"
    " {hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: c.dataset.zone});"
    " function tick() { c.textContent = f.format(new Date(Date.now() + offset)); }"
    " tick(); setInterval(tick, 1000);"
    " setTimeout(function () { location.reload(); }, Number(c.dataset.refresh) * 1000); })();"
)


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 240, 60, 5


def nps_sparkline(weeks: list[TrendPoint], least: int, label: str) -> Markup:
    """The weekly NPS as a line on -100..100 (a dashed line at 0), a dot per week with at least
    ``least`` answers, gaps for the others; the last week's dot stands out."""
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(weeks) - 1, 1)

    def y(value: float) -> float:
        return SPARK_PAD + (100.0 - value) / 200.0 * (SPARK_HEIGHT - 2 * SPARK_PAD)

    shown = [(i, SPARK_PAD + i * step, y(p.nps.value)) for i, p in enumerate(weeks) if p.nps.n >= least]
    runs: list[list[str]] = []
    for (i, x, v), before in zip(shown, [None, *shown], strict=False):
        if before is None or before[0] != i - 1:
            runs.append([])
        runs[-1].append(f"{x:.1f},{v:.1f}")
    parts = [
        f'<svg class="spark" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img">',
        f"<title>{escape(label)}</title>",
        f'<line x1="0" y1="{y(0):.1f}" x2="{SPARK_WIDTH}" y2="{y(0):.1f}" stroke="#30363d" stroke-dasharray="4 4"/>',
    ]
    parts += [
        f'<polyline points="{" ".join(run)}" fill="none" stroke="#58a6ff" stroke-width="3"/>'
        for run in runs
        if len(run) > 1
    ]
    for i, x, v in shown:
        fill = "#f0f3f6" if i == len(weeks) - 1 else "#58a6ff"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{v:.1f}" r="4" fill="{fill}" data-week="{weeks[i].start}"'
            f' data-value="{weeks[i].nps.value:.1f}" data-n="{weeks[i].nps.n}"/>'
        )
    return Markup("".join(parts) + "</svg>")  # noqa: S704 (the label went through escape(), the rest are numbers)


@cache
def _policy(templates: Path) -> str:
    """The staff pages' Content-Security-Policy with CLOCK_SCRIPT, and only it, allowed."""
    digest = base64.b64encode(hashlib.sha256(CLOCK_SCRIPT.encode()).digest()).decode()
    return content_security_policy(templates).replace("script-src 'none'", f"script-src 'sha256-{digest}'")


def _render(title: str, store_ids: Collection[int] | None, zone: str, place: dict[str, Any]) -> Response:
    faces = analytics.survey_scales().faces
    at = now()
    w = forecasts.forecast(store_ids, zone, at, place)
    news = customer_news.news(store_ids, w.today, viewer_language())
    page = render_template(
        "dashboards/weather.html",
        title=title,
        w=w,
        news=news,
        spark=nps_sparkline(
            news.weeks,
            customer_news.MIN_WEEK_ANSWERS,
            gettext("NPS per week, the last %(weeks)s weeks", weeks=customer_news.TREND_WEEKS),
        ),
        limits={
            "happy": customer_news.MIN_HAPPY,
            "sample": analytics.SMALL_SAMPLE,
            "theme": customer_news.MIN_THEME_COMMENTS,
            "week": customer_news.MIN_WEEK_ANSWERS,
        },
        zone=zone,
        now_ms=int(at.timestamp() * 1000),
        clock_script=CLOCK_SCRIPT,
        refresh=REFRESH_SECONDS,
        face_name=lambda f: face_name(f, faces),
        min_answers=forecasts.MIN_ANSWERS,
        weeks=forecasts.BASELINE_WEEKS,
    )
    response = make_response(page)
    templates = Path(current_app.root_path) / (current_app.template_folder or "templates")
    response.headers["Content-Security-Policy"] = _policy(templates)
    return response


@bp.get("/weather")
@signed_in
def weather() -> Response:
    scope = current_scope()
    store, region_id = scope_place(scope)
    return _render(
        gettext("All stores") if scope.store_ids is None else gettext("Your stores"),
        scope.store_ids,
        forecasts.scope_zone(scope),
        {"store": store, "region_id": region_id},
    )


@bp.get("/weather/regions/<int:region_id>")
@signed_in
def region_weather(region_id: int) -> Response:
    region, stores = forecasts.region_in_scope(current_scope(), region_id)
    return _render(
        region.name,
        [s.id for s in stores],
        forecasts.screen_zone(stores),
        {"store": None, "region_id": region.id},
    )


@bp.get("/weather/stores/<code>")
@signed_in
def store_weather(code: str) -> Response:
    shop = analytics.store_in_scope(current_scope(), code)
    return _render(f"{shop.code} {shop.name}", [shop.id], shop.time_zone, {"store": shop})
