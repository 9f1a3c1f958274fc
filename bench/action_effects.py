"""Actions: how often the effect measurement calls a planted improvement clear, and a null action.

``.venv/bin/python -m bench.action_effects [--seed 20261202] [--trials 400] [--stores 30] [--treated 3]``

The measurement is the hub's own (hub/services/action_effects.py: ``measure``, its periods,
minimums, trend matching and interval); only the data is simulated, by
hub/seed/action_history.py with a fixed seed per trial, so the figures repeat exactly.

Each trial is a fleet of ``--stores`` stores on a 4-face smiley, about 40 answers a store and
day (0.6-1.4 of it per store), stores of different levels, days better or worse than chance
(a daily shock of 2 % of answers between the happiest and the most unhappy face) and a drift
the whole fleet shares. ``--treated`` stores gain 0, 5 or 10 index points from the action's
start (8 weeks of history before it); the effect is measured 2 and 4 weeks after the start.
A lift of 0 is the null action: nothing changed, so every "clear" is a false one. The
interval's coverage of the planted size is counted too, and how often someone who opens the
action's page every day from day 14 to day 28 sees "clear" at least once.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import date, timedelta

from hub.seed.action_history import FACES, history
from hub.services.action_effects import measure
from shared.scoring import smiley_weight

START = date(2026, 9, 28)
FIRST = START - timedelta(weeks=8)
LAST = START + timedelta(weeks=4) - timedelta(days=1)


def scores(days: dict[int, dict[date, dict[int, int]]]) -> dict[int, dict[date, dict[float, int]]]:
    return {
        store: {day: {smiley_weight(face, FACES): n for face, n in counts.items()} for day, counts in by_day.items()}
        for store, by_day in days.items()
    }


def trial(seed: int, lift: float, stores: int, treated: int) -> dict[int, tuple[str, bool]]:
    """The verdict and whether the interval covers ``lift``, after 2 and 4 weeks."""
    improved = tuple(range(1, treated + 1))
    found = history(seed=seed, stores=stores, improved=improved, lift=lift, first=FIRST, start=START, last=LAST)
    series = scores(found.days)
    result: dict[int, tuple[str, bool]] = {}
    for weeks in (2, 4):
        effect = measure(series, improved, START, START + timedelta(weeks=weeks))
        covered = effect.low is not None and effect.low <= lift <= effect.high
        result[weeks] = (effect.verdict, covered)
    # someone who opens the page every day from day 14 to day 28 and stops at the first "clear"
    daily = (measure(series, improved, START, START + timedelta(days=d)).verdict for d in range(14, 29))
    result[0] = ("clear" if "clear" in daily else "other", False)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--treated", type=int, default=3)
    args = parser.parse_args()
    began = time.perf_counter()
    print(f"{args.trials} trials, {args.stores} stores, {args.treated} with the action, seed {args.seed}")
    print(f"{'planted':>8} {'after':>7} {'clear':>7} {'unclear':>8} {'negative':>9} {'pending':>8} {'covers':>7}")
    for lift in (0.0, 5.0, 10.0):
        tallies: dict[int, Counter] = {0: Counter(), 2: Counter(), 4: Counter()}
        for i in range(args.trials):
            for weeks, (verdict, covered) in trial(args.seed + i, lift, args.stores, args.treated).items():
                tallies[weeks][verdict] += 1
                tallies[weeks]["covers"] += covered
        for weeks in (2, 4):
            t = tallies[weeks]

            def share(key: str, t: Counter = t) -> str:
                return f"{100 * t[key] / args.trials:.1f} %"

            print(
                f"{lift:>+8.0f} {weeks:>5} w {share('clear'):>7} {share('unclear'):>8} {share('negative'):>9} "
                f"{share('pending'):>8} {share('covers'):>7}"
            )
        daily = 100 * tallies[0]["clear"] / args.trials
        print(f"{lift:>+8.0f}  daily looks, days 14-28: clear at least once {daily:.1f} %")
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
