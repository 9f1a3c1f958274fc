"""The thank-you QR code of a tap: a continuation code the terminal signs offline with its own
key for that tap, where the hub offers one; the touchpoint's generic code otherwise."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kiosk import identity
from kiosk.hub_client import HubClient
from kiosk.terminal import Terminal
from shared.continuation import LIFETIME_SECONDS, read_continuation, verify_continuation
from shared.crypto import new_private_key
from tests.kiosk.conftest import DEVICE_ID
from tests.kiosk.fake_transport import ETAG, HUB_NOW, FakeTransport, acknowledge

RATING = {"question": "rating", "kind": "smiley", "value": 2}
CONTINUE = "https://feedback.example.org/m/c/"


def enrolled_terminal(tmp_path: Path, config: dict, key=None, offset: float | None = None) -> Terminal:
    data_dir = tmp_path / "kiosk"
    key = key or new_private_key()
    identity.save(data_dir, identity.Identity("http://hub.test", DEVICE_ID, key), config=config, etag=ETAG)
    client = HubClient("http://hub.test", FakeTransport(acknowledge()), device_id=DEVICE_ID, key=key)
    terminal = Terminal(data_dir, client=client, clock=lambda: HUB_NOW)
    if offset is not None:
        terminal.store.note(clock_offset_seconds=offset)
    return terminal


def test_a_tap_gets_a_code_for_its_own_response_signed_by_the_terminals_key(tmp_path, config):
    key = new_private_key()
    terminal = enrolled_terminal(tmp_path, {**config, "continue_url": CONTINUE}, key=key)
    captured = terminal.capture([RATING], "de")

    url = terminal.continuation_url(captured)

    assert url.startswith(CONTINUE)
    claims = read_continuation(url.removeprefix(CONTINUE))
    assert (claims.response_id, claims.key_id, claims.store, claims.touchpoint) == (
        captured.id,
        DEVICE_ID,
        "B001",
        captured.body["touchpoint"],
    )
    assert claims.expires == int(HUB_NOW.timestamp()) + LIFETIME_SECONDS
    verify_continuation(claims, key.public_key(), HUB_NOW.timestamp())  # raises when not


def test_the_code_expires_by_the_hubs_clock(tmp_path, config):
    terminal = enrolled_terminal(tmp_path, {**config, "continue_url": CONTINUE}, offset=-600.0)  # we run 10 min fast
    captured = terminal.capture([RATING], "de")

    claims = read_continuation(terminal.continuation_url(captured).removeprefix(CONTINUE))

    assert claims.expires == int((HUB_NOW - timedelta(minutes=10)).timestamp()) + LIFETIME_SECONDS


def test_two_taps_get_two_codes(tmp_path, config):
    terminal = enrolled_terminal(tmp_path, {**config, "continue_url": CONTINUE})
    first, second = terminal.capture([RATING], "de"), terminal.capture([RATING], "de")

    assert terminal.continuation_url(first) != terminal.continuation_url(second)


@pytest.mark.parametrize("why", ["an older hub offers none", "not enrolled"])
def test_without_a_continuation_the_generic_code_stays(tmp_path, config, why):
    # no continue_url in an older hub's config; no key in demo mode
    terminal = Terminal.open(tmp_path / "demo") if why == "not enrolled" else enrolled_terminal(tmp_path, config)
    captured = terminal.capture([RATING], "de")

    assert terminal.continuation_url(captured) is None
