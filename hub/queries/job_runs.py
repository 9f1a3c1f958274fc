"""The statements of ``job_run``: one row per background job, upserted after its runs."""

from __future__ import annotations

from datetime import datetime

from hub.db import database, db_time, placeholders, stored_time


def record(name: str, worker: str, at: datetime, *, ok: bool) -> None:
    """A run of ``name`` by ``worker`` that ended at ``at``; a failure counts one more."""
    p = database.param
    success = db_time(at) if ok else None
    database.execute_sql(
        f"INSERT INTO job_run (name, worker, last_run_at, last_success_at, failures) VALUES ({placeholders(5)}) "
        "ON CONFLICT (name) DO UPDATE SET worker = excluded.worker, last_run_at = excluded.last_run_at, "
        f"last_success_at = COALESCE(excluded.last_success_at, job_run.last_success_at), "
        f"failures = job_run.failures + {p}",
        (name, worker, db_time(at), success, 0 if ok else 1, 0 if ok else 1),
    )


def all_runs() -> list[tuple[str, str, datetime, datetime | None, int]]:
    """(name, worker, last_run_at, last_success_at, failures) of every job, naive UTC times."""
    rows = database.execute_sql(
        "SELECT name, worker, last_run_at, last_success_at, failures FROM job_run ORDER BY name"
    ).fetchall()
    return [
        (name, worker, stored_time(run), None if success is None else stored_time(success), failures)
        for name, worker, run, success, failures in rows
    ]
