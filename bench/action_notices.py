"""The action_notices job: what one run costs next to reading the same effects alone, in the
same run on the same database.

``.venv/bin/python -m bench.action_notices [--stores 24] [--actions 200] [--tasks 5] [--engine sqlite|postgres]``

A temporary hub database (SQLite, or a throwaway PostgreSQL server: tests/support/postgres.py)
holds the planted fleet of the action tests (hub/seed/action_history.py, seed 7: ``--stores``
stores in Europe/Berlin, 12 weeks of daily smiley counts in the rollups) and ``--actions``
actions, each for one of the first third of the stores (the rest are the comparison), in effect
from 28 Sep 2026 and measured four weeks later, each with
``--tasks`` open tasks given to the HQ admin (no digest: single emails), a fifth of them due the
next day. Measured:

- the first run: every action's effect is read and told (an email to its owner, a trail entry),
  and the due tasks' notices queued;
- a second run the same morning: everything was told, nothing is read again;
- the baseline: ``effects_of`` over the same actions, the effect reading alone.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from bench.scratch_hub import scratch_hub
from hub.db import database, write_transaction
from hub.models import Action, ActionTask, OutboxMessage, Store, User
from hub.seed.action_history import history
from hub.services import action_effects
from hub.services.action_notifications import queue_action_notices

START = date(2026, 9, 28)
MEASURED = datetime(2026, 10, 26, 6, 30, tzinfo=UTC)  # 07:30 in Berlin


def fleet(app, stores: int) -> None:
    from tests.hub.action_data import write_fleet

    write_fleet(
        app,
        history(
            seed=7, stores=stores, improved=(1, 2, 3), lift=10.0, first=date(2026, 8, 3), start=START,
            last=date(2026, 10, 25),
        ),
    )  # fmt: skip


def actions_with_tasks(count: int, tasks: int, now: datetime) -> list[Action]:
    admin = User.get(User.email == "admin@example.org")
    stores = [s.id for s in Store.select().order_by(Store.id)]
    stores = stores[: max(1, len(stores) // 3)]  # the others are the comparison stores
    at = now.replace(tzinfo=None)
    made = []
    with write_transaction():
        for n in range(count):
            store = stores[n % len(stores)]
            action = Action.create(
                title=f"Action {n}", kpi="smiley_index", goal_direction="up", scope_key=f"store:{store}", store=store,
                owner=admin.id, state="in_progress", effect_from=START, origin="hand", created_by=admin.id,
                created_at=at, updated_at=at,
            )  # fmt: skip
            for t in range(tasks):
                due = now.date() + timedelta(days=1 if t == 0 else 10)
                ActionTask.create(action=action.id, title=f"Task {t}", assignee=admin.id, due_on=due, created_at=at)
            made.append(action)
    return made


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=24)
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    pg = None
    if args.engine == "postgres":
        from tests.support.postgres import TemporaryPostgres

        pg = TemporaryPostgres().start()
    try:
        run(args, pg.create_database("voxloop_bench_notices") if pg else "")
    finally:
        if pg is not None:
            pg.stop()


def run(args: argparse.Namespace, url: str) -> None:
    with scratch_hub(MEASURED, url) as app:
        fleet(app, args.stores)
        with app.app_context():
            database.connect(reuse_if_open=True)
            made = actions_with_tasks(args.actions, args.tasks, MEASURED)
            engine = "SQLite" if database.param == "?" else "PostgreSQL"
            print(f"{engine}: {args.stores} stores, {args.actions} actions in effect, {args.tasks} tasks each")

            began = time.perf_counter()
            effects = action_effects.effects_of(made, MEASURED, limit=len(made))
            baseline = time.perf_counter() - began
            measured = sum(e.verdict in ("clear", "unclear", "negative") for e in effects.values())

            began = time.perf_counter()
            first = queue_action_notices(MEASURED, digest_hour=7)
            job = time.perf_counter() - began
            began = time.perf_counter()
            again = queue_action_notices(MEASURED + timedelta(minutes=15), digest_hour=7)
            second = time.perf_counter() - began
            queued = OutboxMessage.select().count()
            database.close()
        assert again == 0 and first == queued, (first, again, queued)
        print(f"effects_of alone (baseline): {baseline:6.2f} s  ({measured} of {len(made)} measured)")
        print(f"first run:                   {job:6.2f} s  {job / baseline:5.2f}x baseline, {first} notices queued")
        print(f"second run (all told):       {second:6.2f} s  {second / baseline:5.2f}x baseline, nothing queued")


if __name__ == "__main__":
    main()
