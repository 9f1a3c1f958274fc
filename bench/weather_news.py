"""The big screen with its customer news: /weather for every store, a region's and a store's,
each against the news alone (``customer_news.news``: praised reasons, the drivers' top reasons,
themes, the NPS and its weekly trend), on a seeded fleet (SQLite), the hub's clock at noon
(Berlin) on the seed's last day.

``.venv/bin/python -m bench.weather_news [--stores 30] [--days 120] [--per-day 60] [--repeat 15]``

The database is seeded once with ``voxloop demo seed`` and cached under var/bench/, named by the
plan. Pages go through Flask's test client signed in as an HQ admin, so the figures are the
hub's work without HTTP. The report gives p50 and p95 per run; the screen reloads itself every
60 s, so one screen costs its p50 once a minute.
"""

from __future__ import annotations

import argparse
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.dashboard_queries import CACHE, VOXLOOP, percentile
from bench.page_client import cached_app, ms, page, signed_in, timed

END = date(2026, 11, 30)
NOON = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
ADMIN_EMAIL = "bench.weather@voxloop.test"
ADMIN_PASSWORD = "bench weather password"


def seed(path: Path, args: argparse.Namespace) -> None:
    marker = path.with_suffix(".complete")
    if marker.exists():
        return
    path.unlink(missing_ok=True)
    command = [VOXLOOP, "demo", "seed", "--stores", str(args.stores), "--days", str(args.days)]
    command += ["--per-day", str(args.per_day), "--seed", "1", "--end", END.isoformat()]
    subprocess.run([*command, "--database-url", f"sqlite:///{path}"], check=True, stdout=subprocess.DEVNULL)
    marker.write_text(datetime.now(UTC).isoformat() + "\n")


def measure(path: Path, repeat: int) -> dict[str, list[float]]:
    from hub.db import database
    from hub.models import Region, Store, User
    from hub.services import customer_news
    from hub.services.users import add_user

    with cached_app(path) as app:
        app.config["CLOCK"] = lambda: NOON
        with app.app_context():
            database.connect(reuse_if_open=True)
            if User.get_or_none(User.email == ADMIN_EMAIL) is None:
                add_user(ADMIN_EMAIL, "Bench admin", "hq_admin", ADMIN_PASSWORD, now=NOON)
            store = Store.select().order_by(Store.code).first()
            region = Region.select().order_by(Region.name).first()
            database.close()
        client = signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD)

        def news(store_ids: list[int] | None) -> Any:
            def run() -> None:
                with app.app_context():
                    database.connect(reuse_if_open=True)
                    customer_news.news(store_ids, END)
                    database.close()

            return run

        runs = {"/weather, every store": page(client, "/weather"), "news alone, every store": news(None)}
        if region is not None:
            with app.app_context():
                in_region = [s.id for s in Store.select(Store.id).where(Store.region == region.id)]
            runs[f"/weather/regions/<id>, {len(in_region)} stores"] = page(client, f"/weather/regions/{region.id}")
            runs["news alone, the region"] = news(in_region)
        runs["/weather/stores/<code>"] = page(client, f"/weather/stores/{store.code}")
        runs["news alone, one store"] = news([store.id])
        return {name: timed(run, repeat) for name, run in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--per-day", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"weather-news-{args.stores}x{args.days}x{args.per_day}-{END}.db"
    seed(path, args)
    print(f"{args.stores} stores x {args.days} days x {args.per_day} responses a day, {args.repeat} runs each")
    for name, times in measure(path, args.repeat).items():
        print(f"{name:45} p50 {ms(percentile(times, 0.5)):>6} ms  p95 {ms(percentile(times, 0.95)):>6} ms")


if __name__ == "__main__":
    main()
