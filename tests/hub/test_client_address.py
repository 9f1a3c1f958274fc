"""One client address for everyone: the peer, or what a trusted proxy says the client was.

Sign-in throttling counts failures per client address. Behind the nginx of deploy/ every peer is
127.0.0.1, so the hub must take the client from X-Forwarded-For, but only from the proxies it
trusts (TRUSTED_PROXIES), or anyone could pick an address per guess.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import requests

from hub.client_address import PEER_KEY, ClientAddress, TrustedProxies
from hub.models import LoginAttempt
from tests.e2e.processes import free_port, running, wait_for
from tests.hub.conftest import ADMIN_PASSWORD, connected
from tests.hub.test_sign_in import csrf_of
from tests.mobile_web import conftest as phone_fixtures

configured = phone_fixtures.configured  # another hub app on the same database, other settings

ROOT = Path(__file__).resolve().parents[2]
LOCAL_NGINX = "127.0.0.1"
CLIENT_A = "203.0.113.10"
CLIENT_B = "198.51.100.20"


# --- the rule ---------------------------------------------------------------------------------


@pytest.fixture
def proxies() -> TrustedProxies:
    return TrustedProxies("127.0.0.1,::1, 10.0.0.0/8, fd00:1::/64")


def test_an_untrusted_peer_cannot_name_another_client(proxies):
    assert proxies.client("203.0.113.66", "198.51.100.1") == "203.0.113.66"


def test_a_trusted_peer_names_the_client(proxies):
    assert proxies.client("127.0.0.1", CLIENT_A) == CLIENT_A
    assert proxies.client("::1", CLIENT_A) == CLIENT_A


def test_the_client_is_the_right_most_entry_that_is_not_a_trusted_proxy(proxies):
    # the client wrote the first entry itself; our load balancer (10.0.0.5) appended the real one
    assert proxies.client("127.0.0.1", f"198.51.100.99, {CLIENT_A}, 10.0.0.5") == CLIENT_A


def test_networks_are_trusted_as_a_whole(proxies):
    assert proxies.client("10.20.30.40", CLIENT_A) == CLIENT_A
    assert proxies.client("fd00:1::abcd", CLIENT_A) == CLIENT_A
    assert proxies.client("fd00:2::abcd", CLIENT_A) == "fd00:2::abcd"  # outside the /64


def test_an_ipv4_peer_on_a_dual_stack_socket_is_still_trusted(proxies):
    assert proxies.client("::ffff:127.0.0.1", CLIENT_A) == CLIENT_A


def test_a_forwarded_ipv6_address_is_written_one_way(proxies):
    assert proxies.client("127.0.0.1", "2001:DB8:0:0::1") == "2001:db8::1"


def test_only_proxies_in_the_chain_make_the_first_one_the_client(proxies):
    assert proxies.client("127.0.0.1", "10.0.0.7, 10.0.0.5") == "10.0.0.7"


@pytest.mark.parametrize(
    "header",
    [
        "unknown",
        "203.0.113.10:51234",
        "[2001:db8::1]:443",
        "203.0.113.10,,198.51.100.20",
        " , ",
        "<script>",
        "300.1.1.1",
    ],
)
def test_a_malformed_header_keeps_the_peer(proxies, header):
    assert proxies.client("127.0.0.1", header) == "127.0.0.1"


def test_no_header_keeps_the_peer(proxies):
    assert proxies.client("127.0.0.1", None) == "127.0.0.1"
    assert proxies.client("127.0.0.1", "") == "127.0.0.1"


def test_a_peer_that_is_no_address_is_kept_and_trusts_nothing(proxies):
    assert proxies.client("", CLIENT_A) == ""


def test_a_mistyped_trusted_proxy_stops_the_hub_at_start():
    with pytest.raises(ValueError, match=r"TRUSTED_PROXIES: '10\.0\.0\.1/8'"):
        TrustedProxies("127.0.0.1, 10.0.0.1/8")  # host bits set: meant 10.0.0.0/8?
    with pytest.raises(ValueError, match="'localhost'"):
        TrustedProxies("localhost")


def test_the_middleware_rewrites_remote_addr_and_keeps_the_peer(proxies):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return []

    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": CLIENT_A}
    ClientAddress(app, proxies)(environ, lambda *args: None)
    assert seen["REMOTE_ADDR"] == CLIENT_A
    assert seen[PEER_KEY] == "127.0.0.1"
    assert environ["REMOTE_ADDR"] == CLIENT_A  # the server's own log reads this same dict


# --- the hub: sign-in throttling on SQLite and PostgreSQL ------------------------------------


def sign_in(client, email: str, password: str, *, peer: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    environ = {"REMOTE_ADDR": peer}
    token = csrf_of(client.get("/login", headers=headers, environ_base=environ).get_data(as_text=True))
    form = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", data=form, headers=headers, environ_base=environ)


def recorded_addresses(app) -> list[str]:
    with connected(app):
        return [attempt.address for attempt in LoginAttempt.select().order_by(LoginAttempt.id)]


def test_through_the_proxy_a_guessing_client_is_throttled_while_another_signs_in_at_once(app):
    guesser, admin = app.test_client(), app.test_client()
    answers = [
        sign_in(guesser, f"guess{n}@example.org", "wrong", peer=LOCAL_NGINX, forwarded_for=CLIENT_A).status_code
        for n in range(30)
    ]
    assert answers == [401] * 20 + [429] * 10
    # the guesser is throttled by its address, even with a right password
    right_password = sign_in(guesser, "admin@example.org", ADMIN_PASSWORD, peer=LOCAL_NGINX, forwarded_for=CLIENT_A)
    assert right_password.status_code == 429
    signed_in = sign_in(admin, "admin@example.org", ADMIN_PASSWORD, peer=LOCAL_NGINX, forwarded_for=CLIENT_B)
    assert signed_in.status_code == 302
    assert set(recorded_addresses(app)) == {CLIENT_A, CLIENT_B}


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(app):
    guesser = app.test_client()
    peer = "203.0.113.66"
    answers = [
        sign_in(guesser, f"guess{n}@example.org", "wrong", peer=peer, forwarded_for=f"198.51.100.{n}").status_code
        for n in range(21)
    ]
    assert answers == [401] * 20 + [429]  # a new address per guess bought nothing
    assert set(recorded_addresses(app)) == {peer}


def test_a_malformed_header_from_the_proxy_counts_under_the_proxy(app):
    sign_in(app.test_client(), "guess@example.org", "wrong", peer=LOCAL_NGINX, forwarded_for="unknown")
    assert recorded_addresses(app) == [LOCAL_NGINX]


def test_a_proxy_network_from_the_configuration_is_trusted(configured):
    app = configured(TRUSTED_PROXIES="10.0.0.0/8")
    sign_in(app.test_client(), "guess@example.org", "wrong", peer="10.1.2.3", forwarded_for=CLIENT_A)
    sign_in(app.test_client(), "guess@example.org", "wrong", peer=LOCAL_NGINX, forwarded_for=CLIENT_B)
    assert recorded_addresses(app) == [CLIENT_A, LOCAL_NGINX]  # 127.0.0.1 is no longer trusted


# --- gunicorn, as deploy/ runs it: its access log names the same client ----------------------


@pytest.mark.e2e
def test_gunicorns_access_log_names_the_forwarded_client(tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        "VOXLOOP_INSTANCE_PATH": str(tmp_path / "instance"),
        "VOXLOOP_SECRET_KEY": "gunicorn-test-secret",
        "VOXLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "VOXLOOP_BIND": f"127.0.0.1:{port}",
        "PYTHONPATH": str(ROOT),  # this checkout's hub, whatever the environment has installed
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
    with running(gunicorn, cwd=tmp_path, env=env, log=log):
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: requests.get(f"{base}/login", timeout=2).ok, 30, "gunicorn serving", log)
        # this test is the local proxy (127.0.0.1, trusted by default)
        requests.get(f"{base}/login?from=proxy", headers={"X-Forwarded-For": CLIENT_A}, timeout=5)
        wait_for(lambda: CLIENT_A in log.read_text(), 10, "the access log line", log)
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # JSON, one object a line
    requests_ = [(line["client"], line["status"]) for line in lines if line.get("path") == "/login"]
    assert requests_[-1] == (CLIENT_A, 200)
    assert requests_[0] == ("127.0.0.1", 200)  # no header: the peer itself
