"""The README's commands, run in a fresh clone as a newcomer would: `scripts/demo`, the
terminal's commands against the hub it serves, and `scripts/test`.

The demo runs on a clock of its own (VOXLOOP_CLOCK_START), so what it shows does not depend on
the hour of the run: on a Wednesday morning in Berlin, when every store is open, it serves,
prints every link on the port it was given, dates its demo feedback inside the stores' opening
hours, names every store apart, finds the fleet's planted drop, and its jobs mail the alert for
a rating of 1 sent through the signed sync API to its mail catcher; on a Sunday at 03:00 its
feedback still lies in the opening hours of the days before, and its alerts wait for Monday's
opening."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from hub.services.alerts.opening_hours import is_open
from hub.services.catalog import DEFAULT_OPENING_HOURS
from shared.protocol import make_batch
from tests.e2e.processes import free_port, running, wait_for
from tests.e2e.test_alert_delivery import bad_rating, enrolled_terminal, signed_in
from tests.support.clock import STORE_OPEN, ProcessClock

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e

SUNDAY_NIGHT = datetime(2026, 11, 29, 3, 0, tzinfo=ZoneInfo("Europe/Berlin"))
ENROLL_CODE = r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}"


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("clone") / "voxloop"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    return target


@dataclass
class Demo:
    """A running `scripts/demo` and what it was started with."""

    base: str
    env: dict[str, str]  # its instance path and clock, as the shell that started it had them
    clock: ProcessClock
    instance: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def rows(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.instance / "voxloop.db") as db:
            return db.execute(sql).fetchall()


@contextmanager
def demo_running(clone: Path, tmp_path: Path, start: datetime, *args: str) -> Iterator[Demo]:
    port = free_port()
    clock = ProcessClock.starting_at(start)
    instance = tmp_path / "var"
    env = {**clock.env, "VOXLOOP_INSTANCE_PATH": str(instance)}
    log = tmp_path / "demo.log"
    with running(["scripts/demo", "--port", str(port), *args], cwd=clone, env=env, log=log) as process:
        demo = Demo(f"http://127.0.0.1:{port}", env, clock, instance, log)
        wait_for(lambda: requests.get(f"{demo.base}/healthz", timeout=2).status_code == 200, 600, "the demo hub", log)
        wait_for(lambda: "Ctrl-C stops the hub." in demo.output(), 30, "the demo's welcome", log)
        yield demo
        assert process.poll() is None, demo.output()[-3000:]


def shell(line: str, *, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, f"{line}\n{result.stdout}{result.stderr}"
    return result.stdout


def readme_commands(heading: str) -> list[str]:
    """The commands of the first shell block under ``heading`` in the README, comments cut."""
    text = (ROOT / "README.md").read_text()
    block = re.search(rf"^## {re.escape(heading)}\n.*?```sh\n(.*?)```", text, re.S | re.M).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def assert_links_on(output: str, base: str) -> None:
    links = re.findall(r"https?://\S+", output)
    assert len(links) >= 10
    assert all(link.startswith(base) for link in links), [link for link in links if not link.startswith(base)]
    assert ":8000" not in output


def assert_feedback_in_opening_hours(demo: Demo) -> int:
    """Every stored response lies in its store's opening hours, in the store's local time."""
    rows = demo.rows(
        "SELECT s.code, s.time_zone, s.opening_hours, r.captured_at FROM response r JOIN store s ON s.id = r.store_id"
    )
    assert rows
    for code, zone, hours, captured in rows:
        at = datetime.fromisoformat(captured).replace(tzinfo=UTC)
        assert json.loads(hours), code  # no store is open around the clock by having no hours
        assert is_open(json.loads(hours), zone, at), f"{code}: {at.astimezone(ZoneInfo(zone))}"
    return len(rows)


def test_readme_names_both_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "scripts/demo" in readme
    assert "scripts/test" in readme
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_the_demo_shows_the_whole_loop_on_the_port_it_was_given(fresh_clone: Path, tmp_path: Path) -> None:
    with demo_running(fresh_clone, tmp_path, STORE_OPEN, "--days", "2") as demo:
        output = demo.output()
        assert f"voxloop demo hub: {demo.base}/" in output
        assert_links_on(output[output.index("voxloop demo hub:") :], demo.base)
        assert "voxloop hub" in requests.get(demo.base + "/", timeout=5).text

        # two live stores fed by their demo terminals and the seeded fleet, every one named apart
        per_store = dict(
            demo.rows("SELECT s.code, COUNT(*) FROM response r JOIN store s ON s.id = r.store_id GROUP BY 1")
        )
        assert set(per_store) == {"B001", "H002"} | {f"S{i:03d}" for i in range(1, 9)}
        assert all(n >= 40 for n in per_store.values())  # Monday and Tuesday, 20-45 taps a day
        assert "demo store B001 Berlin Friedrichshain:" in output and "demo fleet: 8 stores" in output
        names = [name for (name,) in demo.rows("SELECT name FROM store")]
        assert len(names) == 10 and len(set(names)) == 10, names
        hours = demo.rows("SELECT DISTINCT opening_hours FROM store WHERE code IN ('B001', 'H002')")
        assert [json.loads(h) for (h,) in hours] == [DEFAULT_OPENING_HOURS]  # Monday to Saturday, 08:00-20:00
        assert_feedback_in_opening_hours(demo)

        # the jobs run: the demo's own rating of 1 in B001 reached its store manager at once
        wait_for(
            lambda: re.search(r"mail \d+ to manager\.b001@demo\.voxloop: B001 [^:]+: Very unhappy", demo.output()),
            30,
            "the alert on the demo's own feedback",
            demo.log,
        )
        # ... and the signals job found the fleet's planted drop
        wait_for(lambda: demo.rows("SELECT COUNT(*) FROM signal")[0][0] > 0, 60, "a signal", demo.log)
        (drop_store,) = {code for (code,) in demo.rows("SELECT s.code FROM signal g JOIN store s ON s.id = g.store_id")}
        admin_email, admin_password = re.search(r"HQ admin:\s+(\S+) / (\S+)", output).groups()
        admin, _ = signed_in(demo.base, admin_email, admin_password)
        assert drop_store in admin.get(f"{demo.base}/dashboard/signals", timeout=10).text

        # a terminal of a fleet store sends a rating of 1 through the signed sync API (B001 and
        # H002 alerted on their own feedback a moment ago: their rules gather what follows into
        # the next email, 5 minutes on); the jobs mail it to the mail catcher within seconds
        terminal = enrolled_terminal(demo.base, demo.env, tmp_path, store="S001")
        comment = "Kasse zu, niemand da (demo e2e)"
        result = terminal.sync(make_batch([bad_rating("S001", 1, comment, demo.clock())]), now=demo.clock())
        assert result.body["results"][0]["status"] == "accepted"
        wait_for(
            lambda: re.search(r"mail \d+ to admin@demo\.voxloop: S001 [^:]+: Very unhappy customer", demo.output()),
            30,
            "the alert in the mail catcher",
            demo.log,
        )
        line = re.search(r"mail \d+ to admin@demo\.voxloop: S001 [^:]+: Very unhappy customer.*-> (\S+)", demo.output())
        kept = Path(line.group(1))
        assert kept.parent == demo.instance / "mail"
        text = kept.read_text(encoding="utf-8")
        assert comment in text and "To: admin@demo.voxloop" in text
        assert f"{demo.base}/cases/" in text  # the link to the case, on the demo's address
        assert kept.with_suffix(".eml").exists()


def test_the_terminal_commands_of_the_readme_work_against_the_demo(fresh_clone: Path, tmp_path: Path) -> None:
    """The demo's "add a terminal" line, then the README's terminal commands as printed (with
    the hub's address and the code filled in), in an empty directory. The clone has the hub's
    packages only, so the terminal's commands run with this checkout's environment, which has
    the terminal's too (`pip install '.[kiosk]'`); `kiosk run` needs a screen and is left out."""
    with demo_running(fresh_clone, tmp_path, STORE_OPEN, "--days", "1", "--fleet", "0") as demo:
        add = re.search(r"add a terminal: (.+)", demo.output()).group(1)
        made = shell(add, cwd=fresh_clone, env={**os.environ, **demo.env})
        hub, code = re.search(rf"voxloop kiosk enroll --hub (\S+) --code ({ENROLL_CODE})", made).groups()
        assert hub == demo.base

        place = tmp_path / "terminal"
        place.mkdir()
        env = {key: value for key, value in os.environ.items() if not key.startswith("VOXLOOP_")}
        env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
        commands = readme_commands("Running a terminal")
        assert commands[0].startswith("pip install") and any(c.startswith("voxloop kiosk run") for c in commands)
        said = {}
        for command in commands[1:]:
            if command.startswith("voxloop kiosk run"):
                continue
            filled = command.replace("https://your-hub", hub).replace("K7QM-2XHD-P9TA", code)
            said[command.split()[2]] = shell(filled, cwd=place, env=env)
        assert re.search(r"enrolled as \S+ for store B001 \(Berlin Friedrichshain\), touchpoint exit", said["enroll"])
        assert f"enrolled with {hub}" in said["status"]
        assert said["sync"].startswith("sync ok:")
        assert (place / "responses.jsonl").exists()
        assert (place / "var" / "kiosk" / "terminal.json").exists()  # the default --data-dir
        run_help = shell("voxloop kiosk run --help", cwd=place, env=env)
        assert "--windowed" in run_help and "--data-dir" in run_help
        seen = demo.rows("SELECT last_seen_at FROM terminal t JOIN store s ON s.id = t.store_id WHERE s.code = 'B001'")
        assert sum(1 for (at,) in seen if at) == 2  # the demo's own terminal and this one, heard from


def test_the_demo_on_a_sunday_night_dates_its_feedback_in_the_days_before(fresh_clone: Path, tmp_path: Path) -> None:
    with demo_running(fresh_clone, tmp_path, SUNDAY_NIGHT, "--days", "3", "--fleet", "0") as demo:
        assert_links_on(demo.output()[demo.output().index("voxloop demo hub:") :], demo.base)
        assert assert_feedback_in_opening_hours(demo) >= 2 * 3 * 20  # Thursday to Saturday, both stores
        days = {day for (day,) in demo.rows("SELECT DISTINCT local_day FROM response")}
        assert {str(day)[:10] for day in days} == {"2026-11-26", "2026-11-27", "2026-11-28"}
        # the alerts on the demo's own ratings of 1 wait for the stores to open on Monday
        alerts = demo.rows("SELECT state, deliver_after FROM outbox_message WHERE kind = 'alert'")
        assert alerts and {state for state, _ in alerts} == {"pending"}
        monday_eight = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
        assert {datetime.fromisoformat(at).replace(tzinfo=UTC) for _, at in alerts} == {monday_eight}
        time.sleep(1)  # the delivery job polls every 200 ms: nothing is due, nothing is sent
        assert not list((demo.instance / "mail").iterdir())
        assert "mail 1 " not in demo.output()


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
