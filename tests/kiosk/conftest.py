"""Fixtures for the terminal's tests: a local store holding a hub-shaped configuration, and
captures at chosen times. The hub, when a test needs one, is a real process (hub_process.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.hub_client import HubClient
from kiosk.local_store import Captured, LocalStore
from kiosk.sync_worker import Backoff, SyncWorker
from kiosk.terminal import demo_config
from shared.crypto import new_private_key
from tests.kiosk.fake_transport import ETAG, HUB_NOW, FakeTransport

DEVICE_ID = "dev_test_0001"


@pytest.fixture
def config() -> dict[str, Any]:
    """What the hub sends a terminal of store B001 (the default exit survey)."""
    config = demo_config()
    config.pop("demo")
    config["store"] = {"code": "B001", "name": "Berlin Mitte", "time_zone": "Europe/Berlin", "languages": ["de", "en"]}
    config["terminal"] = {"id": DEVICE_ID, "name": "Exit 1"}
    return config


@pytest.fixture
def store(tmp_path: Path, config: dict[str, Any]) -> LocalStore:
    store = LocalStore(tmp_path / "terminal.db")
    store.put(config=config, config_etag=ETAG)
    yield store
    store.close()


def tap(store: LocalStore, config: dict[str, Any], at: datetime = HUB_NOW, rating: int = 3) -> Captured:
    return store.record(
        config=config,
        answers=[{"question": "rating", "kind": "smiley", "value": rating}],
        locale="de",
        now=at,
        random_bytes=random.randbytes(10),
        press_interval=3,
    )


@pytest.fixture
def capture(store: LocalStore, config: dict[str, Any]) -> Callable[..., list[Captured]]:
    """``capture(n, start=HUB_NOW, every=timedelta(minutes=5))``: n taps, spread in time."""

    def capture(n: int, start: datetime = HUB_NOW, every: timedelta = timedelta(minutes=5)) -> list[Captured]:
        return [tap(store, config, start + i * every, rating=1 + i % 4) for i in range(n)]

    return capture


def make_worker(store: LocalStore, transport: FakeTransport, **options: Any) -> SyncWorker:
    client = HubClient("http://hub.test", transport, device_id=DEVICE_ID, key=new_private_key())
    options.setdefault("rng", random.Random(7))
    options.setdefault("backoff", Backoff(base=2.0, cap=60.0))
    return SyncWorker(store, client, **options)
