"""A pulled plug, fifteen times: a process capturing taps is killed with SIGKILL at random
moments; every tap it reported as stored is there, the sequence has no gap, the file is sound.

(SIGKILL ends the process, not the machine: this checks that a tap is one atomic transaction
committed before capture() returns. Power loss additionally relies on synchronous=FULL.)"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).with_name("capture_loop.py")
ROUNDS = 15


def test_every_tap_reported_before_a_kill_9_is_stored_and_the_sequence_has_no_gap(tmp_path):
    rng = random.Random()
    data_dir = tmp_path / "kiosk"
    reported: list[tuple[str, int]] = []
    for _ in range(ROUNDS):
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            assert process.stdout.readline() == b"ready\n", process.stderr.read().decode()
            lines = [process.stdout.readline() for _ in range(rng.randint(1, 40))]
            time.sleep(rng.uniform(0, 0.03))  # it keeps capturing meanwhile: the kill lands anywhere
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        lines += process.stdout.read().splitlines(keepends=True)  # reported before the kill
        reported += [(line.split()[0].decode(), int(line.split()[1])) for line in lines if line.endswith(b"\n")]

    with sqlite3.connect(data_dir / "demo.db") as db:
        stored = dict(db.execute("SELECT id, seq FROM response").fetchall())
        last_seq = db.execute("SELECT value FROM setting WHERE key = 'last_seq'").fetchone()[0]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    assert len(reported) > ROUNDS
    assert [rid for rid, _ in reported if rid not in stored] == []
    assert all(stored[rid] == seq for rid, seq in reported)
    assert sorted(stored.values()) == list(range(1, len(stored) + 1))
    assert int(last_seq) == len(stored)
    assert integrity == "ok"
