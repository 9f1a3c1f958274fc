"""Loading operational measures: rows per second through hub/services/measures.py next to a
raw executemany INSERT of the same rows, in the same run on the same database.

``.venv/bin/python -m bench.measures_import [--stores 100] [--days 365] [--engine sqlite|postgres]``

A temporary hub database (SQLite, or a throwaway PostgreSQL server with fsync and synchronous
commits on: tests/support/postgres.py) with
``--stores`` stores in Europe/Berlin and one hourly measure (open tills). Every store's year is
sent as one batch of 8,760 values, as ``PUT /api/v1/measures/open_tills`` takes it (each period
a store-local hour with its offset, so both 02:00 hours of the night the clocks go back come
once): ``load`` checks every row (store, scope, period in the store's zone, value, duplicates),
reads what the store holds for the batch's span and inserts in one transaction. Then the same
batches again (every value unchanged: the idempotent re-send), then once more with every value
changed (all replaced). The baseline deletes the values and inserts the same rows, already
converted, with one executemany per store in one transaction each: what the database costs
without the hub's checking.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.scratch_hub import scratch_hub
from hub.db import database, db_day, db_time, placeholders, write_transaction
from hub.models import Measure, MeasureValue, Store
from hub.services import catalog, measures
from hub.services.access import Scope

ZONE = ZoneInfo("Europe/Berlin")
HQ = Scope(0, "hq_admin", None)


def batches(stores: Sequence[str], hours: int, first: datetime, rng: random.Random) -> dict[str, list[measures.Row]]:
    found = {}
    for code in stores:
        rows = []
        for i in range(hours):
            local = (first + timedelta(hours=i)).astimezone(ZONE)
            rows.append(measures.Row(i, "open_tills", code, local.isoformat(timespec="minutes"), rng.randint(1, 6)))
        found[code] = rows
    return found


def timed_load(all_rows: dict[str, list[measures.Row]], now: datetime) -> tuple[float, measures.Outcome]:
    total = measures.Outcome()
    began = time.perf_counter()
    for rows in all_rows.values():
        done = measures.load(HQ, rows, now=now)
        total.created += done.created
        total.unchanged += done.unchanged
        total.replaced += done.replaced
    return time.perf_counter() - began, total


def raw_tuples(all_rows: dict[str, list[measures.Row]], now: datetime) -> list[list[tuple]]:
    measure_id = Measure.get(Measure.code == "open_tills").id
    ids = {s.code: s.id for s in Store.select()}
    at = db_time(now)
    prepared = []
    for code, rows in all_rows.items():
        batch = []
        for r in rows:
            start, day, hour = measures.parse_period(r.period, "hour", ZONE)
            batch.append((measure_id, ids[code], db_time(start), db_day(day), hour, float(r.value), at))
        prepared.append(batch)
    return prepared


def timed_raw(prepared: list[list[tuple]]) -> float:
    sql = (
        "INSERT INTO measure_value (measure_id, store_id, period_start, day, hour, value, updated_at) "
        f"VALUES ({placeholders(7)})"
    )
    began = time.perf_counter()
    for batch in prepared:
        with write_transaction():
            database.cursor().executemany(sql, batch)
    return time.perf_counter() - began


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args(argv)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    pg = None
    if args.engine == "postgres":
        from tests.support.postgres import TemporaryPostgres

        pg = TemporaryPostgres().start()
    try:
        run(args, now, pg.create_database("voxloop_bench_measures") if pg else "")
    finally:
        if pg is not None:
            pg.stop()


def run(args: argparse.Namespace, now: datetime, url: str) -> None:
    first = datetime(2025, 11, 30, 23, 0, tzinfo=UTC)  # 00:00 of 1 December 2025 in Berlin
    hours = 24 * args.days
    with scratch_hub(now, url) as app, app.app_context():
        database.connect(reuse_if_open=True)
        codes = [f"S{n:03d}" for n in range(args.stores)]
        for code in codes:
            catalog.add_store(code, f"Store {code}", time_zone=ZONE.key, now=now)
        measures.define(measures.Definition("open_tills", "Open tills", "tills", "level", "hour"), now=now)
        rng = random.Random(args.seed)
        all_rows = batches(codes, hours, first, rng)
        count = args.stores * hours
        engine = "SQLite" if database.param == "?" else "PostgreSQL"
        print(f"{engine}: {args.stores} stores x {hours} hours = {count} values, one batch per store")

        seconds, done = timed_load(all_rows, now)
        assert done.created == count, done.created
        print(f"load, all new:        {seconds:7.2f} s  {count / seconds:9,.0f} rows/s")
        seconds, done = timed_load(all_rows, now)
        assert done.unchanged == count, done.unchanged
        print(f"load again, unchanged:{seconds:7.2f} s  {count / seconds:9,.0f} rows/s (nothing written)")
        changed = {
            code: [measures.Row(r.line, r.measure, r.store, r.period, r.value + 1) for r in rows]
            for code, rows in all_rows.items()
        }
        seconds, done = timed_load(changed, now)
        assert len(done.replaced) == count, len(done.replaced)
        print(f"load, all changed:    {seconds:7.2f} s  {count / seconds:9,.0f} rows/s (every value replaced)")

        prepared = raw_tuples(all_rows, now)
        with write_transaction():
            MeasureValue.delete().execute()
        seconds = timed_raw(prepared)
        assert MeasureValue.select().count() == count
        print(f"raw executemany:      {seconds:7.2f} s  {count / seconds:9,.0f} rows/s (baseline: no checks)")
        database.close()


if __name__ == "__main__":
    main()
