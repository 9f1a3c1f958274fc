"""/admin/stores: the stores (name, region, time zone, opening hours and the country and
subdivision whose public holidays close them, languages, managers)
and the touchpoints of each (code, name, kind, survey)."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import available_timezones

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.admin.base import attempt, bp, editors, form_list, may_edit, readers
from hub.auth.guard import current_scope
from hub.clock import now
from hub.i18n import gettext
from hub.models import Store
from hub.services import catalog, listings, users
from hub.services.alerts.opening_hours import DAYS
from hub.services.alerts.rule_book import forget_book
from shared.errors import RequestError

_INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")


def hours_from_form(form: Any) -> dict[str, list[list[str]]]:
    """Opening hours from one field per weekday: "08:00-20:00", or several intervals
    separated by commas ("08:00-12:00, 14:00-18:00"); empty means closed."""
    hours: dict[str, list[list[str]]] = {}
    for day in DAYS:
        text = (form.get(f"hours_{day}") or "").strip()
        if not text:
            continue
        pairs = []
        for part in text.split(","):
            match = _INTERVAL.match(part)
            if not match:
                raise RequestError("malformed_request", f"{day}: write opening hours as 08:00-20:00, not {part!r}")
            pairs.append([t.zfill(5) for t in match.groups()])
        hours[day] = pairs
    return catalog.check_opening_hours(hours)


def hours_text(hours: dict[str, Any] | None) -> dict[str, str]:
    return {day: ", ".join(f"{a}-{b}" for a, b in (hours or {}).get(day, [])) for day in DAYS}


def _store(code: str) -> Store:
    return listings.store(code, current_scope())  # every store for HQ; kept should roles widen


@bp.get("/stores")
@readers
def stores() -> str:
    return _render_list({})


def _render_list(values: Any, status: int = 200) -> Any:
    page = render_template(
        "admin/stores.html",
        stores=listings.stores(current_scope()),
        touchpoints=listings.touchpoint_counts(),
        values=values,
        days=DAYS,
        zones=sorted(available_timezones()),
        may_edit=may_edit(),
    )
    return page, status


@bp.post("/stores")
@editors
def create_store() -> Any:
    form = request.form

    def create() -> Store:
        hours = hours_from_form(form)
        languages = catalog.check_languages(form.get("languages", "").split(","))
        store = catalog.add_store(
            form.get("code", "").strip(),
            form.get("name", "").strip() or form.get("code", "").strip(),
            time_zone=form.get("time_zone", "").strip(),
            region=form.get("region", "").strip() or None,
            languages=languages,
            opening_hours=hours,
            now=now(),
            country=form.get("country"),
            subdivision=form.get("subdivision"),
        )
        forget_book()  # the alert rules learn the new store
        return store

    ok, store = attempt(create, gettext("Store created."))
    if not ok:
        return _render_list(form, 400)
    return redirect(url_for("admin.store", code=store.code))


@bp.get("/stores/<code>")
@readers
def store(code: str) -> Any:
    return _render_store(_store(code), None)


def _render_store(store: Store, values: Any, status: int = 200) -> Any:
    page = render_template(
        "admin/store.html",
        store=store,
        values=values
        or {
            "name": store.name,
            "region": store.region.name if store.region_id else "",
            "time_zone": store.time_zone,
            "languages": ", ".join(store.languages or []),
            "country": store.country or "",
            "subdivision": store.subdivision or "",
            **{f"hours_{d}": t for d, t in hours_text(store.opening_hours).items()},
        },
        days=DAYS,
        zones=sorted(available_timezones()),
        touchpoints=listings.store_touchpoints(store),
        surveys=listings.surveys(),
        kinds=catalog.TOUCHPOINT_KINDS,
        candidates=listings.store_managers(),
        managers=listings.managers_of(store),
        may_edit=may_edit(),
    )
    return page, status


@bp.post("/stores/<code>")
@editors
def update_store(code: str) -> Any:
    store, form = _store(code), request.form

    def update() -> Store:
        changed = catalog.update_store(
            store,
            name=form.get("name", ""),
            time_zone=form.get("time_zone", "").strip(),
            region=form.get("region"),
            languages=form.get("languages", "").split(","),
            opening_hours=hours_from_form(form),
            country=form.get("country"),
            subdivision=form.get("subdivision"),
        )
        forget_book()  # opening hours, holidays and time zones decide when alerts go out
        return changed

    ok, _ = attempt(update, gettext("Store saved."))
    if not ok:
        return _render_store(store, form, 400)
    return redirect(url_for("admin.store", code=code))


@bp.post("/stores/<code>/managers")
@editors
def store_managers(code: str) -> Response:
    store = _store(code)
    ids = [int(v) for v in form_list(request.form, "manager") if v.isdigit()]
    attempt(lambda: users.set_store_managers(store, ids), gettext("Managers saved."))
    return redirect(url_for("admin.store", code=code))


@bp.post("/stores/<code>/touchpoints")
@editors
def add_touchpoint(code: str) -> Response:
    store, form = _store(code), request.form
    attempt(
        lambda: catalog.add_touchpoint(
            store.code,
            form.get("code", "").strip(),
            form.get("name", "").strip() or form.get("code", "").strip(),
            kind=form.get("kind", "exit"),
            survey_key=form.get("survey", "exit"),
        ),
        gettext("Touchpoint added."),
    )
    forget_book()
    return redirect(url_for("admin.store", code=code))


@bp.post("/stores/<code>/touchpoints/<touchpoint_code>")
@editors
def update_touchpoint(code: str, touchpoint_code: str) -> Response:
    store, form = _store(code), request.form
    touchpoint = catalog.touchpoint_by_code(store, touchpoint_code)
    attempt(
        lambda: catalog.update_touchpoint(
            touchpoint, name=form.get("name", ""), kind=form.get("kind", ""), survey_key=form.get("survey", "")
        ),
        gettext("Touchpoint saved."),
    )
    return redirect(url_for("admin.store", code=code))
