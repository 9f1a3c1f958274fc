"""Two ways to insert a batch's rows into SQLite: the driver's executemany (a statement run per
row) and many rows to a statement (hub/db.py ``insert_rows``), alone and beside busy threads.

Each transaction inserts 100 response rows and 300 answer rows (one a comment: the full-text
index's trigger runs) into the hub's schema, with the hub's durability, alternating between two
fresh databases, one per form. Measured per transaction: the writing thread's CPU time and
its wall time, first with nothing else running, then with ``--busy`` threads running Python
(as the hub's other threads do while they check the next batches). Prints the medians and
the ratio of the two forms.

Run: ``.venv/bin/python -m bench.insert_forms [--transactions 200] [--busy 3]``
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.raw_endpoint import ANSWER_COLUMNS, RESPONSE_COLUMNS, insert_sqlite_rows, prepare_database
from hub.db import SQLITE_PRAGMAS

RESPONSE_HEAD = f"INSERT INTO response ({RESPONSE_COLUMNS})"
ANSWER_HEAD = f"INSERT INTO answer ({ANSWER_COLUMNS})"
WORDS = ("Sehr", "nette", "Kassiererin", "alles", "top", "danke", "frisches", "Obst", "heute", "great", "service")


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for name, value in SQLITE_PRAGMAS.items():
        conn.execute(f"PRAGMA {name} = {value}")
    return conn


def batch(rng: random.Random) -> tuple[list[tuple], list[tuple]]:
    responses, answers = [], []
    for seq in range(100):
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        captured = "2026-12-01 10:00:00"
        responses.append(
            (rid, 1, 1, "dev1", "kiosk", 1, 1, captured, captured, "2026-12-01", "de", seq + 1, "", "0" * 64, None)
        )
        answers += [
            (rid, "rating", "smiley", rng.randint(1, 5), None),
            (rid, "reason", "choice", None, rng.choice(["wait", "staff", "stock"])),
            (rid, "comment", "text", None, " ".join(rng.sample(WORDS, 4))),
        ]
    return responses, answers


def by_executemany(conn: sqlite3.Connection, responses: list[tuple], answers: list[tuple]) -> None:
    conn.executemany(f"{RESPONSE_HEAD} VALUES ({', '.join('?' * 15)})", responses)
    conn.executemany(f"{ANSWER_HEAD} VALUES (?, ?, ?, ?, ?)", answers)


def by_statement(conn: sqlite3.Connection, responses: list[tuple], answers: list[tuple]) -> None:
    insert_sqlite_rows(conn, RESPONSE_HEAD, 15, responses)
    insert_sqlite_rows(conn, ANSWER_HEAD, 5, answers)


FORMS = {"executemany": by_executemany, "many to a statement": by_statement}


def measure(conns: dict[str, sqlite3.Connection], transactions: int, rng: random.Random) -> dict[str, tuple]:
    """Per form: the medians of (thread CPU ms, wall ms) per transaction; forms alternate."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in FORMS}
    for n in range(transactions):
        order = list(FORMS) if n % 2 else list(reversed(FORMS))
        for name in order:
            responses, answers = batch(rng)
            conn = conns[name]
            wall, cpu = time.perf_counter(), time.thread_time()
            conn.execute("BEGIN IMMEDIATE")
            FORMS[name](conn, responses, answers)
            conn.execute("COMMIT")
            times[name].append(((time.thread_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000))
    return {name: (statistics.median(c for c, _ in t), statistics.median(w for _, w in t)) for name, t in times.items()}


def busy(stop: threading.Event) -> None:
    """Python work in stretches of about a millisecond with a pause of one between them, as
    the hub's threads checking batches (which wait for the network and the database too)."""
    counts: dict[int, int] = {}
    while not stop.is_set():
        for i in range(6000):
            counts[i % 97] = counts.get(i % 97, 0) + 1
        time.sleep(0.001)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=200)
    parser.add_argument("--busy", type=int, default=3, help="threads running Python beside the writer")
    args = parser.parse_args()
    rng = random.Random(20261203)
    with tempfile.TemporaryDirectory() as tmp:
        conns = {}
        for i, name in enumerate(FORMS):
            path = Path(tmp) / f"form{i}.db"
            prepare_database(f"sqlite:///{path}", [("dev1", "B001")])
            conns[name] = connect(path)
        measure(conns, 10, rng)  # warm-up
        alone = measure(conns, args.transactions, rng)
        stop = threading.Event()
        threads = [threading.Thread(target=busy, args=(stop,), daemon=True) for _ in range(args.busy)]
        for thread in threads:
            thread.start()
        try:
            beside = measure(conns, args.transactions, rng)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    print(f"{args.transactions} transactions per form and case, 100 responses + 300 answers each; medians")
    print(f"{'form':22} {'alone: CPU ms':>14} {'wall ms':>8} {f'beside {args.busy} busy: CPU ms':>24} {'wall ms':>8}")
    for name in FORMS:
        print(f"{name:22} {alone[name][0]:14.2f} {alone[name][1]:8.2f} {beside[name][0]:24.2f} {beside[name][1]:8.2f}")
    a, b = FORMS
    for case, figures in (("alone", alone), ("beside busy threads", beside)):
        cpu, wall = figures[a][0] / figures[b][0], figures[a][1] / figures[b][1]
        print(f"executemany / many to a statement, {case}: CPU {cpu:.2f}, wall {wall:.2f}")


if __name__ == "__main__":
    main()
