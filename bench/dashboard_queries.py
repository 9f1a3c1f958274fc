"""Dashboard queries at fleet scale: the hub's rollups on SQLite and PostgreSQL next to a DuckDB
scan of the raw responses, measured in the same run, and whole pages over HTTP.

``.venv/bin/python -m bench.dashboard_queries`` (from the repository root; needs the ``bench``
extra: ``.venv/bin/pip install -e '.[bench]'`` for DuckDB, and the PostgreSQL server binaries
as for the test suite).

1. **Seeding** (cached): ``voxloop demo seed`` fills a SQLite file with ``--stores`` x
   ``--days`` x ``--per-day`` responses (default 100 x 365 x 274, about 10 million). Its
   tables are then copied as they are into a PostgreSQL database (``COPY``; the same rows,
   ids and rollups on both engines, for a third of the CPU that seeding again would take on a
   shared machine; ``voxloop demo seed --database-url postgresql://...`` writes PostgreSQL
   directly, tested in tests/hub/test_demo_seed.py). The raw responses are exported from the
   SQLite file (the sqlite3 shell writes CSV, one line per response: store, touchpoint,
   channel, local day, capture time, locale, flags, face, NPS, reasons, comment) and loaded
   into a DuckDB file, the table an analyst would build. All three live under var/bench/,
   named by the plan, each with a marker written when complete, so later runs go straight to
   measuring (``--reseed`` starts again). The PostgreSQL cluster's data directory is kept
   there too and started for the run.
2. **Data queries**: the functions of hub/services/analytics.py behind each page, on each
   engine, many times over in rotation: the overview (28 days, every store, with the period
   before), the store ranking (28 days and a year) and a one-year daily trend (every store, one store).
   DuckDB computes the same aggregates (counts per face and per NPS value per period, store
   or day) by scanning the raw table. The report gives p50 and p95 per query and engine,
   and the ratio DuckDB p50 / rollup p50.
3. **Whole pages**: a real hub process (``voxloop hub serve``) per engine, an HQ admin signed
   in over HTTP, then GET /dashboard, /dashboard/stores/<code> and the monthly year view
   (/dashboard?grain=month&from=<a year ago>) many times each; p50/p95 of the full request.

Aims (issue 6): data queries <= 10 ms p95 and at least 10 x faster than the DuckDB scan; each
whole page <= 100 ms p95. How to read the figures and a reference run: docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VOXLOOP = str(Path(PYTHON).parent / "voxloop")
CACHE = ROOT / "var" / "bench"
BENCH_DATABASE = "voxloop_bench"
ADMIN_EMAIL = "bench.admin@voxloop.test"
ADMIN_PASSWORD = "bench admin password"


# --- the plan and its cached databases ---------------------------------------------------------


@dataclass(frozen=True)
class Seeding:
    stores: int
    days: int
    per_day: int
    seed: int
    end: date

    @property
    def key(self) -> str:
        return f"{self.stores}x{self.days}x{self.per_day}-s{self.seed}-{self.end.isoformat()}"

    @property
    def sqlite_path(self) -> Path:
        return CACHE / f"seed-{self.key}.db"

    @property
    def duckdb_path(self) -> Path:
        return CACHE / f"raw-{self.key}.duckdb"

    @property
    def postgres_dir(self) -> Path:
        return CACHE / f"postgres-{self.key}"

    def seed_command(self, url: str) -> list[str]:
        return [
            VOXLOOP,
            "demo",
            "seed",
            "--stores",
            str(self.stores),
            "--days",
            str(self.days),
            "--per-day",
            str(self.per_day),
            "--seed",
            str(self.seed),
            "--end",
            self.end.isoformat(),
            "--database-url",
            url,
        ]


def _done_marker(path: Path) -> Path:
    return path.with_name(path.name + ".complete")


def seed_caches(plan: Seeding, engines: list[str], pg: Any, reseed: bool) -> None:
    """Seed what is missing (or everything with ``reseed``), the engines at once."""
    jobs: list[tuple[str, subprocess.Popen, Path, Path]] = []
    CACHE.mkdir(parents=True, exist_ok=True)
    if engines:  # the SQLite file is the source of the other two
        marker = _done_marker(plan.sqlite_path)
        if reseed or not marker.exists():
            marker.unlink(missing_ok=True)
            for leftover in CACHE.glob(plan.sqlite_path.name + "*"):
                leftover.unlink()
            jobs.append(_start_seed("sqlite", plan, f"sqlite:///{plan.sqlite_path}", marker))
    for name, process, marker, log in jobs:
        if process.wait() != 0:
            raise SystemExit(f"seeding {name} failed; see {log}")
        marker.write_text(datetime.now(UTC).isoformat() + "\n")
        print(f"seeded {name}: {log.read_text(errors='replace').strip().splitlines()[-3]}", flush=True)
    if "postgres" in engines:
        marker = _done_marker(plan.postgres_dir)
        if reseed or not marker.exists():
            marker.unlink(missing_ok=True)
            copy_to_postgres(plan.sqlite_path, pg.recreate_database(BENCH_DATABASE))
            marker.write_text(datetime.now(UTC).isoformat() + "\n")
    if "duckdb" in engines:
        fill_duckdb(plan, reseed)


def _start_seed(name: str, plan: Seeding, url: str, marker: Path) -> tuple[str, subprocess.Popen, Path, Path]:
    log = CACHE / f"seed-{plan.key}-{name}.log"
    print(f"seeding {name} ({plan.key}) in the background; progress in {log}", flush=True)
    out = log.open("w")
    process = subprocess.Popen(plan.seed_command(url), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    return name, process, marker, log


RAW_EXPORT = """
SELECT r.id, r.store_id, r.touchpoint_id, r.channel, r.local_day, r.captured_at, r.locale, r.flags,
       MAX(CASE WHEN a.question = 'rating' THEN a.number END),
       MAX(CASE WHEN a.question = 'nps' THEN a.number END),
       GROUP_CONCAT(CASE WHEN a.question = 'reason' THEN a.text END, ' '),
       MAX(CASE WHEN a.question = 'comment' THEN a.text END)
FROM response r JOIN answer a ON a.response_id = r.id
GROUP BY r.id
"""
DUCKDB_COLUMNS = {
    "id": "VARCHAR",
    "store_id": "INTEGER",
    "touchpoint_id": "INTEGER",
    "channel": "VARCHAR",
    "day": "DATE",
    "captured_at": "TIMESTAMP",
    "locale": "VARCHAR",
    "flags": "VARCHAR",
    "face": "TINYINT",
    "nps": "TINYINT",
    "reasons": "VARCHAR",
    "comment": "VARCHAR",
}


def fill_duckdb(plan: Seeding, reseed: bool) -> None:
    """The raw responses, one row each, from the seeded SQLite file into DuckDB (via CSV
    written by the sqlite3 shell: no DuckDB extension needed)."""
    import duckdb

    marker = _done_marker(plan.duckdb_path)
    if marker.exists() and not reseed:
        return
    marker.unlink(missing_ok=True)
    plan.duckdb_path.unlink(missing_ok=True)
    csv_path = CACHE / f"raw-{plan.key}.csv"
    started = time.monotonic()
    print(f"exporting the raw responses to {csv_path}", flush=True)
    with csv_path.open("wb") as out:
        subprocess.run(["sqlite3", "-readonly", "-csv", str(plan.sqlite_path), RAW_EXPORT], stdout=out, check=True)
    print(f"loading them into {plan.duckdb_path}", flush=True)
    with duckdb.connect(str(plan.duckdb_path)) as con:
        columns = ", ".join(f"'{name}': '{kind}'" for name, kind in DUCKDB_COLUMNS.items())
        con.execute(
            f"CREATE TABLE responses AS SELECT * FROM read_csv('{csv_path}', header = false, "
            f"columns = {{{columns}}}, nullstr = '')"
        )
        count = con.execute("SELECT count(*) FROM responses").fetchone()[0]
    csv_path.unlink()
    marker.write_text(datetime.now(UTC).isoformat() + "\n")
    print(f"DuckDB holds {count:,} raw responses ({time.monotonic() - started:.0f} s)", flush=True)


# --- a PostgreSQL cluster kept between runs ------------------------------------------------------


def cached_postgres(directory: Path):
    """tests/support/postgres.py's server, with its data directory kept under var/bench (a
    clean shutdown at the end, and the next run starts it again instead of seeding anew)."""
    from tests.support.postgres import TemporaryPostgres

    class CachedPostgres(TemporaryPostgres):
        def __init__(self) -> None:
            super().__init__(database="postgres")

        def _make_tmpdir(self) -> Path:
            directory.mkdir(parents=True, exist_ok=True)
            if self._as_root():
                import pwd

                account = pwd.getpwnam("postgres")
                os.chown(directory, account.pw_uid, account.pw_gid)
                directory.chmod(0o711)
            return directory

        def _initdb(self) -> None:
            if not (self.data_dir / "PG_VERSION").exists():
                super()._initdb()

        def start(self) -> CachedPostgres:
            super().start()
            if self._finalizer is not None:
                self._finalizer.detach()  # never delete the cached cluster
            return self

        def create_database(self, name: str) -> str:
            import psycopg

            with psycopg.connect(self.url_for("postgres"), autocommit=True) as conn:
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                    conn.execute(f'CREATE DATABASE "{name}"')
            return self.url_for(name)

        def recreate_database(self, name: str) -> str:
            import psycopg

            with psycopg.connect(self.url_for("postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
            return self.url_for(name)

        def stop(self) -> None:
            assert self.bin_dir is not None
            self._run(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                what="stopping the cached server",
            )
            self.port = None

    return CachedPostgres()


# --- the seeded rows, copied into PostgreSQL -----------------------------------------------------

# every table the seed writes, parents first; anything else with rows stops the copy
COPIED_TABLES = (
    "region",
    "store",
    "survey",
    "survey_version",
    "touchpoint",
    "terminal",
    "response",
    "answer",
    "rollup_daily",
    "score_daily",
    "score_monthly",
    "score_weekly",
    "hour_daily",
    "reason_daily",
    "reason_pair_daily",
    "term_daily",
    "suspect_daily",
    "suspect_monthly",
)
# SQLite's full-text index of the comments (FTS5 and its shadow tables): PostgreSQL keeps its
# own (comment_search), which the dashboards' pages measured here do not read
SQLITE_ONLY_TABLES = ("comment_fts", "comment_fts_data", "comment_fts_idx", "comment_fts_docsize", "comment_fts_config")
# what the page measurement adds to each engine's database itself (``ensure_admin`` and its
# sign-ins), not seeded data: left out of the copy, so a cache whose pages were measured can
# fill a new PostgreSQL database again
PAGE_BENCH_TABLES = ("app_user", "login_attempt")


def copy_to_postgres(sqlite_path: Path, url: str) -> None:
    """The seeded SQLite file's rows into a freshly migrated PostgreSQL database, with COPY."""
    import psycopg

    from hub.db import bind, database
    from hub.migrations import migrate

    started = time.monotonic()
    bind(url)
    database.connect(reuse_if_open=True)
    migrate(database.obj, datetime.now(UTC))
    database.close()
    database.obj.close_all()
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    listed = source.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    for (table,) in listed.fetchall():
        known = table in (*COPIED_TABLES, *SQLITE_ONLY_TABLES, *PAGE_BENCH_TABLES, "schema_migration")
        if not known and source.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            raise SystemExit(f"the seeded database has rows in {table}, which the copy does not know")
    with psycopg.connect(url) as target:
        # the rows come from a consistent database: skip the per-row foreign key triggers, and
        # build the secondary indexes once after the load (a sort) instead of row by row
        target.execute("SET session_replication_role = replica")
        indexes = target.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public' AND tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (list(COPIED_TABLES),),
        ).fetchall()
        for name, _definition in indexes:
            target.execute(f'DROP INDEX "{name}"')
        for table in COPIED_TABLES:
            columns = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
            names = ", ".join(columns)
            copied = 0
            with target.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                rows = source.execute(f"SELECT {names} FROM {table}")
                while batch := rows.fetchmany(50_000):
                    for row in batch:
                        copy.write_row(row)
                    copied += len(batch)
            if "id" in columns:  # serial ids go on after the copied ones
                sequence = target.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()[0]
                if sequence:
                    target.execute(f"SELECT setval(%s, (SELECT COALESCE(MAX(id), 1) FROM {table}))", (sequence,))
            target.commit()
            print(f"  copied {copied:,} rows of {table} ({time.monotonic() - started:.0f} s)", flush=True)
        for name, definition in indexes:
            target.execute(definition)
            target.commit()
            print(f"  built index {name} ({time.monotonic() - started:.0f} s)", flush=True)
        target.autocommit = True
        target.execute("ANALYZE")
    source.close()
    print(f"PostgreSQL holds the seeded rows ({time.monotonic() - started:.0f} s)", flush=True)


# --- data queries: the hub's analytics next to a DuckDB scan --------------------------------------

FACES = range(1, 5)
NPS_VALUES = range(11)
_COUNTS = ", ".join(
    [f"count(*) FILTER (WHERE face = {k})" for k in FACES] + [f"count(*) FILTER (WHERE nps = {k})" for k in NPS_VALUES]
)
# the same aggregates the rollups answer: counts per face and per NPS value, per period, store or day
DUCKDB_QUERIES = {
    "overview": f"SELECT day >= $start AS current, {_COUNTS} FROM responses "
    "WHERE day BETWEEN $before AND $end GROUP BY ALL",
    "ranking": f"SELECT store_id, {_COUNTS} FROM responses WHERE day BETWEEN $start AND $end GROUP BY ALL",
    "ranking_year": f"SELECT store_id, {_COUNTS} FROM responses WHERE day BETWEEN $year AND $end GROUP BY ALL",
    "trend_year": f"SELECT day, {_COUNTS} FROM responses WHERE day BETWEEN $year AND $end GROUP BY ALL",
    "trend_year_store": f"SELECT day, {_COUNTS} FROM responses "
    "WHERE store_id = $store AND day BETWEEN $year AND $end GROUP BY ALL",
}
QUERY_NAMES = {
    "overview": "overview: 28 days, every store, and the 28 before",
    "ranking": "store ranking: 28 days",
    "ranking_year": "store ranking: a year (the year view's)",
    "trend_year": "daily trend: a year, every store",
    "trend_year_store": "daily trend: a year, one store",
}


@dataclass
class Figures:
    queries: dict[str, dict[str, list[float]]]  # query -> engine -> seconds per run
    pages: dict[str, dict[str, list[float]]]  # page -> engine -> seconds per request
    machine: dict[str, str]
    seeded: dict[str, int]


def hub_queries(plan: Seeding, store_code: str) -> dict[str, Callable[[], Any]]:
    """The analytics calls behind the pages, on whatever database hub.db is bound to."""
    from hub.models import Store
    from hub.services import analytics
    from hub.services.access import Scope
    from hub.services.analytics import Period

    month = Period.ending(plan.end)
    year = Period.ending(plan.end, 365)
    everyone = Scope(0, "hq_admin", None)
    store_id = Store.get(Store.code == store_code).id

    def scales():
        return analytics.survey_scales()

    return {
        "overview": lambda: analytics.overview(None, month, scales()),
        "ranking": lambda: analytics.rank_stores(everyone, month, scales()),
        "ranking_year": lambda: analytics.rank_stores(everyone, year, scales()),
        "trend_year": lambda: analytics.trend(None, year, scales(), "day"),
        "trend_year_store": lambda: analytics.trend({store_id}, year, scales(), "day"),
    }


def duckdb_queries(con: Any, plan: Seeding, store_id: int) -> dict[str, Callable[[], Any]]:
    params = {
        "start": plan.end - timedelta(days=27),
        "before": plan.end - timedelta(days=55),
        "end": plan.end,
        "year": plan.end - timedelta(days=364),
        "store": store_id,
    }

    def run(sql: str) -> Callable[[], Any]:
        wanted = {name: value for name, value in params.items() if f"${name}" in sql}
        return lambda: con.execute(sql, wanted).fetchall()

    return {name: run(sql) for name, sql in DUCKDB_QUERIES.items()}


def measure_queries(plan: Seeding, engines: list[str], urls: dict[str, str], repeat: int) -> dict:
    """Every query on every engine, in rounds that take turns, so load elsewhere hits all."""
    import duckdb

    from hub.db import bind, database

    rounds = 10
    per_round = max(1, repeat // rounds)
    store_code = "S001"
    times: dict[str, dict[str, list[float]]] = {name: {} for name in DUCKDB_QUERIES}
    duck = duckdb.connect(str(plan.duckdb_path), read_only=True) if "duckdb" in engines else None
    store_id = None
    for round_index in range(rounds):
        for engine in engines:
            if engine == "duckdb":
                calls = duckdb_queries(duck, plan, store_id or 1)
            else:
                bind(urls[engine])
                database.connect(reuse_if_open=True)
                calls = hub_queries(plan, store_code)
                if store_id is None:
                    from hub.models import Store

                    store_id = Store.get(Store.code == store_code).id
            for name, call in calls.items():
                call()  # warm: the connection, the page cache
                for _ in range(per_round):
                    started = time.perf_counter()
                    call()
                    times[name].setdefault(engine, []).append(time.perf_counter() - started)
            if engine != "duckdb":
                database.close()
        print(f"  data queries: round {round_index + 1}/{rounds}", flush=True)
    if duck is not None:
        duck.close()
    return times


# --- whole pages over HTTP -------------------------------------------------------------------------


def ensure_admin(env: dict[str, str]) -> None:
    from hub.models import User
    from hub.services.users import add_user
    from tests.e2e.processes import hub_app

    with hub_app(env):
        if User.get_or_none(User.email == ADMIN_EMAIL) is None:
            add_user(ADMIN_EMAIL, "Bench admin", "hq_admin", ADMIN_PASSWORD, now=datetime.now(UTC))


def measure_pages(plan: Seeding, engine: str, url: str, requests_per_page: int) -> dict[str, list[float]]:
    import requests

    from tests.e2e.processes import free_port, running, wait_for

    port = free_port()
    instance = CACHE / f"instance-{engine}"
    env = {
        "VOXLOOP_INSTANCE_PATH": str(instance),
        "VOXLOOP_SECRET_KEY": "bench-dashboard-secret",
        "VOXLOOP_DATABASE_URL": url,
        "VOXLOOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "VOXLOOP_LANGUAGE": "en",  # the pages are checked for an English heading
    }
    ensure_admin(env)
    base = f"http://127.0.0.1:{port}"
    year_ago = (datetime.now(UTC).date() - timedelta(days=364)).isoformat()
    pages = {
        "/dashboard": "/dashboard",
        "/dashboard/stores/<code>": "/dashboard/stores/S001",
        "/dashboard?grain=month&from=<a year ago>": f"/dashboard?grain=month&from={year_ago}",
    }
    times: dict[str, list[float]] = {name: [] for name in pages}
    log = CACHE / f"hub-{engine}.log"
    command = [VOXLOOP, "hub", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, cwd=ROOT, env=env, log=log):
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, 60, "the hub answering", log)
        session = requests.Session()
        page = session.get(base + "/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = session.post(
            base + "/login",
            data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        if answer.status_code != 302:
            raise SystemExit(f"signing in failed: {answer.status_code}")
        for path in pages.values():
            for _ in range(3):  # warm
                session.get(base + path, timeout=60).raise_for_status()
        for _ in range(requests_per_page):
            for name, path in pages.items():
                started = time.perf_counter()
                answer = session.get(base + path, timeout=60)
                answer.content  # noqa: B018 (the whole body)
                times[name].append(time.perf_counter() - started)
                if answer.status_code != 200 or "Smiley index" not in answer.text:
                    raise SystemExit(f"{path} answered {answer.status_code} without 'Smiley index'")
    return times


def measure(plan: Seeding, engines: list[str], pg: Any, args: argparse.Namespace) -> Figures:
    urls = {"sqlite": f"sqlite:///{plan.sqlite_path}"}
    if pg is not None:
        urls["postgres"] = pg.url_for(BENCH_DATABASE)
    for engine in [e for e in engines if e != "duckdb"]:
        migrate_cached(engine, urls[engine])
    print("measuring the data queries", flush=True)
    queries = measure_queries(plan, engines, urls, args.repeat)
    pages: dict[str, dict[str, list[float]]] = {}
    for engine in [e for e in engines if e != "duckdb"]:
        print(f"measuring whole pages over HTTP on {engine}", flush=True)
        for name, found in measure_pages(plan, engine, urls[engine], args.pages).items():
            pages.setdefault(name, {})[engine] = found
    return Figures(queries, pages, machine(pg), seeded_counts(plan))


def migrate_cached(engine: str, url: str) -> None:
    """A cached database seeded before a later migration gets it now, as a hub would."""
    from hub.db import bind, database
    from hub.migrations import migrate

    bind(url)
    database.connect(reuse_if_open=True)
    for name in migrate(database.obj, datetime.now(UTC)):
        print(f"  {engine}: applied migration {name}", flush=True)
    database.close()


def seeded_counts(plan: Seeding) -> dict[str, int]:
    with sqlite3.connect(f"file:{plan.sqlite_path}?mode=ro", uri=True) as db:
        return {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("store", "response", "answer", "rollup_daily", "score_daily", "term_daily")
        }


def machine(pg: Any) -> dict[str, str]:
    import duckdb

    found = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "duckdb": duckdb.__version__,
        "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    if pg is not None:
        import psycopg

        with psycopg.connect(pg.url_for("postgres")) as conn:
            found["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
    return found


# --- the report --------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 0.1 else f"{seconds * 1000:.0f}"


def report(figures: Figures, plan: Seeding, args: argparse.Namespace) -> None:
    m = figures.machine
    print()
    print(f"dashboard queries, {plan.key}: {figures.seeded}")
    print(f"machine: {m}")
    print()
    print("| query | engine | runs | p50 ms | p95 ms | DuckDB p50 / this p50 | aims: p95 <= 10 ms, >= 10x DuckDB |")
    print("|---|---|---:|---:|---:|---:|---|")
    for name, by_engine in figures.queries.items():
        duck = by_engine.get("duckdb")
        for engine, values in by_engine.items():
            p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
            ratio = percentile(duck, 0.5) / p50 if duck and engine != "duckdb" else None
            aim = ""
            if engine != "duckdb":
                aim = ("met" if p95 <= 0.010 else "missed") + " / " + ("met" if ratio and ratio >= 10 else "missed")
            print(
                f"| {QUERY_NAMES[name]} | {engine} | {len(values)} | {ms(p50)} | {ms(p95)} | "
                f"{f'{ratio:.1f}x' if ratio else '–'} | {aim} |"
            )
    print()
    print("| page (HTTP, signed in as HQ) | engine | requests | p50 ms | p95 ms | aim: p95 <= 100 ms |")
    print("|---|---|---:|---:|---:|---|")
    for name, by_engine in figures.pages.items():
        for engine, values in by_engine.items():
            p95 = percentile(values, 0.95)
            print(
                f"| {name} | {engine} | {len(values)} | {ms(percentile(values, 0.5))} | {ms(p95)} | "
                f"{'met' if p95 <= 0.100 else 'missed'} |"
            )
    if args.json:
        args.json.write_text(json.dumps({"plan": plan.key, "figures": figures.__dict__}, indent=1, default=str) + "\n")


# --- the run -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=274)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end", type=date.fromisoformat, default=datetime.now(UTC).date() - timedelta(days=1))
    parser.add_argument("--engines", default="sqlite,postgres,duckdb", help="comma-separated")
    parser.add_argument("--repeat", type=int, default=200, help="runs of each data query per engine")
    parser.add_argument("--pages", type=int, default=60, help="requests of each page per engine")
    parser.add_argument("--reseed", action="store_true", help="seed again even when cached")
    parser.add_argument("--seed-only", action="store_true", help="fill the caches, measure nothing")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = Seeding(args.stores, args.days, args.per_day, args.seed, args.end)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    try:
        import duckdb  # noqa: F401
    except ImportError:
        raise SystemExit("DuckDB is missing: .venv/bin/pip install -e '.[all,test,bench]'") from None
    pg = cached_postgres(plan.postgres_dir).start() if "postgres" in engines else None
    try:
        seed_caches(plan, engines, pg, args.reseed)
        if args.seed_only:
            return 0
        figures = measure(plan, engines, pg, args)
    finally:
        if pg is not None:
            pg.stop()
    report(figures, plan, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
