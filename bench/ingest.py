"""Ingest throughput: responses/second through the hub's full HTTP path, next to the raw limit.

``.venv/bin/python -m bench.ingest [--quick]`` (from the repository root).

Per database engine (SQLite, PostgreSQL) two real server processes run on 127.0.0.1, served by
waitress with the same thread count:

* **full** -- the hub (``voxloop hub serve``) on a database made by ``voxloop hub init`` and
  ``voxloop hub add-store``, with terminals enrolled over HTTP. Each batch goes through the
  signature check, validation, duplicate detection, the inserts, the rollup update, the
  terminal's heartbeat, the sync log and a durable commit.
* **raw** -- bench/raw_endpoint.py: json.loads and an INSERT OR IGNORE / ON CONFLICT DO NOTHING
  executemany of the same response and answer rows with the driver directly, a durable commit
  per batch, into the same schema. The most any ingest endpoint could do here.

The same client sends the same kind of request to both: batches of 100 realistic responses
(a smiley rating, a reason choice, a short comment), bodies built and signed before the timed
loop (fresh nonces, created times a moment before it), sent by a few client threads, each with
its own ``requests.Session`` and its own terminal (its own store: a fleet, not one shop). Rounds
alternate raw/full; the report gives the median responses/s of each, their ratio, the
per-batch latency and the CPU time per batch of the server, of PostgreSQL and of the client.
PostgreSQL is a throwaway server (tests.support.postgres) with fsync on.

``--server deployed`` serves both the way deploy/ runs the hub: gunicorn with
deploy/gunicorn.conf.py, whose process model follows the database (SQLite: one process with
threads; PostgreSQL: ``2 x cores + 1`` sync worker processes), the raw endpoint under the very
same settings. The server CPU is then that of the gunicorn master and all its workers.

``--statements`` starts PostgreSQL with pg_stat_statements and lists, for the full path and
the raw endpoint, the statements that took its execution time per batch (bench/pg_statements.py).

``--profile`` adds one more full round per engine against a fresh hub process sampled by py-spy
(``--gil``: where the hub's Python time goes; install it with ``.venv/bin/pip install py-spy``),
or, without py-spy, with every request under cProfile (bench/profile_hub.py).

How to read the figures, and a reference run: docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench import pg_statements
from kiosk.hub_client import HubClient
from shared.crypto import new_private_key, sign_request
from shared.ids import uuid7
from shared.protocol import format_time

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VOXLOOP = str(Path(PYTHON).parent / "voxloop")
SYNC_PATH = "/api/v1/sync"
RESIGN_AFTER_SECONDS = 240  # the hub accepts created times within 300 s

# --- realistic responses -------------------------------------------------------------------------

RATINGS = (1, 2, 3, 4)  # the default exit survey: a smiley with 4 faces
RATING_WEIGHTS = (0.08, 0.12, 0.35, 0.45)
REASONS = ("queue", "staff", "stock", "cleanliness", "price")
COMMENTS = {
    1: [
        "Zu lange an der Kasse gewartet",
        "Nur eine Kasse offen, 15 Minuten!",
        "Unfreundlich an der Fleischtheke",
        "Waiting ages at the till",
        "Milch war schon wieder aus",
    ],
    2: [
        "Leergutautomat kaputt",
        "Regale halb leer am Samstag",
        "Preise an der Kasse anders als am Regal",
        "Parkplatz total voll",
        "Brot war alt",
    ],
    3: ["Ganz ok", "Bitte mehr vegane Produkte", "Musik etwas zu laut", "Fine, but the queue was long", "Passt schon"],
    4: [
        "Sehr nette Kassiererin!",
        "Alles top, danke",
        "Super frisches Obst heute",
        "Great service, thank you",
        "Schnell und freundlich",
    ],
}


@dataclass
class Terminal:
    """A bench terminal: its device id and key on the hub, its store, its sequence numbers."""

    device_id: str
    key: Any
    store: str
    seqs: dict[str, int] = field(default_factory=lambda: {"raw": 0, "full": 0})  # one count per server
    captured: dict[str, datetime] = field(default_factory=dict)

    def response(self, rng: random.Random, captured: datetime, mode: str) -> dict[str, Any]:
        self.seqs[mode] += 1
        rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
        reasons = rng.sample(REASONS, 2 if rng.random() < 0.25 else 1)
        return {
            "id": uuid7(captured, rng.randbytes(10)),
            "v": 1,
            "channel": "kiosk",
            "store": self.store,
            "touchpoint": "exit",
            "survey": "exit",
            "survey_version": 1,
            "captured_at": format_time(captured),
            "locale": "de" if rng.random() < 0.85 else "en",
            "seq": self.seqs[mode],
            "answers": [
                {"question": "rating", "kind": "smiley", "value": rating},
                {"question": "reason", "kind": "choice", "value": reasons},
                {"question": "comment", "kind": "text", "value": rng.choice(COMMENTS[rating])},
            ],
        }

    def batch_bodies(self, rng: random.Random, count: int, size: int, now: datetime, mode: str) -> list[bytes]:
        """``count`` batches as the terminal would send them: responses in capture order, captured
        since its previous round (the first round: over the last 25 minutes)."""
        start = self.captured.get(mode) or now - timedelta(minutes=25)
        step = (now - start) / (count * size + 1)
        bodies = []
        for b in range(count):
            times = [start + step * (b * size + i + 1) for i in range(size)]
            responses = [self.response(rng, captured, mode) for captured in times]
            batch = {
                "v": 1,
                "responses": responses,
                "heartbeat": {
                    "queue_depth": (count - b - 1) * size,
                    "app_version": "bench",
                    "last_seq": self.seqs[mode],
                },
            }
            # exactly what kiosk.hub_client.HubClient.sync puts on the wire
            bodies.append(json.dumps(batch, separators=(",", ":"), ensure_ascii=False).encode())
        self.captured[mode] = now
        return bodies


def signed_headers(terminal: Terminal, body: bytes) -> dict[str, str]:
    headers = sign_request(
        terminal.key,
        terminal.device_id,
        "POST",
        SYNC_PATH,
        body,
        created=int(time.time()),
        nonce=secrets.token_urlsafe(16),
    )
    return {**headers, "Content-Type": "application/json", "X-Bench-Terminal": terminal.device_id}


# --- processes -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


class Server:
    """A server process on 127.0.0.1 with its output in a log file; stopped by its pid."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int, log_dir: Path) -> None:
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({self.proc.returncode}):\n{self.log_path.read_text()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{name} did not answer on {self.url}:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- CPU accounting ---------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a gunicorn master's workers)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):  # the thread ended meanwhile
                queue += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU time of these processes (all their threads) so far."""
    total = 0
    for pid in pids:
        fields = _proc_stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / _TICK


def postgres_pids(pg: Any) -> list[int]:
    """The postmaster and its children (backends, WAL writer, checkpointer, ...)."""
    if pg is None:
        return []
    postmaster = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields and int(fields[1]) == postmaster:
                pids.append(int(entry.name))
    return pids


def client_cpu() -> float:
    t = os.times()
    return t.user + t.system


# --- one timed round ---------------------------------------------------------------------------------


@dataclass
class Round:
    mode: str
    responses: int
    seconds: float
    latencies: list[float]
    errors: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # seconds: server, database, client

    @property
    def rate(self) -> float:
        return self.responses / self.seconds


def timed_round(
    mode: str,
    url: str,
    sessions: list[requests.Session],
    terminals: list[Terminal],
    batches_per_client: int,
    batch_size: int,
    rng: random.Random,
    server_pid: int | None = None,
    pg: Any = None,
) -> Round:
    now = datetime.now(UTC)
    work: list[list[tuple[bytes, dict[str, str]]]] = []
    for terminal in terminals:
        bodies = terminal.batch_bodies(rng, batches_per_client, batch_size, now, mode)
        work.append([(body, signed_headers(terminal, body)) for body in bodies])
    signed_at = time.monotonic()
    latencies: list[list[float]] = [[] for _ in terminals]
    answers: list[list[requests.Response]] = [[] for _ in terminals]
    start_line = threading.Barrier(len(terminals) + 1)

    def client(i: int) -> None:
        session, terminal = sessions[i], terminals[i]
        start_line.wait()
        for body, headers in work[i]:
            if time.monotonic() - signed_at > RESIGN_AFTER_SECONDS:  # a very slow round: sign afresh
                headers = signed_headers(terminal, body)
            t0 = time.perf_counter()
            reply = session.post(url + SYNC_PATH, data=body, headers=headers, timeout=120)
            latencies[i].append(time.perf_counter() - t0)
            answers[i].append(reply)

    threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}") for i in range(len(terminals))]
    for t in threads:
        t.start()
    db_pids = postgres_pids(pg)
    server_pids = process_tree(server_pid) if server_pid else []
    cpu0 = (cpu_seconds(server_pids), cpu_seconds(db_pids), client_cpu())
    start_line.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    cpu1 = (cpu_seconds(server_pids), cpu_seconds(db_pids), client_cpu())
    cpu = {name: b - a for name, a, b in zip(("server", "database", "client"), cpu0, cpu1, strict=True)}

    errors = []
    for replies in answers:
        for reply in replies:
            if reply.status_code != 200:
                errors.append(f"HTTP {reply.status_code}: {reply.text[:300]}")
            elif mode == "full":
                statuses = {r["status"] for r in reply.json()["results"]}
                if statuses != {"accepted"}:
                    errors.append(f"not all accepted: {statuses}")
            elif reply.json().get("stored") != batch_size:
                errors.append(f"raw stored {reply.json()}")
    total = len(terminals) * batches_per_client * batch_size
    return Round(mode, total, seconds, [x for lat in latencies for x in lat], errors, cpu)


# --- one engine ------------------------------------------------------------------------------------


@dataclass
class EngineResult:
    engine: str
    version: str
    rounds: list[Round]
    stored: dict[str, int]
    profile: str | None = None
    statements: str | None = None

    def of(self, mode: str) -> list[Round]:
        return [r for r in self.rounds if r.mode == mode]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def count_rows(url: str, table: str) -> int:
    if url.startswith("sqlite:"):
        with sqlite3.connect(url.split(":///", 1)[1]) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def server_commands(args: argparse.Namespace, hub_port: int, raw_port: int, raw_url: str) -> tuple[list, list]:
    """The hub's and the raw endpoint's commands: both under waitress with ``args.threads``
    threads, or both under gunicorn as deployed (the database URL in the environment picks the
    process model of deploy/gunicorn.conf.py for both)."""
    if args.server == "deployed":
        gunicorn = [str(Path(PYTHON).parent / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
        return (
            [*gunicorn, "--bind", f"127.0.0.1:{hub_port}"],
            [*gunicorn, "--bind", f"127.0.0.1:{raw_port}", f"bench.raw_endpoint:create_raw_app({raw_url!r})"],
        )
    hub_cmd = [VOXLOOP, "hub", "serve", "--port", str(hub_port), "--threads", str(args.threads)]
    raw_cmd = [PYTHON, "-m", "bench.raw_endpoint", "--database-url", raw_url, "--port", str(raw_port)]
    return hub_cmd, [*raw_cmd, "--threads", str(args.threads)]


def bench_engine(engine: str, args: argparse.Namespace, work_dir: Path, pg: Any) -> EngineResult:
    print(f"\n== {engine}: setting up", flush=True)
    engine_dir = work_dir / engine
    engine_dir.mkdir()
    if engine == "sqlite":
        hub_url = f"sqlite:///{engine_dir / 'hub.db'}"
        raw_url = f"sqlite:///{engine_dir / 'raw.db'}"
        version = sqlite3.sqlite_version
    else:
        hub_url = pg.create_database("bench_hub")
        raw_url = pg.create_database("bench_raw")
        import psycopg

        with psycopg.connect(hub_url) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
            fsync = conn.execute("SHOW fsync").fetchone()[0]
            sync_commit = conn.execute("SHOW synchronous_commit").fetchone()[0]
        if fsync != "on" or sync_commit != "on":
            raise RuntimeError(f"PostgreSQL must run with fsync=on, synchronous_commit=on (has {fsync}, {sync_commit})")

    env = {
        **os.environ,
        "VOXLOOP_DATABASE_URL": hub_url,
        "VOXLOOP_INSTANCE_PATH": str(engine_dir / "instance"),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    run([VOXLOOP, "hub", "init"], env)
    stores = [f"B{n:03d}" for n in range(1, args.clients + 1)]
    for code in stores:
        run([VOXLOOP, "hub", "add-store", code, f"Bench {code}", "--time-zone", "Europe/Berlin"], env)
    codes = []
    for code in stores:
        out = run([VOXLOOP, "hub", "enroll-code", "--store", code, "--no-qr"], env)
        codes.append(re.search(r"--code (\S+)", out).group(1))

    hub_port, raw_port = free_port(), free_port()
    hub_cmd, raw_cmd = server_commands(args, hub_port, raw_port, raw_url)
    servers: list[Server] = []
    sessions = [requests.Session() for _ in stores]
    try:
        hub = Server(f"{engine}-hub", hub_cmd, env, hub_port, engine_dir)
        servers.append(hub)
        terminals = []
        for session, code, store in zip(sessions, codes, stores, strict=True):
            key = new_private_key()
            client = HubClient(hub.url, session)
            client.enroll(code, key, name=f"Bench {store}", app_version="bench", now=datetime.now(UTC))
            terminals.append(Terminal(client.device_id, key, store))
        from bench.raw_endpoint import prepare_database

        prepare_database(raw_url, [(t.device_id, t.store) for t in terminals])
        raw = Server(f"{engine}-raw", raw_cmd, env, raw_port, engine_dir)
        servers.append(raw)
        by_mode = {"raw": raw, "full": hub}
        db_server = pg if engine == "postgres" else None

        rng = random.Random(20261123)
        # Warm-up (not counted): imports, caches, connections, the first pages of each table.
        for mode in ("raw", "full"):
            warm = timed_round(mode, by_mode[mode].url, sessions, terminals, 3, args.batch, rng)
            if warm.errors:
                raise RuntimeError(f"{engine} {mode} warm-up failed: {warm.errors[:3]}")

        per_client = max(1, round(args.responses / args.batch / len(terminals)))
        if args.statements and db_server is not None:
            pg_statements.reset(hub_url)
        rounds: list[Round] = []
        for n in range(args.rounds):
            order = ("raw", "full") if n % 2 == 0 else ("full", "raw")
            for mode in order:
                result = timed_round(
                    mode,
                    by_mode[mode].url,
                    sessions,
                    terminals,
                    per_client,
                    args.batch,
                    rng,
                    server_pid=by_mode[mode].proc.pid,
                    pg=db_server,
                )
                if result.errors:
                    raise RuntimeError(
                        f"{engine} {mode} round {n + 1}: {len(result.errors)} failed batches, e.g. {result.errors[:3]}"
                    )
                rounds.append(result)
                batches = result.responses / args.batch
                cpu = "  ".join(f"{k} {v / batches * 1000:5.1f}" for k, v in result.cpu.items() if v)
                print(
                    f"   round {n + 1} {mode:<4} {result.responses:>7} responses in {result.seconds:6.2f} s "
                    f"= {result.rate:6.0f} responses/s   p50 {percentile(result.latencies, 50) * 1000:6.1f} ms  "
                    f"p95 {percentile(result.latencies, 95) * 1000:6.1f} ms   CPU ms/batch: {cpu}",
                    flush=True,
                )
    finally:
        for server in servers:
            server.stop()
        for session in sessions:
            session.close()

    sent = {"full": 3 * len(terminals) * args.batch, "raw": 3 * len(terminals) * args.batch}
    for r in rounds:
        sent[r.mode] += r.responses
    stored = {"full": count_rows(hub_url, "response"), "raw": count_rows(raw_url, "response")}
    for mode in ("full", "raw"):
        if stored[mode] != sent[mode]:
            raise RuntimeError(f"{engine} {mode}: sent {sent[mode]} responses, the database holds {stored[mode]}")
    answers = {"full": count_rows(hub_url, "answer"), "raw": count_rows(raw_url, "answer")}
    per_response = {mode: answers[mode] / stored[mode] for mode in answers}
    print(
        f"   stored: full {stored['full']} responses, {answers['full']} answers ({per_response['full']:.2f} each); "
        f"raw {stored['raw']} responses, {answers['raw']} answers ({per_response['raw']:.2f} each)",
        flush=True,
    )
    if abs(per_response["full"] - per_response["raw"]) > 0.05:
        raise RuntimeError(f"{engine}: raw and full stored different answer rows per response: {per_response}")
    result = EngineResult(engine, version, rounds, stored)
    if args.statements and engine == "postgres":
        batches = {mode: sum(r.responses for r in rounds if r.mode == mode) / args.batch for mode in ("full", "raw")}
        result.statements = pg_statements.table(hub_url, {"bench_hub": batches["full"], "bench_raw": batches["raw"]})

    if args.profile:
        result.profile = profile_hub(engine, env, engine_dir, terminals, args, pg if engine == "postgres" else None)
    return result


def py_spy() -> str | None:
    """py-spy next to this Python (pip install py-spy into the venv) or on PATH."""
    candidate = Path(PYTHON).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def profile_hub(
    engine: str, env: dict[str, str], engine_dir: Path, terminals: list[Terminal], args: argparse.Namespace, pg: Any
) -> str:
    """One more full round against a fresh hub process, profiled; returns a printable summary.

    With py-spy: the unmodified hub (voxloop hub serve) is sampled from outside, only while a
    thread holds the GIL (``--gil --nonblocking``): the samples say where the hub's Python time
    goes; the CPU time of the process over the round says how close it is to one core.
    Without py-spy: bench/profile_hub.py, the hub with each request under cProfile."""
    spy = py_spy()
    port = free_port()
    rng = random.Random(7)
    per_client = max(1, round(args.responses / args.batch / len(terminals)))
    sessions = [requests.Session() for _ in terminals]
    out_path = engine_dir / ("hub.py-spy.txt" if spy else "hub.pstats")
    if spy:
        cmd = [VOXLOOP, "hub", "serve", "--port", str(port), "--threads", str(args.threads)]
    else:
        cmd = [
            PYTHON,
            "-m",
            "bench.profile_hub",
            "--port",
            str(port),
            "--threads",
            str(args.threads),
            "--stats",
            str(out_path),
        ]
    server = Server(f"{engine}-hub-profiled", cmd, env, port, engine_dir)
    sampler = None
    try:
        timed_round("full", server.url, sessions, terminals, 3, args.batch, rng)  # warm-up
        if spy:
            sampler = subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(server.proc.pid),
                    "--gil",
                    "--nonblocking",
                    "--rate",
                    str(SPY_RATE),
                    "--format",
                    "raw",
                    "--output",
                    str(out_path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # py-spy attaches
        r = timed_round(
            "full", server.url, sessions, terminals, per_client, args.batch, rng, server_pid=server.proc.pid, pg=pg
        )
        if r.errors:
            raise RuntimeError(f"profiled round failed: {r.errors[:3]}")
    finally:
        if sampler is not None:
            sampler.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
            try:
                sampler.wait(timeout=30)
            except subprocess.TimeoutExpired:
                sampler.kill()
                sampler.wait()
        server.stop()  # the cProfile wrapper writes its stats on SIGTERM
        for session in sessions:
            session.close()
    batches = r.responses / args.batch
    head = (
        f"profiled full round: {r.rate:.0f} responses/s; the hub process used "
        f"{r.cpu['server'] * 1000 / batches:.1f} ms CPU per batch of {args.batch}, i.e. "
        f"{r.cpu['server'] / r.seconds:.2f} CPU cores on average "
        "(one core is the most a single process's Python code gets: the GIL)"
    )
    if spy:
        return head + "\n" + summarise_py_spy(out_path)
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(str(out_path), stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    return head + " (under cProfile, which slows it)\n" + out.getvalue()


SPY_RATE = 200  # samples per second
_PROJECT = re.compile(r"\((?:/\S+/)?(hub|shared|kiosk)/(\S+?\.py):\d+\)")


def _frame_name(frame: str) -> str:
    """'ingest_batch (/srv/voxloop/hub/services/ingest.py:131)' -> 'hub/services/ingest.py ingest_batch'."""
    function = frame.split(" (", 1)[0]
    m = _PROJECT.search(frame)
    return f"{m.group(1)}/{m.group(2)} {function}" if m else function


def summarise_py_spy(path: Path) -> str:
    """Where the GIL-holding samples of request handling fall: by the innermost project function
    (hub/, shared/) and the library function it was in, plus by stage of sync()."""
    by_function: dict[str, int] = {}
    by_stage: dict[str, int] = {}
    total = everything = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, count_text = line.rsplit(" ", 1)
        count = int(count_text)
        everything += count
        frames = stack.split(";")
        if not any("flask/app.py" in f for f in frames):
            continue
        total += count
        inner = [i for i, f in enumerate(frames) if _PROJECT.search(f)]
        if inner:
            i = inner[-1]
            key = _frame_name(frames[i])
            if i + 1 < len(frames):
                key += " -> " + frames[i + 1].split(" (", 1)[0]
        else:
            key = "(Flask/werkzeug outside the hub's code)"
        by_function[key] = by_function.get(key, 0) + count
        # stage: the function sync()/ingest_batch() was calling
        stage = "(Flask/werkzeug outside the hub's code)"
        for i, f in enumerate(frames):
            name = _frame_name(f)
            if name in ("hub/services/ingest.py ingest_batch", "hub/api/sync.py sync") and i + 1 < len(frames):
                stage = f"{name.split()[-1]} -> {_frame_name(frames[i + 1])}"
                if name.endswith("ingest_batch"):
                    break
            elif name.startswith("hub/__init__.py"):
                stage = name
        by_stage[stage] = by_stage.get(stage, 0) + count
    lines = [
        f"py-spy --gil --nonblocking at {SPY_RATE}/s: {total} samples of a thread holding the GIL while "
        f"handling a request (of {everything}); shares of the hub's Python time:",
        "",
        "by stage (the call sync() / ingest_batch() was in):",
    ]
    for key, count in sorted(by_stage.items(), key=lambda kv: -kv[1])[:25]:
        lines.append(f"  {count / total:6.1%}  {key}")
    lines += ["", "by innermost hub/shared function (-> the library call it was in):"]
    for key, count in sorted(by_function.items(), key=lambda kv: -kv[1])[:30]:
        lines.append(f"  {count / total:6.1%}  {key}")
    return "\n".join(lines)


# --- report --------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
    }


def served(args: argparse.Namespace) -> str:
    if args.server == "deployed":
        return "both under gunicorn as deployed (SQLite: 1 process x 4 threads; PostgreSQL: 2 x cores + 1 processes)"
    return f"both under waitress, {args.threads} threads"


def report(results: list[EngineResult], args: argparse.Namespace) -> dict[str, Any]:
    m = machine()
    load_start, load_end = args.loadavg_start, os.getloadavg()
    m["loadavg_start"], m["loadavg_end"] = (
        "/".join(f"{x:.1f}" for x in load_start),
        "/".join(f"{x:.1f}" for x in load_end),
    )
    print(f"\nmachine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, SQLite {m['sqlite']}, Linux {m['kernel']}")
    print(f"load average (1/5/15 min): {m['loadavg_start']} at the start, {m['loadavg_end']} at the end")
    print(
        f"load: {args.rounds} rounds x {args.responses} responses per mode, batches of {args.batch}, "
        f"{args.clients} client threads (one terminal and store each), {served(args)}; "
        f"rounds alternate raw/full\n"
    )
    header = (
        f"{'engine':<16} {'mode':<4} {'median resp/s':>13} {'min':>6} {'max':>6} {'p50 ms':>7} {'p95 ms':>7}"
        f"   {'CPU ms per batch: server':>24} {'postgres':>8} {'client':>6}"
    )
    print(header)
    print("-" * len(header))
    summary: dict[str, Any] = {"machine": m, "args": vars(args), "engines": {}}
    for res in results:
        name = f"{res.engine} {res.version}"
        entry: dict[str, Any] = {"version": res.version}
        for mode in ("raw", "full"):
            rounds = res.of(mode)
            rates = [r.rate for r in rounds]
            lat = [x for r in rounds for x in r.latencies]
            cpu = {
                k: statistics.median(r.cpu[k] * 1000 / (r.responses / args.batch) for r in rounds)
                for k in ("server", "database", "client")
            }
            entry[mode] = {
                "rates": rates,
                "median": statistics.median(rates),
                "p50_ms": percentile(lat, 50) * 1000,
                "p95_ms": percentile(lat, 95) * 1000,
                "cpu_ms_per_batch": cpu,
            }
            e = entry[mode]
            postgres = f"{cpu['database']:>8.1f}" if res.engine == "postgres" else f"{'-':>8}"
            print(
                f"{name:<16} {mode:<4} {e['median']:>13.0f} {min(rates):>6.0f} {max(rates):>6.0f} "
                f"{e['p50_ms']:>7.1f} {e['p95_ms']:>7.1f}   {cpu['server']:>24.1f} {postgres} {cpu['client']:>6.1f}"
            )
        paired = [f.rate / r.rate for r, f in zip(res.of("raw"), res.of("full"), strict=True)]
        entry["ratio"] = entry["full"]["median"] / entry["raw"]["median"]
        entry["paired_ratio_median"] = statistics.median(paired)
        entry["paired_ratios"] = paired
        summary["engines"][res.engine] = entry
    print(
        f"\n(p50/p95: latency of one batch of {args.batch} as the client sees it, over all rounds of the mode; "
        "CPU: user+system time of the server process, of all PostgreSQL processes, of this client, per batch, "
        "median of the rounds)"
    )
    print()
    header = (
        f"{'engine':<16} {'full/raw of the medians':>23} {'full/raw per round: median (range)':>36}"
        f" {'raw/full CPU per batch':>22}   aim: full/raw >= 0.50"
    )
    print(header)
    print("-" * len(header))
    for res in results:
        e = summary["engines"][res.engine]
        p = e["paired_ratios"]
        cost = {
            mode: e[mode]["cpu_ms_per_batch"]["server"] + e[mode]["cpu_ms_per_batch"]["database"]
            for mode in e
            if mode in ("raw", "full")
        }
        e["cpu_ratio"] = cost["raw"] / cost["full"]
        verdict = "meets the aim" if e["ratio"] >= 0.5 else "BELOW the aim"
        print(
            f"{res.engine + ' ' + res.version:<16} {e['ratio']:>23.2f} "
            f"{e['paired_ratio_median']:>21.2f} ({min(p):.2f}-{max(p):.2f}) {e['cpu_ratio']:>22.2f}   {verdict}"
        )
    print(
        "\n(raw/full CPU per batch: the server's CPU time per batch, plus PostgreSQL's, raw over full: the ratio the"
        " throughputs would have if CPU were the only limit; it moves much less than throughput on a busy machine)"
    )
    for res in results:
        if res.statements:
            print(f"\n== {res.engine}: PostgreSQL's execution time by statement (bench_hub: full, bench_raw: raw)\n")
            print(res.statements)
    for res in results:
        if res.profile:
            print(f"\n== {res.engine}: where the hub's time goes\n")
            print(res.profile)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingest throughput: the hub's full path next to the raw limit.")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 4,000 responses (a smoke run)")
    parser.add_argument("--rounds", type=int, help="rounds per mode (default 5, --quick 3)")
    parser.add_argument("--responses", type=int, help="responses per round and mode (default 20000, --quick 4000)")
    parser.add_argument("--batch", type=int, default=100, help="responses per batch (default 100)")
    parser.add_argument("--clients", type=int, default=4, help="client threads, one terminal each (default 4)")
    parser.add_argument(
        "--threads", type=int, default=8, help="waitress threads of both servers (default 8, as voxloop hub serve)"
    )
    parser.add_argument("--engines", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument(
        "--server",
        choices=("waitress", "deployed"),
        default="waitress",
        help="waitress with --threads (default), or gunicorn with deploy/gunicorn.conf.py, as deployed",
    )
    parser.add_argument("--profile", action="store_true", help="also profile one full round of the hub per engine")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="PostgreSQL: also list its execution time by statement per batch, full and raw (pg_stat_statements)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (databases, server logs)")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 5)
    args.responses = args.responses or (4000 if args.quick else 20000)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if unknown := set(engines) - {"sqlite", "postgres"}:
        parser.error(f"unknown engines {sorted(unknown)}")

    args.loadavg_start = os.getloadavg()
    work_dir = Path(tempfile.mkdtemp(prefix="voxloop-bench-ingest-"))
    pg = None
    results = []
    try:
        for engine in engines:
            if engine == "postgres" and pg is None:
                from tests.support.postgres import TemporaryPostgres

                pg = TemporaryPostgres(settings=pg_statements.SETTINGS if args.statements else None).start()
                print(f"PostgreSQL {pg.bin_dir} on 127.0.0.1:{pg.port} (fsync=on, synchronous_commit=on)")
            results.append(bench_engine(engine, args, work_dir, pg))
    finally:
        if pg is not None:
            pg.stop()
        if args.keep:
            print(f"work directory kept: {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    summary = report(results, args)
    if args.json:
        summary["args"] = {k: str(v) if isinstance(v, Path) else v for k, v in summary["args"].items()}
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
