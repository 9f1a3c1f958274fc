"""The dashboards' data queries at several fleet sizes in one run: how their cost grows with the
number of responses.

``.venv/bin/python -m bench.scaling_curve --per-day 27,82,274`` (from the repository root;
the ``bench`` extra for DuckDB, the PostgreSQL server binaries as for the tests).

Each size is a plan of bench/dashboard_queries.py (100 stores x 365 days x per-day responses
a day: 27, 82 and 274 give about 1, 3 and 10 million), seeded and cached by it under var/bench/
(a size not cached yet is seeded first: about 3.5 minutes a million on this machine), each
with its own PostgreSQL cluster. The same queries as there (the overview, the store ranking of
28 days and of a year, the daily trend of a year) run on every size and engine in rounds that
take turns (size by size, engine by engine, within each round), so load elsewhere on the
machine falls on all sizes alike. The report gives each query's p50 and p95 per size side by
side and the growth of the p50 from the smallest size to the largest: the rollups count per
store and day, so their rows, and so the hub's times, should not grow with the responses;
DuckDB's scan of the raw rows does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.dashboard_queries import (
    BENCH_DATABASE,
    QUERY_NAMES,
    Seeding,
    cached_postgres,
    duckdb_queries,
    hub_queries,
    migrate_cached,
    percentile,
    seed_caches,
    seeded_counts,
)

STORE_CODE = "S001"


def _hub_calls(url: str, plan: Seeding) -> tuple[dict[str, Callable[[], Any]], int]:
    from hub.db import bind, database
    from hub.models import Store

    bind(url)
    database.connect(reuse_if_open=True)
    return hub_queries(plan, STORE_CODE), Store.get(Store.code == STORE_CODE).id


def measure(plans: list[Seeding], engines: list[str], urls: dict[tuple[str, str], str], repeat: int) -> dict:
    """times[query][engine][plan key] = seconds per run."""
    import duckdb

    from hub.db import database

    rounds = 10
    per_round = max(1, repeat // rounds)
    times: dict[str, dict[str, dict[str, list[float]]]] = {}
    ducks = {p.key: duckdb.connect(str(p.duckdb_path), read_only=True) for p in plans} if "duckdb" in engines else {}
    store_ids: dict[str, int] = {}
    for round_index in range(rounds):
        for plan in plans:
            for engine in engines:
                if engine == "duckdb":
                    calls = duckdb_queries(ducks[plan.key], plan, store_ids.get(plan.key, 1))
                else:
                    calls, store_ids[plan.key] = _hub_calls(urls[(engine, plan.key)], plan)
                for name, call in calls.items():
                    call()  # warm: the connection, the page cache
                    for _ in range(per_round):
                        started = time.perf_counter()
                        call()
                        times.setdefault(name, {}).setdefault(engine, {}).setdefault(plan.key, []).append(
                            time.perf_counter() - started
                        )
                if engine != "duckdb":
                    database.close()
        print(f"  round {round_index + 1}/{rounds}", flush=True)
    for duck in ducks.values():
        duck.close()
    return times


def report(times: dict, plans: list[Seeding], sizes: dict[str, int]) -> str:
    head = " | ".join(f"{sizes[p.key] / 1e6:.1f} M p50 | p95" for p in plans)
    smallest, largest = (sizes[p.key] / 1e6 for p in (plans[0], plans[-1]))
    lines = [
        f"| query | engine | {head} | p50 growth, {smallest:.1f} M to {largest:.1f} M |",
        "|---|---|" + "---:|---:|" * len(plans) + "---:|",
    ]
    for name, by_engine in times.items():
        for engine, by_plan in by_engine.items():
            cells = []
            for plan in plans:
                found = by_plan[plan.key]
                cells.append(f"{percentile(found, 0.5) * 1000:.1f} | {percentile(found, 0.95) * 1000:.1f}")
            first, last = (percentile(by_plan[p.key], 0.5) for p in (plans[0], plans[-1]))
            lines.append(f"| {QUERY_NAMES[name]} | {engine} | {' | '.join(cells)} | {last / first:.2f}x |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-day", default="27,82,274", help="responses a day per store, one size each")
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end", type=date.fromisoformat, default=datetime.now(UTC).date() - timedelta(days=1))
    parser.add_argument("--engines", default="sqlite,postgres,duckdb", help="comma-separated")
    parser.add_argument("--repeat", type=int, default=100, help="runs of each query per engine and size")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    plans = [Seeding(args.stores, args.days, int(n), args.seed, args.end) for n in args.per_day.split(",")]
    clusters = {p.key: cached_postgres(p.postgres_dir).start() for p in plans} if "postgres" in engines else {}
    try:
        urls: dict[tuple[str, str], str] = {}
        for plan in plans:
            seed_caches(plan, engines, clusters.get(plan.key), reseed=False)
            urls[("sqlite", plan.key)] = f"sqlite:///{plan.sqlite_path}"
            if plan.key in clusters:
                urls[("postgres", plan.key)] = clusters[plan.key].url_for(BENCH_DATABASE)
        for (engine, _), url in urls.items():
            migrate_cached(engine, url)
        sizes = {p.key: seeded_counts(p)["response"] for p in plans}
        print("measuring: " + ", ".join(f"{p.key} ({sizes[p.key]:,} responses)" for p in plans), flush=True)
        times = measure(plans, engines, urls, args.repeat)
    finally:
        for cluster in clusters.values():
            cluster.stop()
    table = report(times, plans, sizes)
    print(table)
    if args.json:
        args.json.write_text(json.dumps({"sizes": sizes, "times": times}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
