"""Invitations: how fast a batch is made (hub/services/invitations.py: every row checked, the
address sealed and hashed, the suppression list and the interval rule asked per row, one
transaction) and how fast the invitations job queues them in the outbox (one short transaction
per invitation, compare and set), next to baselines in the same run on the same database.

``.venv/bin/python -m bench.invitations [--count 5000] [--engine sqlite|postgres]``

Baselines: a raw executemany INSERT of the same invitation rows, already sealed and hashed, in
one transaction (what the database costs without the checks); and a raw INSERT of one outbox
message per invitation, as many to a transaction as the job changes in one (what the job's
writes cost without its checks and bookkeeping). A tenth of the addresses repeat an earlier one, so the interval rule
skips them; the figures count every row asked for.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bench.scratch_hub import scratch_hub
from hub.db import database, db_time, placeholders, write_transaction
from hub.models import Invitation, OutboxMessage, Store, Touchpoint
from hub.services import catalog
from hub.services.access import Scope
from hub.services.invitation_keys import InvitationKeys
from hub.services.invitation_sending import CHUNK, run_invitations
from hub.services.invitations import Ask, InvitationSettings, invite
from hub.services.personal_data import seal_contact
from shared.protocol import format_time

HQ = Scope(0, "hq_admin", None)
BATCH = 1000


def asks(count: int, stores: Sequence[str], send_at: datetime, rng: random.Random) -> list[Ask]:
    found = []
    for n in range(count):
        person = rng.randrange(n) if n and rng.random() < 0.1 else n  # a tenth come again
        found.append(
            Ask(
                n % BATCH,
                "pos",
                f"R-{n}",
                rng.choice(stores),
                "exit",
                "email",
                "de",
                format_time(send_at),
                f"c{person}@example.org",
            )
        )
    return found


def timed_invite(all_asks: list[Ask], keys: InvitationKeys, now: datetime) -> float:
    settings = InvitationSettings()
    began = time.perf_counter()
    for first in range(0, len(all_asks), BATCH):
        invite(HQ, all_asks[first : first + BATCH], keys=keys, settings=settings, now=now)
    return time.perf_counter() - began


def timed_raw_invitations(all_asks: list[Ask], keys: InvitationKeys, now: datetime) -> float:
    stores = {s.code: s.id for s in Store.select()}
    touchpoints = {t.store_id: t.id for t in Touchpoint.select()}
    rows = []
    for ask in all_asks:
        public_id = secrets.token_hex(12)
        sealed = seal_contact(keys.seal, {"address": ask.address}, public_id)
        store = stores[ask.store]
        rows.append(
            (
                public_id,
                "raw",
                ask.reference,
                store,
                touchpoints[store],
                "email",
                "de",
                db_time(now),
                sealed,
                keys.address_hash("email", ask.address),
                "scheduled",
                db_time(now),
            )
        )
    sql = (
        "INSERT INTO invitation (public_id, source, reference, store_id, touchpoint_id, channel, language, send_after, "
        f"address_sealed, address_hash, state, created_at) VALUES ({placeholders(12)})"
    )
    began = time.perf_counter()
    for first in range(0, len(rows), BATCH):
        with write_transaction():
            database.cursor().executemany(sql, rows[first : first + BATCH])
    return time.perf_counter() - began


def timed_raw_messages(count: int, now: datetime) -> float:
    sql = (
        "INSERT INTO outbox_message (kind, channel, recipient, payload, state, item_count, attempts, created_at, "
        f"deliver_after, due_at, dedupe_key) VALUES ({placeholders(11)})"
    )
    at = db_time(now)
    began = time.perf_counter()
    for first in range(0, count, CHUNK):
        with write_transaction():
            for n in range(first, min(count, first + CHUNK)):
                database.execute_sql(
                    sql, ("bench", "email", "customer", json.dumps({"n": n}), "sent", 0, 0, at, at, at, f"bench:{n}")
                )
    return time.perf_counter() - began


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args(argv)
    pg = None
    if args.engine == "postgres":
        from tests.support.postgres import TemporaryPostgres

        pg = TemporaryPostgres().start()
    try:
        run(args, pg.create_database("voxloop_bench_invitations") if pg else "")
    finally:
        if pg is not None:
            pg.stop()


def run(args: argparse.Namespace, url: str) -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with scratch_hub(now, url) as app, app.app_context():
        database.connect(reuse_if_open=True)
        codes = [f"S{n:03d}" for n in range(args.stores)]
        for code in codes:
            catalog.add_store(code, f"Store {code}", time_zone="Europe/Berlin", now=now)
            catalog.add_touchpoint(code, "exit", "Exit")
        keys = InvitationKeys.from_secret("bench")
        all_asks = asks(args.count, codes, now + timedelta(hours=1), random.Random(args.seed))
        engine = "SQLite" if database.param == "?" else "PostgreSQL"
        print(f"{engine}: {args.count} invitations to {args.stores} stores, batches of {BATCH}")

        seconds = timed_invite(all_asks, keys, now)
        skipped = Invitation.select().where(Invitation.state == "skipped").count()
        print(
            f"invite (checked):       {seconds:7.2f} s  {args.count / seconds:9,.0f} rows/s",
            f"({skipped} skipped: interval)",
        )
        seconds_raw = timed_raw_invitations(all_asks, keys, now)
        print(
            f"raw executemany:        {seconds_raw:7.2f} s  {args.count / seconds_raw:9,.0f} rows/s",
            "(baseline, sealed and hashed)",
        )
        print(f"  ratio checked / raw:  {seconds / seconds_raw:7.1f}x")
        with write_transaction():
            Invitation.delete().where(Invitation.source == "raw").execute()

        began = time.perf_counter()
        queued = 0
        while True:
            run_now = run_invitations(now + timedelta(hours=1), InvitationSettings())
            queued += len(run_now.queued)
            if not run_now.queued and not run_now.held_back:
                break
        seconds = time.perf_counter() - began
        assert queued == args.count - skipped, (queued, skipped)
        print(f"job queues them:        {seconds:7.2f} s  {queued / seconds:9,.0f} invitations/s")
        seconds_raw = timed_raw_messages(queued, now)
        print(f"raw messages:           {seconds_raw:7.2f} s  {queued / seconds_raw:9,.0f} messages/s (baseline)")
        print(f"  ratio job / raw:      {seconds / seconds_raw:7.1f}x")
        assert OutboxMessage.select().where(OutboxMessage.kind == "invitation").count() == queued
        database.close()


if __name__ == "__main__":
    main()
