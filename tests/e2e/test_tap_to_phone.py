"""From a real tap in the Kivy app to a real browser: the terminal's thank-you QR code
continues the same response on the phone.

A real hub process (the phone messenger's, tests/e2e/test_phone_messenger.py) on SQLite and
PostgreSQL; a terminal enrolled with ``voxloop kiosk enroll``; the real kiosk app in an
offscreen window (tests/kiosk/ui/drive.py) where a shopper taps "Bad" and a reason; the QR code
read off the thank-you screen's pixels by zbar; Debian's Chromium at a phone's size opening it
and answering the follow-up. The hub then holds one response: the tap's rating and reason and
the phone's answers, each counted once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from shared.continuation import read_continuation
from tests.conftest import missing_system_package
from tests.e2e.processes import free_port
from tests.e2e.test_phone_messenger import VOXLOOP, PhoneHub, button, new_phone, shot
from tests.e2e.test_phone_messenger import browser as browser  # the real hub and browser fixtures
from tests.e2e.test_phone_messenger import hub as hub
from tests.kiosk.ui.conftest import drive

pytestmark = pytest.mark.e2e
ROLLUPS = ("rollup_daily", "score_daily", "hour_daily", "reason_daily", "term_daily", "suspect_daily")


def enrolled_terminal(hub: PhoneHub, data_dir: Path) -> None:
    output = hub.voxloop("hub", "enroll-code", "--store", "B001", "--no-qr")
    code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)
    done = subprocess.run(
        [VOXLOOP, "kiosk", "enroll", "--hub", hub.base, "--code", code, "--data-dir", str(data_dir)],
        env={k: v for k, v in os.environ.items() if not k.startswith("VOXLOOP_")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "enrolled as" in done.stdout, done.stdout + done.stderr


def decode_qr(facts: dict) -> list[str]:
    from PIL import Image

    try:
        from pyzbar.pyzbar import decode
    except ImportError as exc:
        missing_system_package(f"pyzbar cannot load zbar ({exc}): apt-get install libzbar0")
    x, y, w, h = facts["card"]
    height = facts["window_size"][1]
    region = Image.open(facts["shot"]).crop((int(x), int(height - y - h), int(x + w), int(height - y)))
    return [symbol.data.decode() for symbol in decode(region)]


def rollups(hub: PhoneHub) -> dict[str, list[tuple]]:
    return {table: sorted(hub.query(f"SELECT * FROM {table}"), key=repr) for table in ROLLUPS}


def tap_on_the_terminal(hub: PhoneHub, data_dir: Path, scenario: str) -> tuple[str, str, dict]:
    """A tap on "Bad" and a reason in the Kivy app: the URL its thank-you QR code shows, read
    off the screen, and the tap's response id."""
    database = "pg" if hub.database_url else "sqlite"
    facts = drive(scenario, data_dir, name=f"{scenario}-{database}", env=hub.clock.env)
    assert facts["screen"] == "thanks"
    [url] = decode_qr(facts)
    assert url.startswith(hub.base + "/m/c/")
    assert read_continuation(url.rsplit("/", 1)[1]).response_id == facts["response_id"]
    return url, facts["response_id"], facts


def follow_up_in_chromium(hub: PhoneHub, browser, url: str, greeting: str, name: str) -> str:
    """The shopper scans the code and answers the follow-up; the response id the phone kept."""
    phone = new_phone(browser, hub)
    try:
        page = phone.page
        assert page.goto(url).status == 200
        page.get_by_text(greeting).wait_for()
        assert button(page, "Bad").count() == 0  # the rating is never asked again
        shot(page, hub, f"{name}-01-follow-up")
        if button(page, "Waiting at the till").count():  # the hub has not got the tap: asked
            button(page, "Waiting at the till").click()
            button(page, "Send").click()
        button(page, "3").click()
        page.get_by_label("Your message").fill("The queue at the exit was long")
        button(page, "Send").click()
        button(page, "Yes, please").click()
        page.get_by_label("Email or phone").fill("anna@example.org")
        page.get_by_role("checkbox").check()
        button(page, "Send").click()
        page.locator("#m-thanks").wait_for()
        page.get_by_text("Sent ✓").wait_for()
        shot(page, hub, f"{name}-02-thanks", full=True)
        assert phone.errors == [] and phone.blocked == [] and phone.foreign == []
        [kept] = phone.response_ids()
        assert phone.context.new_page().goto(url).status == 410  # the code took its one conversation
        return kept
    finally:
        phone.context.close()


def assert_one_response_counted_once(hub: PhoneHub, response_id: str) -> None:
    assert hub.query("SELECT COUNT(*), MIN(channel) FROM response WHERE id = ?", (response_id,)) == [(1, "kiosk")]
    stored = hub.stored(response_id)
    assert stored["answers"] == sorted(
        [
            ("rating", 2, None),
            ("reason", None, "queue"),
            ("nps", 3, None),
            ("comment", None, "The queue at the exit was long"),
        ],
        key=repr,
    )
    assert stored["sealed"] is not None and b"anna@example.org" not in bytes(stored["sealed"])
    # one shopper, one smiley; every answer counted once, as a recount of the raw rows gives
    assert hub.query("SELECT SUM(n) FROM score_daily WHERE store_id = 0 AND question = 'rating'") == hub.query(
        "SELECT COUNT(*) FROM answer WHERE question = 'rating'"
    )
    assert sorted(hub.query("SELECT question, SUM(count) FROM rollup_daily GROUP BY question")) == sorted(
        hub.query("SELECT question, COUNT(*) FROM answer GROUP BY question")
    )
    counted = rollups(hub)
    hub.voxloop("hub", "rebuild-rollups")
    assert rollups(hub) == counted
    # the contact left on the phone opened the case of that response, once
    assert hub.query("SELECT COUNT(*) FROM case_response WHERE response_id = ?", (response_id,)) == [(1,)]


def test_a_tap_on_the_terminal_continues_on_the_phone_as_one_response(hub: PhoneHub, browser, tmp_path: Path) -> None:
    data_dir = tmp_path / "kiosk"
    enrolled_terminal(hub, data_dir)

    url, response_id, facts = tap_on_the_terminal(hub, data_dir, "continue")
    assert facts["queue_depth"] == 0  # the tap reached the hub before the phone answers
    kept = follow_up_in_chromium(hub, browser, url, "Thank you for rating us “Bad” on our terminal!", "continue")

    assert kept == response_id
    assert_one_response_counted_once(hub, response_id)


def test_a_tap_from_an_offline_terminal_is_joined_by_its_follow_up_when_it_arrives(
    hub: PhoneHub, browser, tmp_path: Path
) -> None:
    data_dir = tmp_path / "kiosk"
    enrolled_terminal(hub, data_dir)
    record = data_dir / "terminal.json"
    enrolled = json.loads(record.read_text())
    record.write_text(json.dumps({**enrolled, "hub": f"http://127.0.0.1:{free_port()}"}))  # the network is down

    url, response_id, facts = tap_on_the_terminal(hub, data_dir, "continue_offline")
    assert facts["queue_depth"] == 1
    kept = follow_up_in_chromium(hub, browser, url, "Thank you for rating us on our terminal!", "continue-offline")
    assert kept == response_id
    assert hub.count(response_id) == 0  # the follow-up waits for its tap

    record.write_text(json.dumps(enrolled))  # the network is back: the terminal syncs
    done = subprocess.run(
        [VOXLOOP, "kiosk", "sync", "--data-dir", str(data_dir)],
        env={k: v for k, v in os.environ.items() if not k.startswith("VOXLOOP_")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    assert_one_response_counted_once(hub, response_id)
    waiting = "SELECT pending, pending_contact FROM phone_continuation WHERE response_id = ?"
    assert hub.query(waiting, (response_id,)) == [(None, None)]  # merged: nothing waits any more
