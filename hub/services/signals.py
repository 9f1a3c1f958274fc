"""Signals: a store whose customers became significantly unhappier than the store usually is.

What is compared. For each store, the last 7 complete store-local days (the *window*) with
the 56 days before them (the *baseline*, eight weeks of the same store: its own normal,
weekdays included in the same proportion), on the survey's first smiley question, as two
KPIs:

- ``smiley_index``: the mean face weight, -100..100 (shared/scoring).
- ``unhappy_share``: the % of faces in the lower half (1-2 of 5, 1-2 of 4). It is blunter
  than the index but says in words what happened ("18 % unhappy instead of 11 %").

What a signal means: the last week was clearly lower than usual for this store, lower than
its own weeks have differed from each other over the last year, not only lower than chance
among single answers would allow.

Two steps. First a cheap test on pooled counts that counts every answer as independent (a
one-sided Welch z-test on the index, the pooled two-proportion z-test on the share). Real
stores have good and bad days and weeks (weather, staffing, events) that make such a test
fire on ordinary weeks (about 2.6 % of store-weeks with day effects of 7 index points, 6 %
with week effects of 4 points, against the 0.1 % the bound allows). So when it fires, the
*weekly test* decides: the store's last ``HISTORY_WEEKS`` weeks before the window (as many
as it has) are cut into weeks aligned with the window; the variance of their means beyond
what the answers' own sampling explains is the week-to-week variance (a random-effects
model, method of moments, shared/stats.week_spread). The window's mean is compared with the
baseline's eight weeks with that variance added to both sides and referred to Student's t
with Satterthwaite's degrees of freedom (shared/stats.weekly_drop): about one per week of
history where the weeks' spread dominates, the z-test where the weeks differ no more than
chance. It takes in day effects as well: they make weekly means differ too.

Slow drifts. A store that slides a little every week is found late by a test of single
weeks. Beside the weekly test, a *drift detector* runs a one-sided CUSUM over the last
``DRIFT_WEEKS`` weeks (shared/stats.drift_cusum: each week's shortfall below the baseline of
the eight weeks before them in standard deviations of a week's mean, week-to-week variance
included, less an allowance of ``DRIFT_ALLOWANCE``; a signal when the sum passes
``DRIFT_LIMIT`` and the weeks it spans are ``MIN_DROP`` below the baseline). It is run on the
smiley index only, and only when the pooled counts show such a drop, so the job reads a
store's days only then. Its limit is calibrated on simulated stores
(bench/analytics_signals.py, figures in docs/performance.md).

False positives across a fleet and daily checks. The job runs hourly and checks each store
once per local day (the window ending yesterday). Per check a store is tested on 2 KPIs; a
signal needs, for one KPI:

- p < ``ALPHA`` in the weekly test (0.0005 per KPI: Bonferroni over the two KPIs, 0.001 per
  store and check, so 100 stores checked weekly expect at most one false signal in about ten
  weeks; measured with day and week effects: at most 0.04 % of store-weeks, drift detector
  included), or the drift detector's CUSUM above its limit, and
- a drop of at least ``MIN_DROP`` (3 index points, 3 percentage points): with thousands of
  answers a trivial dip is significant but not worth anyone's morning.

One signal per store, KPI and window (table ``signal``, UNIQUE (store, kpi, window_end)), and
while a store has a signal of a KPI whose window ended less than 7 days ago no new one is
raised for it: daily checks of a lasting drop overlap, and one message says it. A drop that
lasts is signalled again a week later, on a window that no longer overlaps the first.

A day the job does not run (the hub was down all day) is not checked afterwards; the next
day's window holds six of its seven days.

Who hears of it. The signal is on /dashboard/signals at once. Alert rules of kind ``signal``
(hub/services/alerts/conditions.py) opt in: each active one that covers the store (and the
KPI, when the rule names KPIs) queues an outbox message of kind ``signal``: a webhook
(JSON event ``signal.detected``, signed like every webhook, or shaped for Slack/Teams) when
the rule has a webhook URL, and an email to the store's managers (the same people an alert
reaches first) when the rule has email on. Existing rules are not changed: a receiver that
only knows alerts never gets an event it did not ask for. Delivery is the outbox's job.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from hub.db import db_time, write_transaction
from hub.models import Signal, Store
from hub.queries import scores
from hub.services.access import Scope
from hub.services.alerts.conditions import SignalCondition
from hub.services.alerts.opening_hours import store_opens_at
from hub.services.alerts.recipients import first_reachable
from hub.services.alerts.routing import alerts_state
from hub.services.alerts.rule_book import RuleFacts, StoreFacts
from hub.services.analytics import survey_scales
from hub.services.outbox import queue
from shared.errors import NotFound, VoxloopError
from shared.scoring import smiley_weight
from shared.stats import Comparison, WeekSpread, drift_cusum, mean_drop, proportion_rise, week_spread, weekly_drop

KPIS = ("smiley_index", "unhappy_share")
KPI_LABELS = {"smiley_index": "Smiley index", "unhappy_share": "Unhappy share (%)"}
WINDOW_DAYS = 7
BASELINE_DAYS = 56
MIN_WINDOW_N = 100
MIN_BASELINE_N = 400
ALPHA = 0.0005
MIN_DROP = {"smiley_index": 3.0, "unhappy_share": 3.0}
# the weeks the week-to-week spread is estimated from (the baseline's eight and those before)
HISTORY_WEEKS = 52
# the drift detector: a CUSUM over the last four weeks, allowance half a standard deviation of
# a week's mean, limit calibrated on simulated stores (bench/analytics_signals.py)
DRIFT_WEEKS = 4
DRIFT_ALLOWANCE = 0.5
DRIFT_LIMIT = 6.5
DRIFT_KPIS = ("smiley_index",)  # the unhappy share moves with the index: one drift test is enough
# the smallest p-value kept: the column is REAL, a 4-byte float on PostgreSQL that holds
# nothing below about 1e-38; a smaller p says nothing more ("overwhelming") and is kept as this
P_FLOOR = 1e-30


@dataclass(frozen=True)
class Window:
    """The window (the last ``WINDOW_DAYS`` days up to ``end``) and its baseline before it."""

    start: date
    end: date
    baseline_start: date
    baseline_end: date

    @classmethod
    def ending(cls, end: date, baseline_days: int = BASELINE_DAYS) -> Window:
        """The window ending ``end`` and the ``baseline_days`` before it (signals on measures
        compare with 28)."""
        start = end - timedelta(days=WINDOW_DAYS - 1)
        baseline_end = start - timedelta(days=1)
        return cls(start, end, baseline_end - timedelta(days=baseline_days - 1), baseline_end)


def unhappy(face: int, faces: int) -> bool:
    """A face in the lower half of the scale (1-2 of 5, 1-2 of 4)."""
    return 2 * face <= faces


def kpi_values(kpi: str, counts: Mapping[int, int], faces: int) -> dict[float, int]:
    """Face counts as the values a KPI averages: face weights (index), or 1 for an unhappy
    face and 0 for the others (share)."""
    values: dict[float, int] = {}
    for face, count in counts.items():
        if not 1 <= face <= faces or count <= 0:
            continue
        value = smiley_weight(face, faces) if kpi == "smiley_index" else float(unhappy(face, faces))
        values[value] = values.get(value, 0) + count
    return values


@dataclass(frozen=True)
class Verdict:
    """One KPI of one store tested: the comparison (in the KPI's units: index points, or %),
    how much the store's weeks differ beyond chance (``spread``, None for the plain first
    test), which detector spoke (``weekly``: the last week; ``drift``: the CUSUM over the
    last ``DRIFT_WEEKS`` weeks) and whether it is a signal."""

    kpi: str
    comparison: Comparison
    spread: WeekSpread | None = None
    detector: str = "weekly"
    weeks: int = 1  # how many of the last weeks the verdict is about

    @property
    def fires(self) -> bool:
        if self.comparison.worse < MIN_DROP[self.kpi]:
            return False
        if self.detector == "drift":
            return self.comparison.z > DRIFT_LIMIT
        return self.comparison.p_value < ALPHA

    @property
    def test(self) -> str:
        c = self.comparison
        if self.spread is None or self.spread.excess <= 0:
            return c.test if self.detector == "weekly" else f"{c.test}, CUSUM {c.z:.1f} (limit {DRIFT_LIMIT:g})"
        unit = 1.0 if self.kpi == "smiley_index" else 100.0
        spread = f"weeks differ by {unit * math.sqrt(self.spread.excess):.1f} beyond chance"
        if self.detector == "drift":
            return f"{c.test}, {spread}, CUSUM {c.z:.1f} over {self.weeks} weeks (limit {DRIFT_LIMIT:g})"
        return f"{c.test}, {spread}"


def _in_units(kpi: str, c: Comparison) -> Comparison:
    """A comparison of 0/1 values as percentages (the unhappy share); the index as it is."""
    if kpi == "smiley_index":
        return c
    return replace(c, baseline=100 * c.baseline, current=100 * c.current, worse=100 * c.worse)


def assess(kpi: str, baseline: Mapping[int, int], window: Mapping[int, int], faces: int) -> Verdict | None:
    """The first, cheap test on one KPI from the pooled face counts of baseline and window,
    each answer counted as independent (a Welch z-test on the index, the two-proportion
    z-test on the share); None when either side has too few answers to tell. Weeks that
    differ make it fire too often: ``judge`` asks the weekly test before anything is said."""
    before, now = kpi_values(kpi, baseline, faces), kpi_values(kpi, window, faces)
    n0, n1 = sum(before.values()), sum(now.values())
    if n0 < MIN_BASELINE_N or n1 < MIN_WINDOW_N:
        return None
    if kpi == "smiley_index":
        return Verdict(kpi, mean_drop(before, now))
    return Verdict(kpi, _in_units(kpi, proportion_rise(int(before.get(1.0, 0)), n0, int(now.get(1.0, 0)), n1)))


def _oriented(kpi: str, values: Mapping[float, int]) -> dict[float, int]:
    """KPI values turned so that worse is lower (the weekly and drift tests look for a drop):
    the unhappy share counts -1 for an unhappy face."""
    return dict(values) if kpi == "smiley_index" else {-v: c for v, c in values.items()}


def _from_oriented(kpi: str, c: Comparison) -> Comparison:
    """A comparison of ``_oriented`` values in the KPI's own units."""
    if kpi == "smiley_index":
        return c
    return replace(c, baseline=-100 * c.baseline, current=-100 * c.current, worse=100 * c.worse)


def weeks_of(days: Sequence[Mapping[int, int]]) -> list[dict[int, int]]:
    """Consecutive days (oldest first) as weeks of seven days aligned to the last day; a
    leading part shorter than a week is left out."""
    weeks = []
    for end in range(len(days), WINDOW_DAYS - 1, -WINDOW_DAYS):
        week: dict[int, int] = {}
        for day in days[end - WINDOW_DAYS : end]:
            for face, count in day.items():
                week[face] = week.get(face, 0) + count
        weeks.append(week)
    return weeks[::-1]


def weekly_verdict(
    kpi: str, history: Sequence[Mapping[int, int]], window: Mapping[int, int], faces: int
) -> Verdict | None:
    """The weekly test: the window against the last ``BASELINE_DAYS`` of ``history`` (face
    counts per day for up to ``HISTORY_WEEKS`` weeks before the window, oldest first), with
    the variance the store's weeks show beyond chance over the whole history. None when the
    history holds fewer than three weeks with answers."""
    weeks = [_oriented(kpi, kpi_values(kpi, week, faces)) for week in weeks_of(history)]
    spread = week_spread(weeks)
    now = _oriented(kpi, kpi_values(kpi, window, faces))
    baseline = weeks[-(BASELINE_DAYS // WINDOW_DAYS) :]
    if spread is None or sum(now.values()) < MIN_WINDOW_N or sum(sum(w.values()) for w in baseline) < MIN_BASELINE_N:
        return None
    return Verdict(kpi, _from_oriented(kpi, weekly_drop(baseline, now, spread)), spread)


def drift_verdict(kpi: str, days: Sequence[Mapping[int, int]], faces: int) -> Verdict | None:
    """The drift detector: the CUSUM of the last ``DRIFT_WEEKS`` weeks of ``days`` (face counts
    per day, oldest first, ending with the window's last day) below the ``BASELINE_DAYS``
    before them, with the week-to-week spread of the ``HISTORY_WEEKS`` before them."""
    weeks = [_oriented(kpi, kpi_values(kpi, week, faces)) for week in weeks_of(days)]
    if kpi not in DRIFT_KPIS or len(weeks) <= DRIFT_WEEKS:
        return None
    recent, history = weeks[-DRIFT_WEEKS:], weeks[:-DRIFT_WEEKS][-HISTORY_WEEKS:]
    spread = week_spread(history)
    baseline = history[-(BASELINE_DAYS // WINDOW_DAYS) :]
    if spread is None or sum(sum(w.values()) for w in baseline) < MIN_BASELINE_N:
        return None
    drift = drift_cusum(baseline, recent, spread, DRIFT_ALLOWANCE)
    if drift is None or drift.comparison.current_n < MIN_WINDOW_N:
        return None
    return Verdict(kpi, _from_oriented(kpi, drift.comparison), spread, "drift", max(drift.weeks, 1))


def judge(
    kpi: str,
    baseline: Mapping[int, int],
    window: Mapping[int, int],
    faces: int,
    history: Callable[[], Sequence[Mapping[int, int]]] | None = None,
) -> Verdict | None:
    """``assess``, and when it fires, the weekly test on ``history()`` (face counts per day of
    the ``HISTORY_WEEKS`` weeks before the window, oldest first), which decides. Only a
    firing first test asks for the days, so the job reads them for few stores; without
    ``history`` the first test's verdict stands (the plain z-test)."""
    verdict = assess(kpi, baseline, window, faces)
    if verdict is None or not verdict.fires or history is None:
        return verdict
    return weekly_verdict(kpi, history(), window, faces)


def drift_possible(kpi: str, baseline: Mapping[int, int], recent: Sequence[Mapping[int, int]], faces: int) -> bool:
    """Whether the pooled counts allow a drift signal: some run of the last weeks (``recent``:
    the pooled counts of the last 1, 2, .. ``DRIFT_WEEKS`` weeks) is ``MIN_DROP`` below the
    baseline with enough answers. A drift signal needs it, so the job reads a store's days
    only then."""
    before = kpi_values(kpi, baseline, faces)
    n0 = sum(before.values())
    if kpi not in DRIFT_KPIS or n0 < MIN_BASELINE_N:
        return False
    m0 = sum(v * c for v, c in before.items()) / n0
    scale = 1.0 if kpi == "smiley_index" else 100.0
    for counts in recent:
        now = kpi_values(kpi, counts, faces)
        n1 = sum(now.values())
        if n1 >= MIN_WINDOW_N and scale * (m0 - sum(v * c for v, c in now.items()) / n1) >= MIN_DROP[kpi]:
            return True
    return False


# --- the job: check every store once per local day --------------------------------------------


def check_signals(now: datetime) -> list[int]:
    """Check every store's window ending yesterday (store-local); record and announce what
    fires. Returns the ids of the new signals. Idempotent: run it hourly."""
    try:
        scales = survey_scales()
    except NotFound:
        return []
    if scales.smiley is None:
        return []
    book = alerts_state().book.get()
    by_end: dict[date, list[StoreFacts]] = {}
    for store in book.stores.values():
        yesterday = now.astimezone(ZoneInfo(store.time_zone)).date() - timedelta(days=1)
        by_end.setdefault(yesterday, []).append(store)
    made: list[int] = []
    for end, stores in sorted(by_end.items()):
        made += _check_day(Window.ending(end), stores, scales.smiley, scales.faces, book.signal_rules, now)
    return made


def drift_window(end: date) -> Window:
    """The drift detector's weeks: the last ``DRIFT_WEEKS`` weeks up to ``end`` and the
    ``BASELINE_DAYS`` before them."""
    start = end - timedelta(days=DRIFT_WEEKS * WINDOW_DAYS - 1)
    baseline_end = start - timedelta(days=1)
    return Window(start, end, baseline_end - timedelta(days=BASELINE_DAYS - 1), baseline_end)


def _check_day(
    window: Window, stores: list[StoreFacts], question: str, faces: int, rules: list[RuleFacts], now: datetime
) -> list[int]:
    ids = [s.id for s in stores]
    quiet = _quiet(ids, window.end)
    current = scores.score_counts(question, window.start, window.end, ids, by="store")
    baseline = scores.score_counts(question, window.baseline_start, window.baseline_end, ids, by="store")
    drift = drift_window(window.end)
    drift_baseline = scores.score_counts(question, drift.baseline_start, drift.baseline_end, ids, by="store")
    recent = [current] + [
        scores.score_counts(question, window.end - timedelta(days=7 * weeks - 1), window.end, ids, by="store")
        for weeks in range(2, DRIFT_WEEKS + 1)
    ]
    first = window.end - timedelta(days=(HISTORY_WEEKS + DRIFT_WEEKS) * WINDOW_DAYS - 1)
    read: dict[int, list[Mapping[int, int]]] = {}

    def days(store_id: int) -> list[Mapping[int, int]]:
        """The store's face counts per day, oldest first, from ``first`` to the window's end."""
        if store_id not in read:
            found = scores.score_counts(question, first, window.end, [store_id], by="day")
            span = (window.end - first).days + 1
            read[store_id] = [found.get(first + timedelta(days=i), {}) for i in range(span)]
        return read[store_id]

    def before_window(store_id: int) -> list[Mapping[int, int]]:
        return days(store_id)[-(HISTORY_WEEKS + 1) * WINDOW_DAYS : -WINDOW_DAYS]

    made = []
    for store in stores:
        for kpi in KPIS:
            if (store.id, kpi) in quiet:
                continue
            at = window
            verdict = judge(
                kpi, baseline.get(store.id, {}), current.get(store.id, {}), faces, partial(before_window, store.id)
            )
            if (verdict is None or not verdict.fires) and drift_possible(
                kpi, drift_baseline.get(store.id, {}), [r.get(store.id, {}) for r in recent], faces
            ):
                verdict = drift_verdict(kpi, days(store.id), faces)
                if verdict is not None:
                    at = replace(drift, start=window.end - timedelta(days=verdict.weeks * WINDOW_DAYS - 1))
            if verdict is not None and verdict.fires:
                signal_id = _record(store, at, verdict, rules, now)
                if signal_id is not None:
                    made.append(signal_id)
    return made


def _quiet(store_ids: list[int], end: date) -> set[tuple[int, str]]:
    """(store, kpi) with a signal whose window ended within the last window length: a
    lasting drop is one signal, not one a day."""
    since = end - timedelta(days=WINDOW_DAYS - 1)
    rows = Signal.select(Signal.store, Signal.kpi).where(
        Signal.store.in_(store_ids) & (Signal.window_end >= since) & (Signal.window_end <= end)
    )
    return {(row.store_id, row.kpi) for row in rows}


def _record(store: StoreFacts, window: Window, verdict: Verdict, rules: list[RuleFacts], now: datetime) -> int | None:
    """Keep the signal and queue its messages in one transaction; None if it existed."""
    c = verdict.comparison
    with write_transaction():
        inserted = (
            Signal.insert(
                store=store.id,
                kpi=verdict.kpi,
                window_start=window.start,
                window_end=window.end,
                baseline_start=window.baseline_start,
                baseline_end=window.baseline_end,
                current_value=c.current,
                current_n=c.current_n,
                baseline_value=c.baseline,
                baseline_n=c.baseline_n,
                p_value=max(c.p_value, P_FLOOR),
                test=verdict.test,
                detected_at=db_time(now),
                state="open",
            )
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        if not inserted:  # another job process was first: it announces the signal
            return None
        key = (Signal.store == store.id) & (Signal.kpi == verdict.kpi) & (Signal.window_end == window.end)
        signal = Signal.get(key)
        _announce(signal, store, [r for r in rules if _wants(r, store, verdict.kpi)], now)
    return signal.id


def _wants(rule: RuleFacts, store: StoreFacts, kpi: str) -> bool:
    condition = rule.condition
    return rule.covers_store(store.code) and isinstance(condition, SignalCondition) and condition.wants(kpi)


def event(signal: Signal, store_code: str, store_name: str) -> dict[str, Any]:
    """The ``signal.detected`` event: what a webhook receives and an email says. ``path`` is
    the signal on the hub's signals page (the hub's public URL goes in front when sent)."""
    return {
        "event": "signal.detected",
        "signal": signal.id,
        "store": {"code": store_code, "name": store_name},
        "kpi": signal.kpi,
        "kpi_label": KPI_LABELS[signal.kpi],
        "window": {"start": str(signal.window_start), "end": str(signal.window_end)},
        "baseline": {"start": str(signal.baseline_start), "end": str(signal.baseline_end)},
        "values": {
            "current": round(signal.current_value, 2),
            "current_n": signal.current_n,
            "baseline": round(signal.baseline_value, 2),
            "baseline_n": signal.baseline_n,
        },
        "p_value": signal.p_value,
        "alpha": ALPHA,
        "test": signal.test,
        "detected_at": _utc(signal.detected_at).isoformat().replace("+00:00", "Z"),
        "path": f"/dashboard/signals?store={store_code}#signal-{signal.id}",
    }


def _announce(signal: Signal, store: StoreFacts, rules: list[RuleFacts], now: datetime) -> int:
    """Queue the signal's messages for each rule that wants it; returns how many."""
    payload = event(signal, store.code, store.name)
    queued = 0
    for rule in rules:
        at = store_opens_at(store, now) if rule.quiet_hours else now
        to: list[tuple[str, dict[str, Any]]] = []
        if rule.webhook_url:
            to.append(("webhook", dict(channel="webhook", recipient=rule.webhook_url)))
        if rule.email:
            _level, people = first_reachable(store)
            to += [(f"u{p.user_id}", dict(channel="email", recipient=p.email, user_id=p.user_id)) for p in people]
        for suffix, recipient in to:
            made = queue(
                kind="signal",
                rule_id=rule.id,
                store_id=store.id,
                dedupe_key=f"signal:{signal.id}:{rule.id}:{suffix}",
                payload=payload,
                deliver_after=at,
                now=now,
                **recipient,
            )
            queued += made is not None
    return queued


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- the page: listing and dismissing -----------------------------------------------------------


STATES = ("open", "dismissed", "all")


def list_signals(
    scope: Scope,
    *,
    state: str = "open",
    store_id: int | None = None,
    before_id: int | None = None,
    limit: int = 200,
) -> list[Signal]:
    """The signals of the stores in ``scope``, newest first (by id: they are numbered as they
    are detected); ``before_id`` continues a list after its last row."""
    query = Signal.select(Signal, Store).join(Store).order_by(Signal.id.desc())
    query = scope.restrict(query, Signal.store)
    if state != "all":
        query = query.where(Signal.state == state)
    if store_id is not None:
        query = query.where(Signal.store == store_id)
    if before_id is not None:
        query = query.where(Signal.id < before_id)
    return list(query.limit(limit))


SIGNAL_COLUMNS = (
    "id",
    "store",
    "store_name",
    "kpi",
    "window_start",
    "window_end",
    "current_value",
    "current_n",
    "baseline_start",
    "baseline_end",
    "baseline_value",
    "baseline_n",
    "p_value",
    "test",
    "detected_at",
    "state",
)


def signal_row(signal: Signal) -> dict[str, Any]:
    """A signal as a row of the JSON and CSV exports and the API (values rounded to 0.01)."""
    return {
        "id": signal.id,
        "store": signal.store.code,
        "store_name": signal.store.name,
        "kpi": signal.kpi,
        "window_start": str(signal.window_start),
        "window_end": str(signal.window_end),
        "current_value": round(signal.current_value, 2),
        "current_n": signal.current_n,
        "baseline_start": str(signal.baseline_start),
        "baseline_end": str(signal.baseline_end),
        "baseline_value": round(signal.baseline_value, 2),
        "baseline_n": signal.baseline_n,
        "p_value": signal.p_value,
        "test": signal.test,
        "detected_at": _utc(signal.detected_at).isoformat().replace("+00:00", "Z"),
        "state": signal.state,
    }


def may_dismiss(scope: Scope, store_id: int) -> bool:
    """HQ admins, and store managers of the signal's store."""
    return scope.can_administer or (scope.role == "store_manager" and scope.sees(store_id))


def dismiss(signal_id: int, scope: Scope, *, now: datetime) -> Signal:
    """Mark a signal seen and set aside. A signal outside the scope does not exist (404); one
    the person may see but not dismiss is refused (403)."""
    signal = Signal.get_or_none(Signal.id == signal_id)
    if signal is None or not scope.sees(signal.store_id):
        raise NotFound("not_found", f"signal {signal_id} does not exist")
    if not may_dismiss(scope, signal.store_id):
        raise VoxloopError("forbidden", "only HQ admins and the store's managers dismiss its signals")
    with write_transaction():
        Signal.update(state="dismissed", dismissed_by=scope.user_id, dismissed_at=db_time(now)).where(
            (Signal.id == signal_id) & (Signal.state == "open")
        ).execute()
    return Signal.get_by_id(signal_id)
