"""Real processes for end-to-end tests: start, wait until they answer, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} did not happen within {timeout} s\n{tail}")


@contextmanager
def running(command: Sequence[str], *, cwd: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run ``command`` in its own process group; on exit stop the whole group."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@contextmanager
def hub_app(env: dict[str, str]) -> Iterator[None]:
    """The app of a hub process's database (from its VOXLOOP_* ``env``), opened on this side
    for what no command does, such as adding people or counting rows."""
    from hub import create_app
    from hub.db import database

    config = {"INSTANCE_PATH": env["VOXLOOP_INSTANCE_PATH"], "SECRET_KEY": env["VOXLOOP_SECRET_KEY"]}
    for key in ("DATABASE_URL", "CLOCK_START", "CLOCK_ANCHOR", "LANGUAGE"):  # the same database, hour, language
        if f"VOXLOOP_{key}" in env:
            config[key] = env[f"VOXLOOP_{key}"]
    with create_app(config).app_context():
        database.connect(reuse_if_open=True)
        try:
            yield
        finally:
            database.close()
            if hasattr(database.obj, "close_all"):
                database.obj.close_all()
