"""The Terminal, the object the kiosk UI talks to: demo mode, durable capture, status, config
changes and the background worker (a real APScheduler thread, the hub a fake transport)."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk import identity
from kiosk.hub_client import HubClient
from kiosk.sync_worker import Backoff
from kiosk.terminal import InvalidCapture, Terminal, demo_config
from shared.crypto import new_private_key
from shared.protocol import parse_time
from tests.kiosk.conftest import DEVICE_ID
from tests.kiosk.fake_transport import ETAG, HUB_NOW, FakeTransport, acknowledge, config_reply, problem

RATING = {"question": "rating", "kind": "smiley"}


@pytest.fixture
def enrolled_dir(tmp_path: Path, config) -> Path:
    data_dir = tmp_path / "kiosk"
    identity.save(
        data_dir, identity.Identity("http://hub.test", DEVICE_ID, new_private_key()), config=config, etag=ETAG
    )
    return data_dir


@pytest.fixture
def clock():
    now = [HUB_NOW]

    def clock():
        return now[0]

    clock.advance = lambda seconds: now.__setitem__(0, now[0] + timedelta(seconds=seconds))
    return clock


def terminal_with(data_dir: Path, transport: FakeTransport, clock) -> Terminal:
    enrolled = identity.load(data_dir)
    client = HubClient(enrolled.hub, transport, device_id=enrolled.device_id, key=enrolled.key)
    return Terminal(data_dir, client=client, clock=clock, backoff=Backoff(base=0.05, cap=0.2))


# --- demo mode -----------------------------------------------------------------------------


def test_a_terminal_that_is_not_enrolled_runs_the_demo_survey_and_sends_nothing(tmp_path):
    terminal = Terminal.open(tmp_path / "kiosk")

    captured = terminal.capture([{**RATING, "value": 1}], "de")
    terminal.start()
    terminal.sync_now()
    terminal.stop()

    assert terminal.demo and terminal.worker is None
    assert terminal.config["store"]["code"] == "DEMO"
    assert captured.body["store"] == "DEMO"
    assert terminal.status()["mode"] == "demo"
    assert (tmp_path / "kiosk" / "demo.db").exists() and not (tmp_path / "kiosk" / "terminal.db").exists()


# --- the protocol check before thanks ------------------------------------------------------


def test_a_tap_is_checked_by_the_protocol_before_it_is_stored_pending(tmp_path):
    terminal = Terminal.open(tmp_path / "kiosk")

    captured = terminal.capture([{**RATING, "value": 4}], "de")

    assert captured.problems == ()
    assert terminal.status()["queue_depth"] == 1 and terminal.status()["quarantined"] == 0


def test_a_tap_the_protocol_refuses_is_not_thanked_but_kept_quarantined(tmp_path):
    terminal = Terminal.open(tmp_path / "kiosk")

    with pytest.raises(InvalidCapture) as refused:
        terminal.capture([{**RATING, "value": 9}], "de")

    assert refused.value.captured.problems[0].code == "value_out_of_range"
    assert "value_out_of_range" in str(refused.value)
    status = terminal.status()
    assert status["queue_depth"] == 0 and status["quarantined"] == 1
    assert status["quarantine"][0]["code"] == "value_out_of_range"
    assert status["quarantine"][0]["id"] == refused.value.captured.id


def test_a_tap_answering_a_question_the_survey_lacks_is_refused(tmp_path):
    terminal = Terminal.open(tmp_path / "kiosk")

    with pytest.raises(InvalidCapture) as refused:
        terminal.capture([{"question": "nope", "kind": "smiley", "value": 1}], "de")

    assert [p.code for p in refused.value.captured.problems] == ["unknown_question", "missing_required"]


def test_a_refused_tap_is_never_sent(enrolled_dir, clock):
    terminal = terminal_with(enrolled_dir, FakeTransport(acknowledge()), clock)
    with pytest.raises(InvalidCapture):
        terminal.capture([{**RATING, "value": 0}], "de")

    assert terminal.store.pending(10) == []


def test_the_demo_configuration_is_the_hubs_default_survey_and_kiosk_settings():
    from hub.services.catalog import DEFAULT_SURVEY
    from hub.services.terminal_config import KIOSK_DEFAULTS

    config = demo_config()

    assert config["survey"] == DEFAULT_SURVEY
    assert config["kiosk"] == KIOSK_DEFAULTS


def test_the_kiosk_package_does_not_import_the_hub():
    import subprocess
    import sys

    code = "import sys, kiosk.terminal, kiosk.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'hub'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"


# --- an enrolled terminal ------------------------------------------------------------------


def test_open_uses_the_enrollment_record_and_the_stored_configuration(enrolled_dir, config):
    terminal = Terminal.open(enrolled_dir, session=FakeTransport(acknowledge()))

    assert (terminal.client.base_url, terminal.client.device_id) == ("http://hub.test", DEVICE_ID)
    assert terminal.config["store"]["code"] == "B001"
    assert terminal.config["survey"] == config["survey"]


def test_a_capture_is_committed_to_disk_before_it_returns(enrolled_dir, clock):
    terminal = terminal_with(enrolled_dir, FakeTransport(acknowledge()), clock)

    captured = terminal.capture([{**RATING, "value": 4}], "en")

    with sqlite3.connect(enrolled_dir / "terminal.db") as other:  # another connection sees it: committed
        row = other.execute("SELECT seq, state FROM response WHERE id = ?", (captured.id,)).fetchone()
    assert row == (1, "pending")


def test_a_capture_carries_the_configurations_store_survey_and_the_terminals_clock(enrolled_dir, clock):
    terminal = terminal_with(enrolled_dir, FakeTransport(acknowledge()), clock)

    body = terminal.capture([{**RATING, "value": 4}], "en").body

    assert (body["store"], body["touchpoint"], body["survey"], body["survey_version"]) == ("B001", "exit", "exit", 1)
    assert body["captured_at"] == "2026-11-23T09:00:00.000Z"


def test_presses_closer_than_the_press_interval_are_flagged_suspect(enrolled_dir, clock):
    terminal = terminal_with(enrolled_dir, FakeTransport(acknowledge()), clock)
    first = terminal.capture([{**RATING, "value": 4}], "de")
    clock.advance(1)
    second = terminal.capture([{**RATING, "value": 4}], "de")
    clock.advance(3)
    third = terminal.capture([{**RATING, "value": 4}], "de")

    assert (first.suspect, second.suspect, third.suspect) == (False, True, False)


@pytest.mark.parametrize(
    ("answers", "urgent"),
    [
        ([{**RATING, "value": 1}], True),
        ([{**RATING, "value": 2}], True),
        ([{**RATING, "value": 3}], False),
        ([{**RATING, "value": 4}, {"question": "nps", "kind": "nps", "value": 6}], True),
        ([{**RATING, "value": 4}, {"question": "nps", "kind": "nps", "value": 7}], False),
    ],
    ids=["smiley-1", "smiley-2", "smiley-3", "nps-6", "nps-7"],
)
def test_a_bad_rating_makes_a_sync_due_at_once(enrolled_dir, clock, answers, urgent):
    terminal = terminal_with(enrolled_dir, FakeTransport(acknowledge()), clock)
    terminal.worker.run_once(clock())  # synced just now: the next round is 30 s away
    clock.advance(1)

    terminal.capture(answers, "de")

    assert terminal.worker.is_due(clock()) is urgent


def test_status_tells_the_queue_the_last_sync_and_the_quarantine(enrolled_dir, clock):
    transport = FakeTransport(acknowledge(by_seq={2: "conflict"}))
    terminal = terminal_with(enrolled_dir, transport, clock)
    for value in (4, 3, 2):
        terminal.capture([{**RATING, "value": value}], "de")
    terminal.worker.run_once(clock())
    terminal.capture([{**RATING, "value": 4}], "de")

    status = terminal.status()

    assert {k: status[k] for k in ("mode", "device_id", "hub", "store", "queue_depth", "delivered", "quarantined")} == {
        "mode": "enrolled",
        "device_id": DEVICE_ID,
        "hub": "http://hub.test",
        "store": "B001",
        "queue_depth": 1,
        "delivered": 2,
        "quarantined": 1,
    }
    assert [(q["seq"], q["code"]) for q in status["quarantine"]] == [(2, "response_conflict")]
    assert parse_time(status["last_sync_at"]) - HUB_NOW < timedelta(seconds=5)  # plus the round's duration
    assert status["clock_offset_seconds"] == pytest.approx(0, abs=1)
    assert (status["last_error"], status["revoked"], status["app_version"]) == (None, False, "0.1.0")


def test_status_shows_a_revoked_terminal_that_still_captures(enrolled_dir, clock):
    terminal = terminal_with(enrolled_dir, FakeTransport(problem(403, "revoked_device")), clock)
    terminal.capture([{**RATING, "value": 4}], "de")
    terminal.worker.run_once(clock())

    terminal.capture([{**RATING, "value": 4}], "de")

    status = terminal.status()
    assert status["revoked"] is True
    assert status["queue_depth"] == 2
    assert "revoked" in status["last_error"]


def test_a_new_configuration_reaches_the_listeners_and_the_next_capture(enrolled_dir, clock, config):
    survey = {**config["survey"], "version": 2}
    new = {**config, "survey": survey}
    terminal = terminal_with(
        enrolled_dir, FakeTransport(acknowledge(config_etag='"v2"'), config_reply(new, '"v2"')), clock
    )
    seen = []
    terminal.on_config_change(seen.append)

    terminal.worker.run_once(clock())
    body = terminal.capture([{**RATING, "value": 4}], "de").body

    assert [c["survey"]["version"] for c in seen] == [2]
    assert terminal.config["survey"]["version"] == 2
    assert body["survey_version"] == 2


def test_a_restarted_terminal_keeps_the_configuration_it_received(enrolled_dir, clock, config):
    new = {**config, "phone_url": "https://hub.example/m/other"}
    terminal = terminal_with(
        enrolled_dir, FakeTransport(acknowledge(config_etag='"v2"'), config_reply(new, '"v2"')), clock
    )
    terminal.worker.run_once(clock())
    terminal.close()

    again = terminal_with(enrolled_dir, FakeTransport(acknowledge(config_etag='"v2"')), clock)

    assert again.config["phone_url"] == "https://hub.example/m/other"


def test_the_kiosk_settings_are_always_complete(enrolled_dir, clock, config):
    del config["kiosk"]
    terminal = terminal_with(enrolled_dir, FakeTransport(acknowledge(config_etag='"v2"'), config_reply(config)), clock)

    terminal.worker.run_once(clock())

    assert terminal.config["kiosk"]["press_interval_seconds"] == 3
    assert terminal.config["kiosk"]["idle_reset_seconds"] == 20


# --- the background worker -----------------------------------------------------------------


def test_the_running_worker_sends_a_bad_rating_within_seconds(enrolled_dir, clock):
    transport = FakeTransport(acknowledge())
    terminal = terminal_with(enrolled_dir, transport, clock)
    terminal.start()
    try:
        wait_until(lambda: transport.syncs, "the first round")
        clock.advance(1)  # the next regular round is 30 s away on the terminal's clock

        captured = terminal.capture([{**RATING, "value": 1}], "de")

        wait_until(lambda: terminal.status()["delivered"] == 1, "the bad rating to be delivered")
    finally:
        terminal.stop()
    assert transport.syncs[-1].responses[0]["id"] == captured.id


def test_sync_now_runs_a_round_in_the_background(enrolled_dir, clock):
    transport = FakeTransport(acknowledge())
    terminal = terminal_with(enrolled_dir, transport, clock)
    terminal.capture([{**RATING, "value": 4}], "de")
    terminal.start()
    try:
        wait_until(lambda: terminal.status()["delivered"] == 1, "the first round")
        clock.advance(1)
        ticks = counted_ticks(terminal)
        terminal.capture([{**RATING, "value": 4}], "de")
        wait_until(lambda: len(ticks) >= 2, "two checks of the worker after the capture")
        assert terminal.status()["queue_depth"] == 1  # a good rating waits for the interval...

        terminal.sync_now()

        wait_until(lambda: terminal.status()["delivered"] == 2, "the round asked for")  # ...unless asked
    finally:
        terminal.stop()


def test_stop_ends_the_worker(enrolled_dir, clock):
    transport = FakeTransport(acknowledge())
    terminal = terminal_with(enrolled_dir, transport, clock)
    before = set(threading.enumerate())
    terminal.start()
    wait_until(lambda: transport.syncs, "the first round")

    terminal.stop()
    sent = len(transport.sent)
    terminal.sync_now()

    # nothing is left that could send: every thread the worker started has ended, so the round
    # asked for never runs
    assert [t.name for t in set(threading.enumerate()) - before] == []
    assert len(transport.sent) == sent


def counted_ticks(terminal: Terminal) -> list[object]:
    """The worker's checks from now on, as the scheduler makes them (each second)."""
    ticks: list[object] = []
    tick = terminal.worker.tick

    def counting(now):
        ticks.append(now)
        return tick(now)

    terminal.worker.tick = counting
    return ticks


def wait_until(check, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")
