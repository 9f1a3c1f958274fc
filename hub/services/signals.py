"""Signals: a store whose customers became significantly unhappier than the store usually is.

What is compared. For each store, the last 7 complete store-local days (the *window*) with
the 56 days before them (the *baseline*, eight weeks of the same store: its own normal,
weekdays included in the same proportion), on the survey's first smiley question, as two
KPIs:

- ``smiley_index``: the mean face weight, -100..100 (shared/scoring). Tested with a one-sided
  Welch z-test on the means (each side's variance from its own counts); it uses every face.
- ``unhappy_share``: the % of faces in the lower half (1-2 of 5, 1-2 of 4). Tested with a
  one-sided two-proportion z-test (pooled, the score test). It is blunter than the index but
  says in words what happened ("18 % unhappy instead of 11 %").

Why z-tests and not exact tests: a signal needs at least ``MIN_WINDOW_N`` answers in the
window and ``MIN_BASELINE_N`` in the baseline, where the normal approximation of a share or
a mean of bounded values is close; the false-positive rate is then measured, not assumed
(bench/signals_false_positives.py, figures in docs/performance.md).

Good and bad days. Real stores have days that differ more than chance (weather, staffing,
events). Tests that count single answers as independent would take an ordinary bad week for
a signal. When a test fires, the baseline's 56 days say how much more than chance the days
of this store differ (shared/stats.overdispersion, the between/within-day variance ratio);
the variance is widened by that factor (quasi-likelihood) and the test is run again. On pure
binomial noise the factor is about 1 and costs almost no power.

False positives across a fleet and daily checks. The job runs hourly and checks each store
once per local day (the window ending yesterday). Per check a store is tested on 2 KPIs; a
signal needs, for one KPI:

- p < ``ALPHA`` (0.0005 per KPI: Bonferroni over the two KPIs, 0.001 per store and check,
  so 100 stores checked weekly expect at most one false signal in about ten weeks), and
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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
from shared.stats import Comparison, mean_drop, overdispersion, proportion_rise

KPIS = ("smiley_index", "unhappy_share")
KPI_LABELS = {"smiley_index": "Smiley index", "unhappy_share": "Unhappy share (%)"}
WINDOW_DAYS = 7
BASELINE_DAYS = 56
MIN_WINDOW_N = 100
MIN_BASELINE_N = 400
ALPHA = 0.0005
MIN_DROP = {"smiley_index": 3.0, "unhappy_share": 3.0}
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
    def ending(cls, end: date) -> Window:
        start = end - timedelta(days=WINDOW_DAYS - 1)
        baseline_end = start - timedelta(days=1)
        return cls(start, end, baseline_end - timedelta(days=BASELINE_DAYS - 1), baseline_end)


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
    the day-to-day dispersion its variance was widened by, and whether it is a signal."""

    kpi: str
    comparison: Comparison
    dispersion: float = 1.0

    @property
    def fires(self) -> bool:
        return self.comparison.p_value < ALPHA and self.comparison.worse >= MIN_DROP[self.kpi]

    @property
    def test(self) -> str:
        if self.dispersion > 1.0:
            return f"{self.comparison.test}, variance x{self.dispersion:.2f} for day-to-day spread"
        return self.comparison.test


def assess(
    kpi: str, baseline: Mapping[int, int], window: Mapping[int, int], faces: int, dispersion: float = 1.0
) -> Verdict | None:
    """The verdict on one KPI from face counts of baseline and window; None when either side
    has too few answers to tell."""
    before, now = kpi_values(kpi, baseline, faces), kpi_values(kpi, window, faces)
    n0, n1 = sum(before.values()), sum(now.values())
    if n0 < MIN_BASELINE_N or n1 < MIN_WINDOW_N:
        return None
    if kpi == "smiley_index":
        comparison = mean_drop(before, now, dispersion=dispersion)
    else:
        c = proportion_rise(int(before.get(1.0, 0)), n0, int(now.get(1.0, 0)), n1, dispersion=dispersion)
        comparison = Comparison(
            c.test, 100 * c.baseline, n0, 100 * c.current, n1, c.z, c.p_value, 100 * c.worse
        )  # shares in %
    return Verdict(kpi, comparison, max(1.0, dispersion))


def day_dispersion(kpi: str, days: Sequence[Mapping[int, int]], faces: int) -> float:
    """How much more the baseline's days differ than chance explains, for this KPI (>= 1)."""
    return max(1.0, overdispersion([kpi_values(kpi, day, faces) for day in days]))


def judge(
    kpi: str,
    baseline: Mapping[int, int],
    window: Mapping[int, int],
    faces: int,
    baseline_days: Callable[[], Sequence[Mapping[int, int]]] | None = None,
) -> Verdict | None:
    """``assess``, and when it fires, again with the variance widened by the baseline's
    day-to-day dispersion (``baseline_days()``: face counts per baseline day). Only a firing
    verdict asks for the days, so the job reads them for few stores."""
    verdict = assess(kpi, baseline, window, faces)
    if verdict is None or not verdict.fires or baseline_days is None:
        return verdict
    return assess(kpi, baseline, window, faces, day_dispersion(kpi, baseline_days(), faces))


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


def _check_day(
    window: Window, stores: list[StoreFacts], question: str, faces: int, rules: list[RuleFacts], now: datetime
) -> list[int]:
    ids = [s.id for s in stores]
    quiet = _quiet(ids, window.end)
    current = scores.score_counts(question, window.start, window.end, ids, by="store")
    baseline = scores.score_counts(question, window.baseline_start, window.baseline_end, ids, by="store")
    per_day: dict[int, list[Mapping[int, int]]] = {}

    def baseline_days(store_id: int) -> list[Mapping[int, int]]:
        if store_id not in per_day:
            days = scores.score_counts(question, window.baseline_start, window.baseline_end, [store_id], by="day")
            per_day[store_id] = list(days.values())
        return per_day[store_id]

    made = []
    for store in stores:
        for kpi in KPIS:
            if (store.id, kpi) in quiet:
                continue
            verdict = judge(
                kpi, baseline.get(store.id, {}), current.get(store.id, {}), faces, partial(baseline_days, store.id)
            )
            if verdict is not None and verdict.fires:
                signal_id = _record(store, window, verdict, rules, now)
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
