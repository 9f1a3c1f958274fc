"""Job runs: the jobs process records when each job last ran, succeeded and failed, in the
database, where /readyz and /metrics of every hub process read them."""

from __future__ import annotations

from datetime import timedelta

from hub.db import database
from hub.jobs import JobRunner
from hub.services.job_runs import HEARTBEAT, job_runs


def runs(app) -> dict:
    with app.app_context():
        database.connect(reuse_if_open=True)
        try:
            return {run.name: run for run in job_runs()}
        finally:
            database.close()


def test_a_job_run_records_its_time_and_worker(app, clock):
    runner = JobRunner(app, worker="jobs-1")

    runner.run(HEARTBEAT)

    run = runs(app)[HEARTBEAT]
    assert (run.worker, run.last_run_at, run.last_success_at, run.failures) == ("jobs-1", clock(), clock(), 0)


def test_a_failing_job_counts_a_failure_and_keeps_its_last_success(app, clock):
    runner = JobRunner(app, worker="jobs-1")
    runner.run("escalate")
    succeeded = clock()
    clock.advance(seconds=1)
    runner.jobs["escalate"] = lambda now: 1 / 0

    runner.run("escalate")
    runner.run("escalate")

    run = runs(app)["escalate"]
    assert (run.last_run_at, run.last_success_at, run.failures) == (clock(), succeeded, 2)


def test_frequent_successful_runs_are_written_every_ten_seconds(app, clock):
    runner = JobRunner(app, worker="jobs-1")
    first = clock()
    runner.run("deliver_email")
    clock.advance(seconds=9)
    runner.run("deliver_email")  # the 200 ms delivery poll: not every run is a write
    assert runs(app)["deliver_email"].last_run_at == first

    clock.advance(seconds=1)
    runner.run("deliver_email")
    assert runs(app)["deliver_email"].last_run_at == first + timedelta(seconds=10)


def test_every_heartbeat_is_written(app, clock):
    runner = JobRunner(app, worker="jobs-1")
    runner.run(HEARTBEAT)
    clock.advance(seconds=1)
    runner.run(HEARTBEAT)
    assert runs(app)[HEARTBEAT].last_run_at == clock()
