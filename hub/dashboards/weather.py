"""Customer weather: a full-screen page for a screen in the HQ or a store's back office
(/weather for every store in scope, /weather/stores/<code> for one), large type, fitting a
1920x1080 or 1280x720 screen without scrolling, reloading itself every REFRESH_SECONDS with a
meta refresh. Its clock shows the hub's time in the screen's time zone to the minute: the
server writes it, and CLOCK_SCRIPT, the one script of the staff pages (allowed by its hash,
nothing from elsewhere), keeps it ticking from the hub's moment between reloads. What it
shows and the weather's bands: hub/services/weather.py."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import Any

from flask import Response, current_app, make_response, render_template

from hub.auth.guard import current_scope, signed_in
from hub.clock import now
from hub.dashboards.comments import face_name
from hub.dashboards.pages import bp
from hub.i18n import gettext, lazy_gettext
from hub.page_headers import content_security_policy
from hub.services import analytics
from hub.services import weather as forecasts
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
    " tick(); setInterval(tick, 1000); })();"
)


@cache
def _policy(templates: Path) -> str:
    """The staff pages' Content-Security-Policy with CLOCK_SCRIPT, and only it, allowed."""
    digest = base64.b64encode(hashlib.sha256(CLOCK_SCRIPT.encode()).digest()).decode()
    return content_security_policy(templates).replace("script-src 'none'", f"script-src 'sha256-{digest}'")


def _render(title: str, store_ids: Collection[int] | None, zone: str, place: dict[str, Any]) -> Response:
    faces = analytics.survey_scales().faces
    at = now()
    page = render_template(
        "dashboards/weather.html",
        title=title,
        w=forecasts.forecast(store_ids, zone, at, place),
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


@bp.get("/weather/stores/<code>")
@signed_in
def store_weather(code: str) -> Response:
    shop = analytics.store_in_scope(current_scope(), code)
    return _render(f"{shop.code} {shop.name}", [shop.id], shop.time_zone, {"store": shop})
