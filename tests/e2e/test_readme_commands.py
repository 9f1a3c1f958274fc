"""The README's two commands, run in a fresh clone as a newcomer would."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
import requests

from tests.e2e.processes import free_port, running, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("clone") / "voxloop"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    return target


def test_readme_names_both_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "scripts/demo" in readme
    assert "scripts/test" in readme
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_demo_command_serves_a_hub_with_demo_data(fresh_clone: Path) -> None:
    port = free_port()
    log = fresh_clone / "demo.log"
    with running(["scripts/demo", "--port", str(port), "--days", "2"], cwd=fresh_clone, env={}, log=log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: requests.get(f"{base}/healthz", timeout=2).status_code == 200, 600, "the demo hub", log)
        assert requests.get(f"{base}/healthz", timeout=5).json() == {"status": "ok", "database": "sqlite"}
        assert "voxloop hub" in requests.get(base + "/", timeout=5).text
        assert process.poll() is None
    output = log.read_text()
    assert f"voxloop demo hub: http://127.0.0.1:{port}/" in output
    assert "demo store B001 Berlin Mitte:" in output
    assert "HQ admin:" in output
    with sqlite3.connect(fresh_clone / "var" / "voxloop.db") as db:
        per_store = "SELECT s.code, COUNT(*) FROM response r JOIN store s ON s.id = r.store_id GROUP BY s.code"
        stores = dict(db.execute(per_store).fetchall())
    # the two live demo stores, fed by their demo terminals, and the seeded fleet of eight
    assert set(stores) == {"B001", "H002"} | {f"S{i:03d}" for i in range(1, 9)}
    assert all(n >= 40 for n in stores.values())
    assert "demo fleet: 8 stores" in output


def test_test_command_sets_up_and_runs_tests(fresh_clone: Path) -> None:
    result = subprocess.run(
        ["scripts/test", "tests/shared", "-q", "-p", "no:cacheprovider"],
        cwd=fresh_clone,
        capture_output=True,
        text=True,
        timeout=1500,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
