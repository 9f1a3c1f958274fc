"""Hub fixtures that build on each other: app -> store -> terminal -> signed batches."""

from __future__ import annotations

import functools
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from hub import create_app
from hub.db import database
from hub.services import catalog, enrollment, passwords, users
from hub.services.setup import initialise
from shared.crypto import new_private_key, public_key_text, sign_request
from shared.ids import uuid7
from shared.protocol import format_time

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    """The hub's clock in tests: set and stepped by the test, never patched."""

    at: datetime = START

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


ADMIN_PASSWORD = "correct horse battery"


@functools.cache
def _admin_password_hash(password: str) -> str:
    return passwords.hash_password(password)


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
            "CLOCK": clock,
            "PASSWORD_SCRYPT_LOG2_N": 10,  # fast tests; production hashes at 2^17
            "LANGUAGE": "en",  # the pages' default; tests/hub/test_languages.py tries German
        }
    )
    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        # scrypt is slow on purpose (~0.1 s); the admin's password is the same in every test, so
        # its (real, verifiable) hash is made once per session.
        patch.setattr(users, "hash_password", _admin_password_hash)
        database.connect(reuse_if_open=True)
        initialise(admin_email="admin@example.org", admin_name="Admin", admin_password=ADMIN_PASSWORD, now=clock())
        database.close()
    yield app
    if hasattr(database.obj, "close_all"):
        database.obj.close_all()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _add_store(app: Flask, clock: Clock, code: str, name: str, zone: str) -> Any:
    with app.app_context():
        database.connect(reuse_if_open=True)
        store = catalog.add_store(code, name, time_zone=zone, now=clock())
        catalog.add_touchpoint(code, "exit", "Exit")
        database.close()
    return store


@pytest.fixture
def store(app: Flask, clock: Clock) -> Any:
    return _add_store(app, clock, "B001", "Berlin Mitte", "Europe/Berlin")


@pytest.fixture
def other_store(app: Flask, clock: Clock) -> Any:
    return _add_store(app, clock, "H002", "Hamburg Altona", "Europe/Berlin")


def make_code(app: Flask, clock: Clock, store_code: str, ttl: timedelta = timedelta(hours=1)) -> str:
    with app.app_context():
        database.connect(reuse_if_open=True)
        store = catalog.store_by_code(store_code)
        code = enrollment.make_code(store, catalog.touchpoint_by_code(store, "exit"), now=clock(), ttl=ttl)
        database.close()
    return code


@dataclass
class TestTerminal:
    """An enrolled terminal that signs what it sends, through the app's test client."""

    client: FlaskClient
    clock: Clock
    store_code: str
    device_id: str = ""
    key: Any = None
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)

    __test__ = False

    def response(self, rating: int = 4, **overrides: Any) -> dict[str, Any]:
        """A fresh valid response with the next sequence number."""
        self.seq += 1
        item = {
            "id": uuid7(self.clock() + timedelta(milliseconds=self.seq), secrets.token_bytes(10)),
            "v": 1,
            "channel": "kiosk",
            "store": self.store_code,
            "touchpoint": "exit",
            "survey": "exit",
            "survey_version": 1,
            "captured_at": format_time(self.clock() - timedelta(minutes=1)),
            "locale": "de",
            "seq": self.seq,
            "answers": [{"question": "rating", "kind": "smiley", "value": rating}],
        }
        item.update(overrides)
        return item

    def signed_headers(self, method: str, path: str, body: bytes, **kwargs: Any) -> dict[str, str]:
        created = kwargs.pop("created", int(self.clock().timestamp()))
        nonce = kwargs.pop("nonce", secrets.token_urlsafe(16))
        key = kwargs.pop("key", self.key)
        device_id = kwargs.pop("device_id", self.device_id)
        return sign_request(key, device_id, method, path, body, created=created, nonce=nonce)

    def post_batch(self, responses: list[Any], heartbeat: dict[str, Any] | None = None, **sign: Any) -> Any:
        body = json.dumps({"v": 1, "responses": responses, "heartbeat": heartbeat or {}}).encode()
        return self.post_raw(body, **sign)

    def post_raw(self, body: bytes, content_type: str = "application/json", **sign: Any) -> Any:
        headers = self.signed_headers("POST", "/api/v1/sync", body, **sign)
        return self.client.post("/api/v1/sync", data=body, headers={**headers, "Content-Type": content_type})


def enroll_terminal(app: Flask, client: FlaskClient, clock: Clock, store_code: str) -> TestTerminal:
    key = new_private_key()
    code = make_code(app, clock, store_code)
    answer = client.post("/api/v1/enroll", json={"code": code, "public_key": public_key_text(key), "name": "Exit 1"})
    assert answer.status_code == 201, answer.get_json()
    return TestTerminal(
        client=client, clock=clock, store_code=store_code, device_id=answer.get_json()["device_id"], key=key
    )


@pytest.fixture
def terminal(app: Flask, client: FlaskClient, clock: Clock, store: Any) -> TestTerminal:
    return enroll_terminal(app, client, clock, "B001")


@pytest.fixture
def other_terminal(app: Flask, client: FlaskClient, clock: Clock, other_store: Any) -> TestTerminal:
    return enroll_terminal(app, client, clock, "H002")


def count(app: Flask, table: str) -> int:
    with app.app_context():
        database.connect(reuse_if_open=True)
        value = database.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        database.close()
    return value


def rows(app: Flask, sql: str, params: tuple = ()) -> list[tuple]:
    with app.app_context():
        database.connect(reuse_if_open=True)
        result = database.execute_sql(sql.replace("?", database.param), params).fetchall()
        database.close()
    return result


# --- helpers added for the sync, enrollment, config, OpenAPI and schema specifications -------

STORED_TABLES = ("response", "answer", "rollup_daily", "response_conflict", "sync_log", "seen_nonce")


@contextmanager
def connected(app: Flask) -> Iterator[None]:
    """Run service code (catalog, enrollment, models) against the app's database."""
    with app.app_context():
        database.connect(reuse_if_open=True)
        try:
            yield
        finally:
            database.close()


def stored_counts(app: Flask) -> dict[str, int]:
    """Row counts of every table a sync request writes to."""
    return {table: count(app, table) for table in STORED_TABLES}


def rollup_counts(app: Flask) -> dict[tuple[str, str, str], int]:
    """rollup_daily as {(question, local day 'YYYY-MM-DD', value): count}."""
    return {
        (question, str(day), value): n
        for question, day, value, n in rows(app, "SELECT question, day, value, count FROM rollup_daily")
    }


def assert_problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with this HTTP status and voxloop code; returns its body."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"https://voxloop.org/problems/{code}"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


PASSWORD = "a long enough password"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD hashed once per session: scrypt is slow on purpose."""
    from hub.services.passwords import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def people(app: Flask, clock: Clock, password_hash: str, store: Any, other_store: Any) -> dict[str, Any]:
    """Store managers of both stores, a regional manager and HQ (tests/hub/alerting.py: staff)."""
    from tests.hub.alerting import staff

    return staff(app, clock, password_hash, store, other_store)


@pytest.fixture
def inbox(app: Flask) -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that the app's alert emails go to."""
    from tests.hub.alerting import use_inbox
    from tests.support.mail import Inbox

    server = Inbox().start()
    use_inbox(app, server)
    yield server
    server.stop()


@pytest.fixture
def served(app) -> Iterator[str]:
    """The test app serving real HTTP on a free port (its clock stays the test's clock)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
