"""Alerts end to end with real processes: a hub (`voxloop hub serve --with-jobs`) receives a
rating of 1 through the signed sync API; the store manager's inbox on a real SMTP server
(aiosmtpd) gets one email with the store, the words and a working acknowledge link, and a
real HTTP receiver gets one signed webhook call. Then two `voxloop hub jobs` processes share
one PostgreSQL outbox: every message is sent once.

The hub runs on a clock of its own at a Wednesday 11:00 in Berlin (tests/support/clock.py), when
the store is open and alerts go out at once, whatever the hour of the run."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests

from kiosk.hub_client import HubClient
from shared.crypto import new_private_key, public_key_text
from shared.ids import uuid7
from shared.protocol import format_time, make_batch
from tests.e2e.processes import free_port, hub_app, running, wait_for
from tests.e2e.test_terminal_sync import VOXLOOP, voxloop
from tests.support.clock import STORE_OPEN, ProcessClock
from tests.support.mail import Inbox, text_of
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e
MANAGER_PASSWORD = "manager password 123"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    server = Inbox().start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> ProcessClock:
    """The hub's clock and the test's: the store is open."""
    return ProcessClock.starting_at(STORE_OPEN)


def hub_env(
    tmp_path: Path, inbox: Inbox, port: int, clock: ProcessClock, database_url: str | None = None
) -> dict[str, str]:
    env = {
        **clock.env,
        "VOXLOOP_INSTANCE_PATH": str(tmp_path / "hub-instance"),
        "VOXLOOP_SECRET_KEY": "e2e-secret",
        "VOXLOOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "VOXLOOP_SMTP_HOST": "127.0.0.1",
        "VOXLOOP_SMTP_PORT": str(inbox.port),
        "VOXLOOP_SMTP_FROM": "alerts@voxloop.example",
        "VOXLOOP_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1",  # the test receiver is local: allowed, as an operator would
        # these tests read the English texts (German: tests/hub/test_german_pages.py)
        "VOXLOOP_LANGUAGE": "en",
    }
    if database_url:
        env["VOXLOOP_DATABASE_URL"] = database_url
    return env


def set_up_hub(env: dict[str, str], tmp_path: Path, clock: ProcessClock, stores: int = 1, managers: int = 1) -> str:
    """`hub init`, stores B001.., and store managers (by the service: there is no command for
    people yet); returns the admin's password."""
    output = voxloop("hub", "init", env=env, cwd=tmp_path)
    password = re.search(r"with password (\S+)", output).group(1)
    for i in range(stores):
        code = f"B{i + 1:03d}"
        voxloop("hub", "add-store", code, f"Berlin {i + 1}", "--time-zone", "Europe/Berlin", env=env, cwd=tmp_path)
    with hub_app(env):
        from hub.models import Store, User
        from hub.services.users import add_user

        everywhere = list(Store.select())
        for m in range(managers):
            add_user(
                f"manager{m}@example.org",
                f"Manager {m}",
                "store_manager",
                MANAGER_PASSWORD,
                now=clock(),
                stores=everywhere,
            )
        # the inbox holds alerts only: a weekly report would arrive on a Monday morning
        User.update(report_frequency="off").execute()
    return password


def signed_in(base: str, email: str, password: str) -> tuple[requests.Session, str]:
    """A browser-like session signed in through /login; returns it with its CSRF token."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = session.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return session, session.get(f"{base}/api/v1/me", timeout=10).json()["csrf_token"]


def enrolled_terminal(base: str, env: dict[str, str], tmp_path: Path, store: str = "B001") -> HubClient:
    output = voxloop("hub", "enroll-code", "--store", store, "--no-qr", env=env, cwd=tmp_path)
    code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)
    key = new_private_key()
    answer = requests.post(f"{base}/api/v1/enroll", json={"code": code, "public_key": public_key_text(key)}, timeout=10)
    assert answer.status_code == 201, answer.text
    return HubClient(base, requests.Session(), device_id=answer.json()["device_id"], key=key)


def bad_rating(store: str, seq: int, comment: str, now: datetime, contact: str | None = None) -> dict[str, object]:
    item: dict[str, object] = {
        "id": uuid7(now, secrets.token_bytes(10)),
        "v": 1,
        "channel": "kiosk",
        "store": store,
        "touchpoint": "exit",
        "survey": "exit",
        "survey_version": 1,
        "captured_at": format_time(now),
        "locale": "de",
        "seq": seq,
        "answers": [
            {"question": "rating", "kind": "smiley", "value": 1},
            {"question": "comment", "kind": "text", "value": comment},
        ],
    }
    if contact:
        item["contact"] = {"address": contact, "consent": True}
    return item


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_a_rating_of_one_reaches_the_managers_inbox_and_the_webhook_once(
    request, engine, tmp_path, inbox, receiver, clock
):
    database_url = None
    if engine == "postgres":
        server = request.getfixturevalue("postgres_server")
        if server is None:
            request.getfixturevalue("postgres_url")  # skips or fails with the reason
        database_url = server.create_database(f"e2e_alerts_{secrets.token_hex(4)}")
    port = free_port()
    env = hub_env(tmp_path, inbox, port, clock, database_url)
    admin_password = set_up_hub(env, tmp_path, clock)
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "hub.log"
    with running([*VOXLOOP, "hub", "serve", "--port", str(port), "--with-jobs"], cwd=tmp_path, env=env, log=log):
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, 60, "the hub", log)

        # HQ points the default rule at a webhook too, through the API
        admin, token = signed_in(base, "admin@example.org", admin_password)
        rules = admin.get(f"{base}/api/v1/alert-rules", timeout=10).json()["rules"]
        rule_id = next(r["id"] for r in rules if r["key"] == "very_unhappy")
        changed = admin.patch(
            f"{base}/api/v1/alert-rules/{rule_id}",
            json={"webhook_url": receiver.url, "webhook_format": "json"},
            headers={"X-CSRF-Token": token},
            timeout=10,
        )
        assert changed.status_code == 200, changed.text
        secret = changed.json()["webhook_secret"]

        terminal = enrolled_terminal(base, env, tmp_path)
        result = terminal.sync(
            make_batch([bad_rating("B001", 1, "Keiner an der Kasse <b>!</b>", clock())]), now=clock()
        )
        assert result.body["results"][0]["status"] == "accepted"

        (mail,) = inbox.wait_for(1, timeout=15)
        (call,) = receiver.wait_for(1, timeout=15)
        time.sleep(1)  # a second delivery would come within the poll interval
        assert len(inbox.messages) == 1 and len(receiver.calls) == 1

        assert mail["To"] == "manager0@example.org"
        assert mail["From"] == "alerts@voxloop.example"
        assert mail["Subject"].startswith("B001 Berlin 1: Very unhappy customer")
        text = text_of(mail)
        assert "Keiner an der Kasse <b>!</b>" in text  # plain text: the words as they were
        link = re.search(rf"{base}(/cases/\d+/ack/\S+)", text).group(1)

        parts = dict(item.split("=", 1) for item in call.headers["X-Voxloop-Signature"].split(","))
        expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + call.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(parts["v1"], expected)
        assert json.loads(call.body)["responses"][0]["comment"] == "Keiner an der Kasse <b>!</b>"

        # the manager follows the link from the email: sign-in first, then acknowledged
        manager, _ = signed_in(base, "manager0@example.org", MANAGER_PASSWORD)
        page = manager.get(base + link, timeout=10)
        assert "Acknowledged. Thank you." in page.text
        assert "Keiner an der Kasse &lt;b&gt;!&lt;/b&gt;" in page.text

    assert len(inbox.messages) == 1 and len(receiver.calls) == 1


def test_two_job_processes_on_one_postgresql_send_each_alert_once(request, tmp_path, inbox, clock):
    server = request.getfixturevalue("postgres_server")
    if server is None:
        request.getfixturevalue("postgres_url")  # skips or fails with the reason
    port = free_port()
    env = hub_env(tmp_path, inbox, port, clock, server.create_database(f"e2e_jobs_{secrets.token_hex(4)}"))
    env["VOXLOOP_ALERT_BATCH_SIZE"] = "4"  # small claims, so the two workers interleave
    set_up_hub(env, tmp_path, clock, stores=3, managers=8)
    base = f"http://127.0.0.1:{port}"
    inbox.delay = 0.03  # a real server takes a moment per message
    with running(
        [*VOXLOOP, "hub", "serve", "--port", str(port), "--without-jobs"],
        cwd=tmp_path,
        env=env,
        log=tmp_path / "hub.log",
    ):
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, 60, "the hub", tmp_path / "hub.log")
        for i in range(3):  # a bad rating with a contact per store: one case (very_unhappy), 8 managers each
            terminal = enrolled_terminal(base, env, tmp_path, f"B{i + 1:03d}")
            batch = make_batch([bad_rating(f"B{i + 1:03d}", 1, f"store {i + 1}", clock(), contact=f"c{i}@example.com")])
            assert terminal.sync(batch, now=clock()).body["results"][0]["status"] == "accepted"
        expected = 3 * 8

        logs = [tmp_path / "jobs-a.log", tmp_path / "jobs-b.log"]
        with (
            running([*VOXLOOP, "hub", "jobs"], cwd=tmp_path, env=env, log=logs[0]),
            running([*VOXLOOP, "hub", "jobs"], cwd=tmp_path, env=env, log=logs[1]),
        ):
            inbox.wait_for(expected, timeout=60)
            time.sleep(1.5)  # a message sent twice would arrive meanwhile
            with hub_app(env):
                from hub.models import OutboxMessage

                wait_for(
                    lambda: not OutboxMessage.select().where(OutboxMessage.state != "sent").exists(),
                    30,
                    "every message to be sent",
                )
                messages = list(OutboxMessage.select())

    ids = [m["X-Voxloop-Message"] for m in inbox.messages]
    assert len(ids) == len(set(ids))  # nothing twice
    assert set(ids) == {str(m.id) for m in messages}  # nothing lost
    assert sum(m.kind == "alert" for m in messages) == expected
    workers = {m.claimed_by for m in messages}
    assert len(workers) == 2, f"both job processes should have sent some: {workers}"
