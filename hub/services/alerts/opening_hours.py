"""When a store is open, in its own time zone: alerts to its managers wait for the next opening.

Opening hours are kept per store as ``{"mon": [["08:00", "20:00"]], "sat": [["09:00",
"14:00"], ...], ...}`` in the store's local time; a day that is missing is a closed day,
"24:00" ends at midnight. A store with no hours at all is taken as always open (nothing would
ever be delivered otherwise). Nothing here touches the database.

Public holidays: a store names its country (ISO 3166-1, e.g. ``DE``) and, where holidays differ
within it, its subdivision (``BY``, ``ZH``); on a public holiday of that place (the ``holidays``
package, its public category) the store is closed all day, its local date deciding. The
functions take the holidays as ``holidays=``; ``store_is_open`` and ``store_opens_at`` read them
from anything with a store's settings (the Store row, ``StoreFacts``). A store without hours
stays always open, holidays included.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_tables

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# the days looked ahead for the next opening: a week, plus room for holidays in a row
_LOOK_AHEAD_DAYS = 22


@lru_cache(maxsize=512)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    table = holiday_tables.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(table.keys())


@dataclass(frozen=True)
class PublicHolidays:
    """The public holidays of one country (and subdivision): ``day in PublicHolidays("DE", "BY")``."""

    country: str
    subdivision: str | None = None

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return day in _holiday_dates(self.country, self.subdivision, day.year)

    def name(self, day: date) -> str | None:
        table = holiday_tables.country_holidays(self.country, subdiv=self.subdivision, years=day.year)
        return table.get(day)


def public_holidays(country: str | None, subdivision: str | None = None) -> PublicHolidays | None:
    """The holidays of a store's place, or None when it names no country."""
    return PublicHolidays(country, subdivision or None) if country else None


def check_place(country: str | None, subdivision: str | None) -> tuple[str | None, str | None]:
    """A country code the holidays package knows (upper case; empty: none) and one of its
    subdivisions (empty: the whole country); ValueError with a sentence otherwise."""
    country = (country or "").strip().upper() or None
    subdivision = (subdivision or "").strip() or None
    if country is None:
        if subdivision:
            raise ValueError("a subdivision needs a country (e.g. country DE, subdivision BY)")
        return None, None
    supported = holiday_tables.list_supported_countries()
    if country not in supported:
        raise ValueError(f"{country!r} is not a country code with known public holidays (e.g. DE, AT, CH)")
    if subdivision is not None:
        known = {code.upper(): code for code in supported[country]}
        if subdivision.upper() not in known:
            raise ValueError(f"{subdivision!r} is not a subdivision of {country} (one of {', '.join(known.values())})")
        subdivision = known[subdivision.upper()]
    return country, subdivision


def store_holidays(store: Any) -> PublicHolidays | None:
    """The public holidays of a Store row or StoreFacts (its ``country`` and ``subdivision``)."""
    return public_holidays(getattr(store, "country", None), getattr(store, "subdivision", None))


def store_is_open(store: Any, now: datetime) -> bool:
    """Whether a store (a Store row or StoreFacts) is open at ``now``, its holidays closed."""
    return is_open(store.opening_hours or {}, store.time_zone, now, holidays=store_holidays(store))


def store_opens_at(store: Any, now: datetime) -> datetime:
    """``now`` when the store is open, else its next opening, its holidays closed."""
    return next_open_moment(store.opening_hours or {}, store.time_zone, now, holidays=store_holidays(store))


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


def next_open_moment(
    hours: Mapping[str, Any] | None, zone: str, now: datetime, *, holidays: Container[date] | None = None
) -> datetime:
    """``now`` when the store is open at ``now``, else the start of its next opening (UTC);
    a day in ``holidays`` (the store's local date) is closed."""
    if not hours or not any(_intervals(hours, day) for day in DAYS):
        return now
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    for offset in range(_LOOK_AHEAD_DAYS):
        day = local.date() + timedelta(days=offset)
        if holidays is not None and day in holidays:
            continue
        for start, end in _intervals(hours, DAYS[day.weekday()]):
            opens = _at(day, start, tz)
            closes = _at(day, end, tz)
            if offset == 0 and opens <= local < closes:
                return now
            if opens > local:
                return opens.astimezone(UTC)
    return now  # only when every day ahead is a holiday


def is_open(
    hours: Mapping[str, Any] | None, zone: str, now: datetime, *, holidays: Container[date] | None = None
) -> bool:
    return next_open_moment(hours, zone, now, holidays=holidays) == now


def opening_intervals(
    hours: Mapping[str, Any] | None, zone: str, day: date, *, holidays: Container[date] | None = None
) -> list[tuple[datetime, datetime]]:
    """When the store is open on its local ``day``: (opens, closes) pairs in UTC, in order; none
    on a closed day or a holiday, the whole day for a store with no hours at all (as ``is_open``
    sees it)."""
    tz = ZoneInfo(zone)
    if not hours or not any(_intervals(hours, d) for d in DAYS):
        found = [(0, 24 * 60)]
    elif holidays is not None and day in holidays:
        found = []
    else:
        found = _intervals(hours, DAYS[day.weekday()])
    return [(_at(day, start, tz).astimezone(UTC), _at(day, end, tz).astimezone(UTC)) for start, end in found]


def _at(day: Any, minutes: int, tz: ZoneInfo) -> datetime:
    if minutes >= 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0), tz)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tz)
