"""The hourly measure_signals job on a fleet: how long one run takes on SQLite, beside the
signals job on the same data.

``.venv/bin/python -m bench.measure_signals_job [--stores 100] [--runs 5]``

A temporary hub database with ``--stores`` stores and 60 weeks of smiley counts per store
(bench/signals_job.py's seed: simulated with day and week effects), a daily queue-minutes
measure for the last 35 days of every store (rising by half in the last week in a fifth of
the stores, flat elsewhere) and one active rule for every store (index down 3 points while
queue minutes rise 30 %). Timed: ``check_measure_signals`` ``--runs`` times at the same hour
(the first run computes every store and records what holds, the later ones skip those), and
``check_signals`` once, the job it sits beside, as the baseline of the same run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bench.scratch_hub import scratch_hub
from bench.signals_job import seed
from hub.db import database, write_transaction
from hub.models import Measure, MeasureSignal, MeasureValue, Store, User
from hub.services.access import scope_for
from hub.services.measure_signals import check_measure_signals, save_rule
from hub.services.signals import check_signals


def seed_measure(now: datetime, rng: random.Random) -> int:
    """35 days of queue minutes per store; a fifth of the stores queue half as long again in
    the last week. Returns how many stores rise."""
    measure = Measure.create(
        code="queue_minutes", name="Queue minutes", unit="min", kind="duration", grain="day", created_at=now
    )
    rising = 0
    rows = []
    last = now.date() - timedelta(days=1)
    for store in Store.select():
        rises = rng.random() < 0.2
        rising += rises
        for back in range(35):
            day = last - timedelta(days=back)
            value = 20.0 * (1.5 if rises and back < 7 else 1.0) * rng.uniform(0.9, 1.1)
            start = datetime(day.year, day.month, day.day)
            rows.append(
                {
                    "measure": measure.id,
                    "store": store.id,
                    "period_start": start,
                    "day": day,
                    "hour": None,
                    "value": value,
                    "updated_at": now.replace(tzinfo=None),
                }
            )
    with write_transaction():
        for begin in range(0, len(rows), 500):
            MeasureValue.insert_many(rows[begin : begin + 500]).execute()
    return rising


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args(argv)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    rng = random.Random(args.seed)
    with scratch_hub(now) as app, app.app_context():
        database.connect(reuse_if_open=True)
        seed(args.stores, rng, now.date() - timedelta(days=1), now)
        rising = seed_measure(now, rng)
        admin = User.get(User.email == "admin@example.org")
        rule = {"name": "Queues", "measure": "queue_minutes", "direction": "up", "index_drop": "3"}
        rule |= {"measure_change": "30", "min_answers": "100", "active": "on"}
        save_rule(scope_for(admin), rule, now=now)
        began = time.perf_counter()
        check_signals(now)
        baseline = 1000 * (time.perf_counter() - began)
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            check_measure_signals(now)
            times.append(1000 * (time.perf_counter() - began))
        found = MeasureSignal.select().count()
        print(f"{args.stores} stores, {rising} with rising queue minutes; measure signals: {found}")
        print(f"check_signals (baseline): {baseline:.0f} ms")
        print(
            f"check_measure_signals: first run {times[0]:.0f} ms ({times[0] / baseline:.2f}x the baseline), "
            f"later runs p50 {statistics.median(times[1:]):.0f} ms"
        )
        database.close()


if __name__ == "__main__":
    main()
