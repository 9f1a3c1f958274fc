"""The terminal against a real hub process on 127.0.0.1 (``voxloop hub serve``), enrolled with
``voxloop kiosk enroll``, talking HTTP through ``requests``: on SQLite and on PostgreSQL where
the hub's database takes part in the behaviour, on SQLite where only the terminal's side does
(a failing hub, a broken proxy, no DNS).

The terminal's clock is a test clock; the hub's is the real one."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from kiosk import identity
from kiosk.local_store import LocalStore
from kiosk.sync_worker import Backoff
from kiosk.terminal import InvalidCapture, Terminal
from shared.crypto import new_private_key
from tests.kiosk.hub_process import VOXLOOP, FlakyProxy, Hub, HubTemplate

pytestmark = pytest.mark.e2e

RATINGS = (4, 3, 4, 2, 4, 3, 1, 4)  # mostly good, some bad


class Clock:
    """The terminal's clock, stepped by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Recording:
    """The real requests session, remembering the status of every answer; ``lose_answers``
    makes it drop that many answers after the hub sent them (a lost acknowledgement)."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.statuses: list[int] = []
        self.sync_results: list[list[str]] = []
        self.lose_answers = 0

    def request(self, method: str, url: str, **kwargs):
        reply = self.session.request(method, url, **kwargs)
        self.statuses.append(reply.status_code)
        if url.endswith("/api/v1/sync") and reply.status_code == 200:
            self.sync_results.append([r["status"] for r in reply.json()["results"]])
        if self.lose_answers:
            self.lose_answers -= 1
            raise requests.ConnectionError("connection reset by peer (the answer was lost on the way)")
        return reply


@pytest.fixture(scope="session")
def hub_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, HubTemplate]:
    """Hubs set up once per engine and test session; each test runs on a copy."""
    return {}


def _template(request: pytest.FixtureRequest, engine: str) -> HubTemplate:
    templates = request.getfixturevalue("hub_templates")
    if engine not in templates:
        postgres = None
        if engine == "postgres":
            postgres = request.getfixturevalue("postgres_server")
            if postgres is None:
                request.getfixturevalue("postgres_url")  # skips (or fails under VOXLOOP_REQUIRE_ALL) with the reason
        workdir = request.getfixturevalue("tmp_path_factory").mktemp(f"hub-template-{engine}")
        templates[engine] = Hub.template(workdir, postgres=postgres)
    return templates[engine]


def _running_hub(request: pytest.FixtureRequest, tmp_path: Path, engine: str) -> Iterator[Hub]:
    template = _template(request, engine)
    hub = Hub(tmp_path, postgres=template.postgres, template=template)
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    yield from _running_hub(request, tmp_path, request.param)


@pytest.fixture
def sqlite_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    yield from _running_hub(request, tmp_path, "sqlite")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "kiosk"


def open_terminal(data_dir: Path, clock: Clock, session=None, **options) -> Terminal:
    options.setdefault("backoff", Backoff(base=0.05, cap=0.2))
    return Terminal.open(data_dir, session=session or requests.Session(), clock=clock, **options)


def tap(terminal: Terminal, n: int = 0):
    return terminal.capture([{"question": "rating", "kind": "smiley", "value": RATINGS[n % len(RATINGS)]}], "de")


def local_states(terminal: Terminal) -> dict[str, int]:
    return terminal.store.counts()


def seq_ranges(hub: Hub, device_id: str) -> list[list[int]]:
    """The sequence numbers the hub holds for the terminal."""
    return json.loads(hub.sql("SELECT seq_ranges FROM terminal WHERE id = ?", (device_id,))[0][0])


# --- exactly once --------------------------------------------------------------------------


def test_a_week_captured_offline_is_delivered_exactly_once(hub, data_dir):
    device_id = hub.enroll(data_dir)
    hub.stop()
    clock = Clock(datetime.now(UTC) - timedelta(days=7))
    terminal = open_terminal(data_dir, clock)
    failures = []
    for n in range(7 * 40):  # a week of taps, the hub down all along
        tap(terminal, n)
        clock.advance(minutes=36)
        if n % 10 == 9:
            failures.append(terminal.worker.tick(clock()))
    assert len(failures) == 28 and all(not o.ok and o.error.startswith("unreachable") for o in failures)
    assert local_states(terminal)["pending"] == 280

    hub.start()
    outcome = terminal.worker.run_once(clock.advance(minutes=1))

    assert (outcome.ok, outcome.sent, outcome.delivered, outcome.pending) == (True, 280, 280, 0)
    assert local_states(terminal) == {"pending": 0, "delivered": 280, "quarantined": 0}
    assert hub.count(device_id) == 280
    assert seq_ranges(hub, device_id) == [[1, 280]]
    assert hub.sql("SELECT COUNT(*) FROM response WHERE flags LIKE ?", ("%clock_skew%",)) == [(0,)]


def test_a_lost_acknowledgement_is_answered_duplicate_and_stored_once(hub, data_dir):
    device_id = hub.enroll(data_dir)
    session = Recording()
    terminal = open_terminal(data_dir, Clock(datetime.now(UTC)), session)
    for n in range(150):
        tap(terminal, n)
    session.lose_answers = 1  # the hub commits the first batch; its answer never arrives

    lost = terminal.worker.run_once(terminal.clock())
    assert not lost.ok and lost.error.startswith("unreachable")
    assert (hub.count(device_id), local_states(terminal)["delivered"]) == (100, 0)

    again = terminal.worker.run_once(terminal.clock.advance(seconds=5))

    assert session.sync_results[1] == ["duplicate"] * 100
    assert session.sync_results[2] == ["accepted"] * 50
    assert again.ok and again.delivered == 150
    assert hub.count(device_id) == 150
    assert local_states(terminal) == {"pending": 0, "delivered": 150, "quarantined": 0}


# --- the hub's side of trust and time ----------------------------------------------------


def test_a_revoked_terminal_stops_sending_keeps_capturing_and_loses_nothing(hub, data_dir):
    device_id = hub.enroll(data_dir)
    session = Recording()
    terminal = open_terminal(data_dir, Clock(datetime.now(UTC)), session)
    for n in range(10):
        tap(terminal, n)
    terminal.worker.run_once(terminal.clock())
    hub.voxloop("hub", "revoke-device", device_id)
    for n in range(5):
        tap(terminal, n)

    refused = terminal.worker.run_once(terminal.clock.advance(seconds=60))
    asked = len(session.statuses)
    terminal.sync_now()
    later = [terminal.worker.tick(terminal.clock.advance(minutes=m)) for m in (1, 60, 60 * 24)]
    for n in range(3):
        tap(terminal, n)

    assert refused.revoked and session.statuses[-1] == 403
    assert later == [None, None, None] and len(session.statuses) == asked
    assert terminal.status()["revoked"] is True
    assert local_states(terminal) == {"pending": 8, "delivered": 10, "quarantined": 0}
    assert hub.count(device_id) == 10


def test_a_hub_restored_from_a_backup_gets_the_lost_responses_again(hub, data_dir):
    device_id = hub.enroll(data_dir)
    terminal = open_terminal(data_dir, Clock(datetime.now(UTC)))
    for n in range(100):
        tap(terminal, n)
    terminal.worker.run_once(terminal.clock())
    hub.stop()
    backup = hub.snapshot("nightly")  # the backup holds the first 100
    hub.start()
    for n in range(100, 230):
        tap(terminal, n)
    terminal.worker.run_once(terminal.clock.advance(minutes=5))
    assert hub.count(device_id) == 230
    hub.stop()
    hub.restore(backup)  # the disk died; last night's backup comes back
    hub.start()
    assert hub.count(device_id) == 100

    outcome = terminal.worker.run_once(terminal.clock.advance(minutes=5))

    assert outcome.ok and outcome.requeued == 130
    assert hub.count(device_id) == 230
    assert seq_ranges(hub, device_id) == [[1, 230]]
    assert local_states(terminal) == {"pending": 0, "delivered": 230, "quarantined": 0}


def test_a_restored_hub_gets_every_acknowledged_response_again_past_many_scattered_quarantined_ones(hub, data_dir):
    """More than 100 scattered quarantined sequence numbers (refused by the hub, or by the
    terminal's own check and never sent) must not crowd out the range a restored hub lacks."""
    device_id = hub.enroll(data_dir)
    terminal = open_terminal(data_dir, Clock(datetime.now(UTC)))
    usual = terminal.config
    unknown_touchpoint = {**usual, "touchpoint": {**usual["touchpoint"], "code": "side-door"}}
    for n in range(240):
        if n % 4 == 1:  # the hub refuses it (wrong_touchpoint): quarantined, never sent again
            terminal._set_config(unknown_touchpoint)
            tap(terminal, n)
            terminal._set_config(usual)
        elif n % 4 == 3:  # the terminal's own check refuses it: quarantined, never sent
            with pytest.raises(InvalidCapture):
                terminal.capture([{"question": "rating", "kind": "smiley", "value": 9}], "de")
        else:
            tap(terminal, n)
    assert terminal.worker.run_once(terminal.clock()).ok
    assert local_states(terminal) == {"pending": 0, "delivered": 120, "quarantined": 120}
    hub.stop()
    backup = hub.snapshot("nightly")  # the backup holds the first 120 acknowledged responses
    hub.start()
    for n in range(240, 390):
        tap(terminal, n)
    terminal.worker.run_once(terminal.clock.advance(minutes=5))
    assert hub.count(device_id) == 270
    hub.stop()
    hub.restore(backup)
    hub.start()
    assert hub.count(device_id) == 120

    rounds = [terminal.worker.run_once(terminal.clock.advance(minutes=5)) for _ in range(3)]

    assert all(outcome.ok for outcome in rounds)
    acknowledged = {row["response"]["id"] for row in terminal.store.export() if row["state"] == "delivered"}
    held = {str(row[0]) for row in hub.sql("SELECT id FROM response WHERE terminal_id = ?", (device_id,))}
    assert len(acknowledged) == 270 and held == acknowledged
    assert sum(outcome.requeued for outcome in rounds) == 150
    assert local_states(terminal) == {"pending": 0, "delivered": 270, "quarantined": 120}
    assert seq_ranges(hub, device_id) == [[n, n] for n in range(1, 241, 2)] + [[241, 390]]


def test_a_terminal_whose_clock_says_1970_still_delivers_and_the_hub_flags_clock_skew(hub, data_dir):
    device_id = hub.enroll(data_dir)
    session = Recording()
    clock = Clock(datetime(1970, 1, 1, 0, 0, 42, tzinfo=UTC))
    terminal = open_terminal(data_dir, clock, session)
    for n in range(5):
        tap(terminal, n)
        clock.advance(seconds=20)

    outcome = terminal.worker.run_once(clock())

    assert session.statuses[:2] == [401, 200]  # stale_created, then signed with the learned offset
    assert outcome.ok and outcome.delivered == 5
    offset = terminal.status()["clock_offset_seconds"]
    assert offset == pytest.approx((datetime.now(UTC) - clock()).total_seconds(), abs=10)
    assert hub.sql("SELECT flags FROM response WHERE terminal_id = ?", (device_id,)) == [("clock_skew",)] * 5
    (hub_offset_ms,) = hub.sql("SELECT clock_offset_ms FROM terminal WHERE id = ?", (device_id,))[0]
    assert abs(hub_offset_ms) < 10_000  # the signature was made in the hub's time


def test_a_configuration_changed_on_the_hub_reaches_the_terminal_without_a_restart(hub, data_dir):
    hub.enroll(data_dir)
    terminal = open_terminal(data_dir, Clock(datetime.now(UTC)))
    seen = []
    terminal.on_config_change(seen.append)
    terminal.worker.run_once(terminal.clock())
    assert terminal.config["store"]["name"] == "Berlin Mitte"

    hub.sql("UPDATE store SET name = ? WHERE code = ?", ("Berlin Mitte (renovated)", "B001"))
    outcome = terminal.worker.run_once(terminal.clock.advance(seconds=30))

    assert outcome.config_changed
    assert terminal.config["store"]["name"] == "Berlin Mitte (renovated)"
    assert [c["store"]["name"] for c in seen] == ["Berlin Mitte (renovated)"]


# --- what only the terminal's side decides (SQLite hub) ----------------------------------


@pytest.mark.parametrize("failure", ["500", "html"])
def test_a_failing_hub_is_retried_with_a_growing_jittered_capped_backoff_while_capture_goes_on(
    sqlite_hub, data_dir, failure
):
    proxy = FlakyProxy(sqlite_hub.base)
    device_id = sqlite_hub.enroll(data_dir, hub_url=proxy.base)
    terminal = open_terminal(data_dir, Clock(datetime.now(UTC)), rng=random.Random(5), backoff=Backoff(1.0, 8.0))
    proxy.mode = failure
    delays = []
    try:
        for n in range(7):
            tap(terminal, n)
            outcome = terminal.worker.run_once(terminal.clock())
            delays.append(outcome.retry_in_seconds)
            assert terminal.worker.tick(terminal.clock.advance(seconds=outcome.retry_in_seconds * 0.99)) is None
            terminal.clock.now = terminal.worker.next_due
        status = terminal.status()
        proxy.mode = "pass"
        healed = terminal.worker.tick(terminal.clock())
    finally:
        proxy.close()

    expected = random.Random(5)
    assert delays == [expected.uniform(0, bound) for bound in (1, 2, 4, 8, 8, 8, 8)]
    code = "internal_error" if failure == "500" else "bad_answer"
    assert status["last_error"].startswith(code) and status["queue_depth"] == 7
    assert healed.ok and healed.delivered == 7
    assert sqlite_hub.count(device_id) == 7


def test_a_corrupted_configuration_is_refused_and_the_old_one_kept(sqlite_hub, data_dir):
    proxy = FlakyProxy(sqlite_hub.base)
    sqlite_hub.enroll(data_dir, hub_url=proxy.base)
    terminal = open_terminal(data_dir, Clock(datetime.now(UTC)))
    before = terminal.config
    sqlite_hub.sql("UPDATE store SET name = ? WHERE code = ?", ("Berlin Mitte (renovated)", "B001"))
    proxy.mode = "corrupt_config"
    try:
        tap(terminal)
        outcome = terminal.worker.run_once(terminal.clock())
    finally:
        proxy.close()

    assert outcome.ok and outcome.delivered == 1 and not outcome.config_changed
    assert terminal.config == before
    assert terminal.status()["last_error"].startswith("config_refused: the survey is missing")
    assert tap(terminal).body["survey"] == "exit"  # the old configuration still captures


def test_a_hub_name_that_does_not_resolve_is_unreachable_and_capture_goes_on(tmp_path, data_dir):
    me = identity.Identity("http://hub.invalid:8000", "dev_nowhere", new_private_key())
    identity.save(data_dir, me, config=_demo_store_config())
    terminal = open_terminal(data_dir, Clock(datetime.now(UTC)), rng=random.Random(3), backoff=Backoff(2.0, 16.0))
    bounds = []
    for n in range(6):
        tap(terminal, n)
        outcome = terminal.worker.run_once(terminal.clock.advance(minutes=10))
        bounds.append(outcome.retry_in_seconds)

    status = terminal.status()
    assert status["last_error"].startswith("unreachable: ConnectionError")
    assert "hub.invalid" in status["last_error"]
    assert status["queue_depth"] == 6
    expected = random.Random(3)
    assert bounds == [expected.uniform(0, b) for b in (2, 4, 8, 16, 16, 16)]


def _demo_store_config() -> dict:
    from kiosk.terminal import demo_config

    config = demo_config()
    config["store"]["code"] = "B001"
    return config


# --- the support commands on a real data dir --------------------------------------------


def test_the_support_commands_sync_show_and_export_a_real_terminal(sqlite_hub, data_dir):
    sqlite_hub.enroll(data_dir)
    terminal = open_terminal(data_dir, Clock(datetime.now(UTC)))
    taps = [tap(terminal, n) for n in range(12)]
    terminal.close()

    def kiosk(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [VOXLOOP, "kiosk", *args, "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=60
        )

    before = kiosk("status")
    synced = kiosk("sync")
    after = kiosk("status", "--json")
    exported = kiosk("export")

    assert "12 pending, 0 delivered, 0 quarantined" in before.stdout
    assert "last sync    never" in before.stdout
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("sync ok: sent 12, delivered 12")
    status = json.loads(after.stdout)
    assert (status["queue_depth"], status["delivered"], status["last_error"]) == (0, 12, None)
    assert status["hub"] == sqlite_hub.base and status["store"] == "B001"
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [row["response"]["id"] for row in rows] == [t.id for t in taps]
    assert {row["state"] for row in rows} == {"delivered"}


def test_enroll_keeps_the_key_private_and_puts_the_configuration_and_its_etag_into_the_settings(sqlite_hub, data_dir):
    sqlite_hub.enroll(data_dir)

    store = LocalStore(identity.database_path(data_dir))
    config, etag = store.get("config"), store.get("config_etag")
    store.close()
    answer = Terminal.open(data_dir).client.config(now=datetime.now(UTC))  # what the hub says now

    assert (data_dir / "device.pem").stat().st_mode & 0o777 == 0o600
    assert config == answer.body
    assert etag == {k.lower(): v for k, v in answer.headers.items()}["etag"]  # waitress sends "Etag"
