"""Customer weather: today's smiley index and count against the same weekday of the weeks
before (the count up to the same hour, so a morning is not held against a whole day), the
last hour (this clock hour so far and the one before), the weather, the latest comments and
the targets. Days and hours are store-local; for several stores, those of their most common
time zone. Figures come from the rollups (hub/queries/scores.py).

The weather, on today's smiley index (-100..100), once at least MIN_ANSWERS answered:
sunny >= 50 > cloudy >= 0 > rain >= -50 > storm. Below MIN_ANSWERS the screen shows neither the
weather nor today's index (a few answers say little), only how many there are so far.

Beside it, today's operational measures so far (hub/services/measures.py) where the stores have
any: a count or a duration summed over the day's hours up to now and over the stores, an hourly
level (open tills) as each store's mean over the hours with a value, summed over the stores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.models import Measure, Region, Store, UserRegion
from hub.queries.comments import Comment
from hub.queries.measures import day_totals
from hub.queries.scores import hour_counts, score_counts
from hub.services import analytics, comment_browser, measures, targets
from hub.services.access import HQ_ROLES, Scope
from shared.errors import NotFound
from shared.scoring import Score, smiley_index

MIN_ANSWERS = 5
BASELINE_WEEKS = 4
LATEST_COMMENTS = 5
# (lowest index, weather, symbol), best first; below the last: storm
WEATHER = ((50.0, "sunny", "\u2600"), (0.0, "cloudy", "\u2601"), (-50.0, "rain", "\U0001f327"))
STORM = ("storm", "\u26c8")


def weather_for(index: float | None, n: int) -> tuple[str, str]:
    """(name, symbol) of the weather for a smiley index over ``n`` answers."""
    if index is None or n < MIN_ANSWERS:
        return "no weather yet", "\u2026"
    for lowest, name, symbol in WEATHER:
        if index >= lowest:
            return name, symbol
    return STORM


@dataclass(frozen=True)
class TodayMeasure:
    measure: Measure
    value: float
    stores: int  # how many stores have a value today


def today_measures(store_ids: Collection[int] | None, today: date, hour: int) -> list[TodayMeasure]:
    """Every measure with a value today up to ``hour`` (store-local) in ``store_ids``, in the
    order of their codes."""
    per_store = day_totals(store_ids, today, hour)
    if not per_store:
        return []
    defined = {m.id: m for m in measures.measures()}
    totals: dict[int, list[float]] = {}
    for (measure_id, _), (total, n) in per_store.items():
        m = defined[measure_id]
        cell = totals.setdefault(measure_id, [0.0, 0])
        cell[0] += total / n if m.grain == "hour" and m.kind == "level" else total
        cell[1] += 1
    found = [TodayMeasure(defined[i], value, int(stores)) for i, (value, stores) in totals.items()]
    return sorted(found, key=lambda t: t.measure.code)


@dataclass(frozen=True)
class Weather:
    today: date
    hour: int  # the local clock hour now
    local: datetime  # the moment the screen was drawn, in its time zone
    now_score: Score
    baseline: Score  # the same weekday of the weeks before, whole days
    baseline_by_now: float  # answers per such day up to this hour
    last_hour: Score
    weather: tuple[str, str]
    comments: list[Comment]
    targets: dict[str, Any]
    measures: list[TodayMeasure]

    @property
    def enough(self) -> bool:
        """Enough answers today for the weather and the index."""
        return self.now_score.n >= MIN_ANSWERS

    @property
    def change(self) -> float | None:
        if self.now_score.value is None or self.baseline.value is None:
            return None
        return self.now_score.value - self.baseline.value


def screen_zone(stores: list[Store]) -> str:
    """The most common time zone of the stores (UTC for none)."""
    zones = Counter(s.time_zone for s in stores)
    return zones.most_common(1)[0][0] if zones else "UTC"


def scope_zone(scope: Scope) -> str:
    """The time zone a screen for every store of ``scope`` keeps its days and hours in."""
    return screen_zone(list(scope.restrict(Store.select(), Store.id)))


def region_in_scope(scope: Scope, region_id: int) -> tuple[Region, list[Store]]:
    """A region and its stores, for who sees the region: HQ every region, a regional manager
    the regions they are given; anyone else, and an unknown region: not found (nothing
    revealed)."""
    region = Region.get_or_none(Region.id == region_id)
    given = UserRegion.select().where((UserRegion.user == scope.user_id) & (UserRegion.region == region_id))
    if region is None or not (scope.role in HQ_ROLES or (scope.role == "regional_manager" and given.exists())):
        raise NotFound("not_found", "no such region")
    return region, list(scope.restrict(Store.select().where(Store.region == region.id), Store.id).order_by(Store.code))


def _merge(counts: Collection[dict[int, int]]) -> dict[int, int]:
    total: Counter = Counter()
    for c in counts:
        total.update(c)
    return dict(total)


def forecast(store_ids: Collection[int] | None, zone: str, at: datetime, place: dict[str, Any]) -> Weather:
    """The weather of ``store_ids`` (None: every store) at ``at``, days and hours in ``zone``;
    ``place`` names the store or region whose targets apply."""
    local = at.astimezone(ZoneInfo(zone))
    today, hour = local.date(), local.hour
    scales = analytics.survey_scales()
    question = scales.smiley or ""
    now_counts = score_counts(question, today, today, store_ids).get(None, {}) if scales.smiley else {}
    first = today - timedelta(weeks=BASELINE_WEEKS)
    days = score_counts(question, first, today - timedelta(days=1), store_ids, "day") if scales.smiley else {}
    same_weekday = [c for day, c in days.items() if day.weekday() == today.weekday()]
    hours_before = hour_counts(first, today - timedelta(days=1), store_ids)
    by_now = sum(sum(f.values()) for (wd, h), f in hours_before.items() if wd == today.weekday() and h <= hour)
    hours_today = hour_counts(today, today, store_ids)
    recent = [f for (_, h), f in hours_today.items() if h in (hour - 1, hour)]
    now_score = smiley_index(now_counts, scales.faces)
    return Weather(
        today=today,
        hour=hour,
        local=local,
        now_score=now_score,
        baseline=smiley_index(_merge(same_weekday), scales.faces),
        baseline_by_now=by_now / BASELINE_WEEKS,
        last_hour=smiley_index(_merge(recent), scales.faces),
        weather=weather_for(now_score.value, now_score.n),
        comments=comment_browser.latest(store_ids, scales.smiley, LATEST_COMMENTS),
        targets=targets.applicable_all(kpis=("smiley_index", "volume"), **place),
        measures=today_measures(store_ids, today, hour),
    )
