"""Phone page fixtures on top of the hub's (tests/hub/conftest.py): every test here runs on
SQLite and on PostgreSQL. app -> store -> a touchpoint's token -> a phone that sends."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import create_app
from hub.services.qr_tokens import QrKeys, make_phone_token
from mobile_web import tickets
from shared.ids import uuid7
from shared.protocol import format_time
from tests.hub import conftest as hub_fixtures
from tests.hub.conftest import Clock, rows

# the hub's fixtures, shared (tests/hub/conftest.py): app -> client, clock, store, other_store
app = hub_fixtures.app
client = hub_fixtures.client
clock = hub_fixtures.clock
store = hub_fixtures.store
other_store = hub_fixtures.other_store

SECRET = "test-secret-key"  # the hub fixture's SECRET_KEY


@pytest.fixture
def configured(database_url: str, tmp_path: Path, clock: Clock, app: Flask):
    """Another hub app on the same database with other settings (as another process would be)."""

    def make(**config: Any) -> Flask:
        return create_app(
            {
                "DATABASE_URL": database_url,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "SECRET_KEY": SECRET,
                "CLOCK": clock,
                **config,
            }
        )

    return make


def phone_token(receipt: str | None = None, expires: datetime | None = None, **config: Any) -> str:
    keys = QrKeys.from_config({"SECRET_KEY": SECRET, **config})
    return make_phone_token(keys, "B001", "exit", receipt=receipt, expires=expires)


def ticket(token: str, served_at: datetime, secret: str = SECRET) -> str:
    return tickets.make_ticket(secret, hashlib.sha256(token.encode()).hexdigest(), served_at)


@dataclass
class TestPhone:
    """A phone talking to the hub the way phone.js does: one response id, the whole response so
    far after every answer, with the page's ticket."""

    client: FlaskClient
    clock: Clock
    token: str
    served_at: datetime | None = None
    id: str = ""
    answers: list[dict[str, Any]] = field(default_factory=list)
    address: str = "198.51.100.7"
    tickets: dict[datetime, str] = field(default_factory=dict)  # one page, one ticket

    __test__ = False

    def __post_init__(self) -> None:
        self.id = self.id or uuid7(self.clock(), secrets.token_bytes(10))
        self.served_at = self.served_at or self.clock()
        self.captured_at = format_time(self.clock())

    def version(self, *answers: dict[str, Any], partial: bool = True, **extra: Any) -> dict[str, Any]:
        item = {
            "id": self.id,
            "v": 1,
            "channel": "qr",
            "store": "B001",
            "touchpoint": "exit",
            "survey": "exit",
            "survey_version": 1,
            "captured_at": self.captured_at,
            "locale": "en",
            "answers": list(answers),
        }
        if partial:
            item["flags"] = ["partial"]
        item.update(extra)
        return item

    def put(self, item: dict[str, Any], *, with_ticket: bool = True, **headers: str) -> Any:
        page = self.tickets.setdefault(self.served_at, ticket(self.token, self.served_at))
        body = {"response": item, "ticket": page if with_ticket else None}
        return self.client.put(
            f"/api/v1/phone/{self.token}/responses/{item['id']}",
            data=json.dumps(body),
            content_type="application/json",
            headers=headers,
            environ_base={"REMOTE_ADDR": self.address},
        )


@pytest.fixture
def phone(client: FlaskClient, clock: Clock, store: Any) -> TestPhone:
    """A phone whose page was served five minutes ago: a person's pace."""
    return TestPhone(client, clock, phone_token(), served_at=clock() - timedelta(minutes=5))


RATING = {"question": "rating", "kind": "smiley", "value": 2}
REASON = {"question": "reason", "kind": "choice", "value": ["queue", "staff"]}
NPS = {"question": "nps", "kind": "nps", "value": 3}
COMMENT = {"question": "comment", "kind": "text", "value": "The queue was long"}


def stored(app: Flask, response_id: str) -> dict[str, Any]:
    [(flags, content_hash, sealed, locale)] = rows(
        app, "SELECT flags, content_hash, contact_sealed, locale FROM response WHERE id = ?", (response_id,)
    )
    answers = rows(app, "SELECT question, number, text FROM answer WHERE response_id = ?", (response_id,))
    return {
        "flags": flags.split(),
        "hash": content_hash,
        "sealed": bytes(sealed) if sealed is not None else None,
        "locale": locale,
        "answers": sorted(answers, key=repr),
    }


def rollups(app: Flask) -> dict[tuple[str, str], int]:
    """rollup_daily of the phone channel as {(question, value): count}."""
    return {
        (question, value): n
        for question, value, n in rows(app, "SELECT question, value, count FROM rollup_daily WHERE channel = 'qr'")
    }


def page_boot(html: str) -> dict[str, Any]:
    """The JSON the page hands its script."""
    match = re.search(r'<script type="application/json" id="boot">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))
