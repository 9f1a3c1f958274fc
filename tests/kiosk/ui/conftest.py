"""The terminal's UI under test: the real Kivy app in an offscreen SDL window (Mesa llvmpipe).

Kivy allows one window per process, so every scenario runs in its own process (drive.py) and
reports facts as JSON; the tests assert on those facts and on the database the app wrote.
Screenshots land in test-artifacts/kiosk/. Without Mesa/SDL no window can be created: the
tests skip loudly (and fail where VOXLOOP_REQUIRE_ALL=1, as in CI).

Some tests here import kiosk.app itself (the pure parts); Kivy reads these at import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, missing_system_package

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # leave the root logger to pytest
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="voxloop-kivy-"))

DRIVE = Path(__file__).with_name("drive.py")
SYSTEM_PACKAGES = "libgl1-mesa-dri libegl1 libgles2 libsdl2-2.0-0 libmtdev1"


def drive(
    scenario: str,
    data_dir: Path,
    *,
    size: str = "800x480",
    config: dict[str, Any] | None = None,
    name: str | None = None,
    env: dict[str, str] | None = None,
) -> dict:
    """Run one scenario of drive.py in its own process and return what it reported; ``env``:
    more environment (a deployment's clock)."""
    command = [sys.executable, str(DRIVE), scenario, "--data-dir", str(data_dir), "--size", size]
    command += ["--name", name or scenario]
    command += ["--config", json.dumps(config or {})]
    environment = {**os.environ, **(env or {})}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=environment)
    line = next((x for x in done.stdout.splitlines() if x.startswith("DRIVE-RESULT ")), None)
    if line is None:
        pytest.fail(
            f"drive.py {scenario} reported nothing (exit {done.returncode})\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}",
            pytrace=False,
        )
    facts = json.loads(line.removeprefix("DRIVE-RESULT "))
    if not facts.get("window"):
        missing_system_package(f"no offscreen OpenGL window could be created (apt-get install {SYSTEM_PACKAGES})")
    if "error" in facts:
        pytest.fail(f"drive.py {scenario} failed:\n{facts['error']}\n{done.stderr[-3000:]}", pytrace=False)
    return facts


def stored(data_dir: Path) -> list[dict[str, Any]]:
    """Every response the terminal stored, oldest first (demo mode keeps them in demo.db)."""
    from kiosk.identity import demo_database_path
    from kiosk.local_store import LocalStore

    store = LocalStore(demo_database_path(data_dir))
    try:
        return [row["response"] for row in store.export()]
    finally:
        store.close()


class Run:
    """One scenario's outcome: what the driver saw, and what ended up in the database."""

    def __init__(self, facts: dict[str, Any], data_dir: Path) -> None:
        self.facts, self.data_dir = facts, data_dir

    def __getitem__(self, key: str) -> Any:
        return self.facts[key]

    @property
    def responses(self) -> list[dict[str, Any]]:
        return stored(self.data_dir)


@pytest.fixture(scope="module")
def run_scenario(tmp_path_factory: pytest.TempPathFactory):
    """``run_scenario(name, size=..., config=...)`` -> Run; module-scoped, so several tests can
    each check one behaviour of one run."""

    def run(scenario: str, **options: Any) -> Run:
        data_dir = tmp_path_factory.mktemp(scenario)
        return Run(drive(scenario, data_dir, **options), data_dir)

    return run
