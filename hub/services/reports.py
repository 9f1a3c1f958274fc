"""Scheduled email reports: each person's figures for their stores, weekly by default.

Everyone who signs in may get one (``app_user.report_frequency``: weekly, daily or off, set on
/account). A weekly report covers the last Monday to Sunday and is queued on Monday from
``hour`` o'clock (late until Wednesday when the jobs were down); a daily one covers yesterday
and is queued every day from ``hour``. The hour is local to the person's first store (by
code), UTC for HQ. What it says: the headline figures against the period before, the best and
worst stores of the person's scope (when it holds more than one), how many cases are open,
and the themes and drivers of the period, all from the same services as the dashboards, with
a link to the dashboard.

It goes through the outbox (kind ``report``) with a dedupe key per person, frequency and
period, so however many job processes run, each report is queued once; the delivery job sends
it. The figures are computed when it is queued and kept in the payload: the email says what
was true at the report's hour, even if it is delivered later.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from hub.db import write_transaction
from hub.i18n import current_language, day, gettext, in_language, number
from hub.models import Case, Store, User
from hub.services import analytics, drivers, themes
from hub.services.access import Scope, scope_for
from hub.services.analytics import Figure, Period, Ranked
from hub.services.outbox import already_queued, queue_personal_email
from shared.errors import RequestError

FREQUENCIES = ("weekly", "daily", "off")
REPORT_HOUR = 7
TOP = 3  # best and worst stores, and things to work on, listed
TOP_THEMES = 5


def set_report_frequency(user: User, frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise RequestError("malformed_request", f"the report frequency is one of {', '.join(FREQUENCIES)}")
    with write_transaction():
        User.update(report_frequency=frequency).where(User.id == user.id).execute()


def report_zone(scope: Scope) -> ZoneInfo:
    """The time zone of the person's first store (by code); UTC for HQ, who see every store."""
    if scope.store_ids is None:
        return ZoneInfo("UTC")
    first = Store.select(Store.time_zone).where(Store.id.in_(sorted(scope.store_ids) or [-1])).order_by(Store.code)
    store = first.first()
    return ZoneInfo(store.time_zone if store else "UTC")


def due_period(frequency: str, local: datetime, hour: int = REPORT_HOUR) -> Period | None:
    """The period a report due at ``local`` time covers, or None if none is due then. A weekly
    report missed on Monday (the jobs were down) still goes out late, until Wednesday."""
    today = local.date()
    if frequency == "daily":
        return Period.ending(today - timedelta(days=1), 1) if local.hour >= hour else None
    if frequency == "weekly" and (today.weekday() in (1, 2) or (today.weekday() == 0 and local.hour >= hour)):
        return Period.ending(today - timedelta(days=today.weekday() + 1), 7)
    return None


# --- what a report says -------------------------------------------------------------------------


def _shown(value: float | None, digits: int = 1) -> str:
    return number(value, digits)  # in the language's format: "73,4" in German


def _change(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else ("+" if value > 0 else "") + number(value, digits)


def _figure(figure: Figure) -> dict[str, Any]:
    digits = 0 if figure.key == "volume" else 1
    return {
        "key": figure.key,
        "label": str(figure.label),  # in the language of the person it is for
        "value": figure.current.value,
        "n": figure.current.n,
        "shown": _shown(figure.current.value, digits),
        "interval": None
        if figure.current.low is None
        else gettext("%(low)s to %(high)s", low=_shown(figure.current.low), high=_shown(figure.current.high)),
        "previous": _shown(figure.previous.value, digits),
        "change": _change(figure.change, digits),
    }


def _store(row: Ranked) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "index": _shown(row.score.value), "n": row.score.n}


def _best_and_worst(ranked: list[Ranked]) -> tuple[list[Ranked], list[Ranked]]:
    """The TOP best and worst ranked stores; with fewer than 2 * TOP, half of them each."""
    count = min(TOP, len(ranked) // 2)
    return ranked[:count], list(reversed(ranked[-count:])) if count else []


def _themes(store_ids: Collection[int] | None, period: Period) -> list[dict[str, Any]]:
    """The most frequent comment terms of the period, every language together."""
    found = [t for per_language in themes.themes(store_ids, period, limit=TOP_THEMES).values() for t in per_language]
    found.sort(key=lambda t: (-t.n, t.term))
    return [
        {"term": t.term, "language": t.language, "n": t.n, "negative": _shown(t.negative, 0)}
        for t in found[:TOP_THEMES]
    ]


def _work_on(store_ids: Collection[int] | None, period: Period) -> list[str]:
    """The reasons to work on first (drivers.top_reasons, as on the dashboard), in plain
    sentences; too small samples only fill up what is left, marked."""
    language = current_language()  # the person's, as the report is built (queue_reports)
    _, reasons = drivers.reason_drivers(store_ids, period, language)
    return [drivers.sentence(d, None, language) for d in drivers.top_reasons(reasons, TOP)]


def build_report(user: User, scope: Scope, frequency: str, period: Period, *, public_url: str) -> dict[str, Any]:
    """The payload of one person's report: everything the email shows, computed now."""
    scales = analytics.survey_scales()
    overview = analytics.overview(scope.store_ids, period, scales)
    stores = list(scope.restrict(Store.select(Store.id, Store.code, Store.name), Store.id).order_by(Store.code))
    ranking = analytics.rank_stores(scope, period, scales) if len(stores) > 1 else None
    best, worst = _best_and_worst(ranking.ranked) if ranking else ([], [])
    open_cases = scope.restrict(Case.select().where(Case.state != "resolved"), Case.store).count()
    query = urlencode({"from": period.start.isoformat(), "to": period.end.isoformat()})
    base = public_url.rstrip("/")
    page = f"/dashboard/stores/{stores[0].code}" if len(stores) == 1 else "/dashboard"
    smiley = overview.figure("smiley_index")
    when = f"{day(period.start)}–{day(period.end)}" if period.days > 1 else day(period.end)
    if frequency == "weekly":
        subject = gettext("voxloop weekly report %(period)s", period=when)
    else:
        subject = gettext("voxloop daily report %(period)s", period=when)
    if smiley and smiley.current.n:
        subject = gettext("%(subject)s: smiley index %(value)s", subject=subject, value=_shown(smiley.current.value))
    return {
        "subject": subject,
        "name": user.name,
        "frequency": frequency,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(), "shown": when},
        "previous": {"from": overview.previous.start.isoformat(), "to": overview.previous.end.isoformat()},
        "scope": gettext("every store") if scope.store_ids is None else None,
        "stores": [f"{s.code} {s.name}" for s in stores] if scope.store_ids is not None else [],
        "figures": [_figure(f) for f in overview.figures],
        "best": [_store(r) for r in best],
        "worst": [_store(r) for r in worst],
        "unranked": len(ranking.small) if ranking else 0,
        "small_sample": analytics.SMALL_SAMPLE,
        "open_cases": open_cases,
        "cases_url": f"{base}/cases",
        "dashboard_url": f"{base}{page}?{query}",
        "account_url": f"{base}/account",
        "themes": _themes(scope.store_ids, period),
        "work_on": _work_on(scope.store_ids, period),
    }


# --- the job ------------------------------------------------------------------------------------


def queue_reports(now: datetime, *, public_url: str, hour: int = REPORT_HOUR) -> int:
    """Queue every report that is due at ``now`` and not queued yet; returns how many."""
    queued = 0
    # read everyone first: a SELECT still being iterated keeps a SQLite read snapshot open, and
    # the write below would then fail at once (busy) after another process's write
    people = list(User.select().where((User.active == True) & (User.report_frequency != "off")).order_by(User.id))  # noqa: E712
    for user in people:
        scope = scope_for(user)
        if scope.store_ids is not None and not scope.store_ids:
            continue  # nobody's stores: nothing to report
        period = due_period(user.report_frequency, now.astimezone(report_zone(scope)), hour)
        if period is None:
            continue
        key = f"report:{user.id}:{user.report_frequency}:{period.start.isoformat()}"
        if already_queued(key):
            continue
        with in_language(user.language):  # its texts and numbers as the person reads them (hub/i18n.py)
            payload = build_report(user, scope, user.report_frequency, period, public_url=public_url)
        queued += queue_personal_email("report", user, key, payload, now)
    return queued
