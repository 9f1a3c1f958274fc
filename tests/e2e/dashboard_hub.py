"""A real hub process for the dashboard browser tests and the XSS corpus: set up with the
voxloop command, people added through hub.services.users, served on 127.0.0.1 on SQLite or
PostgreSQL; and a real headless Chromium (Debian's, tests/support/browser.py) signed in through
the login form, watching for what a page must not do (errors, requests to other origins,
dialogs).

The hub, the test and the browser share one clock (tests/support/clock.py), a weekday morning
in Berlin unless the test picks another hour, so "today" and "yesterday" mean the same day to
each of them whatever the hour of the run."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.processes import free_port, hub_app, running, wait_for
from tests.e2e.test_alert_delivery import signed_in
from tests.support.browser import chromium  # noqa: F401 (the dashboards' tests take it from here)
from tests.support.clock import STORE_OPEN, ProcessClock

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "dashboards"
VOXLOOP = str(Path(sys.executable).with_name("voxloop"))
PASSWORD = "dashboard password 123"
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}


@dataclass
class DashboardHub:
    base: str
    env: dict[str, str]
    cwd: Path
    engine: str  # sqlite | pg
    database_url: str | None
    clock: ProcessClock  # the hub's, shared with the test and its browsers

    def voxloop(self, *args: str) -> str:
        result = subprocess.run(
            [VOXLOOP, *args], env={**os.environ, **self.env}, cwd=self.cwd, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the hub's database directly (the independent side of a comparison)."""
        with hub_app(self.env):
            from hub.db import database

            return database.execute_sql(sql.replace("?", database.param), params).fetchall()

    def add_person(self, email: str, name: str, role: str, stores: tuple[str, ...] = ()) -> None:
        with hub_app(self.env):
            from hub.models import Store
            from hub.services.users import add_user

            chosen = list(Store.select().where(Store.code.in_(stores))) if stores else []
            add_user(email, name, role, PASSWORD, now=self.clock(), stores=chosen)

    def session(self, email: str) -> tuple[requests.Session, str]:
        """A requests session signed in through /login (as a browser would), and its CSRF token."""
        return signed_in(self.base, email, PASSWORD)


@contextmanager
def serving(
    request: pytest.FixtureRequest,
    cwd: Path,
    prepare: Callable[[DashboardHub], None],
    extra_env: dict[str, str] | None = None,
    with_jobs: bool = False,
    clock: ProcessClock | None = None,
) -> Iterator[DashboardHub]:
    """`hub init`, ``prepare`` (seed, people), then `hub serve` until the block ends; on the
    database of ``request.param`` (sqlite or postgres, a fresh database each), on ``clock``
    (a Wednesday 11:00 in Berlin unless given)."""
    port = free_port()
    clock = clock or ProcessClock.starting_at(STORE_OPEN)
    env = {
        **clock.env,
        "VOXLOOP_INSTANCE_PATH": str(cwd / "instance"),
        "VOXLOOP_SECRET_KEY": "e2e-dashboard-secret",
        "VOXLOOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "VOXLOOP_LANGUAGE": "en",  # the browser tests read the English texts
        **(extra_env or {}),
    }
    database_url = None
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        if server is None:
            request.getfixturevalue("postgres_url")  # skips or fails with the reason
        database_url = env["VOXLOOP_DATABASE_URL"] = server.create_database(f"dash_{secrets.token_hex(4)}")
    hub = DashboardHub(f"http://127.0.0.1:{port}", env, cwd, "pg" if database_url else "sqlite", database_url, clock)
    hub.voxloop("hub", "init")
    prepare(hub)
    log = cwd / "hub.log"
    command = [VOXLOOP, "hub", "serve", "--port", str(port), "--with-jobs" if with_jobs else "--without-jobs"]
    with running(command, cwd=cwd, env=env, log=log):
        wait_for(lambda: requests.get(hub.base + "/healthz", timeout=2).ok, 60, "the hub", log)
        yield hub


@dataclass
class Viewer:
    """A signed-in browser context and what its pages did that they must not."""

    hub: DashboardHub
    context: Any
    role: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("request", lambda r: None if r.url.startswith((self.hub.base, "data:")) else self.foreign.append(r.url))
        return page

    @contextmanager
    def opened(self, path: str) -> Iterator[tuple[Any, int]]:
        """A new page at ``path`` (loaded), with the HTTP status; closed after the block."""
        page = self.new_page()
        try:
            answer = page.goto(self.hub.base + path)
            page.wait_for_load_state("load")
            yield page, answer.status
        finally:
            page.close()

    def _console(self, page: Any, message: Any) -> None:
        # the browser asks for /favicon.ico by itself; a hub without one is no page error
        if message.type == "error" and not (message.location or {}).get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"{page.url}: {message.text}")

    def clear(self) -> None:
        self.dialogs.clear()
        self.errors.clear()
        self.foreign.clear()

    def screenshot(self, page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.hub.engine}-{self.role}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def new_context(browser: Any, hub: DashboardHub, **options: Any) -> Any:
    """A browser context whose pages live on the hub's clock (what a page dates, it dates then)."""
    context = browser.new_context(**options)
    context.set_default_timeout(15000)
    context.clock.set_system_time(hub.clock())
    return context


def sign_in(browser: Any, hub: DashboardHub, email: str, role: str) -> Viewer:
    """A browser context signed in through the login form."""
    context = new_context(browser, hub, **DESKTOP)
    viewer = Viewer(hub, context, role)
    page = viewer.new_page()
    page.goto(hub.base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url, f"{email} could not sign in"
    page.close()
    viewer.clear()
    return viewer


def cookie_session(viewer: Viewer) -> requests.Session:
    """A requests session with the browser's cookies (the same signed-in person)."""
    session = requests.Session()
    for cookie in viewer.context.cookies():
        session.cookies.set(cookie["name"], cookie["value"], domain=cookie["domain"], path=cookie["path"])
    return session


def table(page: Any, selector: str) -> list[list[str]]:
    """A table's body as rows of cell texts (also inside a closed <details>)."""
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map((r) => [...r.cells].map((c) => c.textContent.replace(/\\s+/g, ' ').trim()))",
    )
