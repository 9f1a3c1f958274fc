"""A real hub process for the terminal's tests, set up with the voxloop command (as in
tests/e2e/test_terminal_sync.py), and a proxy in front of it that can misbehave.

``Hub`` starts and stops ``voxloop hub serve`` on 127.0.0.1, enrolls terminals with
``voxloop kiosk enroll``, snapshots its database (a backup) and reads it with plain SQL. Setting
a hub up takes a few processes, so a test session sets one up per engine (``Hub.template``) and
each test gets a copy of its database.
``FlakyProxy`` forwards to the hub, or answers as a failing hub or a broken proxy would.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import threading
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.e2e.processes import free_port, running, wait_for

VOXLOOP = str(Path(sys.executable).with_name("voxloop"))


@dataclass(frozen=True)
class HubTemplate:
    """A hub database set up once (``hub init``, store B001, an enrollment code) for tests to
    copy: every copy holds the same unused single-use code."""

    database_url: str
    code: str
    postgres: Any = None


class Hub:
    def __init__(self, workdir: Path, *, postgres: Any = None, template: HubTemplate | None = None) -> None:
        self.workdir = workdir
        self.postgres = postgres  # a tests.support.postgres.TemporaryPostgres, or None for SQLite
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            "VOXLOOP_INSTANCE_PATH": str(workdir / "hub-instance"),
            "VOXLOOP_SECRET_KEY": "kiosk-test-secret",
            "VOXLOOP_PUBLIC_URL": self.base,
        }
        if postgres is not None:
            self.env["VOXLOOP_DATABASE_URL"] = postgres.create_database(f"kiosk_{secrets.token_hex(4)}")
        else:
            self.env["VOXLOOP_DATABASE_URL"] = f"sqlite:///{workdir / 'hub-instance' / 'voxloop.db'}"
        self._stack: ExitStack | None = None
        self._starts = 0
        self._unused_codes: list[str] = []
        if template is not None:
            self._copy(template)

    @classmethod
    def template(cls, workdir: Path, *, postgres: Any = None) -> HubTemplate:
        hub = cls(workdir, postgres=postgres)
        hub.set_up()
        output = hub.voxloop("hub", "enroll-code", "--store", "B001", "--no-qr")
        return HubTemplate(hub.env["VOXLOOP_DATABASE_URL"], _code_in(output), postgres)

    def _copy(self, template: HubTemplate) -> None:
        url = self.env["VOXLOOP_DATABASE_URL"]
        if self.postgres is None:
            target = Path(url.removeprefix("sqlite:///"))
            target.parent.mkdir(parents=True, exist_ok=True)
            source_path = template.database_url.removeprefix("sqlite:///")
            with closing(sqlite3.connect(source_path)) as source, closing(sqlite3.connect(target)) as copy:
                source.backup(copy)
        else:
            import psycopg

            database = url.rsplit("/", 1)[1]
            with psycopg.connect(self.postgres.url, autocommit=True) as db:
                db.execute(f'DROP DATABASE "{database}"')
                db.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template.database_url.rsplit("/", 1)[1]}"')
        self._unused_codes.append(template.code)

    @property
    def engine(self) -> str:
        return "sqlite" if self.postgres is None else "postgres"

    # --- the process --------------------------------------------------------------------------

    def voxloop(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [VOXLOOP, *args],
            env={**os.environ, **(self.env if env is None else env)},
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def set_up(self) -> Hub:
        self.voxloop("hub", "init")
        self.voxloop("hub", "add-store", "B001", "Berlin Mitte", "--time-zone", "Europe/Berlin")
        return self

    def start(self) -> None:
        assert self._stack is None, "the hub is running"
        self._starts += 1
        log = self.workdir / f"hub-{self._starts}.log"
        self._stack = ExitStack()
        process = self._stack.enter_context(
            running([VOXLOOP, "hub", "serve", "--port", str(self.port)], cwd=self.workdir, env=self.env, log=log)
        )

        def answers() -> bool:
            if process.poll() is not None:  # e.g. the port was taken meanwhile: say so at once
                raise AssertionError(f"the hub exited ({process.returncode}):\n{log.read_text(errors='replace')}")
            return requests.get(self.base + "/healthz", timeout=2).ok

        try:
            wait_for(answers, 60, "the hub to answer", log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    # --- terminals ----------------------------------------------------------------------------

    def enroll(self, data_dir: Path, *, hub_url: str | None = None) -> str:
        """Enroll a terminal of store B001 into ``data_dir``; returns its device id."""
        if self._unused_codes:
            code = self._unused_codes.pop()
        else:
            code = _code_in(self.voxloop("hub", "enroll-code", "--store", "B001", "--no-qr"))
        self.voxloop("kiosk", "enroll", "--hub", self.base, "--code", code, "--data-dir", str(data_dir), env={})
        device_id = json.loads((data_dir / "terminal.json").read_text())["device_id"]
        if hub_url is not None:  # reach the hub through another address (a proxy) from now on
            record = json.loads((data_dir / "terminal.json").read_text())
            (data_dir / "terminal.json").write_text(json.dumps({**record, "hub": hub_url}))
        return device_id

    # --- its database -------------------------------------------------------------------------

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        url = self.env["VOXLOOP_DATABASE_URL"]
        if self.postgres is None:
            with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=10)) as db, db:
                return db.execute(query, params).fetchall()
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            cursor = db.execute(query.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def count(self, device_id: str) -> int:
        return self.sql("SELECT COUNT(*) FROM response WHERE terminal_id = ?", (device_id,))[0][0]

    def snapshot(self, name: str) -> str:
        """A backup of the database as it is now (the hub is stopped); returns its URL."""
        assert self._stack is None, "stop the hub before taking the backup"
        url = self.env["VOXLOOP_DATABASE_URL"]
        if self.postgres is None:
            copy = self.workdir / f"{name}.db"
            with (
                closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as source,
                closing(sqlite3.connect(copy)) as target,
            ):
                source.backup(target)
            return f"sqlite:///{copy}"
        import psycopg

        database = url.rsplit("/", 1)[1]
        copy = f"{database}_{name}"
        with psycopg.connect(self.postgres.url, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{database}"')
        return url.rsplit("/", 1)[0] + "/" + copy

    def restore(self, snapshot_url: str) -> None:
        """Put a backup in place of the database (the hub is stopped)."""
        assert self._stack is None, "stop the hub before restoring"
        url = self.env["VOXLOOP_DATABASE_URL"]
        if self.postgres is None:
            path = Path(url.removeprefix("sqlite:///"))
            incoming = path.with_name(path.name + ".restoring")
            shutil.copyfile(snapshot_url.removeprefix("sqlite:///"), incoming)
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            os.replace(incoming, path)  # a new file, as a restore from a backup makes
        else:
            self.env["VOXLOOP_DATABASE_URL"] = snapshot_url


def _code_in(output: str) -> str:
    return re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)


class FlakyProxy:
    """A reverse proxy on 127.0.0.1 in front of ``upstream``. ``mode``:

    * ``"pass"`` -- forward every request and answer;
    * ``"500"`` -- answer 500 with the hub's problem details (a hub that fails);
    * ``"html"`` -- answer 502 with an HTML page (a proxy whose hub is gone);
    * ``"corrupt_config"`` -- forward, but replace the body of a ``GET /api/v1/config`` answer
      with a configuration that lacks its survey.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.requests = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._handle(self)

            def do_POST(self) -> None:
                proxy._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        self.requests += 1
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if self.mode == "500":
            payload = {
                "type": "https://voxloop.org/problems/internal_error",
                "title": "The hub failed.",
                "status": 500,
                "code": "internal_error",
                "detail": "The hub failed; nothing was stored.",
            }
            return self._answer(
                handler, 500, json.dumps(payload).encode(), {"Content-Type": "application/problem+json"}
            )
        if self.mode == "html":
            page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
            return self._answer(handler, 502, page, {"Content-Type": "text/html"})
        headers = {
            k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length", "connection")
        }
        reply = requests.request(handler.command, self.upstream + handler.path, data=body, headers=headers, timeout=30)
        content = reply.content
        if self.mode == "corrupt_config" and handler.path == "/api/v1/config" and reply.status_code == 200:
            config = reply.json()
            del config["survey"]
            content = json.dumps(config).encode()
        passed = {k: v for k, v in reply.headers.items() if k.lower() in ("content-type", "etag", "cache-control")}
        return self._answer(handler, reply.status_code, content, passed)

    @staticmethod
    def _answer(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes, headers: dict) -> None:
        handler.send_response(status)  # adds Date and Server
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
