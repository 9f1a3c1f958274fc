"""Is this hub ready to do its whole job: /readyz (hub/health.py).

A hub is ready when its database answers, the schema is current, the jobs process is alive
(its heartbeat, hub/services/job_runs.py, is younger than JOBS_STALE_SECONDS) and the outbox
moves (no message due has waited longer than OUTBOX_STUCK_SECONDS: SMTP down, every webhook
failing and no jobs process all end there). /healthz keeps telling only whether this process
can serve requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.db import database
from hub.migrations import pending
from hub.queries import operations as q
from hub.services.job_runs import HEARTBEAT, job_runs


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Readiness:
    checks: list[Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "unready",
            "checks": {check.name: {"ok": check.ok, **check.detail} for check in self.checks},
        }


def readiness(now: datetime, *, jobs_stale: timedelta, outbox_stuck: timedelta) -> Readiness:
    try:
        database.execute_sql("SELECT 1").fetchone()
        waiting = pending(database.obj)
    except Exception as error:
        return Readiness([Check("database", False, {"error": type(error).__name__})])
    checks = [Check("database", True), Check("migrations", not waiting, {"pending": waiting} if waiting else {})]
    if waiting:
        return Readiness(checks)  # the tables below may not exist yet
    return Readiness([*checks, _jobs(now, jobs_stale), _outbox(now, outbox_stuck)])


def _jobs(now: datetime, stale: timedelta) -> Check:
    beat = next((run.last_run_at for run in job_runs() if run.name == HEARTBEAT), None)
    if beat is None:
        return Check("jobs", False, {"error": "no jobs process has run"})
    age = (now - beat).total_seconds()
    return Check("jobs", age <= stale.total_seconds(), {"heartbeat_age_seconds": round(age, 1)})


def _outbox(now: datetime, stuck: timedelta) -> Check:
    figures = q.outbox_figures(now)
    at = now.astimezone(UTC).replace(tzinfo=None)
    ages = [(at - f.oldest_due).total_seconds() for f in figures if f.oldest_due is not None]
    oldest = max(ages, default=0.0)
    detail = {
        "oldest_due_age_seconds": round(oldest, 1),
        "waiting": sum(f.waiting for f in figures),
        "failed": sum(f.failed for f in figures),
    }
    return Check("outbox", oldest <= stuck.total_seconds(), detail)
