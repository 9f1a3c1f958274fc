"""An erasure in a real run: a terminal sends responses with a contact (and a comment naming
it) to a real hub process while its jobs process runs, then ``voxloop hub erase`` removes it.
Afterwards no log line of the hub, the jobs or the command names the address, and on SQLite
neither the database file nor its WAL holds it or its sealed form; on PostgreSQL the rows no
longer hold it (the dead tuples are VACUUM's, not byte-checked)."""

from __future__ import annotations

import base64
import os
import subprocess
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from kiosk.sync_worker import Backoff
from kiosk.terminal import Terminal
from tests.e2e.processes import running, wait_for
from tests.kiosk import test_sync_against_hub as synced
from tests.kiosk.hub_process import VOXLOOP
from tests.kiosk.test_sync_against_hub import Clock

pytestmark = pytest.mark.e2e

hub_templates = synced.hub_templates  # set up once per engine and run
hub = synced.hub  # a running hub, on SQLite and on PostgreSQL, made from a set-up template

ADDRESS = "erika.mustermann@example.org"


def test_an_erasure_leaves_the_address_in_no_log_line_and_no_byte_of_the_database(hub, tmp_path):
    hub.enroll(tmp_path / "kiosk")
    terminal = Terminal.open(
        tmp_path / "kiosk", session=requests.Session(), clock=Clock(datetime.now(UTC)), backoff=Backoff(0.05, 0.2)
    )
    contact = {"address": ADDRESS, "consent": True}
    for comment in (f"Rufen Sie mich an: {ADDRESS}", "Zu lange gewartet"):
        answers = [
            {"question": "rating", "kind": "smiley", "value": 1},
            {"question": "comment", "kind": "text", "value": comment},
        ]
        terminal.capture(answers, "de", contact=contact)
    with ExitStack() as stack:
        jobs_log = tmp_path / "jobs.log"
        stack.enter_context(running([VOXLOOP, "hub", "jobs"], cwd=hub.workdir, env=hub.env, log=jobs_log))
        wait_for(lambda: "voxloop jobs running" in jobs_log.read_text(), 60, "the jobs process starting", jobs_log)
        assert terminal.worker.run_once(terminal.clock()).ok
        sealed = [bytes(s) for (s,) in hub.sql("SELECT contact_sealed FROM response WHERE contact_sealed IS NOT NULL")]
        assert len(sealed) == 2

        erased = subprocess.run(
            [VOXLOOP, "hub", "erase", "--contact", "-"],
            input=ADDRESS + "\n",
            env={**os.environ, **hub.env},
            cwd=hub.workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert erased.returncode == 0, erased.stderr
        assert "erased the contact of 2 responses, 2 comments" in erased.stdout
    hub.stop()  # the last connection closes: SQLite checkpoints what is left in the WAL

    logs = [erased.stdout, erased.stderr] + [p.read_text() for p in sorted(tmp_path.glob("*.log"))]
    # what is scanned is what the processes wrote: the hub's start, the jobs' whole run
    assert "voxloop hub on" in "".join(p.read_text() for p in tmp_path.glob("hub-*.log"))
    assert "voxloop jobs stopped" in jobs_log.read_text()
    assert not [line for text in logs for line in text.splitlines() if ADDRESS.casefold() in line.casefold()]
    assert hub.sql("SELECT COUNT(*) FROM response WHERE contact_sealed IS NOT NULL") == [(0,)]
    assert hub.sql("SELECT COUNT(*) FROM answer WHERE text LIKE ?", (f"%{ADDRESS}%",)) == [(0,)]
    if hub.engine == "sqlite":
        path = Path(hub.env["VOXLOOP_DATABASE_URL"].removeprefix("sqlite:///"))
        wal = Path(f"{path}-wal")
        data = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        for trace in [ADDRESS.encode()] + [t for s in sealed for t in (s, s.hex().encode(), base64.b64encode(s))]:
            assert trace not in data
