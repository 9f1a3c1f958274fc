"""A real hub process on 127.0.0.1, set up and administered with the voxloop command, and a
terminal enrolled with ``voxloop kiosk enroll`` that syncs over HTTP: on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import secrets
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from kiosk.hub_client import HubClient, HubError
from shared.crypto import private_key_from_pem, sign_request
from shared.ids import uuid7
from shared.protocol import format_time, make_batch
from tests.e2e.processes import free_port, hub_app, running, wait_for

pytestmark = pytest.mark.e2e
VOXLOOP = [str(Path(sys.executable).with_name("voxloop"))]


@pytest.fixture(params=["sqlite", "postgres"])
def hub_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    env = {"VOXLOOP_INSTANCE_PATH": str(tmp_path / "hub-instance"), "VOXLOOP_SECRET_KEY": "e2e-secret"}
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        if server is None:
            request.getfixturevalue("postgres_url")  # skips or fails with the reason
        env["VOXLOOP_DATABASE_URL"] = server.create_database(f"e2e_{secrets.token_hex(4)}")
    return env


def voxloop(*args: str, env: dict[str, str], cwd: Path) -> str:
    import os
    import subprocess

    result = subprocess.run(
        [*VOXLOOP, *args], env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def hub(hub_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, object]]:
    port = free_port()
    env = {**hub_env, "VOXLOOP_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    voxloop("hub", "init", env=env, cwd=tmp_path)
    voxloop("hub", "add-store", "B001", "Berlin Mitte", "--time-zone", "Europe/Berlin", env=env, cwd=tmp_path)
    log = tmp_path / "hub.log"
    command = [*VOXLOOP, "hub", "serve", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(command, cwd=tmp_path, env=env, log=log) as process:
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, 60, "the hub", log)
        yield {"base": base, "env": env, "process": process, "log": log, "command": command}


@pytest.fixture
def enrolled(hub: dict[str, object], tmp_path: Path) -> HubClient:
    output = voxloop("hub", "enroll-code", "--store", "B001", "--no-qr", env=hub["env"], cwd=tmp_path)
    code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)
    data_dir = tmp_path / "kiosk"
    output = voxloop(
        "kiosk", "enroll", "--hub", hub["base"], "--code", code, "--data-dir", str(data_dir), env={}, cwd=tmp_path
    )
    assert "enrolled as" in output
    identity = json.loads((data_dir / "terminal.json").read_text())
    assert identity["config"]["store"]["code"] == "B001"
    assert (data_dir / "device.pem").stat().st_mode & 0o777 == 0o600
    key = private_key_from_pem((data_dir / "device.pem").read_bytes())
    return HubClient(hub["base"], requests.Session(), device_id=identity["device_id"], key=key)


def week_offline(count: int, start_seq: int = 1) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    items = []
    for i in range(count):
        at = now - timedelta(days=7) + timedelta(minutes=i * 7)
        items.append(
            {
                "id": uuid7(at, secrets.token_bytes(10)),
                "v": 1,
                "channel": "kiosk",
                "store": "B001",
                "touchpoint": "exit",
                "survey": "exit",
                "survey_version": 1,
                "captured_at": format_time(at),
                "locale": "de",
                "seq": start_seq + i,
                "answers": [{"question": "rating", "kind": "smiley", "value": 1 + i % 4}],
            }
        )
    return items


def stored_count(hub: dict[str, object]) -> int:
    from hub.db import database

    with hub_app(hub["env"]):
        return database.execute_sql("SELECT COUNT(*) FROM response").fetchone()[0]


def test_a_week_offline_arrives_exactly_once_across_a_hub_restart(hub, enrolled, tmp_path):
    items = week_offline(700)
    first = [enrolled.sync(make_batch(items[i : i + 100]), now=datetime.now(UTC)) for i in range(0, 400, 100)]
    assert all(r["status"] == "accepted" for a in first for r in a.body["results"])

    # the hub restarts; the terminal did not hear back for the last batch and sends it again
    process = hub["process"]
    process.terminate()
    process.wait(timeout=15)
    with running(hub["command"], cwd=tmp_path, env=hub["env"], log=tmp_path / "hub2.log"):
        wait_for(lambda: requests.get(hub["base"] + "/healthz", timeout=2).ok, 60, "the restarted hub")
        again = enrolled.sync(make_batch(items[300:400]), now=datetime.now(UTC))
        assert {r["status"] for r in again.body["results"]} == {"duplicate"}
        rest = [enrolled.sync(make_batch(items[i : i + 100]), now=datetime.now(UTC)) for i in range(400, 700, 100)]
        assert all(r["status"] == "accepted" for a in rest for r in a.body["results"])
        assert rest[-1].body["missing"] == []
        assert abs(rest[-1].clock_offset_seconds) < 5
    assert stored_count(hub) == 700


def test_a_lost_acknowledgement_causes_no_duplicate(hub, enrolled):
    items = week_offline(50)
    body = json.dumps(make_batch(items)).encode()
    headers = sign_request(
        enrolled.key,
        enrolled.device_id,
        "POST",
        "/api/v1/sync",
        body,
        created=int(time.time()),
        nonce=secrets.token_urlsafe(16),
    )
    host, port = hub["base"].removeprefix("http://").split(":")
    request = (
        f"POST /api/v1/sync HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    ).encode() + body
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(request)  # and hang up without reading the answer
    wait_for(lambda: stored_count(hub) == 50, 30, "the hub to commit the batch whose answer was lost")

    retry = enrolled.sync(make_batch(items), now=datetime.now(UTC))
    assert {r["status"] for r in retry.body["results"]} == {"duplicate"}
    assert stored_count(hub) == 50


def test_a_revoked_terminal_is_refused_and_its_data_stays(hub, enrolled, tmp_path):
    enrolled.sync(make_batch(week_offline(10)), now=datetime.now(UTC))
    voxloop("hub", "revoke-device", enrolled.device_id, env=hub["env"], cwd=tmp_path)
    with pytest.raises(HubError) as refused:
        enrolled.sync(make_batch(week_offline(5, start_seq=11)), now=datetime.now(UTC))
    assert (refused.value.status, refused.value.code) == (403, "revoked_device")
    assert stored_count(hub) == 10


def test_an_unreachable_hub_is_reported_as_unreachable(enrolled):
    client = HubClient(f"http://127.0.0.1:{free_port()}", requests.Session(), device_id="x" * 10, key=enrolled.key)
    with pytest.raises(HubError) as failed:
        client.sync(make_batch([]), now=datetime.now(UTC))
    assert failed.value.code == "unreachable"
