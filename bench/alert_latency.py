"""Alerts: from a low rating to the store manager's inbox.

``.venv/bin/python -m bench.alert_latency [--alerts 200] [--engines sqlite,postgres]`` (from the
repository root).

A real hub (``voxloop hub serve``) on a database made by ``voxloop hub init`` and ``add-store``,
a store manager, and a real SMTP server (aiosmtpd, tests/support/mail.py) in this process on
127.0.0.1; the hub sends to it over smtplib. The default "very unhappy" rule (rating 1) is set
to a throttle of 0 (every alert its own email: here each alert is measured, not grouped), an
SLA of a week and no quiet hours; the windowed rule and the daily digest are off, so the inbox
holds only the measured alerts. Alerts are sent one at a time: the next after the previous
email arrived and a random pause of up to 250 ms (so they do not fall in step with the job's
200 ms poll; real ratings arrive at random moments).

* **hub to inbox** -- from the moment the sync API's answer (the hub accepted a bad rating,
  committed) is back at the client, to the moment the SMTP server accepted the alert email.
  In between: the outbox row (written in the ingest transaction), the delivery job waking,
  the claim, rendering, SMTP. Two ways to run the jobs:
  - ``in-process``: ``hub serve --with-jobs``: the ingest wakes the delivery job at once;
  - ``separate``: ``hub serve`` plus ``voxloop hub jobs`` (PostgreSQL only: one process per
    SQLite file): the job polls every 200 ms (ALERT_POLL_MS).
* **tap to inbox** -- with kiosk/terminal.py: an enrolled ``kiosk.terminal.Terminal`` (its sync
  worker running, as on the device) captures a rating of 1; from the ``capture()`` call (the
  tap) to the email. A bad rating makes the terminal push at once (``sync_now``).

Aims: hub to inbox p95 <= 1 s, tap to inbox p95 <= 3 s. Figures and how to read them:
docs/performance.md, "Alerts: hub to inbox".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kiosk.hub_client import HubClient  # noqa: E402
from shared.crypto import new_private_key, public_key_text  # noqa: E402
from shared.ids import uuid7  # noqa: E402
from shared.protocol import format_time, make_batch  # noqa: E402
from tests.e2e.processes import free_port, hub_app, running, wait_for  # noqa: E402
from tests.support.mail import Inbox  # noqa: E402

VOXLOOP = str(Path(sys.executable).parent / "voxloop")
MANAGER = "manager@example.org"
GAP = 0.25  # seconds: a random pause of up to this before each alert
RNG = random.Random(7)


def voxloop(*args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [VOXLOOP, *args], env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"voxloop {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def set_up(env: dict[str, str], work: Path) -> None:
    voxloop("hub", "init", env=env, cwd=work)
    voxloop("hub", "add-store", "B001", "Berlin Mitte", "--time-zone", "Europe/Berlin", env=env, cwd=work)
    with hub_app(env):
        from hub.models import AlertRule, Store, User
        from hub.services.alerts.rules import update_rule
        from hub.services.users import add_user

        add_user(
            MANAGER, "Mia Manager", "store_manager", "bench password 123", now=datetime.now(UTC), stores=[Store.get()]
        )
        now = datetime.now(UTC)
        rule = AlertRule.get(AlertRule.key == "very_unhappy")
        update_rule(rule.id, {"throttle_minutes": 0, "sla_minutes": 7 * 24 * 60, "quiet_hours": False}, now=now)
        update_rule(AlertRule.get(AlertRule.key == "negative_share").id, {"active": False}, now=now)
        User.update(report_frequency="off").execute()  # only alerts in the inbox, on Mondays too


def bad_rating(seq: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": uuid7(now, secrets.token_bytes(10)),
        "v": 1,
        "channel": "kiosk",
        "store": "B001",
        "touchpoint": "exit",
        "survey": "exit",
        "survey_version": 1,
        "captured_at": format_time(now),
        "locale": "de",
        "seq": seq,
        "answers": [
            {"question": "rating", "kind": "smiley", "value": 1},
            {"question": "comment", "kind": "text", "value": f"Bench alert {seq}: zu lange gewartet"},
        ],
    }


def next_arrival(inbox: Inbox, before: int, timeout: float = 30) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with inbox.lock:
            if len(inbox.arrivals) > before:
                return inbox.arrivals[before]
        time.sleep(0.002)
    raise RuntimeError(f"no email within {timeout} s (inbox holds {len(inbox.messages)})")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
        "min_ms": round(min(values) * 1000, 1),
    }


def hub_to_inbox(base: str, terminal: HubClient, inbox: Inbox, count: int, seq: int) -> tuple[list[float], int]:
    latencies = []
    for _ in range(count):
        seq += 1
        time.sleep(RNG.uniform(0, GAP))  # ratings come at random moments, not in step with the job's poll
        before = len(inbox.arrivals)
        answer = terminal.sync(make_batch([bad_rating(seq)]), now=datetime.now(UTC))
        accepted = time.monotonic()
        assert answer.body["results"][0]["status"] == "accepted", answer.body
        latencies.append(next_arrival(inbox, before) - accepted)
    return latencies, seq


def tap_to_inbox(base: str, env: dict[str, str], work: Path, inbox: Inbox, count: int) -> list[float]:
    from kiosk.terminal import Terminal

    output = voxloop("hub", "enroll-code", "--store", "B001", "--no-qr", env=env, cwd=work)
    code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)
    data_dir = work / f"kiosk-{secrets.token_hex(3)}"
    voxloop("kiosk", "enroll", "--hub", base, "--code", code, "--data-dir", str(data_dir), env={}, cwd=work)
    terminal = Terminal.open(data_dir)
    terminal.start()
    latencies = []
    try:
        for i in range(count):
            time.sleep(RNG.uniform(0, GAP))
            before = len(inbox.arrivals)
            tapped = time.monotonic()
            terminal.capture(
                [
                    {"question": "rating", "kind": "smiley", "value": 1},
                    {"question": "comment", "kind": "text", "value": f"Tap {i}"},
                ],
                "de",
            )
            latencies.append(next_arrival(inbox, before) - tapped)
    finally:
        terminal.close()
    return latencies


def enroll_client(base: str, env: dict[str, str], work: Path) -> HubClient:
    output = voxloop("hub", "enroll-code", "--store", "B001", "--no-qr", env=env, cwd=work)
    code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)
    key = new_private_key()
    answer = requests.post(f"{base}/api/v1/enroll", json={"code": code, "public_key": public_key_text(key)}, timeout=10)
    answer.raise_for_status()
    return HubClient(base, requests.Session(), device_id=answer.json()["device_id"], key=key)


def bench_mode(engine: str, mode: str, args: argparse.Namespace, work: Path, pg: Any) -> dict[str, Any]:
    work.mkdir(parents=True)
    inbox = Inbox().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "VOXLOOP_INSTANCE_PATH": str(work / "instance"),
        "VOXLOOP_SECRET_KEY": "bench-secret",
        "VOXLOOP_PUBLIC_URL": base,
        "VOXLOOP_SMTP_HOST": "127.0.0.1",
        "VOXLOOP_SMTP_PORT": str(inbox.port),
        "VOXLOOP_DIGEST_HOUR": "-1",
    }
    if engine == "postgres":
        env["VOXLOOP_DATABASE_URL"] = pg.create_database(f"bench_alerts_{secrets.token_hex(4)}")
    try:
        set_up(env, work)
        serve = [
            VOXLOOP,
            "hub",
            "serve",
            "--port",
            str(port),
            "--with-jobs" if mode == "in-process" else "--without-jobs",
        ]
        with ExitStack() as stack:
            stack.enter_context(running(serve, cwd=work, env=env, log=work / "hub.log"))
            if mode == "separate":
                stack.enter_context(running([VOXLOOP, "hub", "jobs"], cwd=work, env=env, log=work / "jobs.log"))
            wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, 60, "the hub", work / "hub.log")
            terminal = enroll_client(base, env, work)
            _, seq = hub_to_inbox(base, terminal, inbox, args.warmup, 0)
            hub, seq = hub_to_inbox(base, terminal, inbox, args.alerts, seq)
            result: dict[str, Any] = {"engine": engine, "jobs": mode, "hub_to_inbox": summary(hub)}
            if args.taps and (ROOT / "kiosk" / "terminal.py").exists():
                result["tap_to_inbox"] = summary(tap_to_inbox(base, env, work, inbox, args.taps))
            result["emails"] = len(inbox.messages)
        return result
    finally:
        inbox.stop()


def machine() -> dict[str, str]:
    cpu = "unknown"
    with suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "loadavg": "/".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Alert latency: from a low rating to the manager's inbox.")
    parser.add_argument("--alerts", type=int, default=200, help="alerts measured per mode (default 200)")
    parser.add_argument("--taps", type=int, default=200, help="terminal taps measured per mode (0: skip)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (databases, logs)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="voxloop-alert-bench-"))
    results = []
    pg = None
    try:
        engines = [e.strip() for e in args.engines.split(",") if e.strip()]
        if "postgres" in engines:
            from tests.support.postgres import TemporaryPostgres

            pg = TemporaryPostgres().start()
        for engine in engines:
            # one process per SQLite file: the separate job process is a PostgreSQL set-up
            for mode in ("in-process", "separate") if engine == "postgres" else ("in-process",):
                print(f"{engine}, jobs {mode}: {args.alerts} alerts, {args.taps} taps ...", flush=True)
                result = bench_mode(engine, mode, args, work / f"{engine}-{mode}", pg)
                results.append(result)
                print(json.dumps(result), flush=True)
    finally:
        if pg is not None:
            pg.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    report = {"machine": machine(), "alerts": args.alerts, "taps": args.taps, "results": results}
    print()
    print(f"machine: {report['machine']}")
    print(f"{'engine':<9} {'jobs':<11} {'what':<13} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for r in results:
        for what in ("hub_to_inbox", "tap_to_inbox"):
            if what in r:
                s = r[what]
                figures = f"{s['n']:>4} {s['p50_ms']:>8} {s['p95_ms']:>8} {s['max_ms']:>8}"
                print(f"{r['engine']:<9} {r['jobs']:<11} {what:<13} {figures}")
    if not (ROOT / "kiosk" / "terminal.py").exists():
        print("kiosk/terminal.py is missing: tap to inbox not measured, hub to inbox only")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
