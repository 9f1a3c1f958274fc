"""The dashboards' figures: overview, trend and rankings for the stores a person may see.

Counts come from the rollups (hub/queries/scores.py: score_daily, whose every-store rows make
HQ's figures cheap; hub/queries/analytics.py: rollup_daily, per touchpoint); every score, its n
and its 95 % interval come from shared/scoring, so the hub and the terminal never disagree on
math.

- Overview: smiley index (faces from the survey definition), CSAT when the survey asks it,
  NPS and volume for a period, each against the period before (the same number of days).
- Trend: smiley index and NPS per day, week or month, each with its n and interval.
- Rankings: stores, regions or touchpoints by smiley index. Fewer than ``SMALL_SAMPLE`` responses
  are too few to rank: they are listed after the ranked ones, marked, without a rank.

Responses flagged suspect (hammered buttons, answers faster than a person reads, bursts from
one client) are left out of every figure; ``with_suspect=True`` adds them back, and the
overview says how many there are either way.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hub.i18n import lazy_gettext
from hub.models import Store, Touchpoint
from hub.queries import analytics as q
from hub.queries.catalog import current_definition, store_names, store_regions
from hub.queries.scores import ALL_VALUES, ONE_TO_FIVE, score_counts, suspect_total
from hub.services.access import Scope
from shared.errors import NotFound
from shared.protocol import SurveyDefinition
from shared.scoring import EMPTY, Score, csat, nps, smiley_index

SMALL_SAMPLE = 30
DEFAULT_DAYS = 28
MAX_DAYS = 400
GRAINS = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    """An inclusive range of store-local days."""

    start: date
    end: date

    @classmethod
    def ending(cls, last_day: date, days: int = DEFAULT_DAYS) -> Period:
        return cls(last_day - timedelta(days=days - 1), last_day)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period.ending(self.start - timedelta(days=1), self.days)


@dataclass(frozen=True)
class Scales:
    """Which questions of the survey the scores read: ids, and the smiley's number of faces."""

    smiley: str | None
    faces: int
    csat: str | None
    nps: str | None

    def values(self, question: str) -> range:
        """The answer values ``question`` takes (the rollup columns its counts are read from)."""
        return ONE_TO_FIVE if question in (self.smiley, self.csat) else ALL_VALUES


def survey_scales(survey_key: str = "exit") -> Scales:
    """The scored questions of the survey's current version (the first of each kind)."""
    return _scales(current_survey_text(survey_key))


def current_survey_text(survey_key: str) -> str:
    """The JSON text of the survey's current version (NotFound: no such survey)."""
    definition = current_definition(survey_key)
    if definition is None:
        raise NotFound("not_found", f"survey {survey_key!r} does not exist")
    return definition


@functools.lru_cache(maxsize=32)
def parsed_definition(definition_text: str) -> SurveyDefinition:
    """A definition's JSON text parsed, once per text: every page asks, a version's text never
    changes, and a new version's is a new key."""
    return SurveyDefinition.from_dict(json.loads(definition_text))


@functools.lru_cache(maxsize=32)
def _scales(definition_text: str) -> Scales:
    definition = parsed_definition(definition_text)
    first = {
        kind: next((x for x in definition.questions if x.kind == kind), None) for kind in ("smiley", "csat", "nps")
    }
    smiley = first["smiley"]
    return Scales(
        smiley=smiley.id if smiley else None,
        faces=smiley.faces if smiley else 5,
        csat=first["csat"].id if first["csat"] else None,
        nps=first["nps"].id if first["nps"] else None,
    )


def numeric(counts: Mapping[str, int]) -> dict[int, int]:
    """Rollup counts (text values) as the integer counts shared/scoring takes."""
    return {int(value): n for value, n in counts.items() if value.lstrip("-").isdigit()}


def volume(counts: Mapping[Any, int]) -> Score:
    """How many answered: a count, so its value is its n and it has no interval."""
    n = sum(counts.values())
    return Score(float(n), n, None, None) if n else EMPTY


# --- overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str  # smiley_index, csat, nps, volume
    label: str
    current: Score
    previous: Score

    @property
    def change(self) -> float | None:
        if self.current.value is None or self.previous.value is None:
            return None
        return self.current.value - self.previous.value


@dataclass(frozen=True)
class Overview:
    period: Period
    previous: Period
    figures: list[Figure]
    suspect: int = 0  # suspect responses in the period (their smiley answers)
    with_suspect: bool = False  # ... counted in the figures (else left out)

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)


def _total(
    question: str | None, period: Period, store_ids: Collection[int] | None, scales: Scales, with_suspect: bool
) -> dict[int, int]:
    if question is None:
        return {}
    scale = scales.values(question)
    found = score_counts(question, period.start, period.end, store_ids, with_suspect=with_suspect, scale=scale)
    return found.get(None, {})


def suspect_responses(store_ids: Collection[int] | None, period: Period, scales: Scales) -> int:
    """How many suspect responses the period holds (the smiley is every response's first answer)."""
    return suspect_total(scales.smiley, period.start, period.end, store_ids) if scales.smiley else 0


def overview(
    store_ids: Collection[int] | None, period: Period, scales: Scales, *, with_suspect: bool = False
) -> Overview:
    """The headline figures of ``store_ids`` (None: all) for ``period`` and the period before."""
    before = period.previous()
    keys = [key for key in (scales.smiley, scales.csat, scales.nps) if key]
    now_counts = {key: _total(key, period, store_ids, scales, with_suspect) for key in keys}
    then_counts = {key: _total(key, before, store_ids, scales, with_suspect) for key in now_counts}
    figures = []
    if scales.smiley:
        s_now, s_then = now_counts[scales.smiley], then_counts[scales.smiley]
        figures.append(
            Figure(
                "smiley_index",
                lazy_gettext("Smiley index"),
                smiley_index(s_now, scales.faces),
                smiley_index(s_then, scales.faces),
            )
        )
    if scales.csat:
        figures.append(Figure("csat", "CSAT", csat(now_counts[scales.csat]), csat(then_counts[scales.csat])))
    if scales.nps:
        figures.append(Figure("nps", "NPS", nps(now_counts[scales.nps]), nps(then_counts[scales.nps])))
    if scales.smiley:  # the smiley is the required first question: its answers count the responses
        figures.append(
            Figure(
                "volume",
                lazy_gettext("Responses"),
                volume(now_counts[scales.smiley]),
                volume(then_counts[scales.smiley]),
            )
        )
    return Overview(period, before, figures, suspect_responses(store_ids, period, scales), with_suspect)


# --- trend ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    start: date  # the day, the Monday of the week or the first of the month
    smiley: Score
    nps: Score


def buckets(period: Period, grain: str) -> list[date]:
    """Every day, week (Monday) or month (the first) that overlaps the period, in order."""
    if grain == "day":
        return [period.start + timedelta(days=i) for i in range(period.days)]
    first = q.week_start(period.start) if grain == "week" else q.month_start(period.start)
    found = []
    current = first
    while current <= period.end:
        found.append(current)
        if grain == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def trend(
    store_ids: Collection[int] | None,
    period: Period,
    scales: Scales,
    grain: str = "day",
    *,
    with_suspect: bool = False,
) -> list[TrendPoint]:
    """Smiley index and NPS per bucket; buckets without answers carry empty scores."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")

    def counts(question: str | None) -> dict[Any, dict[int, int]]:
        if question is None:
            return {}
        return score_counts(
            question,
            period.start,
            period.end,
            store_ids,
            grain,  # type: ignore[arg-type]
            with_suspect=with_suspect,
            scale=scales.values(question),
        )

    smileys, promoters = counts(scales.smiley), counts(scales.nps)
    return [
        TrendPoint(start, smiley_index(smileys.get(start, {}), scales.faces), nps(promoters.get(start, {})))
        for start in buckets(period, grain)
    ]


# --- rankings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    id: int
    code: str
    name: str
    score: Score
    nps: Score
    rank: int | None  # None: too few responses to rank
    store_code: str = ""

    @property
    def small_sample(self) -> bool:
        return self.rank is None


@dataclass
class Ranking:
    ranked: list[Ranked] = field(default_factory=list)
    small: list[Ranked] = field(default_factory=list)

    @property
    def rows(self) -> list[Ranked]:
        return self.ranked + self.small


def _rank(rows: list[Ranked]) -> Ranking:
    """Rank by smiley index (ties: more responses first); too small samples after, unranked."""
    big = sorted((r for r in rows if r.score.n >= SMALL_SAMPLE), key=lambda r: (-r.score.value, -r.score.n, r.code))
    small = sorted((r for r in rows if r.score.n < SMALL_SAMPLE), key=lambda r: (-r.score.n, r.code))
    ranked = [Ranked(r.id, r.code, r.name, r.score, r.nps, i, r.store_code) for i, r in enumerate(big, 1)]
    return Ranking(ranked=ranked, small=small)


@dataclass(frozen=True)
class StoreCounts:
    """Each store's answer counts (value -> answers) of a period: the smiley and the NPS
    question. The store ranking and the region ranking of one page both rank them, so a page
    reads them once (``store_counts``) and hands them to both."""

    smiley: Mapping[int, Mapping[int, int]]
    nps: Mapping[int, Mapping[int, int]]


def store_counts(scope: Scope, period: Period, scales: Scales, *, with_suspect: bool = False) -> StoreCounts:
    def per(question: str | None) -> dict[int, dict[int, int]]:
        if question is None:
            return {}
        return score_counts(
            question,
            period.start,
            period.end,
            scope.store_ids,
            "store",
            with_suspect=with_suspect,
            scale=scales.values(question),
        )

    return StoreCounts(per(scales.smiley), per(scales.nps))


def _touchpoint_scores(
    store_ids: Collection[int] | None, period: Period, scales: Scales, with_suspect: bool
) -> tuple[dict[int, Score], dict[int, Score]]:
    """Each touchpoint's smiley index and NPS, over the touchpoints of ``store_ids``."""

    def per(question: str | None) -> dict[int, dict[int, int]]:
        if question is None:
            return {}
        found = q.value_counts(question, period.start, period.end, store_ids, "touchpoint", with_suspect=with_suspect)
        return {k: numeric(v) for k, v in found.items()}

    smileys, promoters = per(scales.smiley), per(scales.nps)
    return (
        {k: smiley_index(v, scales.faces) for k, v in smileys.items()},
        {k: nps(v) for k, v in promoters.items()},
    )


def rank_stores(
    scope: Scope, period: Period, scales: Scales, *, with_suspect: bool = False, counts: StoreCounts | None = None
) -> Ranking:
    """Every store in scope by smiley index; stores with few (or no) responses after them.
    ``counts``: the period's ``store_counts`` when the caller has read them already."""
    stores = store_names(scope.store_ids)
    counts = counts or store_counts(scope, period, scales, with_suspect=with_suspect)
    smileys = {k: smiley_index(v, scales.faces) for k, v in counts.smiley.items()}
    promoters = {k: nps(v) for k, v in counts.nps.items()}
    return _rank(
        [
            Ranked(store_id, code, name, smileys.get(store_id, EMPTY), promoters.get(store_id, EMPTY), None, code)
            for store_id, code, name in stores
        ]
    )


def rank_regions(
    scope: Scope, period: Period, scales: Scales, *, with_suspect: bool = False, counts: StoreCounts | None = None
) -> Ranking:
    """The regions of the stores in scope by smiley index, each over its stores in scope (a
    regional manager's region counts only the stores they see); stores without a region
    gather under "No region" (id 0). ``counts`` as for ``rank_stores``."""
    stores = store_regions(scope.store_ids)
    region_of = {store_id: region_id or 0 for store_id, region_id, _ in stores}
    names = {region_id: name for _, region_id, name in stores if region_id is not None}
    names[0] = str(lazy_gettext("No region"))
    counts = counts or store_counts(scope, period, scales, with_suspect=with_suspect)
    smileys: dict[int, dict[int, int]] = defaultdict(dict)
    promoters: dict[int, dict[int, int]] = defaultdict(dict)
    for found, into in ((counts.smiley, smileys), (counts.nps, promoters)):
        for store_id, per_value in found.items():
            if store_id in region_of:
                region = into[region_of[store_id]]
                for value, count in per_value.items():
                    region[value] = region.get(value, 0) + count
    return _rank(
        [
            Ranked(
                region,
                str(region),
                names[region],
                smiley_index(smileys[region], scales.faces) if smileys[region] else EMPTY,
                nps(promoters[region]) if promoters[region] else EMPTY,
                None,
            )
            for region in sorted(set(region_of.values()))
        ]
    )


def rank_touchpoints(
    scope: Scope, store_ids: Collection[int] | None, period: Period, scales: Scales, *, with_suspect: bool = False
) -> Ranking:
    """The touchpoints of ``store_ids`` (None: all) within the scope, by smiley index."""
    query = Touchpoint.select(Touchpoint.id, Touchpoint.code, Touchpoint.name, Store.code.alias("store_code")).join(
        Store
    )
    query = scope.restrict(query, Touchpoint.store)
    if store_ids is not None:
        query = query.where(Touchpoint.store.in_(sorted(store_ids) or [-1]))
    if store_ids is None:
        wanted = scope.store_ids
    else:
        wanted = set(store_ids) if scope.store_ids is None else set(store_ids) & scope.store_ids
    smileys, promoters = _touchpoint_scores(wanted, period, scales, with_suspect)
    return _rank(
        [
            Ranked(t.id, t.code, t.name, smileys.get(t.id, EMPTY), promoters.get(t.id, EMPTY), None, t.store_code)
            for t in query.objects()
        ]
    )


def store_in_scope(scope: Scope, code: str) -> Store:
    """The store with this code, if the scope sees it; otherwise not found (nothing revealed)."""
    store = Store.get_or_none(Store.code == code)
    if store is None:
        raise NotFound("not_found", "no such store")
    scope.require_store(store.id)
    return store
