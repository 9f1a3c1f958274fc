"""The hourly signals job on a fleet: how long one run takes on SQLite.

``.venv/bin/python -m bench.signals_job [--stores 100] [--runs 7]``

A temporary hub database (SQLite) with ``--stores`` stores and 60 weeks of smiley counts per
store in score_daily, simulated by bench/analytics_signals.py with day and week effects (so
the first z-test fires for some stores every run and the job reads their days, as it would in
a real fleet). Then ``check_signals`` runs ``--runs`` times at the same hour, as the hourly
job does all day; the figures are the run times (the first run records what fires, the later
ones find those stores quiet).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from bench import analytics_signals as sim
from bench.scratch_hub import scratch_hub
from hub.db import database, write_transaction
from hub.models import Signal
from hub.services import catalog
from hub.services.analytics import survey_scales
from hub.services.rollups import Rollups
from hub.services.signals import check_signals

DAYS = 7 * 60


def seed(stores: int, rng: random.Random, last: date, now: datetime) -> None:
    question = survey_scales().smiley
    fleet = sim.fleet(rng, stores)
    for number, store in enumerate(fleet):
        shop = catalog.add_store(f"S{number:03d}", f"Store {number}", time_zone="UTC", now=now)
        catalog.add_touchpoint(shop.code, "exit", "Exit")
        days = sim.simulate(rng, store, DAYS, sim.SCENARIOS[3])
        counted = Rollups()
        for back, counts in enumerate(reversed(days)):
            if counts:
                day = (last - timedelta(days=back)).isoformat()
                counted.add_score_counts(question, day, shop.id, "kiosk", [counts.get(v, 0) for v in range(11)])
        with write_transaction():
            counted.write()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args(argv)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with scratch_hub(now) as app, app.app_context():
        database.connect(reuse_if_open=True)
        began = time.perf_counter()
        seed(args.stores, random.Random(args.seed), now.date() - timedelta(days=1), now)
        print(f"seeded {args.stores} stores x {DAYS} days in {time.perf_counter() - began:.1f} s")
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            check_signals(now)
            times.append(1000 * (time.perf_counter() - began))
        print(f"signals recorded: {Signal.select().count()}")
        print(
            f"check_signals on SQLite, {args.stores} stores: first run {times[0]:.0f} ms, "
            f"later runs p50 {statistics.median(times[1:]):.0f} ms, max {max(times[1:]):.0f} ms"
        )
        database.close()


if __name__ == "__main__":
    main()
