"""Power cuts: a tap is on disk before the thank-you shows.

The terminal's real store (its code and its settings: WAL, synchronous=FULL) captures taps,
marks some delivered and checkpoints as sync rounds do, on a disk that records every write
and sync (tests/support/power_cut.py). Then the power is cut after every recorded operation in
turn: the files are rebuilt as that cut leaves them (only what was synced; and once more with
a random part of the unsynced writes), the store opens them as after a restart, and every
thanked tap must be there. The control runs the same with synchronous=NORMAL, which does not
sync a commit, and must lose some: so the test can fail."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playhouse.apsw_ext import APSWDatabase

from kiosk.local_store import PRAGMAS, LocalStore
from tests.kiosk.conftest import tap
from tests.kiosk.fake_transport import ETAG, HUB_NOW
from tests.support.power_cut import PowerCutDisk

TAPS = 60


@pytest.fixture
def disk() -> Iterator[PowerCutDisk]:
    disk = PowerCutDisk()
    yield disk
    disk.unregister()


def run_terminal(disk: PowerCutDisk, folder: Path, config: dict, pragmas: dict | None = None) -> list[tuple[int, str]]:
    """Capture TAPS taps on the recording disk with the store's own settings (or ``pragmas``
    instead of some); returns (recorded operations when the tap was thanked, its id) per tap."""
    store = LocalStore(
        folder / "terminal.db",
        pragmas=pragmas,
        reserve_bytes=0,
        database=lambda path, pragmas: APSWDatabase(path, pragmas=pragmas, vfs=disk.name),
    )
    store.put(config=config, config_etag=ETAG)
    thanked = []
    for n in range(TAPS):
        captured = tap(store, config, HUB_NOW + timedelta(seconds=20 * n), rating=1 + n % 5)
        thanked.append((len(disk.log), captured.id))  # the thank-you shows now
        if n % 10 == 9:  # a sync round: the hub acknowledged the oldest, then the checkpoint
            store.apply_results([{"id": i, "status": "accepted"} for _, i in thanked[-10:-5]], HUB_NOW)
            store.checkpoint()
    store.close()
    return thanked


def thanked_taps_lost(disk: PowerCutDisk, thanked: list[tuple[int, str]], crashes: Path) -> tuple[int, int]:
    """(power cuts tried, thanked taps missing after them, summed over all cuts)."""
    rng = random.Random(13)
    cuts, lost = 0, 0
    for at in range(1, len(disk.log) + 1):
        for variant, chance in (("synced", None), ("cache", rng)):
            target = crashes / f"{at}-{variant}"
            disk.survivors(at, target, chance)
            if not (target / "terminal.db").exists():
                continue
            store = LocalStore(target / "terminal.db", reserve_bytes=0)  # the restart, with Python's sqlite3
            held = {row["response"]["id"] for row in store.export()}
            assert store.integrity_ok(), f"the database is damaged after a cut at {at} ({variant})"
            store.close()
            cuts += 1
            lost += sum(1 for when, response_id in thanked if when <= at and response_id not in held)
    return cuts, lost


def test_a_power_cut_at_any_moment_loses_no_thanked_tap_with_synchronous_full(disk, tmp_path, config):
    assert PRAGMAS["synchronous"] == "full"
    thanked = run_terminal(disk, tmp_path / "terminal", config)  # the terminal's own settings

    cuts, lost = thanked_taps_lost(disk, thanked, tmp_path / "after")

    assert cuts > 2 * TAPS and lost == 0


def test_the_control_with_synchronous_normal_loses_thanked_taps(disk, tmp_path, config):
    thanked = run_terminal(disk, tmp_path / "terminal", config, {"synchronous": "normal"})

    cuts, lost = thanked_taps_lost(disk, thanked, tmp_path / "after")

    assert cuts > 2 * TAPS and lost > 0
