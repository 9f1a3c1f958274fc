"""A BI tool's load: the plain ``requests`` script examples/analytics_load.py, run as its own
process with a store manager's API token against a hub serving HTTP, pages through the daily
figures and the raw responses and gets every row of the manager's store exactly once."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from hub.services import api_tokens
from tests.hub.analytics_data import feedback, send
from tests.hub.conftest import connected, rows

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "analytics_load.py"
DAYS = [(date(2026, 11, d), d % 11, [4, 3, 1, 2, 4][: 2 + d % 4]) for d in range(1, 23)]


def test_a_requests_script_with_a_token_loads_every_row_of_its_persons_stores(
    app, clock, people, terminal, other_terminal, served, tmp_path
):
    send(terminal, feedback(terminal, DAYS))
    send(other_terminal, feedback(other_terminal, DAYS[:5]))
    with connected(app):
        _row, token = api_tokens.make_token(people["mia"], "BI load", ["analytics:read"], now=clock())

    arguments = ["--hub", served, "--from", "2026-11-01", "--to", "2026-11-23", "--out", str(tmp_path), "--limit", "7"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        env={**os.environ, "VOXLOOP_API_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    held = rows(app, "SELECT response.id FROM response JOIN store ON store.id = response.store_id WHERE code = 'B001'")
    with (tmp_path / "answers.csv").open(encoding="utf-8") as source:
        loaded = list(csv.DictReader(source))
    assert sorted({r["response"] for r in loaded}) == sorted(str(r[0]) for r in held)
    assert {r["store"] for r in loaded} == {"B001"}
    with (tmp_path / "daily.csv").open(encoding="utf-8") as source:
        days = list(csv.DictReader(source))
    assert sorted(r["day"] for r in days) == [f"2026-11-{d:02d}" for d in range(1, 23)]
    assert f"{len(held)} responses in {-(-len(held) // 7)} pages" in done.stdout
