"""A measure beside the trend chart: its value per bucket of the trend (day, week, month) for
the stores shown, read from measure_value (hub/queries/measure_links.py).

A day's value over the stores: a count's values added up (footfall, transactions of every
store and hour of the day), a level's or a duration's averaged over the values held (open
tills, queue minutes per store-hour). A week's or month's bucket holds the mean of its days'
values (only days inside the period with values), so every bucket reads "per day". Days are
store-local, as the trend's are.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from hub.models import Measure
from hub.queries import measure_links as q
from hub.queries.analytics import month_start, week_start
from hub.services import measures
from hub.services.analytics import Period
from shared.errors import NotFound


@dataclass(frozen=True)
class Overlay:
    measure: Measure
    values: list[float | None]  # one per trend bucket, None: no value held

    @property
    def summed(self) -> bool:
        """A count: a day's values are added up (else averaged)."""
        return self.measure.kind == "count"


def scope_measures(store_ids: Collection[int] | None) -> list[Measure]:
    """The measures with any value in the stores, by name."""
    held = q.measures_with_values(store_ids)
    return [m for m in measures.measures() if m.id in held]


def chosen_measure(store_ids: Collection[int] | None, code: str) -> Measure:
    """One of the stores' measures; NotFound for a code they hold no values of."""
    found = next((m for m in scope_measures(store_ids) if m.code == code), None)
    if found is None:
        raise NotFound("unknown_measure", f"there is no measure {code!r} with values here")
    return found


def daily(measure: Measure, store_ids: Collection[int] | None, period: Period) -> dict[date, float]:
    """The measure's value per store-local day over the stores."""
    sums = q.day_values(measure.id, store_ids, period.start, period.end)
    if measure.kind == "count":
        return {day: total for day, (total, n) in sorted(sums.items())}
    return {day: total / n for day, (total, n) in sorted(sums.items()) if n}


def _bucket(day: date, grain: str) -> date:
    if grain == "week":
        return week_start(day)
    if grain == "month":
        return month_start(day)
    return day


def overlay(
    measure: Measure, store_ids: Collection[int] | None, period: Period, grain: str, starts: Sequence[date]
) -> Overlay:
    """The measure's value per trend bucket (``starts``: the trend's bucket starts)."""
    per_bucket: dict[date, list[float]] = {}
    for day, value in daily(measure, store_ids, period).items():
        per_bucket.setdefault(_bucket(day, grain), []).append(value)
    values = [sum(found) / len(found) if found else None for found in (per_bucket.get(s, []) for s in starts)]
    return Overlay(measure, values)
