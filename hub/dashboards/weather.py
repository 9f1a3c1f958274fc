"""Customer weather: a full-screen page for a screen in the HQ or a store's back office
(/weather for every store in scope, /weather/stores/<code> for one), large type, reloading
itself every REFRESH_SECONDS with a meta refresh (no script, nothing from elsewhere). What it
shows and the weather's bands: hub/services/weather.py."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import render_template

from hub.auth.guard import current_scope, signed_in
from hub.clock import now
from hub.dashboards.comments import face_name
from hub.dashboards.pages import bp
from hub.i18n import gettext, lazy_gettext
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


def _render(title: str, store_ids: Collection[int] | None, zone: str, place: dict[str, Any]) -> str:
    faces = analytics.survey_scales().faces
    return render_template(
        "dashboards/weather.html",
        title=title,
        w=forecasts.forecast(store_ids, zone, now(), place),
        refresh=REFRESH_SECONDS,
        face_name=lambda f: face_name(f, faces),
        min_answers=forecasts.MIN_ANSWERS,
        weeks=forecasts.BASELINE_WEEKS,
    )


@bp.get("/weather")
@signed_in
def weather() -> str:
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
def store_weather(code: str) -> str:
    shop = analytics.store_in_scope(current_scope(), code)
    return _render(f"{shop.code} {shop.name}", [shop.id], shop.time_zone, {"store": shop})
