"""``voxloop kiosk status|export|sync|run`` on real data directories (no hub needed here; the
commands against a running hub: test_sync_against_hub.py)."""

from __future__ import annotations

import json
import sys
import types
from datetime import timedelta

import pytest
from click.testing import CliRunner

from kiosk import identity
from kiosk.cli import kiosk
from kiosk.local_store import LocalStore
from shared.crypto import new_private_key
from tests.e2e.processes import free_port
from tests.kiosk.conftest import tap
from tests.kiosk.fake_transport import HUB_NOW


@pytest.fixture
def data_dir(tmp_path, config):
    """An enrolled terminal whose hub is not answering, with three taps: one delivered, one
    quarantined, one pending."""
    data_dir = tmp_path / "kiosk"
    me = identity.Identity(f"http://127.0.0.1:{free_port()}", "dev_cli_0001", new_private_key())
    identity.save(data_dir, me, config=config, etag='"e1"')
    store = LocalStore(identity.database_path(data_dir))
    taps = [tap(store, config, HUB_NOW + timedelta(minutes=i)) for i in range(3)]
    store.apply_results(
        [
            {"id": taps[0].id, "status": "accepted"},
            {"id": taps[1].id, "status": "invalid", "code": "value_out_of_range", "problems": []},
        ],
        HUB_NOW,
    )
    store.put(last_sync_at="2026-11-23T09:00:00.000Z", clock_offset_seconds=1.5)
    store.close()
    return data_dir


def run(*args: str):
    return CliRunner().invoke(kiosk, list(args), catch_exceptions=False)


def test_status_shows_the_queue_the_last_sync_and_the_quarantine(data_dir):
    result = run("status", "--data-dir", str(data_dir))

    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("terminal     dev_cli_0001 enrolled with http://127.0.0.1:")
    assert "store        B001 Berlin Mitte, touchpoint exit" in lines
    assert "queue        1 pending, 1 delivered, 1 quarantined (last seq 3)" in lines
    assert "last sync    2026-11-23T09:00:00.000Z  (hub clock +1.5 s from ours)" in lines
    assert "last error   none" in lines
    assert any(line.startswith("  seq 2  ") and line.endswith("value_out_of_range") for line in lines)


def test_status_as_json_holds_everything_the_admin_screen_shows(data_dir):
    status = json.loads(run("status", "--json", "--data-dir", str(data_dir)).output)

    assert (status["device_id"], status["queue_depth"], status["delivered"], status["quarantined"]) == (
        "dev_cli_0001",
        1,
        1,
        1,
    )
    assert status["revoked"] is False
    assert [q["seq"] for q in status["quarantine"]] == [2]


def test_status_of_a_terminal_that_is_not_enrolled_says_demo_mode(tmp_path):
    (tmp_path / "kiosk").mkdir()

    result = run("status", "--data-dir", str(tmp_path / "kiosk"))

    assert "demo mode (not enrolled)" in result.output
    assert "store        DEMO Demo store" in result.output


def test_status_of_a_directory_that_does_not_exist_is_an_error_and_creates_nothing(tmp_path):
    result = CliRunner().invoke(kiosk, ["status", "--data-dir", str(tmp_path / "nowhere")])

    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert not (tmp_path / "nowhere").exists()


def test_export_prints_every_response_as_one_json_line(data_dir):
    result = run("export", "--data-dir", str(data_dir))

    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(row["response"]["seq"], row["state"]) for row in rows] == [
        (1, "delivered"),
        (2, "quarantined"),
        (3, "pending"),
    ]
    assert rows[1]["error_code"] == "value_out_of_range"
    assert rows[0]["response"]["store"] == "B001"


def test_sync_says_why_it_failed_and_exits_1_when_the_hub_does_not_answer(data_dir):
    result = CliRunner().invoke(kiosk, ["sync", "--data-dir", str(data_dir)])

    assert result.exit_code == 1
    assert result.stdout.startswith("sync failed: unreachable: ConnectionError")
    assert "still pending 1" in result.stdout


def test_sync_on_a_terminal_that_is_not_enrolled_is_an_error(tmp_path):
    (tmp_path / "kiosk").mkdir()

    result = CliRunner().invoke(kiosk, ["sync", "--data-dir", str(tmp_path / "kiosk")])

    assert result.exit_code == 1
    assert "is not enrolled" in result.output


def test_enroll_refuses_a_terminal_that_is_enrolled_already(data_dir):
    result = CliRunner().invoke(kiosk, ["enroll", "--hub", "http://x", "--code", "AAAA", "--data-dir", str(data_dir)])

    assert result.exit_code == 1
    assert "enrolled already" in result.output


@pytest.mark.parametrize(("flag", "fullscreen"), [([], True), (["--windowed"], False), (["--fullscreen"], True)])
def test_run_starts_the_touch_screen_app_on_the_data_dir(monkeypatch, tmp_path, flag, fullscreen):
    started = []
    app = types.ModuleType("kiosk.app")  # the real one opens a window (tests/kiosk/ui drive it)
    app.run_app = lambda data_dir, fullscreen: started.append((data_dir, fullscreen))
    monkeypatch.setitem(sys.modules, "kiosk.app", app)

    result = run("run", *flag, "--data-dir", str(tmp_path))

    assert result.exit_code == 0
    assert started == [(tmp_path, fullscreen)]


def test_a_machine_without_the_terminal_packages_is_told_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "requests", None)  # as if the kiosk extra was not installed

    result = CliRunner().invoke(kiosk, ["status", "--data-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "needs requests" in result.output and "pip install 'voxloop[kiosk]'" in result.output
