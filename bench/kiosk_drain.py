"""Terminal: how long it takes to drain a backlog into the hub, next to a baseline.

``.venv/bin/python -m bench.kiosk_drain [--count 5000] [--rounds 3]`` (from the repository root).

A real hub process (``voxloop hub serve``, SQLite, waitress) on 127.0.0.1, set up with
``voxloop hub init`` / ``add-store``; terminals enrolled over HTTP with ``voxloop kiosk enroll``.
Per round, two fresh terminals each hold ``--count`` responses captured offline (a smiley, a
reason, a comment, as the exit survey asks), captured before the clock starts:

* **baseline** -- the responses sent straight with ``HubClient.sync`` in batches of 100 (signed,
  the same bodies the terminal sends): what the hub itself needs to take them in.
* **drain** -- ``SyncWorker.run_once`` on the terminal's ``LocalStore``: the same batches plus
  everything the terminal does around them (reading the outbox, the heartbeat, marking each
  batch delivered with a durable commit, the missing-ranges check, settings, retention).

Rounds alternate which goes first (the hub's database grows as they go). The report gives the
median of each, the drain's responses/s and its overhead ratio against the baseline. The
product's aim: a backlog of 5,000 drained in 5 s or less.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from kiosk import identity
from kiosk.hub_client import HubClient
from kiosk.local_store import LocalStore
from kiosk.sync_worker import SyncWorker
from shared.protocol import Heartbeat, make_batch

ROOT = Path(__file__).resolve().parent.parent
VOXLOOP = str(Path(sys.executable).with_name("voxloop"))
AIM_SECONDS = 5.0
REASONS = ("queue", "staff", "stock", "cleanliness", "price")
COMMENTS = {
    1: ["Zu lange an der Kasse gewartet", "Nur eine Kasse offen, 15 Minuten!", "Waiting ages at the till"],
    2: ["Leergutautomat kaputt", "Regale halb leer am Samstag", "Brot war alt"],
    3: ["Ganz ok", "Bitte mehr vegane Produkte", "Fine, but the queue was long"],
    4: ["Sehr nette Kassiererin!", "Alles top, danke", "Great service, thank you"],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def voxloop(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [VOXLOOP, *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"voxloop {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class HubProcess:
    def __init__(self, work_dir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            "VOXLOOP_INSTANCE_PATH": str(work_dir / "hub"),
            "VOXLOOP_SECRET_KEY": "bench-secret",
            "VOXLOOP_PUBLIC_URL": self.base,
        }
        voxloop("hub", "init", env=self.env)
        voxloop("hub", "add-store", "B001", "Berlin Mitte", "--time-zone", "Europe/Berlin", env=self.env)
        self.log = (work_dir / "hub.log").open("w")
        self.process = subprocess.Popen(
            [VOXLOOP, "hub", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited:\n{(work_dir / 'hub.log').read_text()}")
            try:
                if requests.get(self.base + "/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("the hub did not answer within 60 s")

    def enroll(self, data_dir: Path) -> None:
        output = voxloop("hub", "enroll-code", "--store", "B001", "--no-qr", env=self.env)
        code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)
        voxloop("kiosk", "enroll", "--hub", self.base, "--code", code, "--data-dir", str(data_dir), env={})

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def backlog(store: LocalStore, count: int, rng: random.Random) -> None:
    """``count`` responses captured offline over the last days, as the terminal stores them."""
    config = store.get("config")
    start = datetime.now(UTC) - timedelta(days=3)
    for i in range(count):
        rating = rng.choices((1, 2, 3, 4), (0.08, 0.12, 0.35, 0.45))[0]
        store.record(
            config=config,
            answers=[
                {"question": "rating", "kind": "smiley", "value": rating},
                {"question": "reason", "kind": "choice", "value": rng.sample(REASONS, 1)},
                {"question": "comment", "kind": "text", "value": rng.choice(COMMENTS[rating])},
            ],
            locale="de",
            now=start + timedelta(seconds=40 * i),
            random_bytes=rng.randbytes(10),
            press_interval=3,
        )


def client_for(data_dir: Path) -> HubClient:
    me = identity.load(data_dir)
    return HubClient(me.hub, requests.Session(), device_id=me.device_id, key=me.key)


Timing = tuple[float, float]  # wall seconds, CPU seconds of this (the terminal's) process


def baseline(data_dir: Path, batch_size: int) -> Timing:
    """The backlog sent straight with HubClient: the hub's own share of the work."""
    store = LocalStore(identity.database_path(data_dir))
    items = store.pending(10**9)
    client = client_for(data_dir)
    started, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(items), batch_size):
        chunk = items[first : first + batch_size]
        beat = Heartbeat(queue_depth=len(items) - first, app_version="bench", last_seq=len(items))
        answer = client.sync(make_batch(chunk, beat), now=datetime.now(UTC))
        assert all(r["status"] == "accepted" for r in answer.body["results"]), answer.body["results"][:3]
    elapsed = (time.perf_counter() - started, time.process_time() - cpu)
    store.close()
    return elapsed


def drain(data_dir: Path, batch_size: int) -> Timing:
    """The backlog drained by the terminal's sync worker, one round."""
    store = LocalStore(identity.database_path(data_dir))
    worker = SyncWorker(store, client_for(data_dir), batch_size=batch_size)
    started, cpu = time.perf_counter(), time.process_time()
    outcome = worker.run_once(datetime.now(UTC))
    elapsed = (time.perf_counter() - started, time.process_time() - cpu)
    assert outcome.ok and outcome.pending == 0, outcome.describe()
    store.close()
    return elapsed


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        )
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"Linux {platform.release()}, load average {os.getloadavg()[0]:.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time a terminal draining a backlog into a local hub (SQLite).")
    parser.add_argument("--count", type=int, default=5000, help="responses in the backlog (default 5000)")
    parser.add_argument("--batch", type=int, default=100, help="responses per batch (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of baseline + drain (default 3)")
    args = parser.parse_args(argv)

    work_dir = Path(tempfile.mkdtemp(prefix="voxloop-kiosk-drain-"))
    rng = random.Random(2026)
    print(f"setting up a hub (SQLite) in {work_dir}", flush=True)
    hub = HubProcess(work_dir)
    results: dict[str, list[Timing]] = {"baseline": [], "drain": []}
    try:
        for round_number in range(1, args.rounds + 1):
            dirs = {}
            for kind in ("baseline", "drain"):
                dirs[kind] = work_dir / f"terminal-{kind}-{round_number}"
                hub.enroll(dirs[kind])
                store = LocalStore(identity.database_path(dirs[kind]))
                backlog(store, args.count, rng)
                store.close()
            order = ("baseline", "drain") if round_number % 2 else ("drain", "baseline")
            for kind in order:
                results[kind].append((baseline if kind == "baseline" else drain)(dirs[kind], args.batch))
            (base_s, _), (drain_s, _) = results["baseline"][-1], results["drain"][-1]
            print(f"round {round_number}: baseline {base_s:.2f} s, drain {drain_s:.2f} s", flush=True)
    finally:
        hub.stop()
        shutil.rmtree(work_dir, ignore_errors=True)

    def median(kind: str, index: int) -> float:
        return statistics.median(timing[index] for timing in results[kind])

    base, drained = median("baseline", 0), median("drain", 0)
    ratios = [d[0] / b[0] for b, d in zip(results["baseline"], results["drain"], strict=True)]
    aim = AIM_SECONDS * args.count / 5000
    print()
    print(f"machine: {machine()}")
    print(f"backlog: {args.count} responses, batches of {args.batch}, {args.rounds} rounds, medians:")
    print("                                        wall     responses/s   terminal CPU")
    for label, kind in (
        ("baseline (HubClient.sync straight)", "baseline"),
        ("drain (LocalStore -> SyncWorker)", "drain"),
    ):
        wall = median(kind, 0)
        print(f"  {label:<36} {wall:6.2f} s  {args.count / wall:9.0f}      {median(kind, 1):6.2f} s")
    print(
        f"  terminal overhead: x{drained / base:.2f} of the medians, "
        f"per round x{statistics.median(ratios):.2f} (x{min(ratios):.2f}-x{max(ratios):.2f})"
    )
    print(f"  aim: {args.count} drained in <= {aim:.1f} s: {'met' if drained <= aim else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
