"""Drivers and the smiley index interval against known truth.

``.venv/bin/python -m bench.analytics_truth [--runs 40] [--samples 4000] [--seed 16]`` (from the
repository root). Pure Python, no database: its own generator of stores with known truth
(seeded; not the demo seed), counted the way the rollups count, then handed to the hub's
analysis (hub/services/reason_effects.py) and to shared/scoring.py.

**Drivers.** A store's customers each meet some of six reasons (a common queue, stock, staff,
prices, a rare severe one and a harmless one that comes with the queue), each reason
lowering a latent satisfaction by a known amount; the face (of 4) is the latent cut at fixed
thresholds. A customer names a reason met with probability 0.9 when unhappy, 0.7 otherwise.
The **true gain** of a reason is how much the expected smiley index rises when its effect is
removed for everyone who meets it (exact over the latent's normal noise, averaged over a
large population of the same store). Each run draws a store (prevalences and effects
jittered), ``--respondents`` responses, and ranks the reasons by

- ``ours``: the hub's gain (every face asked) or its share among those asked (terminal: only
  faces 1-2 asked: "most named among unhappy customers");
- ``plain OLS``: least squares of the face weight on the six indicators over every rated
  response (those not asked count as naming none), gain = -coefficient x share naming it;
- ``before``: the former potential, importance x share still unhappy.

It prints the mean Spearman correlation of each ranking with the true gains (aim: ours
within 0.05 of plain OLS in both designs), how often the rare severe reason was put above
the queue (its true gain is smaller), the mean place of the harmless reason (its true gain
is 0: last, 6th, is right), and, every face asked, the coverage of the gains' 95 %
intervals (of the true gain, and of what the regression estimates: its gain over 200,000
respondents of the same store).

**Smiley index interval.** For several face distributions and n = 5 ... 300, ``--samples``
samples each: the share of intervals that hold the true index (aim: >= 0.93 from n = 20), the
plain normal interval's beside it, and the share of zero-width intervals.
"""

from __future__ import annotations

import argparse
import math
import random
from collections import Counter
from dataclasses import dataclass
from statistics import NormalDist

from hub.services.reason_effects import effects
from shared.scoring import Z95, smiley_index, smiley_weight

FACES = 4
CUTS = (-1.0, 0.0, 1.0)  # latent below -1: face 1, below 0: face 2, below 1: face 3, else 4
NAMES_IF_UNHAPPY, NAMES_IF_HAPPY = 0.9, 0.7


@dataclass(frozen=True)
class Reason:
    key: str
    prevalence: float  # share of customers meeting it (for "crowded": among those without the queue)
    effect: float  # lowers the latent by this much


REASONS = (
    Reason("queue", 0.25, 0.6),
    Reason("stock", 0.15, 0.6),
    Reason("staff", 0.10, 0.7),
    Reason("price", 0.25, 0.25),
    Reason("rude", 0.03, 2.5),  # rare and severe
    Reason("crowded", 0.05, 0.0),  # harmless, met by 60 % of those who queue
)
CROWDED_WITH_QUEUE = 0.6


def store(rng: random.Random) -> tuple[float, list[Reason]]:
    """A store: its baseline latent and its reasons, jittered around REASONS."""
    base = rng.uniform(0.6, 1.2)
    reasons = [Reason(r.key, r.prevalence * rng.uniform(0.7, 1.3), r.effect * rng.uniform(0.75, 1.25)) for r in REASONS]
    return base, reasons


def meets(rng: random.Random, reasons: list[Reason]) -> list[str]:
    met = [r.key for r in reasons if r.key != "crowded" and rng.random() < r.prevalence]
    crowded = next(r for r in reasons if r.key == "crowded")
    if rng.random() < (CROWDED_WITH_QUEUE if "queue" in met else crowded.prevalence):
        met.append("crowded")
    return met


def face_of(latent: float) -> int:
    return 1 + sum(latent >= cut for cut in CUTS)


def expected_index(mu: float) -> float:
    """The expected smiley weight of a customer whose latent is mu + N(0, 1)."""
    cdf = [NormalDist(mu, 1.0).cdf(cut) for cut in CUTS]
    probabilities = [cdf[0], cdf[1] - cdf[0], cdf[2] - cdf[1], 1 - cdf[2]]
    return sum(p * smiley_weight(face, FACES) for face, p in enumerate(probabilities, 1))


def true_gains(rng: random.Random, base: float, reasons: list[Reason], population: int = 20000) -> dict[str, float]:
    effect = {r.key: r.effect for r in reasons}
    sums: Counter = Counter()
    for _ in range(population):
        met = meets(rng, reasons)
        mu = base - sum(effect[k] for k in met)
        now = expected_index(mu)
        for k in met:
            sums[k] += expected_index(mu + effect[k]) - now
    return {r.key: sums[r.key] / population for r in reasons}


def respondents(rng: random.Random, base: float, reasons: list[Reason], n: int) -> list[tuple[int, list[str]]]:
    """(face, reasons named) of n customers, every one asked."""
    effect = {r.key: r.effect for r in reasons}
    found = []
    for _ in range(n):
        met = meets(rng, reasons)
        face = face_of(base - sum(effect[k] for k in met) + rng.gauss(0.0, 1.0))
        p = NAMES_IF_UNHAPPY if face <= 2 else NAMES_IF_HAPPY
        found.append((face, [k for k in met if rng.random() < p]))
    return found


# --- what the rollups hold, and the methods ---------------------------------------------------


def rollups(rows: list[tuple[int, list[str]]], asked_faces: set[int]) -> dict:
    everyone, asked = Counter(), Counter()
    named: dict[str, Counter] = {r.key: Counter() for r in REASONS}
    together: dict[tuple[str, str], Counter] = {}
    for face, chosen in rows:
        everyone[face] += 1
        if face not in asked_faces:
            continue
        asked[face] += 1
        for k in chosen:
            named[k][face] += 1
        for i, a in enumerate(sorted(chosen)):
            for b in sorted(chosen)[i + 1 :]:
                together.setdefault((a, b), Counter())[face] += 1
    return {"everyone": everyone, "asked": asked, "named": named, "together": together}


def ours(counts: dict) -> dict[str, float]:
    found = effects(FACES, counts["everyone"], counts["asked"], counts["named"], counts["together"])
    return {k: e.order for k, e in found.effects.items() if e.order is not None}


def share_asked(counts: dict) -> dict[str, float]:
    """Ordered by the share naming it among those asked alone."""
    found = effects(FACES, counts["everyone"], counts["asked"], counts["named"], counts["together"])
    return {k: e.share for k, e in found.effects.items() if e.share is not None}


def plain_ols(rows: list[tuple[int, list[str]]], asked_faces: set[int]) -> dict[str, float]:
    """Least squares over every rated response, row by row (normal equations, Gauss-Jordan)."""
    keys = [r.key for r in REASONS]
    size = len(keys) + 1
    xtx = [[0.0] * size for _ in range(size)]
    xty = [0.0] * size
    for face, chosen in rows:
        x = [1.0] + [1.0 if (face in asked_faces and k in chosen) else 0.0 for k in keys]
        y = smiley_weight(face, FACES)
        for i in range(size):
            xty[i] += x[i] * y
            for j in range(size):
                xtx[i][j] += x[i] * x[j]
    beta = gauss(xtx, xty)
    if beta is None:
        return {}
    n = len(rows)
    return {k: -beta[i + 1] * xtx[0][i + 1] / n for i, k in enumerate(keys) if xtx[0][i + 1] > 0}


def gauss(a: list[list[float]], b: list[float]) -> list[float] | None:
    m = [[*row, v] for row, v in zip(a, b, strict=True)]
    size = len(m)
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-9:
            return None
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(size):
            if r != col:
                f = m[r][col] / m[col][col]
                m[r] = [v - f * p for v, p in zip(m[r], m[col], strict=True)]
    return [m[i][size] / m[i][i] for i in range(size)]


def before(counts: dict) -> dict[str, float]:
    """The former potential: importance x share still unhappy, over every rated response."""
    everyone = counts["everyone"]
    n = sum(everyone.values())
    total = sum(smiley_weight(f, FACES) * c for f, c in everyone.items())
    found = {}
    for k, with_ in counts["named"].items():
        rated = sum(with_.values())
        if not rated or rated >= n:
            continue
        weight = sum(smiley_weight(f, FACES) * c for f, c in with_.items())
        importance = rated / n * ((total - weight) / (n - rated) - weight / rated)
        unhappy = sum(c for f, c in with_.items() if f <= 2) / rated
        found[k] = max(importance, 0.0) * unhappy
    return found


def spearman(a: dict[str, float], b: dict[str, float]) -> float:
    keys = sorted(set(a) & set(b))

    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        found = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                found[order[k]] = (i + j) / 2
            i = j + 1
        return found

    ra, rb = ranks([a[k] for k in keys]), ranks([b[k] for k in keys])
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    top = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    bottom = math.sqrt(sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb))
    return top / bottom if bottom else 0.0


def drivers_bench(runs: int, n: int, seed: int) -> None:
    rng = random.Random(seed)
    designs = {"every face asked": {1, 2, 3, 4}, "faces 1-2 asked (terminal)": {1, 2}}
    print(f"Drivers: {runs} stores, {n} respondents each, 6 reasons; Spearman with the true gains (mean, min)")
    print(
        f"{'design':<28} {'ours':>13} {'plain OLS':>13} {'share asked':>13} {'before':>13} "
        f"{'rare > queue':>24} {'harmless rank':>20} {'gain CI cover':>14}"
    )
    stores = []
    for _ in range(runs):
        base, reasons = store(rng)
        stores.append((base, reasons, true_gains(rng, base, reasons), respondents(rng, base, reasons, n)))
    for design, asked in designs.items():
        scores = {"ours": [], "ols": [], "share": [], "before": []}
        rare_first = Counter()
        harmless: Counter = Counter()
        covered = total = 0
        for _base, _reasons, truth, rows in stores:
            counts = rollups(rows, asked)
            found = {
                "ours": ours(counts),
                "ols": plain_ols(rows, asked),
                "share": share_asked(counts),
                "before": before(counts),
            }
            for method, values in found.items():
                scores[method].append(spearman(values, truth))
                if values.get("rude", 0) > values.get("queue", 0):
                    rare_first[method] += 1
                harmless[method] += 1 + sum(v > values.get("crowded", 0) for v in values.values())
            if asked == {1, 2, 3, 4}:
                model = effects(FACES, counts["everyone"], counts["asked"], counts["named"], counts["together"])
                for k, e in model.effects.items():
                    if e.gain_low is not None:
                        total += 1
                        covered += e.gain_low <= truth[k] <= e.gain_high
        cells = [f"{sum(v) / len(v):.3f} ({min(v):+.2f})" for v in scores.values()]
        rare = f"{rare_first['ours']}/{rare_first['ols']}/{rare_first['before']} of {runs}"
        cover = f"{covered / total:.3f}" if total else "-"
        place = "/".join(f"{harmless[m] / runs:.1f}" for m in ("ours", "ols", "share", "before"))
        print(f"{design:<28} " + " ".join(f"{c:>13}" for c in cells) + f" {rare:>24} {place:>20} {cover:>14}")
    estimand_coverage(rng, n)
    mean_truth = {r.key: sum(s[2][r.key] for s in stores) / runs for r in REASONS}
    print(
        "true gains (mean over the stores, index points): " + ", ".join(f"{k} {v:.1f}" for k, v in mean_truth.items())
    )
    print("rare > queue: runs that put the rare severe reason above the queue (ours/plain OLS/before)")
    print("harmless rank: mean place of the harmless reason that comes with the queue, of 6 (ours/OLS/share/before)")


def estimand_coverage(
    rng: random.Random, n: int, stores: int = 8, samples: int = 25, population: int = 200_000
) -> None:
    """How often a gain's interval holds what the regression estimates: its gain over a
    population of ``population`` respondents of the same store (every face asked)."""
    held: Counter = Counter()
    total: Counter = Counter()
    for _ in range(stores):
        base, reasons = store(rng)
        counts = rollups(respondents(rng, base, reasons, population), {1, 2, 3, 4})
        target = effects(FACES, counts["everyone"], counts["asked"], counts["named"], counts["together"]).effects
        for _ in range(samples):
            counts = rollups(respondents(rng, base, reasons, n), {1, 2, 3, 4})
            found = effects(FACES, counts["everyone"], counts["asked"], counts["named"], counts["together"]).effects
            for k, e in found.items():
                if e.gain_low is not None and target[k].gain is not None:
                    total[k] += 1
                    held[k] += e.gain_low <= target[k].gain <= e.gain_high
    cells = ", ".join(f"{k} {held[k] / total[k]:.3f}" for k in total)
    print(
        f"gain CI cover of the regression's own gain ({population:,} respondents), {stores} stores x {samples}: "
        f"{sum(held.values()) / sum(total.values()):.3f} ({cells})"
    )


# --- the smiley index interval ------------------------------------------------------------------

DISTRIBUTIONS = {
    "80 % top face (5)": ({5: 0.80, 4: 0.10, 3: 0.05, 2: 0.03, 1: 0.02}, 5),
    "80 % top face (4)": ({4: 0.80, 3: 0.10, 2: 0.05, 1: 0.05}, 4),
    "95 % top face (5)": ({5: 0.95, 4: 0.03, 1: 0.02}, 5),
    "even (5)": ({f: 0.2 for f in range(1, 6)}, 5),
    "split 40/60 (4)": ({1: 0.4, 4: 0.6}, 4),
    "middle (5)": ({3: 0.7, 2: 0.15, 4: 0.15}, 5),
}
SIZES = (5, 10, 20, 30, 50, 100, 300)


def plain_interval(counts: Counter, faces: int) -> tuple[float, float]:
    """The former interval: normal approximation of the mean, clipped (zero width when n is 1)."""
    n = sum(counts.values())
    mu = sum(smiley_weight(f, faces) * c for f, c in counts.items()) / n
    if n == 1:
        return mu, mu
    var = sum(c * (smiley_weight(f, faces) - mu) ** 2 for f, c in counts.items()) / (n - 1)
    half = Z95 * math.sqrt(var / n)
    return max(-100.0, mu - half), min(100.0, mu + half)


def interval_bench(samples: int, seed: int) -> None:
    rng = random.Random(seed)
    print(f"\nSmiley index interval: coverage of the true index, {samples} samples per cell (now / plain normal)")
    print(f"{'distribution':<20} " + " ".join(f"{'n=' + str(n):>13}" for n in SIZES))
    zero_now = zero_before = draws = 0
    for name, (dist, faces) in DISTRIBUTIONS.items():
        truth = sum(p * smiley_weight(f, faces) for f, p in dist.items())
        values, weights = list(dist), list(dist.values())
        cells = []
        for n in SIZES:
            now = old = 0
            for _ in range(samples):
                counts = Counter(rng.choices(values, weights, k=n))
                score = smiley_index(counts, faces)
                low, high = plain_interval(counts, faces)
                now += score.low <= truth <= score.high
                old += low <= truth <= high
                zero_now += score.high == score.low
                zero_before += high == low
                draws += 1
            cells.append(f"{now / samples:.3f}/{old / samples:.3f}")
        print(f"{name:<20} " + " ".join(f"{c:>13}" for c in cells))
    print(f"zero-width intervals: now {zero_now} of {draws}, plain normal {zero_before} of {draws}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--respondents", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    drivers_bench(args.runs, args.respondents, args.seed)
    interval_bench(args.samples, args.seed)


if __name__ == "__main__":
    main()
