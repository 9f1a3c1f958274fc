"""/livez, /healthz and /readyz: up; able to serve; doing the whole job (the jobs run and the
outbox moves). /healthz keeps its meaning for the load balancers that use it."""

from __future__ import annotations

from hub.db import database
from hub.jobs import JobRunner
from hub.services.job_runs import HEARTBEAT
from tests.hub.alerting import deliver, rating, send, use_inbox


def ready(client) -> tuple[int, dict]:
    answer = client.get("/readyz")
    return answer.status_code, answer.get_json()


def test_livez_answers_without_the_database(client):
    answer = client.get("/livez")
    assert (answer.status_code, answer.get_json()) == (200, {"status": "ok"})


def test_readyz_is_unready_until_a_jobs_process_has_run(client):
    status, body = ready(client)
    assert status == 503 and body["status"] == "unready"
    assert body["checks"]["jobs"] == {"ok": False, "error": "no jobs process has run"}
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"] and body["checks"]["outbox"]["ok"]
    assert client.get("/healthz").status_code == 200  # serving is another question


def test_readyz_is_ready_with_a_fresh_heartbeat_and_unready_when_it_is_stale(app, client, clock):
    JobRunner(app, worker="jobs-1").run(HEARTBEAT)
    clock.advance(seconds=120)
    status, body = ready(client)
    assert (status, body["status"], body["checks"]["jobs"]) == (
        200,
        "ready",
        {"ok": True, "heartbeat_age_seconds": 120},
    )

    clock.advance(seconds=1)  # JOBS_STALE_SECONDS (120) passed: the jobs process stopped or hangs
    status, body = ready(client)
    assert (status, body["checks"]["jobs"]) == (503, {"ok": False, "heartbeat_age_seconds": 121})
    assert client.get("/healthz").status_code == 200


def test_readyz_is_unready_when_a_due_message_is_stuck_and_ready_once_it_is_sent(
    app, client, clock, people, terminal, inbox
):
    runner = JobRunner(app, worker="jobs-1")
    send(terminal, rating(terminal, 1, comment="nobody at the till"))
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TIMEOUT_SECONDS=1)  # SMTP down
    for _ in range(3):
        deliver(app)
        clock.advance(seconds=300)
        runner.run(HEARTBEAT)
    clock.advance(seconds=1)
    runner.run(HEARTBEAT)  # the jobs run: only the outbox is stuck

    status, body = ready(client)
    outbox = body["checks"]["outbox"]
    assert status == 503 and body["checks"]["jobs"]["ok"]
    assert outbox["ok"] is False and outbox["oldest_due_age_seconds"] == 901 and outbox["waiting"] >= 1

    use_inbox(app, inbox)  # SMTP back
    clock.advance(seconds=300)  # the next retry is due
    deliver(app)
    runner.run(HEARTBEAT)
    status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["outbox"] == {"ok": True, "oldest_due_age_seconds": 0, "waiting": 0, "failed": 0}


def test_readyz_names_pending_migrations(app, client):
    from tests.hub.conftest import connected

    with connected(app):
        row = database.execute_sql(
            "SELECT version, name, applied_at FROM schema_migration WHERE version = 11"
        ).fetchone()
        database.execute_sql("DELETE FROM schema_migration WHERE version = 11")
    try:
        status, body = ready(client)
        assert status == 503
        assert body["checks"]["migrations"] == {"ok": False, "pending": ["v0011_job_runs"]}
        assert client.get("/healthz").status_code == 503
    finally:  # the PostgreSQL test database is kept between tests: leave its schema as it was
        with connected(app):
            database.execute_sql(
                f"INSERT INTO schema_migration (version, name, applied_at) VALUES ({database.param}, "
                f"{database.param}, {database.param})",
                row,
            )
