"""When a store is open, in its own time zone: alerts to its managers wait for the next opening.

Opening hours are kept per store as ``{"mon": [["08:00", "20:00"]], "sat": [["09:00",
"14:00"], ...], ...}`` in the store's local time; a day that is missing is a closed day,
"24:00" ends at midnight. A store with no hours at all is taken as always open (nothing would
ever be delivered otherwise). Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(text: object) -> int | None:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        return None
    try:
        hours, minutes = int(text[:2]), int(text[3:])
    except ValueError:
        return None
    value = hours * 60 + minutes
    return value if 0 <= minutes < 60 and 0 <= value <= 24 * 60 else None


def _intervals(hours: Mapping[str, Any], day: str) -> list[tuple[int, int]]:
    found = []
    for pair in hours.get(day) or ():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            start, end = _minutes(pair[0]), _minutes(pair[1])
            if start is not None and end is not None and start < end:
                found.append((start, end))
    return sorted(found)


def next_open_moment(hours: Mapping[str, Any] | None, zone: str, now: datetime) -> datetime:
    """``now`` when the store is open at ``now``, else the start of its next opening (UTC)."""
    if not hours or not any(_intervals(hours, day) for day in DAYS):
        return now
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for start, end in _intervals(hours, DAYS[day.weekday()]):
            opens = _at(day, start, tz)
            closes = _at(day, end, tz)
            if offset == 0 and opens <= local < closes:
                return now
            if opens > local:
                return opens.astimezone(UTC)
    return now  # unreachable with at least one interval in the week


def is_open(hours: Mapping[str, Any] | None, zone: str, now: datetime) -> bool:
    return next_open_moment(hours, zone, now) == now


def opening_intervals(hours: Mapping[str, Any] | None, zone: str, day: date) -> list[tuple[datetime, datetime]]:
    """When the store is open on its local ``day``: (opens, closes) pairs in UTC, in order; none
    on a closed day, the whole day for a store with no hours at all (as ``is_open`` sees it)."""
    tz = ZoneInfo(zone)
    if not hours or not any(_intervals(hours, d) for d in DAYS):
        found = [(0, 24 * 60)]
    else:
        found = _intervals(hours, DAYS[day.weekday()])
    return [(_at(day, start, tz).astimezone(UTC), _at(day, end, tz).astimezone(UTC)) for start, end in found]


def _at(day: Any, minutes: int, tz: ZoneInfo) -> datetime:
    if minutes >= 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0), tz)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tz)
