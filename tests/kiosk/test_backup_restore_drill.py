"""The restore drill, as an operator runs it: ``voxloop hub backup`` while terminals sync into
a real hub process, more capturing after it, the disk dies, ``voxloop hub restore`` puts the
backup back, and the terminals' next syncs fill the gap (the hub answers the sequence numbers
it lacks; kiosk/sync_worker.py sends them again): every response captured is on the hub
exactly once. SQLite and PostgreSQL.

The terminals' clocks are test clocks near the real time, as the hub's clock is the real one."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from kiosk.sync_worker import Backoff
from kiosk.terminal import Terminal
from tests.kiosk import test_sync_against_hub as synced
from tests.kiosk.hub_process import VOXLOOP, Hub
from tests.kiosk.test_sync_against_hub import Clock, tap

pytestmark = pytest.mark.e2e

hub_templates = synced.hub_templates  # set up once per engine and run
hub = synced.hub  # a running hub, on SQLite and on PostgreSQL, made from a set-up template


def open_terminal(data_dir: Path) -> Terminal:
    clock = Clock(datetime.now(UTC))
    return Terminal.open(data_dir, session=requests.Session(), clock=clock, backoff=Backoff(base=0.05, cap=0.2))


def voxloop(hub: Hub, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [VOXLOOP, *args], env={**os.environ, **hub.env}, cwd=hub.workdir, capture_output=True, text=True, timeout=120
    )


def captured(terminal: Terminal) -> dict[str, int]:
    """Every response the terminal holds: id -> sequence number."""
    return {item["response"]["id"]: item["response"]["seq"] for item in terminal.store.export()}


def numbers(ranges: list[list[int]]) -> set[int]:
    return {n for first, last in ranges for n in range(first, last + 1)}


def test_a_restored_backup_is_filled_by_the_terminals_to_every_response_exactly_once(hub, tmp_path):
    terminals = {}
    for name in ("a", "b"):
        device_id = hub.enroll(tmp_path / name)
        terminals[device_id] = open_terminal(tmp_path / name)
    for terminal in terminals.values():
        for n in range(60):
            tap(terminal, n)
        assert terminal.worker.run_once(terminal.clock()).ok

    # the backup runs while terminal a keeps capturing and syncing through the hub
    busy = next(iter(terminals.values()))
    stop, synced = threading.Event(), []

    def keep_capturing() -> None:
        while not stop.is_set():
            for n in range(5):
                tap(busy, n)
            synced.append(busy.worker.run_once(busy.clock.advance(seconds=1)).ok)

    writer = threading.Thread(target=keep_capturing)
    writer.start()
    try:
        while len(synced) < 2:  # the hub is writing when the backup starts
            threading.Event().wait(0.05)
        backup = tmp_path / "nightly.backup"
        made = voxloop(hub, "hub", "backup", str(backup))
        while len(synced) < 4:  # and goes on writing after it
            threading.Event().wait(0.05)
    finally:
        stop.set()
        writer.join()
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"backup written to {backup}") and all(synced)
    assert backup.stat().st_size > 0

    for terminal in terminals.values():  # a day of capturing after the backup
        for n in range(45):
            tap(terminal, n)
        assert terminal.worker.run_once(terminal.clock.advance(minutes=5)).ok
    held = {device_id: captured(t) for device_id, t in terminals.items()}
    total = sum(len(ids) for ids in held.values())
    assert hub.sql("SELECT COUNT(*) FROM response") == [(total,)]

    hub.stop()  # the disk died: last night's backup comes back
    refused = voxloop(hub, "hub", "restore", str(backup))
    assert refused.returncode != 0 and "the database holds data" in refused.stderr
    assert hub.sql("SELECT COUNT(*) FROM response") == [(total,)]  # refused: untouched
    restored = voxloop(hub, "hub", "restore", str(backup), "--force")
    assert restored.returncode == 0, restored.stderr
    in_backup = hub.sql("SELECT COUNT(*) FROM response")[0][0]
    assert 120 < in_backup < total
    assert f"{in_backup} responses, 2 terminals" in restored.stdout or hub.engine == "postgres"
    assert "restored" in restored.stdout and "next sync" in restored.stdout
    # one commit's state: each terminal's recorded sequence numbers are exactly its stored responses
    for device_id in terminals:
        (ranges,) = hub.sql("SELECT seq_ranges FROM terminal WHERE id = ?", (device_id,))[0]
        stored = {seq for (seq,) in hub.sql("SELECT seq FROM response WHERE terminal_id = ?", (device_id,))}
        assert numbers(json.loads(ranges)) == stored

    hub.start()
    for terminal in terminals.values():
        outcome = terminal.worker.run_once(terminal.clock.advance(minutes=5))
        assert outcome.ok and outcome.requeued > 0
        terminal.worker.run_once(terminal.clock.advance(minutes=5))

    for device_id, ids in held.items():
        rows = hub.sql("SELECT id, seq FROM response WHERE terminal_id = ?", (device_id,))
        assert len(rows) == len(ids)  # nothing doubled
        assert {str(i): seq for i, seq in rows} == ids  # nothing lost, each under its own number
        (ranges,) = hub.sql("SELECT seq_ranges FROM terminal WHERE id = ?", (device_id,))[0]
        assert json.loads(ranges) == [[1, len(ids)]]
        assert terminals[device_id].store.counts()["pending"] == 0


def test_a_file_that_is_no_backup_is_refused_with_a_clear_error(hub, tmp_path):
    hub.stop()
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    answer = voxloop(hub, "hub", "restore", str(junk), "--force")
    assert answer.returncode != 0
    assert "neither a SQLite database nor a pg_dump custom-format file" in answer.stderr


def test_a_backup_of_the_other_engine_is_refused(hub, tmp_path):
    hub.stop()
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP" + bytes(64) if hub.engine == "sqlite" else b"SQLite format 3\x00" + bytes(84))
    answer = voxloop(hub, "hub", "restore", str(other), "--force")
    assert answer.returncode != 0
    assert f"the hub's database is {hub.engine}" in answer.stderr


def test_a_backup_never_overwrites_a_file(hub, tmp_path):
    existing = tmp_path / "kept.backup"
    existing.write_text("an older backup")
    answer = voxloop(hub, "hub", "backup", str(existing))
    assert answer.returncode != 0 and "exists already" in answer.stderr
    assert existing.read_text() == "an older backup"
