"""Each team's recommendation of the day: how often it names the planted problem, and what the
morning job costs next to the drivers it rests on.

``.venv/bin/python -m bench.recommendations [--runs 200] [--stores 50] [--engine sqlite|postgres]``

**Known truth** (no database). Stores from bench/analytics_truth.py's generator (six reasons
with known prevalences and effects, jittered per store) with a planted queue problem: the queue
is met by 35 % of the customers and lowers their latent satisfaction by 1.0 (the others as
there), so its true gain (how much the expected smiley index rises without it, exact over the
latent's noise) is the largest in every store. A week of ``n`` responses is counted as the
rollups count it and handed to the hub's own chain (hub/services/drivers.py ``measure``,
``with_effect``; hub/services/recommendations.py ``choose``, i.e. ``top_reasons``) for three
teams: the whole store (every reason), a checkout team (queue and crowded) and a floor team
(stock, staff, price). It prints, per weekly ``n`` and design (every face asked; the
terminal's faces 1-2 only), how often each team's recommendation is the reason with the
largest true gain among the team's reasons (the floor team's right answer varies by store),
and how often there was none (no reason with an order above zero), and the mean true gain lost
against the team's best reason (index points: what a wrong pick costs).

**Cost** (a temporary hub database, SQLite or a throwaway PostgreSQL). The demo seed for
``--stores`` stores and 14 days; half the stores get two teams. Timed: the drivers of every
store over the week (``reason_drivers``, what the store page computes: the baseline), the
job's first run of the morning (every store's recommendations with evidence, comments, the
actions tried, the insert and its audit row), and a second run that has nothing to make.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime

from bench.analytics_truth import REASONS, Reason, respondents, rollups, true_gains
from bench.analytics_truth import store as jittered_store
from bench.scratch_hub import scratch_hub
from hub.services.drivers import measure, with_effect
from hub.services.reason_effects import effects
from hub.services.recommendations import choose
from hub.services.teams import TeamView

FACES = 4
TEAMS = {
    "whole store": TeamView(None, 0, ""),
    "checkout": TeamView(1, 0, "checkout", ("crowded", "queue")),
    "floor": TeamView(2, 0, "floor", ("price", "staff", "stock")),
}
DESIGNS = {"every face asked": {1, 2, 3, 4}, "faces 1-2 asked (terminal)": {1, 2}}


def planted(rng: random.Random) -> tuple[float, list[Reason]]:
    """A store with the queue problem: the queue met by 35 % and lowering the latent by 1.0."""
    base, reasons = jittered_store(rng)
    return base, [Reason(r.key, 0.35, 1.0) if r.key == "queue" else r for r in reasons]


def recommended(rows: list[tuple[int, list[str]]], asked: set[int]) -> dict[str, str | None]:
    """Each team's reason by the hub's chain, from the week's counts."""
    counts = rollups(rows, asked)
    found = effects(FACES, counts["everyone"], counts["asked"], counts["named"], counts["together"])
    labels = {r.key: r.key for r in REASONS}
    drivers = [
        with_effect(
            measure("reason", r.key, r.key, counts["named"][r.key], counts["everyone"], FACES, question="reason"),
            found,
            labels,
        )
        for r in REASONS
    ]
    return {name: (d.key if (d := choose(drivers, team)) else None) for name, team in TEAMS.items()}


def truth_bench(runs: int, sizes: Sequence[int], seed: int) -> None:
    rng = random.Random(seed)
    stores = []
    for _ in range(runs):
        base, reasons = planted(rng)
        stores.append((base, reasons, true_gains(rng, base, reasons, population=4000)))
    print(f"Known truth: {runs} stores with a planted queue problem; share of stores whose recommendation")
    print("is the team's reason with the largest true gain (in brackets: the share with none, and the mean")
    print("true gain in index points lost against the best reason of the team)")
    print(f"{'design':<28} {'n a week':>8} " + " ".join(f"{name:>20}" for name in TEAMS))
    for design, asked in DESIGNS.items():
        for n in sizes:
            right = dict.fromkeys(TEAMS, 0)
            none = dict.fromkeys(TEAMS, 0)
            lost = dict.fromkeys(TEAMS, 0.0)
            for base, reasons, truth in stores:
                chosen = recommended(respondents(rng, base, reasons, n), asked)
                for name, team in TEAMS.items():
                    pool = team.reasons or tuple(truth)
                    best = max(pool, key=lambda k: truth[k])
                    right[name] += chosen[name] == best
                    none[name] += chosen[name] is None
                    lost[name] += truth[best] - truth.get(chosen[name] or "", 0.0)
            cells = [f"{right[t] / runs:.2f} ({none[t] / runs:.2f}, {lost[t] / runs:.1f})" for t in TEAMS]
            print(f"{design:<28} {n:>8} " + " ".join(f"{c:>20}" for c in cells))
    queue_best = sum(max(t, key=t.get) == "queue" for _, _, t in stores)
    print(f"the queue has the largest true gain in {queue_best} of {runs} stores")


def cost_bench(stores: int, engine: str) -> None:
    pg = None
    if engine == "postgres":
        from tests.support.postgres import TemporaryPostgres

        pg = TemporaryPostgres().start()
    try:
        _cost(stores, pg.create_database("voxloop_bench_recommendations") if pg else "")
    finally:
        if pg is not None:
            pg.stop()


def _cost(count: int, url: str) -> None:
    from hub.db import database
    from hub.models import Recommendation, Store
    from hub.seed.generator import Plan
    from hub.seed.writer import seed
    from hub.services import teams
    from hub.services.access import Scope
    from hub.services.analytics import Period
    from hub.services.drivers import reason_drivers
    from hub.services.recommendations import make_recommendations

    now = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 07:30 in Berlin
    with scratch_hub(now, url) as app, app.app_context():
        database.connect(reuse_if_open=True)
        report = seed(Plan(stores=count, days=14, per_day=274, seed=3, end=date(2026, 11, 22)), now=now)
        hq = Scope(1, "hq_admin", None)
        ids = [s.id for s in Store.select(Store.id).order_by(Store.id)]
        for store_id in ids[::2]:
            teams.save_team(hq, {"store": store_id, "name": "Checkout", "reasons": ["queue"]}, now=now)
            teams.save_team(hq, {"store": store_id, "name": "Floor", "reasons": ["stock", "cleanliness"]}, now=now)
        engine = "SQLite" if database.param == "?" else "PostgreSQL"
        print(f"{engine}: {len(ids)} stores, {report.responses:,} responses over 14 days, teams in half the stores")
        week = Period(date(2026, 11, 16), date(2026, 11, 22))
        began = time.perf_counter()
        for store_id in ids:
            reason_drivers([store_id], week)
        drivers = time.perf_counter() - began
        began = time.perf_counter()
        made = make_recommendations(now)
        job = time.perf_counter() - began
        began = time.perf_counter()
        again = make_recommendations(now)
        idle = time.perf_counter() - began
        assert made == Recommendation.select().count() == len(ids) + len(ids[::2]) and again == 0
        print(f"drivers of every store over the week: {drivers:7.2f} s  ({drivers / len(ids) * 1000:6.1f} ms a store)")
        print(
            f"the morning's job, {made} made:        {job:7.2f} s  ({job / len(ids) * 1000:6.1f} ms a store, "
            f"{job / drivers:.2f}x the drivers)"
        )
        print(f"a later run, nothing to make:        {idle * 1000:7.1f} ms")
        database.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sizes", default="100,250,500,1000")
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--skip-cost", action="store_true")
    args = parser.parse_args(argv)
    truth_bench(args.runs, [int(s) for s in args.sizes.split(",")], args.seed)
    if not args.skip_cost:
        cost_bench(args.stores, args.engine)


if __name__ == "__main__":
    main()
