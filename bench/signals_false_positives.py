"""Signals: how often they fire on noise, and how often they find a real drop.

``.venv/bin/python -m bench.signals_false_positives [--seed 20261123] [--stores 100] [--trials 10]``

The decision is the hub's own (hub/services/signals.py: ``judge``, both KPIs, ALPHA,
MIN_DROP, minimum n, the day-to-day dispersion check, the 7-day quiet period after a signal);
only the data is simulated, with a fixed seed, so the figures repeat exactly.

A fleet of ``--stores`` stores on a 5-face smiley. Each store has its own volume (answers per
open day: log-normal, median 120, clipped to 25-600; Monday to Saturday rising from 0.8 to
1.45 of it, closed on Sundays) and its own quality (a mix of a happy and an unhappy face
distribution, 5-35 % unhappy-leaning, so indexes from about +21 to +52).

- **noise, weekly checks**: 60 weeks of pure multinomial noise per store (nothing changes),
  52 weekly checks per store after the first 8 weeks: the false-positive rate per check.
- **noise, daily checks**: the same data checked every day (358 checks per store, windows
  overlapping), as the job does: false signals per store and year.
- **good and bad days**: as noise, but each day's unhappy-leaning part moves by N(0, 3 %)
  (a daily index standard deviation of about 3 points on top of chance): with the hub's
  dispersion check, and without it (what a plain z-test would do).
- **planted drop of 5 / 10 index points**: ``--trials`` per store; 8 weeks of baseline, then
  the store's faces shift towards the unhappy distribution by exactly that many index points
  (e.g. 5 points: about one customer in twenty gets a bad experience). Found by the first
  weekly check whose window lies in the drop, and by the daily checks within 14 days; split
  by store volume.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from hub.services import signals
from hub.services.signals import BASELINE_DAYS, KPIS, WINDOW_DAYS, judge

FACES = 5
HAPPY = (0.03, 0.05, 0.12, 0.35, 0.45)
UNHAPPY = (0.40, 0.30, 0.15, 0.10, 0.05)
WEEKDAY = (0.8, 0.85, 0.9, 1.0, 1.2, 1.45, 0.0)  # Monday .. Sunday (closed)
DAY_SPREAD = 0.03  # good and bad days: SD of the daily unhappy-leaning part
Day = dict[int, int]


def index_of(p: Sequence[float]) -> float:
    return sum(share * (-100 + 50 * k) for k, share in enumerate(p))


def mix(w: float, a: Sequence[float] = UNHAPPY, b: Sequence[float] = HAPPY) -> list[float]:
    return [w * x + (1 - w) * y for x, y in zip(a, b, strict=True)]


@dataclass(frozen=True)
class Store:
    volume: float  # answers on an average open day
    unhappy_part: float

    @property
    def faces(self) -> list[float]:
        return mix(self.unhappy_part)


def fleet(rng: random.Random, stores: int) -> list[Store]:
    return [
        Store(min(600.0, max(25.0, rng.lognormvariate(math.log(120), 0.5))), rng.uniform(0.05, 0.35))
        for _ in range(stores)
    ]


def one_day(rng: random.Random, store: Store, day: int, p: Sequence[float]) -> Day:
    mu = store.volume * WEEKDAY[day % 7]
    if mu == 0:
        return {}
    n = max(0, round(rng.gauss(mu, math.sqrt(mu))))  # Poisson-like volume
    cum = [sum(p[: k + 1]) for k in range(FACES)]
    return dict(Counter(rng.choices(range(1, FACES + 1), cum_weights=cum, k=n)))


def days_of(
    rng: random.Random, store: Store, count: int, *, spread: float = 0.0, drop_from: int | None = None, drop: float = 0
) -> list[Day]:
    """``count`` days of one store; from day ``drop_from`` on, its index is ``drop`` points lower."""
    base = store.faces
    lam = drop / (index_of(base) - index_of(UNHAPPY)) if drop else 0.0
    out = []
    for day in range(count):
        w = store.unhappy_part
        if spread:
            w = min(0.95, max(0.0, w + rng.gauss(0, spread)))
        p = mix(w)
        if drop_from is not None and day >= drop_from:
            p = mix(lam, UNHAPPY, p)
        out.append(one_day(rng, store, day, p))
    return out


class History:
    """A store's days with running totals, so any window's counts cost five subtractions."""

    def __init__(self, days: list[Day]) -> None:
        self.days = days
        self.running = [[0] * FACES]
        for day in days:
            self.running.append([a + day.get(face, 0) for face, a in enumerate(self.running[-1], start=1)])

    def total(self, start: int, end: int) -> Day:
        """Face counts of days ``start`` .. ``end - 1``."""
        a, b = self.running[start], self.running[end]
        return {face: b[i] - a[i] for i, face in enumerate(range(1, FACES + 1)) if b[i] > a[i]}


def check(history: History, end: int, *, dispersion: bool = True) -> set[str]:
    """The KPIs that signal for the window ending on day ``end`` (inclusive)."""
    start = end - WINDOW_DAYS + 1
    base_days = history.days[start - BASELINE_DAYS : start]
    window, baseline = history.total(start, end + 1), history.total(start - BASELINE_DAYS, start)
    fired = set()
    for kpi in KPIS:
        verdict = judge(kpi, baseline, window, FACES, (lambda: base_days) if dispersion else None)
        if verdict is not None and verdict.fires:
            fired.add(kpi)
    return fired


@dataclass
class Tally:
    checks: int = 0
    signals: int = 0  # checks with a signal on any KPI
    by_kpi: Counter[str] | None = None

    def add(self, fired: set[str]) -> None:
        self.checks += 1
        self.signals += bool(fired)
        if self.by_kpi is None:
            self.by_kpi = Counter()
        self.by_kpi.update(fired)

    @property
    def rate(self) -> float:
        return self.signals / self.checks if self.checks else math.nan


def noise(rng: random.Random, stores: list[Store], spread: float) -> dict[str, Tally]:
    weeks = 52
    span = BASELINE_DAYS + WINDOW_DAYS * weeks
    tallies = {"weekly": Tally(), "daily": Tally(), "weekly, no dispersion check": Tally()}
    for store in stores:
        days = History(days_of(rng, store, span, spread=spread))
        for week in range(weeks):
            end = BASELINE_DAYS + WINDOW_DAYS * (week + 1) - 1
            tallies["weekly"].add(check(days, end))
            if spread:
                tallies["weekly, no dispersion check"].add(check(days, end, dispersion=False))
        quiet_until: dict[str, int] = {}
        for end in range(BASELINE_DAYS + WINDOW_DAYS - 1, span):
            fired = {k for k in check(days, end) if quiet_until.get(k, -1) < end}
            for kpi in fired:
                quiet_until[kpi] = end + WINDOW_DAYS - 1
            tallies["daily"].add(fired)
    return tallies


def drops(rng: random.Random, stores: list[Store], drop: float, trials: int, spread: float) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    cut = sorted(s.volume for s in stores)
    small, large = cut[len(cut) // 3], cut[2 * len(cut) // 3]
    for store in stores:
        size = "small" if store.volume < small else "large" if store.volume >= large else "mid"
        for _ in range(trials):
            days = History(days_of(rng, store, BASELINE_DAYS + 14, spread=spread, drop_from=BASELINE_DAYS, drop=drop))
            first_week = check(days, BASELINE_DAYS + WINDOW_DAYS - 1)
            within = set().union(*(check(days, end) for end in range(BASELINE_DAYS, BASELINE_DAYS + 14)))
            for key, fired in (("first week", first_week), ("within 14 days", within)):
                tallies.setdefault(key, Tally()).add(fired)
                tallies.setdefault(f"{key}, {size} stores", Tally()).add(fired)
    return tallies


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--trials", type=int, default=10, help="planted drops per store and size")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    began = time.perf_counter()
    stores = fleet(rng, args.stores)
    volumes = sorted(s.volume for s in stores)
    print(
        f"signals: alpha {signals.ALPHA} per KPI, minimum drop {signals.MIN_DROP}, "
        f"window {WINDOW_DAYS} d vs baseline {BASELINE_DAYS} d, n >= {signals.MIN_WINDOW_N} / "
        f"{signals.MIN_BASELINE_N}; seed {args.seed}"
    )
    print(
        f"fleet: {len(stores)} stores, answers per open day median {volumes[len(volumes) // 2]:.0f} "
        f"(smallest {volumes[0]:.0f}, largest {volumes[-1]:.0f}), 6 open days a week"
    )
    print()
    print(f"{'scenario':70} {'checks':>7} {'signals':>8} {'rate':>9}  by KPI")

    def row(name: str, tally: Tally, per_year: bool = False) -> None:
        kpis = ", ".join(f"{k} {tally.by_kpi[k]}" for k in KPIS) if tally.by_kpi else ""
        rate = f"{100 * tally.rate:8.3f}%"
        extra = f"  ({tally.signals / len(stores) * 365 / (tally.checks / len(stores)):.3f} per store-year)"
        print(f"{name:70} {tally.checks:7d} {tally.signals:8d} {rate}  {kpis}{extra if per_year else ''}")

    for spread, label in ((0.0, "pure binomial noise"), (DAY_SPREAD, "noise with good and bad days")):
        tallies = noise(rng, stores, spread)
        row(f"{label}, weekly checks", tallies["weekly"])
        if spread:
            row(f"{label}, weekly, plain z-test", tallies["weekly, no dispersion check"])
        row(f"{label}, daily checks (quiet 7 d after a signal)", tallies["daily"], per_year=True)
    for spread, label in ((0.0, "binomial noise"), (DAY_SPREAD, "good and bad days")):
        for drop in (5.0, 10.0):
            tallies = drops(rng, stores, drop, args.trials, spread)
            for key in ("first week", "within 14 days"):
                row(f"drop {drop:g} points ({label}), {key}", tallies[key])
            for size in ("small", "mid", "large"):
                row(f"  ... {size} stores, first week", tallies[f"first week, {size} stores"])
    print(f"\n{time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
