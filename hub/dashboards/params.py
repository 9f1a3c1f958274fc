"""The dashboards' query parameters, read strictly.

A value that cannot be used is refused with ``bad_parameter`` naming the parameter and what
it takes: a page says so (hub/problems.py draws the message with a way back to the default
view), a download (.csv, .json) answers 400 with a problem document. Nothing is quietly
replaced by a default, so a link or a script never gets another period than it asked for.
An absent or empty parameter means the default.

The period rules, stated in the period form too: dates as YYYY-MM-DD (store-local days), the
end not before the start, at most ``MAX_DAYS`` days; without ``from`` the 28 days up to
``to``; without ``to``, today in the store's (or, for several stores, UTC's) calendar.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from zoneinfo import ZoneInfo

from flask import request

from hub.clock import now
from hub.services import analytics
from hub.services.analytics import Period
from shared.errors import RequestError

MAX_DAYS = analytics.MAX_DAYS


def refuse(name: str, detail: str) -> RequestError:
    return RequestError("bad_parameter", detail, parameter=name)


def optional_date(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else _not_a_date(name, text)
    except ValueError:
        return _not_a_date(name, text)


def _not_a_date(name: str, text: str) -> date:
    raise refuse(name, f"{name!r} must be a date as YYYY-MM-DD, not {text[:40]!r}")


def period(zone: str, max_days: int = MAX_DAYS) -> Period:
    """The period asked for (?from=&to=), else the 28 days up to today in ``zone``."""
    end = optional_date("to") or now().astimezone(ZoneInfo(zone)).date()
    start = optional_date("from")
    chosen = Period(start, end) if start else Period.ending(end)
    if chosen.days < 1:
        raise refuse("to", f"the period ends ({end}) before it starts ({start})")
    if chosen.days > max_days:
        raise refuse("from", f"a period is at most {max_days} days; {start} to {end} is {chosen.days}")
    return chosen


def choice(name: str, allowed: Collection[str], default: str) -> str:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    if value not in allowed:
        raise refuse(name, f"{name!r} must be one of {', '.join(allowed)}, not {value[:40]!r}")
    return value


def optional_int(name: str, low: int, high: int) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise refuse(name, f"{name!r} must be a whole number from {low} to {high}, not {text[:40]!r}")
    return int(text)


def with_suspect() -> bool:
    """?suspect=include counts the suspect responses, which the figures leave out by default."""
    return choice("suspect", ("exclude", "include"), "exclude") == "include"
