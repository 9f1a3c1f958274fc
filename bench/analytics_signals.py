"""Signals against known truth: false positives when days and weeks differ, detection of drops
and slow drifts.

``.venv/bin/python -m bench.analytics_signals [--seed 20261202] [--stores 100] [--trials 5]``

The decision is the hub's own (hub/services/signals.py: the first z-test, the weekly test on
weekly means with the store's week-to-week spread, the CUSUM drift detector, ALPHA,
MIN_DROP, minimum n, the 7-day quiet period after a signal); only the data is simulated, by
this module's own generator with a fixed seed, so the figures repeat exactly.

A fleet of ``--stores`` stores on a 5-face smiley. Each store has its own volume (answers per
open day: log-normal, median 120, clipped to 25-600; Monday to Saturday rising from 0.8 to
1.45 of it, closed on Sundays) and its own quality (a mix of a happy and an unhappy face
distribution, 5-35 % unhappy-leaning: indexes from about +21 to +52). One index point is one
percentage point of the mix moved by 1/102.

Scenarios without any change (every signal is false): pure multinomial noise; day effects
(each day's index moves by N(0, 7 points) on top of chance); week effects (each week's index
moves by N(0, 4 points): a good or bad week, weather, staffing, a local event); both. Checked
weekly (52 windows per store after 30 weeks of history) and daily as the job does (false
signals per store and year).

Changes of known size (``--trials`` per store, each on fresh data with week effects off and
on): a step drop of 5 or 10 index points from the first day of a window (found by the first
weekly check; found by the daily checks within 7 days); a slow drift, the index falling
linearly to 10 points below normal over 28 days (found by the daily checks by day 14 / by day
28), with the weekly test alone and with the CUSUM beside it.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hub.services import signals
from hub.services.signals import (
    BASELINE_DAYS,
    DRIFT_WEEKS,
    HISTORY_WEEKS,
    KPIS,
    WINDOW_DAYS,
    drift_possible,
    drift_verdict,
    judge,
)

FACES = 5
HAPPY = (0.03, 0.05, 0.12, 0.35, 0.45)
UNHAPPY = (0.40, 0.30, 0.15, 0.10, 0.05)
WEEKDAY = (0.8, 0.85, 0.9, 1.0, 1.2, 1.45, 0.0)  # Monday .. Sunday (closed)
POINT = 1 / 102  # one index point as a share of the unhappy-leaning mix
WARM_UP = (HISTORY_WEEKS + DRIFT_WEEKS) * WINDOW_DAYS  # the days a check reads before its window ends
Day = dict[int, int]


@dataclass(frozen=True)
class Store:
    volume: float
    unhappy_part: float


@dataclass(frozen=True)
class Scenario:
    name: str
    day_sd: float = 0.0  # index points
    week_sd: float = 0.0


SCENARIOS = (
    Scenario("pure noise"),
    Scenario("day effects (7 points)", day_sd=7.0),
    Scenario("week effects (4 points)", week_sd=4.0),
    Scenario("day and week effects (7 / 4 points)", day_sd=7.0, week_sd=4.0),
)


def fleet(rng: random.Random, stores: int) -> list[Store]:
    return [
        Store(min(600.0, max(25.0, rng.lognormvariate(math.log(120), 0.5))), rng.uniform(0.05, 0.35))
        for _ in range(stores)
    ]


def simulate(
    rng: random.Random, store: Store, count: int, scenario: Scenario, change: Callable[[int], float] | None = None
) -> list[Day]:
    """``count`` days of one store; ``change(day)``: index points lost on that day (truth)."""
    out: list[Day] = []
    week_shift = 0.0
    for day in range(count):
        if day % 7 == 0:
            week_shift = rng.gauss(0, scenario.week_sd) if scenario.week_sd else 0.0
        points = week_shift + (rng.gauss(0, scenario.day_sd) if scenario.day_sd else 0.0)
        points -= change(day) if change else 0.0
        w = min(0.98, max(0.0, store.unhappy_part - points * POINT))
        mu = store.volume * WEEKDAY[day % 7]
        n = max(0, round(rng.gauss(mu, math.sqrt(mu)))) if mu else 0
        p = [w * a + (1 - w) * b for a, b in zip(UNHAPPY, HAPPY, strict=True)]
        out.append(dict(Counter(rng.choices(range(1, FACES + 1), weights=p, k=n))))
    return out


class History:
    """A store's days with running totals: any run of days costs five subtractions."""

    def __init__(self, days: list[Day]) -> None:
        self.days = days
        self.running = [[0] * FACES]
        for day in days:
            self.running.append([a + day.get(face, 0) for face, a in enumerate(self.running[-1], start=1)])

    def total(self, start: int, end: int) -> Day:
        """Face counts of days ``start`` .. ``end - 1``."""
        a, b = self.running[start], self.running[end]
        return {face: b[i] - a[i] for i, face in enumerate(range(1, FACES + 1)) if b[i] > a[i]}


def plain_test(h: History, end: int) -> dict[str, str]:
    """What the first z-test alone says of the window ending on day ``end``: the decision
    before weeks were modelled (without its day-dispersion step)."""
    start = end - WINDOW_DAYS + 1
    baseline, window = h.total(start - BASELINE_DAYS, start), h.total(start, end + 1)
    return {k: "z" for k in KPIS if (v := judge(k, baseline, window, FACES)) is not None and v.fires}


def check(h: History, end: int, *, drift: bool = True) -> dict[str, str]:
    """KPI -> the detector that signals for the window ending on day ``end`` (inclusive),
    decided as the job decides."""
    start = end - WINDOW_DAYS + 1
    window, baseline = h.total(start, end + 1), h.total(start - BASELINE_DAYS, start)
    drift_end = end - DRIFT_WEEKS * WINDOW_DAYS + 1
    fired: dict[str, str] = {}
    for kpi in KPIS:
        before = h.days[start - HISTORY_WEEKS * WINDOW_DAYS : start]
        verdict = judge(kpi, baseline, window, FACES, lambda before=before: before)
        if (verdict is None or not verdict.fires) and drift:
            recent = [h.total(end + 1 - 7 * weeks, end + 1) for weeks in range(1, DRIFT_WEEKS + 1)]
            if drift_possible(kpi, h.total(drift_end - BASELINE_DAYS, drift_end), recent, FACES):
                verdict = drift_verdict(kpi, h.days[end + 1 - WARM_UP : end + 1], FACES)
        if verdict is not None and verdict.fires:
            fired[kpi] = verdict.detector
    return fired


@dataclass
class Tally:
    checks: int = 0
    signals: int = 0
    by: Counter[str] = field(default_factory=Counter)

    def add(self, fired: dict[str, str]) -> None:
        self.checks += 1
        self.signals += bool(fired)
        self.by.update(f"{kpi} ({detector})" for kpi, detector in fired.items())

    @property
    def rate(self) -> float:
        return self.signals / self.checks if self.checks else math.nan


def daily(h: History, first: int, last: int, *, drift: bool = True) -> list[dict[str, str]]:
    """The job's daily checks from day ``first`` to ``last``: a KPI is quiet for 7 days after
    its signal."""
    quiet_until: dict[str, int] = {}
    out = []
    for end in range(first, last + 1):
        fired = {k: d for k, d in check(h, end, drift=drift).items() if quiet_until.get(k, -1) < end}
        for kpi in fired:
            quiet_until[kpi] = end + WINDOW_DAYS - 1
        out.append(fired)
    return out


def no_change(rng: random.Random, stores: list[Store], scenario: Scenario, weeks: int) -> dict[str, Tally]:
    span = WARM_UP + WINDOW_DAYS * weeks
    tallies = {"weekly": Tally(), "daily": Tally(), "weekly, plain z-test": Tally()}
    for store in stores:
        h = History(simulate(rng, store, span, scenario))
        for week in range(weeks):
            end = WARM_UP + WINDOW_DAYS * (week + 1) - 1
            tallies["weekly"].add(check(h, end))
            tallies["weekly, plain z-test"].add(plain_test(h, end))
        for fired in daily(h, WARM_UP + WINDOW_DAYS - 1, span - 1):
            tallies["daily"].add(fired)
    return tallies


def changes(rng: random.Random, stores: list[Store], scenario: Scenario, trials: int) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}

    def add(key: str, fired: dict[str, str]) -> None:
        tallies.setdefault(key, Tally()).add(fired)

    for store in stores:
        for _ in range(trials):
            for drop in (5.0, 10.0):
                h = History(simulate(rng, store, WARM_UP + 7, scenario, lambda day, d=drop: d if day >= WARM_UP else 0))
                add(f"drop {drop:g}, first weekly check", check(h, WARM_UP + 6))
                add(f"drop {drop:g}, first weekly check, first z-test alone (before)", plain_test(h, WARM_UP + 6))
                found = daily(h, WARM_UP, WARM_UP + 6)
                add(f"drop {drop:g}, daily checks within 7 days", {k: v for f in found for k, v in f.items()})
            h = History(simulate(rng, store, WARM_UP + 28, scenario, lambda day: max(0, day - WARM_UP + 1) * 10 / 28))
            for drift in (False, True):
                found = daily(h, WARM_UP, WARM_UP + 27, drift=drift)
                label = "with CUSUM" if drift else "weekly test alone"
                for by in (14, 28):
                    add(f"drift to -10 in 28 d, by day {by}, {label}", {k: v for f in found[:by] for k, v in f.items()})
    return tallies


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--weeks", type=int, default=52, help="weekly checks per store without change")
    parser.add_argument("--trials", type=int, default=5, help="changes planted per store and kind")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    began = time.perf_counter()
    stores = fleet(rng, args.stores)
    volumes = sorted(s.volume for s in stores)
    print(
        f"signals: alpha {signals.ALPHA} per KPI, minimum drop {signals.MIN_DROP}, window {WINDOW_DAYS} d vs "
        f"baseline {BASELINE_DAYS} d, week spread from {HISTORY_WEEKS} weeks, CUSUM over {DRIFT_WEEKS} weeks "
        f"(allowance {signals.DRIFT_ALLOWANCE}, limit {signals.DRIFT_LIMIT}); seed {args.seed}"
    )
    print(
        f"fleet: {len(stores)} stores, answers per open day median {volumes[len(volumes) // 2]:.0f} "
        f"(smallest {volumes[0]:.0f}, largest {volumes[-1]:.0f}); bound: 0.1 % of store-weeks"
    )
    print(f"\n{'scenario':66} {'checks':>7} {'signals':>8} {'rate':>9}  by KPI and detector")

    def row(name: str, tally: Tally, per_year: bool = False) -> None:
        by = ", ".join(f"{k} {n}" for k, n in sorted(tally.by.items()))
        extra = f"  ({tally.signals * 365 / tally.checks:.3f} per store-year)" if per_year else ""
        print(f"{name:66} {tally.checks:7d} {tally.signals:8d} {100 * tally.rate:8.3f}%  {by}{extra}")

    for scenario in SCENARIOS:
        tallies = no_change(rng, stores, scenario, args.weeks)
        row(f"{scenario.name}: weekly checks", tallies["weekly"])
        row(f"{scenario.name}: weekly, first z-test alone (before)", tallies["weekly, plain z-test"])
        row(f"{scenario.name}: daily checks, quiet 7 d", tallies["daily"], per_year=True)
    print()
    for scenario in (SCENARIOS[0], SCENARIOS[3]):
        tallies = changes(rng, stores, scenario, args.trials)
        for key, tally in tallies.items():
            row(f"{scenario.name[:11]}: {key}", tally)
    print(f"\n{time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
