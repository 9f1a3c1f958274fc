"""Job runs: when each background job last ran, last succeeded and how often it failed, written
by the jobs process (hub/services/job_runs.py). The job ``heartbeat`` runs every
JOBS_HEARTBEAT_SECONDS, so /readyz tells a hub whose jobs process stopped, and /metrics shows
every job's last run."""

STATEMENTS = [
    """CREATE TABLE job_run (
        name TEXT PRIMARY KEY,
        worker TEXT NOT NULL,
        last_run_at {ts} NOT NULL,
        last_success_at {ts},
        failures INTEGER NOT NULL DEFAULT 0)""",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
