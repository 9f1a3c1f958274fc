"""The terminal on a disk that really fills: a tmpfs of a few MiB mounted for each test (size=,
so the kernel refuses writes with ENOSPC as a full SD card does). Mounting needs root (or
password-less sudo), as CI has; elsewhere these tests are skipped loudly, and fail under
VOXLOOP_REQUIRE_ALL.

What must hold: acknowledgements are always recorded (the store keeps a reserve for them), so
sync never sends the same responses again and again; failed rounds write nothing; a restart on
a full disk recovers; captures stop short of the reserve and resume when space is freed; the
WAL stays small."""

from __future__ import annotations

import errno
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from kiosk.local_store import LocalStore, StoreFull
from tests.conftest import missing_system_package
from tests.kiosk.conftest import make_worker, tap
from tests.kiosk.fake_transport import ETAG, HUB_NOW, FakeTransport, acknowledge

NOW = HUB_NOW
DISK_SIZE = "4m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    # as root, or through password-less sudo (the other way CI may run), owned by this user
    as_root = [] if os.geteuid() == 0 else ["sudo", "-n"]
    options = f"size={DISK_SIZE},mode=0700,uid={os.geteuid()},gid={os.getegid()}"
    mounted = subprocess.run(
        [*as_root, "mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        missing_system_package(f"the full-disk tests mount a tmpfs, which needs root: {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run([*as_root, "umount", "--lazy", str(mount_point)], check=True)


def open_store(disk: Path, config: dict) -> LocalStore:
    store = LocalStore(disk / "terminal.db")
    if store.get("config") is None:
        store.put(config=config, config_etag=ETAG)
    return store


def fill(disk: Path) -> Path:
    """Another program (logs, updates) takes every byte left; returns its file."""
    filler = disk / "other-program.log"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for chunk in (1 << 16, 1 << 12, 1):
            while True:
                try:
                    os.write(fd, b"x" * chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


def files(disk: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(disk.iterdir()) if p.name != "other-program.log"}


def sends_per_response(transport: FakeTransport) -> Counter:
    return Counter(item["id"] for sent in transport.syncs for item in sent.responses)


def rounds(worker, n: int, start=NOW) -> list:
    outcomes = []
    for i in range(n):
        outcomes.append(worker.run_once(start + timedelta(minutes=i)))
    return outcomes


def test_a_full_disk_does_not_make_sync_send_the_same_responses_again(small_disk, config, caplog):
    store = open_store(small_disk, config)
    taps = [tap(store, config, NOW + timedelta(seconds=5 * i)) for i in range(200)]  # the hub was away
    store.close()
    store = open_store(small_disk, config)  # the terminal restarted
    fill(small_disk)
    transport = FakeTransport(acknowledge())

    outcomes = rounds(make_worker(store, transport, batch_size=100), 5)

    assert store.counts() == {"pending": 0, "delivered": 200, "quarantined": 0}
    assert sends_per_response(transport) == Counter({t.id: 1 for t in taps})
    assert outcomes[0].ok and outcomes[0].delivered == 200
    assert all(o.ok and o.sent == 0 for o in outcomes[1:])
    assert "the reserve kept for recording acknowledgements is used now" in caplog.text
    store.close()


def test_failed_rounds_on_a_full_disk_write_nothing_and_the_error_is_still_reported(small_disk, config):
    store = open_store(small_disk, config)
    for i in range(20):
        tap(store, config, NOW + timedelta(seconds=5 * i))
    fill(small_disk)
    before = files(small_disk)
    worker = make_worker(store, FakeTransport(requests.ConnectionError("no route to host")))

    outcomes = rounds(worker, 30)

    assert all(not o.ok and o.error.startswith("unreachable") for o in outcomes)
    assert files(small_disk) == before
    assert store.get("last_error").startswith("unreachable")
    store.close()


def test_a_terminal_restarted_on_a_full_disk_opens_and_delivers_each_response_once(small_disk, config):
    store = open_store(small_disk, config)
    taps = [tap(store, config, NOW + timedelta(seconds=5 * i)) for i in range(150)]
    fill(small_disk)
    rounds(make_worker(store, FakeTransport(requests.ConnectionError("hub down"))), 3)
    store.close()

    store = open_store(small_disk, config)  # the terminal restarted, the disk still full
    transport = FakeTransport(acknowledge())
    outcomes = rounds(make_worker(store, transport, batch_size=50), 4)

    assert store.counts()["delivered"] == 150
    assert sends_per_response(transport) == Counter({t.id: 1 for t in taps})
    assert [o.ok for o in outcomes] == [True] * 4
    assert store.integrity_ok()
    store.close()


def test_captures_stop_short_of_the_reserve_and_resume_when_space_is_freed(small_disk, config):
    store = open_store(small_disk, config)
    filler = fill(small_disk)
    with pytest.raises(StoreFull):
        tap(store, config)
    transport = FakeTransport(acknowledge())
    outcome = make_worker(store, transport).run_once(NOW)  # the heartbeat still goes out

    filler.unlink()  # someone freed space
    after = tap(store, config, NOW + timedelta(minutes=1))

    assert outcome.ok
    assert after.seq == 1  # the refused tap took no sequence number
    assert store.counts()["pending"] == 1
    store.close()


def test_the_write_ahead_log_stays_small_and_is_emptied_after_each_drain(tmp_path, config):
    store = LocalStore(tmp_path / "terminal.db")
    store.put(config=config, config_etag=ETAG)
    wal = tmp_path / "terminal.db-wal"
    largest = 0
    for i in range(1500):
        tap(store, config, NOW + timedelta(seconds=5 * i))
        largest = max(largest, wal.stat().st_size)

    outcome = make_worker(store, FakeTransport(acknowledge())).run_once(NOW + timedelta(hours=3))

    assert outcome.ok and outcome.delivered == 1500
    assert largest <= 1.5 * 1024 * 1024  # SQLite's default lets it grow to about 4 MiB
    assert wal.stat().st_size == 0
    store.close()
