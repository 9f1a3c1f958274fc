"""The hub's pages measured in-process for the benches: an app on a cached database with an
instance folder of its own, Flask's test client signed in as a person, and the timing of a run
(so the figures are the hub's work without HTTP)."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient


class cached_app:
    """The hub's app on the cached SQLite database ``path`` (English pages), with an instance
    folder of its own that goes when the block ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.folder = tempfile.TemporaryDirectory()

    def __enter__(self) -> Flask:
        from hub import create_app

        return create_app(
            {
                "DATABASE_URL": f"sqlite:///{self.path}",
                "INSTANCE_PATH": self.folder.name,
                "SECRET_KEY": "bench-pages",
                "LANGUAGE": "en",
            }
        )

    def __exit__(self, *_: object) -> None:
        self.folder.cleanup()


def signed_in(app: Flask, email: str, password: str) -> FlaskClient:
    """A test client signed in through the login form, as a browser would be."""
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if answer.status_code != 302:
        raise SystemExit(f"signing in failed: {answer.status_code}")
    return client


def page(client: FlaskClient, url: str) -> Callable[[], None]:
    """A run that asks for ``url`` and stops the bench unless it answers 200."""

    def run() -> None:
        got = client.get(url)
        if got.status_code != 200:
            raise SystemExit(f"{url} answered {got.status_code}")

    return run


def timed(run: Callable[[], Any], repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` runs, after one to warm."""
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 0.1 else f"{seconds * 1000:.0f}"
