"""The terminal's local database where it meets its limits: a full disk."""

from __future__ import annotations

import pytest

from kiosk.local_store import LocalStore, StoreFull
from tests.kiosk.conftest import tap
from tests.kiosk.fake_transport import ETAG


@pytest.fixture
def small_store(tmp_path, config):
    """A database that may grow to 40 pages of 4 KiB: a disk that fills after some taps."""
    store = LocalStore(tmp_path / "terminal.db", max_pages=40)
    store.put(config=config, config_etag=ETAG)
    yield store
    store.close()


def fill(store, config) -> list:
    taps = []
    with pytest.raises(StoreFull) as full:
        for _ in range(100_000):
            taps.append(tap(store, config))
    return taps, full.value


def test_a_full_disk_raises_store_full_with_a_clear_message(small_store, config):
    _, full = fill(small_store, config)

    assert "storage is full" in str(full)
    assert "was not stored" in str(full)
    assert "intact" in str(full)


def test_a_full_disk_keeps_every_earlier_response_intact(small_store, config, tmp_path):
    taps, _ = fill(small_store, config)

    exported = list(small_store.export())
    assert len(taps) > 10
    assert [row["response"]["id"] for row in exported] == [t.id for t in taps]
    assert [row["response"]["seq"] for row in exported] == list(range(1, len(taps) + 1))
    assert small_store.get("last_seq") == len(taps)
    assert small_store.integrity_ok()


def test_a_tap_that_did_not_fit_uses_no_sequence_number(small_store, config, tmp_path):
    taps, _ = fill(small_store, config)
    small_store.close()

    roomy = LocalStore(tmp_path / "terminal.db")  # space was freed
    after = tap(roomy, config)
    roomy.close()

    assert after.seq == len(taps) + 1
