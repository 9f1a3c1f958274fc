"""Pages with measures: the trend overlay and the drivers page's "Measures and scores" on a
seeded year with a year of hourly measures, each next to the same page without the measure in
the same run (SQLite).

``.venv/bin/python -m bench.measure_pages [--stores 30] [--days 365] [--per-day 28] [--repeat 15]``

1. **Seeding** (cached under var/bench/, named by the plan): ``voxloop demo seed`` writes
   ``--stores`` x ``--days`` x ``--per-day`` responses up to 2026-11-30, then a year of hourly
   open tills for every store (8,760 values a store) is loaded through ``measures.load``, the
   path of the API and the CSV import.
2. **Pages**, through the app in this process (Flask's test client, signed in as an HQ admin,
   so the figures are the hub's work without HTTP): the dashboard over the last 28 days and
   over the year per week, and a store's page, each without and with ``measure=open_tills``;
   the drivers page for every store and for one store (it computes the links of every hourly
   measure); and ``links_for`` alone for both, the statistics with their reads.

The report gives p50 and p95 per page and the overlay's cost against the page without it.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.dashboard_queries import CACHE, VOXLOOP, percentile
from bench.page_client import cached_app, ms, page, signed_in, timed

END = date(2026, 11, 30)
ADMIN_EMAIL = "bench.measures@voxloop.test"
ADMIN_PASSWORD = "bench measures password"


def seed(path: Path, args: argparse.Namespace) -> None:
    marker = path.with_suffix(".complete")
    if marker.exists():
        return
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    started = time.monotonic()
    command = [VOXLOOP, "demo", "seed", "--stores", str(args.stores), "--days", str(args.days)]
    command += ["--per-day", str(args.per_day), "--seed", "1", "--end", END.isoformat(), "--database-url", url]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seeded = time.monotonic() - started
    with cached_app(path) as app, app.app_context():
        from hub.db import database

        database.connect(reuse_if_open=True)
        loaded, rows = _load_tills(args.days)
        database.close()
    marker.write_text(datetime.now(UTC).isoformat() + "\n")
    print(f"seeded in {seeded:.0f} s; {rows:,} hourly values loaded in {loaded:.0f} s", flush=True)


def _load_tills(days: int) -> tuple[float, int]:
    """A year of open tills per store and local hour: fewer at night and in quiet hours."""
    from hub.models import Store
    from hub.services import measures
    from hub.services.access import Scope

    hq = Scope(0, "hq_admin", None)
    tills = {"open_tills": measures.Definition("open_tills", "Open tills", "tills", "level", "hour")}
    started = time.monotonic()
    total = 0
    first = END - timedelta(days=days - 1)
    for store in Store.select().order_by(Store.id):
        rows = []
        for d in range(days):
            day = first + timedelta(days=d)
            for hour in range(24):
                value = 0 if hour < 7 or hour > 21 else 1 + (hour * 5 + d * 3 + store.id) % 5
                rows.append(measures.Row(len(rows) + 1, "open_tills", store.code, f"{day}T{hour:02d}:00", value))
        # a period the clocks skip is no hour: leave those out (the load refuses them)
        rows = [r for r in rows if _exists(r.period, store.time_zone)]
        measures.load(hq, rows, now=datetime.now(UTC), definitions=tills, may_define=True)
        total += len(rows)
    return time.monotonic() - started, total


def _exists(period: str, zone: str) -> bool:
    from zoneinfo import ZoneInfo

    from hub.services.measures import parse_period

    try:
        parse_period(period, "hour", ZoneInfo(zone))
    except ValueError:
        return False
    return True


def measure(path: Path, repeat: int) -> dict[str, list[float]]:
    from hub.db import database
    from hub.models import Store, User
    from hub.services import measure_links
    from hub.services.access import Scope
    from hub.services.users import add_user

    month = f"from={END - timedelta(days=27)}&to={END}"
    year = f"from={END - timedelta(days=364)}&to={END}&grain=week"
    with cached_app(path) as app:
        with app.app_context():
            database.connect(reuse_if_open=True)
            if User.get_or_none(User.email == ADMIN_EMAIL) is None:
                add_user(ADMIN_EMAIL, "Bench admin", "hq_admin", ADMIN_PASSWORD, now=datetime.now(UTC))
            store = Store.select().order_by(Store.code).first()
            database.close()
        client = signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD)

        def links(store_id: int | None) -> Callable[[], None]:
            def run() -> None:
                with app.app_context():
                    database.connect(reuse_if_open=True)
                    measure_links.links_for(Scope(0, "hq_admin", None), store_id, END - timedelta(days=27), END)
                    database.close()

            return run

        runs = {
            "/dashboard, 28 days": page(client, f"/dashboard?{month}"),
            "/dashboard, 28 days, measure=open_tills": page(client, f"/dashboard?{month}&measure=open_tills"),
            "/dashboard, a year per week": page(client, f"/dashboard?{year}"),
            "/dashboard, a year per week, measure=open_tills": page(client, f"/dashboard?{year}&measure=open_tills"),
            "/dashboard/stores/<code>, 28 days": page(client, f"/dashboard/stores/{store.code}?{month}"),
            "/dashboard/stores/<code>, 28 days, measure=open_tills": page(
                client, f"/dashboard/stores/{store.code}?{month}&measure=open_tills"
            ),
            "/dashboard/drivers, every store, 28 days": page(client, f"/dashboard/drivers?{month}"),
            "/dashboard/drivers?store=<code>, 28 days": page(client, f"/dashboard/drivers?store={store.code}&{month}"),
            "links_for, every store, 28 days": links(None),
            "links_for, one store, 28 days": links(store.id),
        }
        return {name: timed(run, repeat) for name, run in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=28)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"measure-pages-{args.stores}x{args.days}x{args.per_day}-{END}.db"
    seed(path, args)
    times = measure(path, args.repeat)
    print(f"SQLite, {args.stores} stores x {args.days} days x {args.per_day} a day, a year of hourly open tills")
    print(f"{'page':<58} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in times.items():
        print(f"{name:<58} {ms(percentile(values, 0.5)):>8} {ms(percentile(values, 0.95)):>8}")


if __name__ == "__main__":
    main()
