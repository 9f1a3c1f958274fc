"""Fixtures of the admin page specifications: a client signed in as a given person, whose
``post`` sends the session's CSRF token like the pages' forms do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.hub.alerting import sign_in_as


@dataclass
class Browser:
    """A signed-in person's client; ``post`` sends the form with the session's CSRF token."""

    client: FlaskClient
    csrf: str

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(url, data={**(data or {}), "csrf_token": self.csrf}, **kwargs)

    def text(self, url: str) -> str:
        answer = self.client.get(url)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
        return answer.get_data(as_text=True)


@pytest.fixture
def browser_for(app: Any, people: dict[str, Any]) -> Any:
    """``browser_for("mia")``: a fresh client signed in as one of the people."""

    def make(name: str) -> Browser:
        client = app.test_client()
        return Browser(client, sign_in_as(client, people[name]))

    return make


@pytest.fixture
def admin(browser_for: Any) -> Browser:
    return browser_for("admin")
