"""People's pages carry a strict Content-Security-Policy (no script, only the templates' own
styles), refuse framing, keep the Referer on the hub and are never stored by a cache; the session
cookie has the hub's name. The phone page keeps its own policy."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from hub.page_headers import style_hashes
from tests.hub.conftest import ADMIN_PASSWORD
from tests.hub.test_dashboards import sign_in
from tests.mobile_web.conftest import phone_token


@pytest.fixture
def hq(client):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    return client


def directives(answer) -> dict[str, str]:
    policy = answer.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def sha256_source(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


@pytest.mark.parametrize("path", ["/login", "/dashboard", "/cases", "/account", "/admin/stores"])
def test_peoples_pages_have_a_strict_policy_without_framing(hq, path):
    answer = hq.get(path)
    assert answer.status_code == 200
    policy = directives(answer)
    assert policy["script-src"] == "script-src 'none'"
    assert policy["default-src"] == "default-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["object-src"] == "object-src 'none'" and policy["base-uri"] == "base-uri 'none'"
    assert "'unsafe-inline'" not in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "same-origin"


def test_every_style_a_page_renders_is_allowed_by_its_hash(hq):
    html = hq.get("/dashboard").get_data(as_text=True)
    styles = directives(hq.get("/dashboard"))["style-src"]
    rendered = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S) + re.findall(r'\sstyle="([^"]*)"', html)
    assert rendered
    assert all(sha256_source(style) in styles for style in rendered)


def test_a_style_not_in_the_templates_is_not_allowed(app):
    allowed = style_hashes(Path(app.root_path) / "templates")
    assert len(allowed) > 10
    assert sha256_source("background: url(https://evil.example/leak)") not in allowed


@pytest.mark.parametrize("path", ["/cases", "/account", "/dashboard", "/dashboard.csv", "/dashboard/comments.json"])
def test_personal_data_and_exports_are_never_cached(hq, path):
    answer = hq.get(path)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_has_the_hubs_name(app, client):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    assert app.config["SESSION_COOKIE_NAME"] == "voxloop_session"
    assert client.get_cookie("voxloop_session") is not None
    assert client.get_cookie("session") is None


def test_the_phone_page_keeps_its_own_policy(client, store):
    answer = client.get(f"/m/{phone_token()}")
    assert answer.status_code == 200
    assert "require-trusted-types-for 'script'" in answer.headers["Content-Security-Policy"]
