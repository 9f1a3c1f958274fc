"""Did it work? An action's goal figure before and after it came into effect, in the stores it
applies to, against comparable stores without it: a difference in differences, honestly
sized.

The figure. Every goal figure is a mean of one score per answer, so one method fits all:
the smiley index (each face's weight, -100..100), NPS (+100 a promoter, -100 a detractor, 0 a
passive), CSAT (100 for 4-5, else 0), and a reason's share (100 for a response naming it, 0
for one that does not, over the responses with a face). Daily counts per store come from the
rollups (hub/queries/actions.py), never from raw responses.

The periods. ``PRE_DAYS`` store-local days before ``effect_from`` (the before), and from
``effect_from`` to yesterday, at most ``POST_MAX_DAYS`` (the after). Both end on whole days.

The comparison. Stores outside the action's scope, with answers on both sides, and not under
another action in effect on the same figure. Where there are at least ``2 x`` as many as
needed, the ``max(MATCHED, 3 x treated)`` whose pre-period trend (the slope of their daily
figure, weighted by answers) is closest to the treated stores' mean slope; otherwise all.

The estimate. Each store's change is ``after - before`` of its period means. The effect is
the treated stores' mean change minus the comparison stores' mean change. Its variance adds,
for every store, the sampling variance of its two means (from its counts) and ``tau^2``, how
much more the comparison stores' changes differ than their counts explain (good and bad
weeks, staff, weather: estimated from the comparison stores, never below zero). The 95 %
interval uses Student's t with (comparison stores - 1) degrees of freedom.

The verdict, in words: ``clear`` when the interval lies wholly on the better side of zero
(``goal_direction``), ``negative`` when it lies wholly on the worse side, ``unclear`` when it
covers zero. ``pending`` until the after has ``MIN_POST_DAYS`` days and both sides of the
treated stores ``MIN_ANSWERS`` answers (with how many more days that should take at the
before's pace); ``not_measurable`` when there is no comparison to be had (an action for every
store, or fewer than ``MIN_CONTROLS`` comparable stores). A one-sided error rate of 2.5 % per
look: bench/action_effects.py measures how often a null action is called clear, and how often
planted improvements are, after two and four weeks (docs/performance.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hub.models import Action, Store
from hub.queries import actions as q
from hub.services.access import Scope
from hub.services.actions import Progress, list_actions, local_today, names_of, reason_question, stores_of
from hub.services.analytics import survey_scales
from shared.scoring import DETRACTOR_MAX, PROMOTER_MIN, smiley_weight

PRE_DAYS = 28
POST_MAX_DAYS = 56
MIN_POST_DAYS = 14
MIN_ANSWERS = 200
MIN_STORE_ANSWERS = 20  # a comparison store needs this many on each side
MIN_CONTROLS = 4
MATCHED = 8

# Student's t, two-sided 95 %, by degrees of freedom; beyond 30 a series expansion
_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)

Scores = Mapping[float, int]  # a score per answer -> answers
Series = Mapping[int, Mapping[date, Scores]]  # store -> day -> scores


def t975(df: int) -> float:
    if df < 1:
        raise ValueError("at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class Mean:
    value: float
    variance: float  # of the mean
    n: int


def mean_of(counts: Scores) -> Mean | None:
    n = sum(counts.values())
    if n < 2:
        return None
    mu = sum(s * c for s, c in counts.items()) / n
    var = sum(c * (s - mu) ** 2 for s, c in counts.items()) / (n - 1)
    return Mean(mu, var / n, n)


def pooled(days: Mapping[date, Scores], start: date, end: date) -> dict[float, int]:
    total: dict[float, int] = {}
    for day, counts in days.items():
        if start <= day <= end:
            for score, n in counts.items():
                total[score] = total.get(score, 0) + n
    return total


def slope(days: Mapping[date, Scores], start: date, end: date) -> float | None:
    """The daily figure's trend over [start, end], points a day, weighted by answers."""
    points = [
        (float((day - start).days), m.value, m.n)
        for day, c in days.items()
        if start <= day <= end and (m := mean_of(c)) is not None
    ]
    weight = sum(w for *_, w in points)
    if len(points) < 3 or weight == 0:
        return None
    mx = sum(x * w for x, _, w in points) / weight
    my = sum(y * w for _, y, w in points) / weight
    sxx = sum(w * (x - mx) ** 2 for x, _, w in points)
    return sum(w * (x - mx) * (y - my) for x, y, w in points) / sxx if sxx else None


@dataclass(frozen=True)
class StoreChange:
    store_id: int
    before: Mean
    after: Mean

    @property
    def change(self) -> float:
        return self.after.value - self.before.value

    @property
    def variance(self) -> float:
        return self.after.variance + self.before.variance


@dataclass(frozen=True)
class Effect:
    verdict: str  # clear | unclear | negative | pending | not_measurable
    words: str
    effect_from: date | None
    before: tuple[date, date] | None = None
    after: tuple[date, date] | None = None
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    treated: tuple[StoreChange, ...] = ()
    controls: tuple[StoreChange, ...] = ()
    days_needed: int | None = None
    matched: bool = False
    direction: str = "up"
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def n_treated(self) -> tuple[int, int]:
        return (sum(s.before.n for s in self.treated), sum(s.after.n for s in self.treated))

    @property
    def n_controls(self) -> tuple[int, int]:
        return (sum(s.before.n for s in self.controls), sum(s.after.n for s in self.controls))

    def as_dict(self) -> dict[str, object]:
        def span(pair: tuple[date, date] | None) -> dict[str, str] | None:
            return {"start": pair[0].isoformat(), "end": pair[1].isoformat()} if pair else None

        def side(stores: Sequence[StoreChange]) -> dict[str, object]:
            return {
                "stores": len(stores),
                "answers_before": sum(s.before.n for s in stores),
                "answers_after": sum(s.after.n for s in stores),
                "change": _round(sum(s.change for s in stores) / len(stores)) if stores else None,
            }

        return {
            "verdict": self.verdict,
            "words": self.words,
            "effect_from": self.effect_from.isoformat() if self.effect_from else None,
            "before": span(self.before),
            "after": span(self.after),
            "estimate": _round(self.estimate),
            "low": _round(self.low),
            "high": _round(self.high),
            "better": self.direction,
            "treated": side(self.treated),
            "comparison": {**side(self.controls), "matched_on_trend": self.matched},
            "days_needed": self.days_needed,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _changes(
    series: Series, stores: Collection[int], before: tuple[date, date], after: tuple[date, date], least: int
) -> list[StoreChange]:
    found = []
    for store in sorted(stores):
        days = series.get(store, {})
        b, a = mean_of(pooled(days, *before)), mean_of(pooled(days, *after))
        if b is not None and a is not None and b.n >= least and a.n >= least:
            found.append(StoreChange(store, b, a))
    return found


def _match(
    series: Series, treated: Sequence[StoreChange], candidates: list[StoreChange], before: tuple[date, date]
) -> tuple[list[StoreChange], bool]:
    """The comparison stores whose before-trend is closest to the treated stores' (when there
    are enough to choose from), else all of them."""
    wanted = max(MATCHED, 3 * len(treated))
    if len(candidates) < 2 * wanted:
        return candidates, False
    slopes = [s for t in treated if (s := slope(series.get(t.store_id, {}), *before)) is not None]
    if not slopes:
        return candidates, False
    target = sum(slopes) / len(slopes)
    scored = [
        (abs(s - target), c.store_id, c)
        for c in candidates
        if (s := slope(series.get(c.store_id, {}), *before)) is not None
    ]
    chosen = [c for *_, c in sorted(scored, key=lambda x: (x[0], x[1]))[:wanted]]
    return (chosen, True) if len(chosen) >= MIN_CONTROLS else (candidates, False)


def did(treated: Sequence[StoreChange], controls: Sequence[StoreChange]) -> tuple[float, float, float]:
    """The difference in differences with its 95 % interval (see the module docstring)."""
    nt, nc = len(treated), len(controls)
    mt = sum(s.change for s in treated) / nt
    mc = sum(s.change for s in controls) / nc
    spread = sum((s.change - mc) ** 2 for s in controls) / (nc - 1)
    tau2 = max(0.0, spread - sum(s.variance for s in controls) / nc)
    var = sum(s.variance + tau2 for s in treated) / nt**2 + sum(s.variance + tau2 for s in controls) / nc**2
    half = t975(nc - 1) * math.sqrt(var)
    estimate = mt - mc
    return estimate, estimate - half, estimate + half


def measure(
    series: Series,
    treated_ids: Collection[int],
    effect_from: date | None,
    today: date,
    *,
    direction: str = "up",
    excluded: Collection[int] = (),
    unit: str = "points",
) -> Effect:
    """The effect of an action in ``treated_ids`` from ``effect_from`` on, as of ``today``
    (store-local; today itself is not yet complete). ``series`` holds every store's days."""
    if effect_from is None:
        return Effect("pending", "Not in effect yet: set the day it started to measure its effect.", None)
    before = (effect_from - timedelta(days=PRE_DAYS), effect_from - timedelta(days=1))
    last = min(today - timedelta(days=1), effect_from + timedelta(days=POST_MAX_DAYS - 1))
    after = (effect_from, last)
    post_days = (last - effect_from).days + 1
    if post_days < 1:
        return Effect(
            "pending",
            f"In effect from {effect_from.isoformat()}; the first day is not over yet.",
            effect_from,
            before,
            None,
            days_needed=MIN_POST_DAYS,
        )
    treated = _changes(series, treated_ids, before, after, 1)
    n_before = sum(s.before.n for s in treated)
    n_after = sum(s.after.n for s in treated)
    if post_days < MIN_POST_DAYS or n_before < MIN_ANSWERS or n_after < MIN_ANSWERS:
        return _pending(series, treated_ids, before, after, post_days, direction)
    pool = set(series) - set(treated_ids) - set(excluded)
    candidates = _changes(series, pool, before, after, MIN_STORE_ANSWERS)
    if len(candidates) < MIN_CONTROLS:
        words = (
            f"Not measurable: {len(candidates)} comparable store(s) without the action had answers before and "
            f"after; at least {MIN_CONTROLS} are needed to tell its effect from what changed everywhere."
        )
        return Effect(
            "not_measurable",
            words,
            effect_from,
            before,
            after,
            treated=tuple(treated),
            direction=direction,
            extra={"comparable": len(candidates)},
        )
    controls, matched = _match(series, treated, candidates, before)
    estimate, low, high = did(treated, controls)
    better = low > 0 if direction == "up" else high < 0
    worse = high < 0 if direction == "up" else low > 0
    verdict = "clear" if better else "negative" if worse else "unclear"
    effect = Effect(
        verdict,
        "",
        effect_from,
        before,
        after,
        estimate,
        low,
        high,
        tuple(treated),
        tuple(controls),
        matched=matched,
        direction=direction,
    )
    return _with_words(effect, unit)


def _pending(
    series: Series,
    treated_ids: Collection[int],
    before: tuple[date, date],
    after: tuple[date, date],
    post_days: int,
    direction: str,
) -> Effect:
    n_before = sum(sum(pooled(series.get(s, {}), *before).values()) for s in treated_ids)
    n_after = sum(sum(pooled(series.get(s, {}), *after).values()) for s in treated_ids)
    pace = n_before / PRE_DAYS
    if n_before < MIN_ANSWERS:
        return Effect(
            "pending",
            f"Too few answers before the action ({n_before} in the {PRE_DAYS} days up to "
            f"{before[1].isoformat()}, {MIN_ANSWERS} needed): its effect cannot be measured.",
            after[0],
            before,
            after,
            days_needed=None,
            direction=direction,
            extra={"answers_before": n_before},
        )
    needed = MIN_POST_DAYS - post_days
    if n_after < MIN_ANSWERS:
        needed = max(needed, math.ceil((MIN_ANSWERS - n_after) / pace) if pace > 0 else 9999)
    needed = max(needed, 1)
    words = (
        f"Too early to tell: {post_days} day(s) and {n_after} answers since {after[0].isoformat()}; "
        f"about {needed} more day(s) needed (at least {MIN_POST_DAYS} days and {MIN_ANSWERS} answers)."
    )
    seen = {"answers_before": n_before, "answers_after": n_after, "post_days": post_days}
    return Effect("pending", words, after[0], before, after, days_needed=needed, direction=direction, extra=seen)


def _with_words(effect: Effect, unit: str) -> Effect:
    assert effect.estimate is not None and effect.before and effect.after
    b, a = effect.before, effect.after
    nt_b, nt_a = effect.n_treated
    nc_b, nc_a = effect.n_controls
    head = {
        "clear": "A clear improvement",
        "negative": "A clear change for the worse",
        "unclear": "No clear change",
    }[effect.verdict]
    words = (
        f"{head}: {effect.estimate:+.1f} {unit} against comparable stores "
        f"(95 % interval {effect.low:+.1f} to {effect.high:+.1f}). "
        f"{len(effect.treated)} store(s) with the action, {nt_b} answers from {b[0].isoformat()} to "
        f"{b[1].isoformat()} and {nt_a} from {a[0].isoformat()} to {a[1].isoformat()}; "
        f"{len(effect.controls)} comparison stores{' matched on their trend before' if effect.matched else ''}, "
        f"{nc_b} and {nc_a} answers."
    )
    if effect.verdict == "unclear":
        words += " The interval covers zero: the action may have helped, done nothing or harmed."
    return Effect(**{**effect.__dict__, "words": words})


# --- the figures of an action ----------------------------------------------------------------


def score_of(kpi: str, faces: int) -> Callable[[int], float]:
    """The score of one answer value for a KPI (see the module docstring)."""
    if kpi == "smiley_index":
        return lambda v: smiley_weight(v, faces)
    if kpi == "nps":
        return lambda v: 100.0 if v >= PROMOTER_MIN else -100.0 if v <= DETRACTOR_MAX else 0.0
    if kpi == "csat":
        return lambda v: 100.0 if v >= 4 else 0.0
    raise ValueError(f"no score for {kpi!r}")


def read_series(
    kpi: str, reason: str | None, start: date, end: date, store_ids: Collection[int] | None
) -> dict[int, dict[date, dict[float, int]]]:
    """Every store's days from ``start`` to ``end`` as {store: {day: {score: answers}}}."""
    scales = survey_scales()
    series: dict[int, dict[date, dict[float, int]]] = {}
    if kpi == "reason_share":
        question = reason_question(reason or "")
        if scales.smiley is None or question is None:
            return {}
        totals = q.store_day_scores(scales.smiley, start, end, store_ids)
        named = q.store_day_reason(question, reason or "", start, end, store_ids)
        for (store, day), counts in totals.items():
            n = sum(counts.values())
            hits = min(named.get((store, day), 0), n)
            series.setdefault(store, {})[day] = {100.0: hits, 0.0: n - hits}
        return series
    question = {"smiley_index": scales.smiley, "nps": scales.nps, "csat": scales.csat}[kpi]
    if question is None:
        return {}
    score = score_of(kpi, scales.faces)
    for (store, day), counts in q.store_day_scores(question, start, end, store_ids).items():
        scored: dict[float, int] = {}
        for value, n in counts.items():
            try:
                s = score(value)
            except ValueError:
                continue
            scored[s] = scored.get(s, 0) + n
        series.setdefault(store, {})[day] = scored
    return series


def _busy(action: Action) -> set[int]:
    """Stores under another action in effect on the same figure: no fair comparison."""
    others = Action.select().where(
        (Action.id != action.id)
        & Action.effect_from.is_null(False)
        & (Action.state != "dropped")
        & (Action.kpi == action.kpi)
        & ((Action.reason == action.reason) if action.reason else Action.reason.is_null())
    )
    return {s for other in others for s in stores_of(other)}


UNITS = {"smiley_index": "index points", "nps": "NPS points", "csat": "CSAT points", "reason_share": "% points"}


def _window(action: Action, today: date) -> tuple[date, date]:
    """The days an action's effect reads: its before and its after so far."""
    assert action.effect_from is not None
    start = action.effect_from - timedelta(days=PRE_DAYS)
    end = min(today - timedelta(days=1), action.effect_from + timedelta(days=POST_MAX_DAYS - 1))
    return start, max(end, start)


def effect_of(action: Action, now: datetime, series: Series | None = None) -> Effect:
    """The effect of ``action`` measured as of ``now`` (its stores' local day); ``series``:
    every store's days of its figure over at least its window, when read already."""
    today = local_today(action, now)
    treated = stores_of(action)
    if action.effect_from is None:
        return measure({}, treated, None, today, direction=action.goal_direction)
    if action.scope_key == "all":
        return Effect(
            "not_measurable",
            "Not measurable: an action for every store leaves no store to compare "
            "with; the trend below shows the figure before and after.",
            action.effect_from,
            direction=action.goal_direction,
        )
    if series is None:
        series = read_series(action.kpi, action.reason, *_window(action, today), None)
    return measure(
        series,
        treated,
        action.effect_from,
        today,
        direction=action.goal_direction,
        excluded=_busy(action),
        unit=UNITS[action.kpi],
    )


def effects_of(found: Sequence[Action], now: datetime, limit: int = 100) -> dict[int, Effect]:
    """The effects of the actions in effect among ``found`` (the first ``limit``), for lists:
    the days of each goal figure are read once for all the actions measured on it."""
    live = [a for a in found if a.effect_from is not None and a.state != "dropped"][:limit]
    by_figure: dict[tuple[str, str | None], list[Action]] = {}
    for action in live:
        if action.scope_key != "all":
            by_figure.setdefault((action.kpi, action.reason), []).append(action)
    effects = {}
    for (kpi, reason), actions in by_figure.items():
        windows = [_window(a, local_today(a, now)) for a in actions]
        series = read_series(kpi, reason, min(w[0] for w in windows), max(w[1] for w in windows), None)
        effects.update({a.id: effect_of(a, now, series) for a in actions})
    return {a.id: effects[a.id] if a.id in effects else effect_of(a, now) for a in live}


# --- the trend the action's page draws -------------------------------------------------------


@dataclass(frozen=True)
class Week:
    start: date
    treated: Mean | None
    comparison: Mean | None


def weekly_trend(action: Action, effect: Effect, now: datetime, weeks_before: int = 8) -> list[Week]:
    """The figure per week (weeks starting on the effect's weekday) for the action's stores
    and its comparison stores, from ``weeks_before`` weeks before the start to yesterday."""
    if action.effect_from is None:
        return []
    today = local_today(action, now)
    first = action.effect_from - timedelta(days=7 * weeks_before)
    last = min(today - timedelta(days=1), action.effect_from + timedelta(days=POST_MAX_DAYS - 1))
    if last < first:
        return []
    treated = stores_of(action)
    controls = [s.store_id for s in effect.controls]
    series = read_series(action.kpi, action.reason, first, last, sorted(set(treated) | set(controls)))
    weeks = []
    day = first
    while day <= last:
        end = min(day + timedelta(days=6), last)
        weeks.append(Week(day, _group(series, treated, day, end), _group(series, controls, day, end)))
        day += timedelta(days=7)
    return weeks


def _group(series: Series, stores: Collection[int], start: date, end: date) -> Mean | None:
    total: dict[float, int] = {}
    for store in stores:
        for score, n in pooled(series.get(store, {}), start, end).items():
            total[score] = total.get(score, 0) + n
    return mean_of(total)


def store_codes(ids: Collection[int]) -> dict[int, str]:
    return dict(Store.select(Store.id, Store.code).where(Store.id.in_(sorted(ids) or [-1])).tuples())


# --- the export ------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "id",
    "title",
    "state",
    "kpi",
    "reason",
    "better",
    "scope",
    "scope_label",
    "project",
    "owner",
    "due_on",
    "overdue",
    "tasks",
    "tasks_done",
    "effect_from",
    "effect",
    "estimate",
    "low",
    "high",
    "before_start",
    "before_end",
    "after_start",
    "after_end",
    "answers_before",
    "answers_after",
    "comparison_stores",
    "days_needed",
)


def export_rows(scope: Scope, now: datetime, *, store_id: int | None = None) -> list[dict[str, object]]:
    """Every action in scope (of one store) with its progress and its effect as measured at
    ``now`` (the CSV of the pages and of the API)."""
    rows = list_actions(scope, state="all", store_id=store_id, today=now.date())
    names = names_of(r.action.owner_id for r in rows)
    effects = effects_of([r.action for r in rows], now, limit=len(rows))
    return [_export_row(row, names, effects.get(row.action.id) or effect_of(row.action, now)) for row in rows]


def _export_row(row: Progress, names: Mapping[int, str], effect: Effect) -> dict[str, object]:
    a = row.action
    return {
        "id": a.id,
        "title": a.title,
        "state": a.state,
        "kpi": a.kpi,
        "reason": a.reason,
        "better": a.goal_direction,
        "scope": a.scope_key,
        "scope_label": row.scope_label,
        "project": a.project_id,
        "owner": names.get(a.owner_id),
        "due_on": a.due_on,
        "overdue": "yes" if row.overdue else "",
        "tasks": row.tasks,
        "tasks_done": row.tasks_done,
        "effect_from": a.effect_from,
        "effect": effect.verdict,
        "estimate": _round(effect.estimate),
        "low": _round(effect.low),
        "high": _round(effect.high),
        "before_start": effect.before[0] if effect.before else None,
        "before_end": effect.before[1] if effect.before else None,
        "after_start": effect.after[0] if effect.after else None,
        "after_end": effect.after[1] if effect.after else None,
        "answers_before": effect.n_treated[0],
        "answers_after": effect.n_treated[1],
        "comparison_stores": len(effect.controls),
        "days_needed": effect.days_needed,
    }
