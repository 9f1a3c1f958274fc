"""Fixtures for the whole suite: every hub test runs on SQLite and on PostgreSQL.

PostgreSQL is a real server started for the session (tests/support/postgres.py). Where a
system package a test needs is missing, the test skips with the reason locally; with
VOXLOOP_REQUIRE_ALL=1 (set by CI) it fails instead, so CI never passes on a skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.clock import WALL_CLOCK_ENV, ProcessClock, move_wall_clock  # noqa: E402
from tests.support.postgres import TemporaryPostgres, find_pg_bin  # noqa: E402

REQUIRE_ALL = os.environ.get("VOXLOOP_REQUIRE_ALL") == "1"


def pytest_configure(config: pytest.Config) -> None:
    """With VOXLOOP_TEST_WALL_CLOCK set, this process and every process it starts without a
    clock of its own live at that hour (tests/support/clock.py)."""
    moved_to = move_wall_clock()
    if moved_to is not None:
        os.environ.update(ProcessClock.starting_at(moved_to).env)


# What depends on the hour, the weekday or the day: alerts and opening hours, digests, reports,
# escalation, signals, "today" on the dashboards, sessions and token expiry, signed requests,
# the XSS corpus (built on an alert, a digest, reports and a signal). CI runs these again with
# the wall clock moved to a Sunday night, a weekday evening and a daylight-saving night
# (scripts/test; select them with -m hours).
TIME_SENSITIVE = (
    "tests/e2e/test_alert_delivery.py",
    "tests/e2e/test_case_alerts.py",
    "tests/e2e/test_xss_corpus.py",
    "tests/e2e/test_dashboards_browser.py",
    "tests/e2e/test_phone_messenger.py",
    "tests/e2e/test_terminal_sync.py",
    "tests/hub/test_alerts",
    "tests/hub/test_reports.py",
    # (not test_signals_decision.py: the decision on given dates and numbers, no clock or database)
    "tests/hub/test_signals.py",
    "tests/hub/test_signals_api.py",
    "tests/hub/test_signals_fleet.py",
    "tests/hub/test_dashboard_weather.py",
    "tests/hub/test_sign_in.py",
    "tests/hub/test_cases.py",
    "tests/hub/test_case_",
    "tests/hub/test_clock.py",
    "tests/hub/test_demo_run.py",
    "tests/kiosk/test_sync_against_hub.py",
    "tests/kiosk/test_terminal.py",
    "tests/mobile_web/",
)


# With VOXLOOP_TEST_E2E_SHARE=k/n, of the time-sensitive tests that drive real processes (marked
# e2e) only every n-th file (sorted by path, from the k-th) is collected: scripts/test runs the
# other-hours pass at three wall clocks, each with every in-process time-sensitive test and a
# third of the end-to-end files, so each such file runs at the real hour and at one other.
E2E_SHARE_ENV = "VOXLOOP_TEST_E2E_SHARE"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(TIME_SENSITIVE):
            item.add_marker(pytest.mark.hours)
    share = os.environ.get(E2E_SHARE_ENV)
    if share:
        _keep_e2e_share(config, items, share)


def _keep_e2e_share(config: pytest.Config, items: list[pytest.Item], share: str) -> None:
    k, n = (int(part) for part in share.split("/"))
    if not 1 <= k <= n:
        raise pytest.UsageError(f"{E2E_SHARE_ENV}={share}: expected k/n with 1 <= k <= n")

    def e2e(item: pytest.Item) -> bool:
        return item.get_closest_marker("e2e") is not None and item.get_closest_marker("hours") is not None

    files = sorted({item.path for item in items if e2e(item)})
    kept = {path for i, path in enumerate(files) if i % n == k - 1}
    dropped = [item for item in items if e2e(item) and item.path not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in gone]


def pytest_report_header(config: pytest.Config) -> str | None:
    moved_to = os.environ.get(WALL_CLOCK_ENV)
    return f"wall clock moved to {moved_to} ({WALL_CLOCK_ENV})" if moved_to else None


def missing_system_package(reason: str) -> None:
    """Skip loudly when a system package is missing; fail when the run must be complete."""
    if REQUIRE_ALL:
        pytest.fail(f"VOXLOOP_REQUIRE_ALL is set and {reason}", pytrace=False)
    pytest.skip(f"MISSING SYSTEM PACKAGE: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres | None]:
    if os.environ.get("VOXLOOP_TEST_PG_URL"):
        yield None
        return
    if find_pg_bin() is None:
        yield None
        return
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: TemporaryPostgres | None) -> str:
    """One migrated database for the session; tests empty its tables (see ``database_url``)."""
    url = os.environ.get("VOXLOOP_TEST_PG_URL")
    if url:
        return url
    if postgres_server is None:
        missing_system_package("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    return postgres_server.create_database("voxloop_test_hub")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


def _empty_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migration'"
            )
        ]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
