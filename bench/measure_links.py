"""Measures and scores: the error of the link's estimate and how often its 95 % interval
covers the planted size, over seeded simulated histories of known effect.

``.venv/bin/python -m bench.measure_links [--seed 20261202] [--runs 200] [--stores 3] [--days 56]``

The statistics are the hub's own (hub/services/measure_links.py: the tercile band,
``band_estimate`` with hub/services/hour_model.py's fixed effects and store-day clusters);
only the data is simulated, by hub/seed/measure_history.py with a fixed seed per run: open
tills drive queues (``PLANTED_INDEX`` index points and ``PLANTED_QUEUE_SHARE`` percentage
points of responses naming the queue between the hours with at most 2 tills open and the
others), friendly staff is likelier in the quiet mornings when fewer tills are open (so a
comparison that ignores the hour of day is off), and a noise measure is linked to nothing.

Then the time one measure's links take (the index and five reasons, the fixed effects swept
once) for one store's 28 days and for 100 stores' 28 and 91 days, the simulation left out.

For each link it prints the planted size, the mean estimate, its bias and root mean squared
error, the mean interval width, the coverage (aim: 95 %), and for the noise how often the
interval excludes 0 (aim: 5 %). Beside the index, the naive difference of the two kinds of
hours without fixed effects shows what the controls are for.
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import date

from hub.seed.measure_history import FACES, PLANTED_INDEX, PLANTED_QUEUE_SHARE, Hour, hours
from hub.services.measure_links import band_estimate, band_estimates, tercile_cut
from shared.scoring import smiley_weight

FIRST = date(2026, 6, 1)


def _paired(found: list[Hour], pick) -> tuple[dict, dict, dict]:
    """The service's inputs: value and face counts per store-hour, and the sums of y."""
    paired, index, queue = {}, {}, {}
    for h in found:
        if not h.responses:
            continue
        key = (h.store, h.day, h.hour)
        counts = [0] * 5
        for face, _ in h.responses:
            counts[face - 1] += 1
        paired[key] = (pick(h), counts)
        index[key] = sum(smiley_weight(face, FACES) for face, _ in h.responses)
        queue[key] = 100.0 * sum(1 for _, named in h.responses if named)
    return paired, index, queue


def _naive(paired: dict, totals: dict, cut: float) -> float:
    """The band's index minus the others', ignoring hour and weekday."""
    sums = {True: [0.0, 0], False: [0.0, 0]}
    for key, (value, counts) in paired.items():
        side = sums[value <= cut]
        side[0] += totals[key]
        side[1] += sum(counts)
    return sums[True][0] / sums[True][1] - sums[False][0] / sums[False][1]


def run(seed: int, stores: int, days: int) -> dict[str, tuple[float, float, float] | None]:
    found = list(hours(seed=seed, stores=stores, first=FIRST, days=days))
    result: dict[str, tuple[float, float, float] | None] = {}
    across = stores > 1
    for name, pick in (("tills", lambda h: float(h.tills)), ("noise", lambda h: h.noise)):
        paired, index, queue = _paired(found, pick)
        cut = tercile_cut([v for v, _ in paired.values()])
        for figure, totals in (("index", index), ("queue", queue)):
            e = band_estimate(paired, cut, totals, across)
            result[f"{name} {figure}"] = None if e is None else (e.value, e.low, e.high)
        if name == "tills":
            result["tills index naive"] = (_naive(paired, index, cut), math.nan, math.nan)
            result["tills cut"] = (cut, cut, cut)
    return result


def fleet_seconds(stores: int, days: int, outcomes: int = 6) -> tuple[int, float]:
    """How long one measure's links take for a fleet's period (the index and five reasons, as
    the drivers page asks for every store in HQ's scope): paired hours and seconds, the
    simulation left out."""
    paired, index, _ = _paired(list(hours(seed=7, stores=stores, first=FIRST, days=days)), lambda h: float(h.tills))
    cut = tercile_cut([v for v, _ in paired.values()])
    began = time.perf_counter()
    band_estimates(paired, cut, [index] * outcomes, stores > 1)
    return len(paired), time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--stores", type=int, default=3)
    parser.add_argument("--days", type=int, default=56)
    args = parser.parse_args()
    began = time.perf_counter()
    planted = {
        "tills index": PLANTED_INDEX,
        "tills queue": PLANTED_QUEUE_SHARE,
        "noise index": 0.0,
        "noise queue": 0.0,
        "tills index naive": PLANTED_INDEX,
    }
    seen: dict[str, list[tuple[float, float, float]]] = {k: [] for k in planted}
    cuts = set()
    for i in range(args.runs):
        result = run(args.seed + i, args.stores, args.days)
        cuts.add(result.pop("tills cut")[0])  # type: ignore[index]
        for key, value in result.items():
            if value is not None:
                seen[key].append(value)
    print(
        f"{args.runs} runs, {args.stores} stores x {args.days} days x 12 hours, about 4 responses an hour, "
        f"seed {args.seed}; tills band: at most {', '.join(f'{c:g}' for c in sorted(cuts))}"
    )
    print(f"{'link':<18} {'planted':>8} {'mean':>7} {'bias':>6} {'rmse':>6} {'width':>6} {'covers':>7} {'not 0':>6}")
    for key, truth in planted.items():
        values = seen[key]
        if not values:
            print(f"{key:<18} no estimate")
            continue
        n = len(values)
        mean = sum(v for v, _, _ in values) / n
        rmse = math.sqrt(sum((v - truth) ** 2 for v, _, _ in values) / n)
        if key.endswith("naive"):
            print(f"{key:<18} {truth:>8.1f} {mean:>7.1f} {mean - truth:>+6.1f} {rmse:>6.1f}")
            continue
        width = sum(h - lo for _, lo, h in values) / n
        covers = 100 * sum(lo <= truth <= h for _, lo, h in values) / n
        not_zero = 100 * sum(lo > 0 or h < 0 for _, lo, h in values) / n
        print(
            f"{key:<18} {truth:>8.1f} {mean:>7.1f} {mean - truth:>+6.1f} {rmse:>6.1f} {width:>6.1f} "
            f"{covers:>6.1f}% {not_zero:>5.1f}%"
        )
    for stores, days in ((1, 28), (100, 28), (100, 91)):
        cells, seconds = fleet_seconds(stores, days)
        print(f"one measure, index and five reasons, {stores} stores x {days} days ({cells:,} hours): {seconds:.2f} s")
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
