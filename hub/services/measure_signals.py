"""Signals on measures: the smiley index falls while a measure moves, both at once.

A rule (``measure_signal_rule``, set by HQ admins on /admin/measure-signals) names a measure
(hub/services/measures.py), a direction (``up`` or ``down``), how many points the index must
fall (``index_drop``) and by how many percent the measure must move (``measure_change``), the
answers each side needs at least (``min_answers``), and every store or one. "The index falls
by 5 points while queue minutes rise by 30 %" is ``queue_minutes``, up, 5, 30.

What is compared: for each store, its last ``WINDOW_DAYS`` complete store-local days (the
window, ending yesterday) against the ``BASELINE_DAYS`` before them (the baseline), read from
the rollups (score_daily: the survey's first smiley question) and the measure's daily values
(an hourly count or duration summed over the day, an hourly level averaged; the measure's
figure of a side is its mean per day over the days that have a value, so a missing day does
not look like a fall). The rule holds when

- both sides have at least ``min_answers`` answers and the measure has values on at least
  ``MIN_MEASURE_DAYS`` days of each side, and its baseline figure is above 0;
- the index of the window is at least ``index_drop`` points below the baseline's; and
- the measure's window figure is at least ``measure_change`` % above (``up``) or below
  (``down``) its baseline figure.

A rule of period ``today`` (an hourly measure) compares instead today so far, the store's
complete local hours, with the same hours of the same weekday in the 4 weeks before: the faces
of hour_daily, the measure's hours summed per day (a level averaged); it needs a value today
and on 2 of those days, and is checked every hour, so it fires in the hour both first hold.

Only both together raise a signal: a drop without the measure's change, or the change
without a drop, is not one. It is recorded once per rule, store and window (UNIQUE, so two
job processes record it once: the first announces it) and goes to the store's managers (the
people an alert reaches first) as an email in their language with both figures, their n and
the window, through the outbox. The hourly ``measure_signals`` job checks each store once per
local day; the signals page lists them beside the drops of the store's own baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.db import db_time, stored_time, write_transaction
from hub.models import Measure, MeasureSignal, MeasureSignalRule, Store
from hub.queries import measures as measure_queries
from hub.queries import scores
from hub.services.access import Scope
from hub.services.alerts.recipients import first_reachable
from hub.services.alerts.routing import alerts_state
from hub.services.alerts.rule_book import StoreFacts
from hub.services.analytics import survey_scales
from hub.services.measures import daily_values
from hub.services.outbox import queue
from hub.services.response_views import iso_utc
from hub.services.signals import WINDOW_DAYS as WINDOW_DAYS  # the window is the signals page's week
from hub.services.signals import Window
from shared.errors import NotFound, RequestError, VoxloopError
from shared.scoring import smiley_index

BASELINE_DAYS = 28
MIN_MEASURE_DAYS = 3
PERIODS = ("week", "today")
SAME_WEEKDAYS = 4  # "today" is compared with the same weekday of the 4 weeks before
# days with a value the measure needs (window, baseline) for each period
MIN_DAYS = {"week": (MIN_MEASURE_DAYS, MIN_MEASURE_DAYS), "today": (1, 2)}
DIRECTIONS = ("up", "down")
MAX_NAME = 100
LIMITS = {"index_drop": (0.5, 200.0), "measure_change": (1.0, 10_000.0), "min_answers": (1, 100_000)}


@dataclass(frozen=True)
class Figures:
    """Both sides of a store's comparison."""

    index_now: float | None
    index_before: float | None
    n_now: int
    n_before: int
    measure_now: float | None  # mean per day with a value
    measure_before: float | None
    days_now: int
    days_before: int

    @property
    def change(self) -> float | None:
        """The measure's change in % of its baseline figure."""
        if self.measure_now is None or not self.measure_before:
            return None
        return 100.0 * (self.measure_now - self.measure_before) / self.measure_before


def holds(rule: MeasureSignalRule, f: Figures) -> bool:
    """Whether the index fell and the measure moved as the rule asks (see the docstring)."""
    need_now, need_before = MIN_DAYS.get(rule.period, MIN_DAYS["week"])
    if min(f.n_now, f.n_before) < rule.min_answers or f.days_now < need_now or f.days_before < need_before:
        return False
    change = f.change
    if f.index_now is None or f.index_before is None or change is None or f.measure_before <= 0:
        return False
    moved = change >= rule.measure_change if rule.direction == "up" else change <= -rule.measure_change
    return f.index_before - f.index_now >= rule.index_drop and moved


def _index(counts: Mapping[int, int], faces: int) -> Any:
    """The smiley index of the faces on the survey's scale (a face beyond it, left by an
    earlier version of the survey, is not counted, as the signals job does)."""
    return smiley_index({face: n for face, n in counts.items() if 1 <= face <= faces and n > 0}, faces)


def _both(now_index: Any, before_index: Any, now_values: Mapping[date, float], before: Mapping[date, float]) -> Figures:
    """The figures of both sides from their index scores and the measure's daily values."""
    return Figures(
        index_now=now_index.value,
        index_before=before_index.value,
        n_now=now_index.n,
        n_before=before_index.n,
        measure_now=_mean(now_values),
        measure_before=_mean(before),
        days_now=len(now_values),
        days_before=len(before),
    )


def _mean(values: Mapping[date, float]) -> float | None:
    return sum(values.values()) / len(values) if values else None


def figures(
    measure: Measure,
    store_id: int,
    window: Window,
    now_counts: Mapping[int, int],
    before_counts: Mapping[int, int],
    faces: int,
) -> Figures:
    now_values = daily_values(measure, store_id, window.start, window.end)
    before_values = daily_values(measure, store_id, window.baseline_start, window.baseline_end)
    return _both(_index(now_counts, faces), _index(before_counts, faces), now_values, before_values)


def today_figures(measure: Measure, store_id: int, window: Window, hour: int, faces: int) -> Figures:
    """Today's hours before ``hour`` against the same hours of the same weekday in the weeks
    of the baseline: faces from hour_daily, the measure's hours summed per day (a level
    averaged)."""
    weekday = window.end.weekday()

    def faces_of(start: date, end: date) -> dict[int, int]:
        total: dict[int, int] = {}
        for (day_of_week, h), counts in scores.hour_counts(start, end, [store_id]).items():
            if day_of_week == weekday and h < hour:
                for face, n in counts.items():
                    total[face] = total.get(face, 0) + n
        return total

    def days_of(start: date, end: date) -> dict[date, float]:
        sums: dict[date, list[float]] = {}
        for (day, h), (total, n) in measure_queries.hour_sums(measure.id, [store_id], start, end).items():
            if day.weekday() == weekday and h < hour:
                cell = sums.setdefault(day, [0.0, 0])
                cell[0] += total
                cell[1] += n
        level = measure.kind == "level"
        return {day: total / n if level else total for day, (total, n) in sums.items()}

    return _both(
        _index(faces_of(window.start, window.end), faces),
        _index(faces_of(window.baseline_start, window.baseline_end), faces),
        days_of(window.start, window.end),
        days_of(window.baseline_start, window.baseline_end),
    )


def today_window(today: date) -> Window:
    """Today against the same weekday of the ``SAME_WEEKDAYS`` weeks before."""
    return Window(today, today, today - timedelta(days=7 * SAME_WEEKDAYS), today - timedelta(days=7))


# --- the job ----------------------------------------------------------------------------------


def check_measure_signals(now: datetime) -> list[int]:
    """Check every active rule for each of its stores on the window ending yesterday
    (store-local); record and announce what holds. Ids of the new signals. Run it hourly."""
    rules = list(
        MeasureSignalRule.select(MeasureSignalRule, Measure)
        .join(Measure, on=(MeasureSignalRule.measure == Measure.id))
        .where(MeasureSignalRule.active == True)  # noqa: E712
        .order_by(MeasureSignalRule.id)
    )
    if not rules:
        return []
    try:
        scales = survey_scales()
    except NotFound:
        return []
    if scales.smiley is None:
        return []
    weekly = [r for r in rules if r.period != "today"]
    by_end: dict[date, list[StoreFacts]] = {}
    stores = list(alerts_state().book.get().stores.values())
    for store in stores:
        by_end.setdefault(now.astimezone(ZoneInfo(store.time_zone)).date() - timedelta(days=1), []).append(store)
    made: list[int] = []
    for end, ending in sorted(by_end.items()) if weekly else ():
        made += _check_window(Window.ending(end, BASELINE_DAYS), ending, weekly, scales.smiley, scales.faces, now)
    for rule in (r for r in rules if r.period == "today"):
        made += _check_today(rule, stores, scales.faces, now)
    return made


def _check_today(rule: MeasureSignalRule, stores: Sequence[StoreFacts], faces: int, now: datetime) -> list[int]:
    """Today so far (the complete local hours) for each of the rule's stores."""
    made = []
    for store in stores:
        local = now.astimezone(ZoneInfo(store.time_zone))
        if rule.store_id not in (None, store.id) or local.hour == 0:
            continue
        window = today_window(local.date())
        if (rule.id, store.id) in recorded(window):
            continue
        found = today_figures(rule.measure, store.id, window, local.hour, faces)
        if holds(rule, found):
            signal_id = _record(rule, store, window, found, now)
            if signal_id is not None:
                made.append(signal_id)
    return made


def _check_window(
    window: Window,
    stores: Sequence[StoreFacts],
    rules: Sequence[MeasureSignalRule],
    question: str,
    faces: int,
    now: datetime,
) -> list[int]:
    ids = [s.id for s in stores]
    current = scores.score_counts(question, window.start, window.end, ids, by="store")
    baseline = scores.score_counts(question, window.baseline_start, window.baseline_end, ids, by="store")
    done = recorded(window)
    made = []
    for rule in rules:
        for store in stores:
            if rule.store_id not in (None, store.id) or (rule.id, store.id) in done:
                continue
            found = figures(
                rule.measure, store.id, window, current.get(store.id, {}), baseline.get(store.id, {}), faces
            )
            if holds(rule, found):
                signal_id = _record(rule, store, window, found, now)
                if signal_id is not None:
                    made.append(signal_id)
    return made


def recorded(window: Window) -> set[tuple[int, int]]:
    """(rule, store) of the signals recorded for ``window``: the hourly runs after the first
    that found one need not compute them again."""
    rows = MeasureSignal.select(MeasureSignal.rule, MeasureSignal.store).where(
        (MeasureSignal.window_start == window.start) & (MeasureSignal.window_end == window.end)
    )
    return {(row.rule_id, row.store_id) for row in rows}


def _record(rule: MeasureSignalRule, store: StoreFacts, window: Window, f: Figures, now: datetime) -> int | None:
    """Keep the signal and queue its emails in one transaction; None if it existed."""
    with write_transaction():
        inserted = (
            MeasureSignal.insert(
                rule=rule.id,
                store=store.id,
                window_start=window.start,
                window_end=window.end,
                baseline_start=window.baseline_start,
                baseline_end=window.baseline_end,
                index_now=f.index_now,
                index_before=f.index_before,
                n_now=f.n_now,
                n_before=f.n_before,
                measure_now=f.measure_now,
                measure_before=f.measure_before,
                detected_at=db_time(now),
            )
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        if not inserted:  # another job process was first: it announces the signal
            return None
        signal = MeasureSignal.get(
            (MeasureSignal.rule == rule.id)
            & (MeasureSignal.store == store.id)
            & (MeasureSignal.window_start == window.start)
            & (MeasureSignal.window_end == window.end)
        )
        payload = event(signal, rule, store.code, store.name)
        _level, people = first_reachable(store)
        for p in people:
            queue(
                kind="measure_signal",
                channel="email",
                recipient=p.email,
                user_id=p.user_id,
                store_id=store.id,
                dedupe_key=f"measure_signal:{signal.id}:u{p.user_id}",
                payload=payload,
                now=now,
            )
    return signal.id


def event(signal: MeasureSignal, rule: MeasureSignalRule, store_code: str, store_name: str) -> dict[str, Any]:
    """What the email says, computed when the signal is found."""
    measure = rule.measure
    return {
        "signal": signal.id,
        "rule": {"id": rule.id, "name": rule.name, "direction": rule.direction},
        "store": {"code": store_code, "name": store_name},
        "measure": {"code": measure.code, "name": measure.name, "unit": measure.unit},
        "window": {"start": str(signal.window_start), "end": str(signal.window_end)},
        "baseline": {"start": str(signal.baseline_start), "end": str(signal.baseline_end)},
        "index": {
            "now": round(signal.index_now, 1),
            "before": round(signal.index_before, 1),
            "n_now": signal.n_now,
            "n_before": signal.n_before,
        },
        "values": {
            "now": round(signal.measure_now, 2),
            "before": round(signal.measure_before, 2),
            "change": round(change_of(signal), 1),
        },
        "path": f"/dashboard/signals?store={store_code}#measure-signal-{signal.id}",
    }


def change_of(signal: MeasureSignal) -> float:
    return 100.0 * (signal.measure_now - signal.measure_before) / signal.measure_before


# --- the signals page -------------------------------------------------------------------------


def list_signals(
    scope: Scope, *, store_id: int | None = None, before_id: int | None = None, limit: int = 200
) -> list[MeasureSignal]:
    """The measure signals of the stores in ``scope``, newest first (``before_id``: those older
    than that signal, the API's next page)."""
    query = (
        MeasureSignal.select(MeasureSignal, Store, MeasureSignalRule, Measure)
        .join(Store, on=(MeasureSignal.store == Store.id))
        .switch(MeasureSignal)
        .join(MeasureSignalRule, on=(MeasureSignal.rule == MeasureSignalRule.id))
        .join(Measure, on=(MeasureSignalRule.measure == Measure.id))
        .order_by(MeasureSignal.id.desc())
    )
    query = scope.restrict(query, MeasureSignal.store)
    if store_id is not None:
        query = query.where(MeasureSignal.store == store_id)
    if before_id is not None:
        query = query.where(MeasureSignal.id < before_id)
    return list(query.limit(limit))


def signal_row(signal: MeasureSignal) -> dict[str, Any]:
    """A measure signal as the API gives it (read by ``list_signals``: its store, rule and
    measure come with it); figures rounded as the email shows them."""
    rule, measure = signal.rule, signal.rule.measure
    return {
        "id": signal.id,
        "store": signal.store.code,
        "store_name": signal.store.name,
        "rule": {"id": rule.id, "name": rule.name, "direction": rule.direction, "period": rule.period},
        "measure": {"code": measure.code, "name": measure.name, "unit": measure.unit},
        "window_start": str(signal.window_start),
        "window_end": str(signal.window_end),
        "baseline_start": str(signal.baseline_start),
        "baseline_end": str(signal.baseline_end),
        "index_now": round(signal.index_now, 1),
        "index_before": round(signal.index_before, 1),
        "n_now": signal.n_now,
        "n_before": signal.n_before,
        "measure_now": round(signal.measure_now, 2),
        "measure_before": round(signal.measure_before, 2),
        "measure_change": round(change_of(signal), 1),
        "detected_at": iso_utc(stored_time(signal.detected_at)),
    }


# --- the rules (HQ admins) ----------------------------------------------------------------------


def rules() -> list[MeasureSignalRule]:
    return list(
        MeasureSignalRule.select(MeasureSignalRule, Measure)
        .join(Measure, on=(MeasureSignalRule.measure == Measure.id))
        .order_by(MeasureSignalRule.id)
    )


def _number(fields: Mapping[str, Any], name: str, what: str) -> float:
    low, high = LIMITS[name]
    raw = str(fields.get(name, "")).strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        raise RequestError("malformed_request", f"{what} must be a number from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise RequestError("malformed_request", f"{what} must be a number from {low:g} to {high:g}")
    return value


def rule_values(fields: Mapping[str, Any]) -> dict[Any, Any]:
    """The columns of a rule from a form's fields, checked; a bad field is a RequestError that
    names it."""
    name = str(fields.get("name", "")).strip()
    if not name or len(name) > MAX_NAME:
        raise RequestError("malformed_request", f"the name must have 1 to {MAX_NAME} characters")
    measure = Measure.get_or_none(Measure.code == str(fields.get("measure", "")))
    if measure is None:
        raise RequestError("malformed_request", "choose one of the measures")
    direction = fields.get("direction")
    if direction not in DIRECTIONS:
        raise RequestError("malformed_request", "the direction must be up or down")
    store_code = str(fields.get("store", "")).strip()
    store = Store.get_or_none(Store.code == store_code) if store_code else None
    if store_code and store is None:
        raise RequestError("malformed_request", f"there is no store {store_code}")
    period = fields.get("period") or "week"
    if period not in PERIODS:
        raise RequestError("malformed_request", "the period must be week or today")
    if period == "today" and measure.grain != "hour":
        raise RequestError("malformed_request", f"today so far needs an hourly measure; {measure.code} is daily")
    answers = _number(fields, "min_answers", "the answers each side needs")
    if answers != int(answers):
        raise RequestError("malformed_request", "the answers each side needs must be a whole number")
    return {
        MeasureSignalRule.name: name,
        MeasureSignalRule.measure: measure.id,
        MeasureSignalRule.store: store.id if store else None,
        MeasureSignalRule.direction: direction,
        MeasureSignalRule.index_drop: _number(fields, "index_drop", "the index drop"),
        MeasureSignalRule.measure_change: _number(fields, "measure_change", "the measure's change"),
        MeasureSignalRule.min_answers: int(answers),
        MeasureSignalRule.period: period,
        MeasureSignalRule.active: fields.get("active") in ("on", True, "true", "1"),
    }


def save_rule(
    scope: Scope, fields: Mapping[str, Any], *, now: datetime, rule_id: int | None = None
) -> MeasureSignalRule:
    """Add a rule or change ``rule_id``'s; only HQ admins set rules."""
    if not scope.can_administer:
        raise VoxloopError("forbidden", "only HQ admins set the rules of signals on measures")
    values = rule_values(fields)
    at = now.astimezone(UTC).replace(tzinfo=None)
    with write_transaction():
        if rule_id is None:
            made = MeasureSignalRule.insert(
                {**values, MeasureSignalRule.created_at: at, MeasureSignalRule.updated_at: at}
            )
            rule_id = made.execute()
        elif (
            not MeasureSignalRule.update({**values, MeasureSignalRule.updated_at: at})
            .where(MeasureSignalRule.id == rule_id)
            .execute()
        ):
            raise NotFound("not_found", f"there is no rule {rule_id}")
    return MeasureSignalRule.get_by_id(rule_id)
