"""Sessions end everywhere: two hub processes on one database; a person signed in on two
devices signs out through one process, and neither device's session is accepted by the
other process any more (the hub keeps no session state outside the database)."""

from __future__ import annotations

import re
import secrets

import pytest
import requests

from tests.e2e.processes import free_port, running, wait_for
from tests.e2e.test_alert_delivery import MANAGER_PASSWORD, clock, hub_env, inbox, set_up_hub, signed_in
from tests.e2e.test_terminal_sync import VOXLOOP

pytestmark = pytest.mark.e2e
__all__ = ["clock", "inbox"]  # fixtures of the alert specification, used here by name


def me(session: requests.Session, base: str) -> int:
    return session.get(f"{base}/api/v1/me", timeout=10).status_code


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_signing_out_through_one_hub_process_ends_every_session_in_the_other(request, engine, tmp_path, inbox, clock):
    database_url = None
    if engine == "postgres":
        server = request.getfixturevalue("postgres_server")
        if server is None:
            request.getfixturevalue("postgres_url")  # skips or fails with the reason
        database_url = server.create_database(f"e2e_sessions_{secrets.token_hex(4)}")
    ports = free_port(), free_port()
    env = hub_env(tmp_path, inbox, ports[0], clock, database_url)
    set_up_hub(env, tmp_path, clock)
    first, second = (f"http://127.0.0.1:{port}" for port in ports)
    logs = tmp_path / "hub-1.log", tmp_path / "hub-2.log"
    with (
        running([*VOXLOOP, "hub", "serve", "--port", str(ports[0])], cwd=tmp_path, env=env, log=logs[0]),
        running([*VOXLOOP, "hub", "serve", "--port", str(ports[1])], cwd=tmp_path, env=env, log=logs[1]),
    ):
        for base, log in zip((first, second), logs, strict=True):
            wait_for(lambda base=base: requests.get(base + "/healthz", timeout=2).ok, 60, "a hub", log)
        laptop, _ = signed_in(first, "manager0@example.org", MANAGER_PASSWORD)
        phone, _ = signed_in(second, "manager0@example.org", MANAGER_PASSWORD)
        assert me(laptop, second) == me(phone, first) == 200  # each session works on both processes

        page = laptop.get(f"{first}/", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert laptop.post(f"{first}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10).ok

        assert me(phone, second) == 401
        assert me(phone, first) == 401
