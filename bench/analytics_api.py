"""The analytics API for BI tools on a seeded hub: p50/p95 of each endpoint's request through
the whole Flask app (session, scope, service, JSON), in-process, and the time to page through
a year of figures per store and day and through a month of raw responses.

``.venv/bin/python -m bench.analytics_api --database-url sqlite:///var/demo.db`` after
``voxloop hub init`` and ``voxloop demo seed --stores 100 --days 365 --per-day 30 --end DAY``
into that database (``--end`` names the last seeded day; the bench asks for the periods up to
it). An HQ admin and a store manager of the first store are added if missing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub import create_app
from hub.db import database
from hub.models import Store, User, UserStore


def person(email: str, role: str, store: Store | None) -> User:
    user = User.get_or_none(User.email == email)
    if user is None:
        user = User.create(
            email=email, name=email, role=role, password_hash="-", active=True, created_at=datetime.now(UTC)
        )
        if store is not None:
            UserStore.create(user=user, store=store)
    return user


def timed(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds over ``runs`` calls (after one warm-up)."""
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def walk(client: Any, url: str, field: str) -> tuple[int, int, float]:
    """Rows, pages and seconds to follow ``next`` from ``url`` to the last page."""
    rows = pages = 0
    start = time.perf_counter()
    while url:
        body = client.get(url).get_json()
        rows += len(body[field])
        pages += 1
        url = body["next"]
    return rows, pages, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--end", type=date.fromisoformat, required=True, help="the last seeded day")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    app = create_app({"DATABASE_URL": args.database_url, "INSTANCE_PATH": tempfile.mkdtemp(), "SECRET_KEY": "bench"})
    with app.app_context():
        database.connect(reuse_if_open=True)
        first = Store.select().order_by(Store.code).first()
        hq = person("bench.hq@voxloop.test", "hq_admin", None)
        manager = person("bench.manager@voxloop.test", "store_manager", first)
        database.close()
    end, month, year = args.end, args.end - timedelta(days=27), args.end - timedelta(days=364)
    clients = {}
    for name, user in (("hq", hq), ("manager", manager)):
        clients[name] = app.test_client()
        with clients[name].session_transaction() as session:
            session["user_id"] = user.id
            session["csrf"] = "bench"
    api = "/api/v1/analytics"
    cases = [
        ("hq", f"{api}/overview?from={month}&to={end}"),
        ("hq", f"{api}/trend?from={year}&to={end}&grain=week"),
        ("hq", f"{api}/stores?from={month}&to={end}"),
        ("hq", f"{api}/touchpoints?from={month}&to={end}&store={first.code}"),
        ("hq", f"{api}/daily?from={year}&to={end}&limit=1000"),
        ("hq", f"{api}/responses?from={month}&to={end}&limit=1000"),
        ("manager", f"{api}/overview?from={month}&to={end}"),
        ("manager", f"{api}/daily?from={year}&to={end}&limit=1000"),
        ("manager", f"{api}/responses?from={month}&to={end}&limit=1000"),
    ]
    print(f"{'who':8} {'request':70} {'p50 ms':>8} {'p95 ms':>8}")
    for who, url in cases:
        client = clients[who]
        answer = client.get(url)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        p50, p95 = timed(lambda c=client, u=url: c.get(u), args.runs)
        print(f"{who:8} {url.replace(api, ''):70} {p50:8.1f} {p95:8.1f}")
    for who, url, field in (
        ("hq", f"{api}/daily?from={year}&to={end}&limit=1000", "days"),
        ("hq", f"{api}/responses?from={end - timedelta(days=6)}&to={end}&limit=1000", "responses"),
        ("manager", f"{api}/responses?from={month}&to={end}&limit=1000", "responses"),
    ):
        rows, pages, seconds = walk(clients[who], url, field)
        print(f"{who:8} every page of {url.replace(api, '')}: {rows} rows, {pages} pages, {seconds:.2f} s")


if __name__ == "__main__":
    main()
