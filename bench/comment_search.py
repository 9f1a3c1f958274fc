"""Comment search at fleet scale: the full-text index (SQLite FTS5, PostgreSQL tsvector + GIN)
next to a LIKE scan of the same rows, measured in the same run on each engine.

``.venv/bin/python -m bench.comment_search`` (from the repository root; the PostgreSQL server
binaries as for the test suite).

1. **Seeding** (cached under var/bench/, named by the plan): ``voxloop demo seed`` writes
   ``--stores`` x ``--days`` x ``--per-day`` responses (default 30 x 365 x 28, 306,600
   responses) into a SQLite file and, seeded again, into a PostgreSQL database (the seed
   indexes its comments as ingest does). The seed's comments are built from a few dozen
   phrases, so a rare word is planted: five comments spread over the year (the oldest among
   them) get "Quastenflosser" appended, through the index as ingest would.
2. **Searches**, each through hub/services/comment_browser.py ``comment_page`` (the first page
   of 50, as the page asks it), for every store (HQ) and for one store (a store manager): a
   rare word (``quastenflosser``, 5 comments), a common word (``Kasse``), no match
   (``Xylophon``).
3. **Baseline**, the same searches in the same run without the index: a LIKE scan (ILIKE on
   PostgreSQL) of the same rows for the same first page (every comment joined to its response,
   newest first, 50), which is what searching the whole history costs without a full-text
   index. The comment browser's old bounded walk (LIKE over at most 50,000 responses,
   hub/queries/comments.py ``Criteria.search``) is shown too: what the page did before; it
   cannot find the old comments.

``--dashboard-cache`` searches the databases bench/dashboard_queries.py seeded and cached
instead (the same ``--stores``/``--days``/``--per-day``/``--end`` plan, e.g. 100 x 365 x 274,
about 10 million responses; seed them first with its ``--seed-only``): the rare word is
planted there once, and PostgreSQL's comment index, which that bench's copy leaves empty, is
filled once as the migration fills it on a hub that already holds comments.

The report gives p50 and p95 per search, scope and engine, and the ratio baseline p50 /
index p50. docs/performance.md holds a reference run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.dashboard_queries import BENCH_DATABASE, CACHE, VOXLOOP, Seeding, cached_postgres, percentile

SEARCHES = {"rare word": "quastenflosser", "common word": "Kasse", "no match": "Xylophon"}
RARE = "Quastenflosser"
PLANTED = 5
DATABASE = "voxloop_comment_search"


def seed(url: str, args: argparse.Namespace, marker: Path) -> None:
    if marker.exists():
        return
    command = [VOXLOOP, "demo", "seed", "--stores", str(args.stores), "--days", str(args.days)]
    command += ["--per-day", str(args.per_day), "--seed", "1", "--end", args.end.isoformat(), "--database-url", url]
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    _plant(url)
    marker.write_text(datetime.now(UTC).isoformat() + "\n")
    print(f"seeded {url.split(':')[0]} in {time.monotonic() - started:.0f} s", flush=True)


def _plant(url: str) -> None:
    """The rare word into five comments spread over the year, the oldest among them."""
    from hub.db import bind, database, write_transaction
    from hub.services import comment_search

    bind(url)
    database.connect(reuse_if_open=True)
    ids = database.execute_sql(
        "SELECT a.id FROM answer a JOIN response r ON r.id = a.response_id "
        "WHERE a.kind = 'text' AND a.text IS NOT NULL ORDER BY r.captured_at, r.id"
    ).fetchall()  # the ids alone: millions of comments at 10 million responses
    step = len(ids) // PLANTED
    chosen = [
        database.execute_sql(
            "SELECT a.id, a.response_id, a.question, a.text, r.locale "
            f"FROM answer a JOIN response r ON r.id = a.response_id WHERE a.id = {database.param}",
            (ids[i * step][0],),
        ).fetchone()
        for i in range(PLANTED)
    ]
    del ids
    with write_transaction():
        for answer_id, response_id, question, text, locale in chosen:
            database.execute_sql(
                f"UPDATE answer SET text = {database.param} WHERE id = {database.param}", (f"{text} {RARE}", answer_id)
            )
            comment_search.index_comments(
                [(str(response_id), question, "text", None, text)], {str(response_id): locale}
            )
    database.close()


def fill_postgres_index(url: str) -> None:
    """PostgreSQL's comment index of a database copied row by row (bench/dashboard_queries.py
    copies the answers, not the index): filled once, as migration v0020 fills it."""
    from hub.db import bind, database
    from hub.migrations.v0020_comment_search import POSTGRES as POSTGRES_INDEX

    bind(url)
    database.connect(reuse_if_open=True)
    if database.execute_sql("SELECT 1 FROM comment_search LIMIT 1").fetchone() is None:
        started = time.monotonic()
        fill, index = (s for s in POSTGRES_INDEX if s.startswith(("INSERT", "CREATE INDEX")))
        database.execute_sql("DROP INDEX IF EXISTS comment_search_document")
        database.execute_sql(fill)
        database.execute_sql(index)
        print(f"filled PostgreSQL's comment index in {time.monotonic() - started:.0f} s", flush=True)
    database.close()


def dashboard_cache(plan: Seeding, engines: list[str], pg: Any) -> dict[str, str]:
    """The databases bench/dashboard_queries.py cached for this plan, the rare word planted."""
    urls = {}
    if "sqlite" in engines:
        if not plan.sqlite_path.with_name(plan.sqlite_path.name + ".complete").exists():
            raise SystemExit(f"{plan.sqlite_path} is not seeded: bench.dashboard_queries --seed-only first")
        urls["sqlite"] = f"sqlite:///{plan.sqlite_path}"
    if pg is not None:
        if not plan.postgres_dir.with_name(plan.postgres_dir.name + ".complete").exists():
            raise SystemExit(f"{plan.postgres_dir} is not seeded: bench.dashboard_queries --seed-only first")
        urls["postgres"] = pg.url_for(BENCH_DATABASE)
        fill_postgres_index(urls["postgres"])
    for engine, url in urls.items():
        marker = CACHE / f"seed-{plan.key}-{engine}.planted"
        if not marker.exists():
            _plant(url)
            marker.write_text(datetime.now(UTC).isoformat() + "\n")
    return urls


def _timed(run: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return times, result


def like_scan(store_ids: list[int] | None, word: str) -> list[int]:
    """The baseline: the first page of the same search as a LIKE scan of the same rows (ILIKE
    on PostgreSQL), newest first, over the whole history."""
    from hub.db import database, is_sqlite

    scope = "" if store_ids is None else f" AND r.store_id = {int(store_ids[0])}"
    like = "LIKE" if is_sqlite() else "ILIKE"
    sql = (
        "SELECT a.id FROM answer a JOIN response r ON r.id = a.response_id "
        f"WHERE a.kind = 'text' AND a.text {like} {database.param}{scope} "
        "ORDER BY r.captured_at DESC, r.id DESC, a.id DESC LIMIT 50"
    )
    return [row[0] for row in database.execute_sql(sql, (f"%{word}%",)).fetchall()]


def measure(url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    from hub.db import bind, database, is_sqlite
    from hub.migrations import migrate
    from hub.queries import comments as q
    from hub.services import analytics, comment_browser

    bind(url)
    database.connect(reuse_if_open=True)
    migrate(database.obj, datetime.now(UTC))
    if not is_sqlite():
        # the planner's statistics, as autovacuum keeps them on a running hub (a database
        # seeded a moment ago has none, and the search then counts the index once per request)
        database.execute_sql("ANALYZE")
    smiley = analytics.survey_scales().smiley
    (store_id,) = database.execute_sql("SELECT MIN(id) FROM store").fetchone()
    results = []
    for scope_name, store_ids in (("every store", None), ("one store", [store_id])):
        for name, word in SEARCHES.items():
            criteria = comment_browser.criteria(store_ids, smiley_question=smiley, search=word)
            index_times, page = _timed(lambda c=criteria: comment_browser.comment_page(c, limit=50), args.repeat)
            scan_times, scanned = _timed(lambda s=store_ids, w=word: like_scan(s, w), max(3, args.repeat // 5))
            old_times, old = _timed(lambda c=criteria: q.comment_page(c, limit=50), max(3, args.repeat // 5))
            same = [c.answer_id for c in page.comments] == scanned
            if word != "Kasse":  # a stem search finds inflected forms a substring misses; a word finds no "Kassen"
                assert same or name == "common word", (name, scope_name)
            results.append(
                {
                    "scope": scope_name,
                    "search": name,
                    "found": len(page.comments),
                    "index": index_times,
                    "scan": scan_times,
                    "old": old_times,
                    "old_found": len(old.comments),
                    "same": same,
                }
            )
    database.close()
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(engine: str, results: list[dict[str, Any]], responses: int, comments: int) -> None:
    print(f"\n{engine}: {responses:,} responses, {comments:,} comments")
    print("scope        search       found  index p50/p95 ms   LIKE scan p50/p95 ms   ratio   old walk p50 ms (found)")
    for r in results:
        index50, index95 = percentile(r["index"], 0.5), percentile(r["index"], 0.95)
        scan50, scan95 = percentile(r["scan"], 0.5), percentile(r["scan"], 0.95)
        old50 = percentile(r["old"], 0.5)
        print(
            f"{r['scope']:<12} {r['search']:<12} {r['found']:>5}  {ms(index50):>7} / {ms(index95):<7}   "
            f"{ms(scan50):>8} / {ms(scan95):<8}   {scan50 / index50:>6.1f}x   {ms(old50):>7} ({r['old_found']})"
            + ("" if r["same"] else "  [index and scan differ: stems/words vs substring]")
        )


def counts(url: str) -> tuple[int, int]:
    from hub.db import bind, database

    bind(url)
    database.connect(reuse_if_open=True)
    (responses,) = database.execute_sql("SELECT COUNT(*) FROM response").fetchone()
    (comments,) = database.execute_sql("SELECT COUNT(*) FROM answer WHERE kind = 'text'").fetchone()
    database.close()
    return responses, comments


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=28)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 30))
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=40, help="runs of each index search (the scans a fifth)")
    parser.add_argument(
        "--dashboard-cache", action="store_true", help="search bench.dashboard_queries' cached databases of this plan"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    key = f"comments-{args.stores}x{args.days}x{args.per_day}-{args.end.isoformat()}"
    CACHE.mkdir(parents=True, exist_ok=True)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    urls: dict[str, str] = {}
    plan = Seeding(args.stores, args.days, args.per_day, 1, args.end)
    cluster = plan.postgres_dir if args.dashboard_cache else CACHE / f"postgres-{key}"
    pg = cached_postgres(cluster).start() if "postgres" in engines else None
    try:
        if args.dashboard_cache:
            urls = dashboard_cache(plan, engines, pg)
        else:
            if "sqlite" in engines:
                urls["sqlite"] = f"sqlite:///{CACHE / f'{key}.db'}"
                seed(urls["sqlite"], args, CACHE / f"{key}.db.complete")
            if pg is not None:
                marker = CACHE / f"postgres-{key}.complete"
                urls["postgres"] = pg.url_for(DATABASE) if marker.exists() else pg.recreate_database(DATABASE)
                seed(urls["postgres"], args, marker)
        for engine, url in urls.items():
            report(engine, measure(url, args), *counts(url))
    finally:
        if pg is not None:
            pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
