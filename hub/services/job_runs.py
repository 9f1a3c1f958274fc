"""When each background job last ran: recorded by the jobs process, read by /readyz and /metrics.

Delivery runs every 200 ms, so a successful run is written at most every ``every`` (10 s) per
job; a failed run is always written (it counts). The job ``heartbeat`` does nothing but be
recorded, every time (every JOBS_HEARTBEAT_SECONDS): a jobs process that stopped, hangs or cannot
reach the database leaves it to age.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hub.db import write_transaction
from hub.queries import job_runs as q

log = logging.getLogger("voxloop.jobs")

HEARTBEAT = "heartbeat"


@dataclass(frozen=True)
class JobRun:
    name: str
    worker: str
    last_run_at: datetime  # aware UTC
    last_success_at: datetime | None
    failures: int


@dataclass
class JobRunRecorder:
    """Writes a job's runs to ``job_run``, successes no more often than ``every``."""

    worker: str
    every: timedelta = timedelta(seconds=10)
    _written: dict[str, datetime] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ran(self, name: str, at: datetime, *, ok: bool) -> bool:
        """Record a run that ended at ``at``; returns whether it was written."""
        with self._lock:
            last = self._written.get(name)
            if ok and name != HEARTBEAT and last is not None and last <= at < last + self.every:
                return False
            self._written[name] = at
        try:
            with write_transaction():
                q.record(name, self.worker, at, ok=ok)
        except Exception:  # the jobs go on; an unwritten run shows as an ageing heartbeat
            log.exception("cannot record the run of job %s", name)
            with self._lock:
                self._written.pop(name, None)
            return False
        return True


def job_runs() -> list[JobRun]:
    return [
        JobRun(name, worker, _aware(run), None if success is None else _aware(success), failures)
        for name, worker, run, success, failures in q.all_runs()
    ]


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
