"""/metrics: Prometheus text for the configured scraper only, read back with prometheus_client's
own parser; the counts of this process and the figures of the database (the outbox, the jobs,
the terminals) say what happened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.db import database
from hub.jobs import JobRunner
from hub.services.job_runs import HEARTBEAT
from tests.hub.alerting import deliver, rating, send, use_inbox
from tests.hub.conftest import connected

TOKEN = "scrape-token-4f9a"


def figures(client, **headers: str) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = answer.get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client) -> dict[tuple[str, tuple], float]:
    return figures(client, Authorization=f"Bearer {TOKEN}")


@pytest.fixture
def scraper(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return app.test_client()


def test_metrics_are_refused_to_everyone_when_no_scraper_is_configured(client):
    answer = client.get("/metrics")
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "forbidden"
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403


def test_metrics_need_the_configured_bearer_token(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_metrics_answer_a_scraper_from_an_allowed_network(app, client):
    app.config["METRICS_NETWORKS"] = "10.0.0.0/8, 192.0.2.7"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 403


def test_a_bad_metrics_network_fails_at_start(database_url, tmp_path):
    from hub import create_app

    with pytest.raises(ValueError, match="METRICS_NETWORKS"):
        create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path), "METRICS_NETWORKS": "10.0.0.300"})


def test_ingest_counts_each_item_of_a_batch_by_result(scraper, terminal):
    before = scrape(scraper)
    first, second = terminal.response(3), terminal.response(4)
    assert terminal.post_batch([first, second]).status_code == 200
    changed = {**second, "answers": [{"question": "rating", "kind": "smiley", "value": 1}]}
    assert terminal.post_batch([first, changed, {"id": "not a uuid"}]).status_code == 200
    after = scrape(scraper)

    def grew(result: str) -> float:
        key = ("voxloop_ingest_items_total", (("result", result),))
        return after[key] - before[key]

    assert [grew(r) for r in ("accepted", "duplicate", "conflict", "invalid")] == [2, 1, 1, 1]
    synced = ("voxloop_sync_request_duration_seconds_count", ())
    assert after[synced] - before[synced] == 2
    ok = ("voxloop_http_responses_total", (("area", "api"), ("code", "200")))
    assert after[ok] - before.get(ok, 0) >= 2


def test_the_outbox_figures_show_depth_age_and_failures(app, scraper, clock, people, terminal):
    send(terminal, rating(terminal, 1, comment="nobody at the till"))
    clock.advance(seconds=90)
    waiting = scrape(scraper)
    assert waiting[("voxloop_outbox_waiting_messages", (("channel", "email"),))] >= 1
    assert waiting[("voxloop_outbox_oldest_due_age_seconds", (("channel", "email"),))] == 90
    assert waiting[("voxloop_outbox_delivery_failures_total", (("channel", "email"),))] == 0

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TIMEOUT_SECONDS=1)  # nothing listens: down
    run = deliver(app)
    failing = scrape(scraper)
    assert failing[("voxloop_outbox_delivery_failures_total", (("channel", "email"),))] == len(run.retrying) >= 1
    assert failing[("voxloop_outbox_failed_messages", (("channel", "email"),))] == 0
    assert failing[("voxloop_outbox_waiting_messages", (("channel", "webhook"),))] == 0


def test_the_outbox_is_empty_once_everything_is_sent(app, scraper, clock, people, terminal, inbox):
    send(terminal, rating(terminal, 1))
    use_inbox(app, inbox)
    deliver(app)
    sent = scrape(scraper)
    assert sent[("voxloop_outbox_waiting_messages", (("channel", "email"),))] == 0
    assert sent[("voxloop_outbox_oldest_due_age_seconds", (("channel", "email"),))] == 0
    assert sent[("voxloop_outbox_delivery_failures_total", (("channel", "email"),))] == 0


def test_each_jobs_last_run_success_and_failures_are_shown(app, scraper, clock):
    runner = JobRunner(app, worker="jobs-1")
    runner.run(HEARTBEAT)
    ran_at = clock()
    clock.advance(seconds=30)
    runner.jobs["signals"] = lambda now: 1 / 0
    runner.run("signals")

    shown = scrape(scraper)
    assert shown[("voxloop_job_last_run_timestamp_seconds", (("job", HEARTBEAT),))] == ran_at.timestamp()
    assert shown[("voxloop_job_last_success_timestamp_seconds", (("job", HEARTBEAT),))] == ran_at.timestamp()
    assert shown[("voxloop_job_failures_total", (("job", "signals"),))] == 1
    assert ("voxloop_job_last_success_timestamp_seconds", (("job", "signals"),)) not in shown
    assert shown[("voxloop_jobs_heartbeat_age_seconds", ())] == 30


def test_silent_terminals_are_counted(app, scraper, clock, terminal):
    assert scrape(scraper)[("voxloop_terminals_silent", ())] == 0
    with connected(app):
        flagged = (clock() + timedelta(minutes=1)).replace(tzinfo=None)
        database.execute_sql(f"UPDATE terminal SET silent_since = {database.param}", (flagged,))
    shown = scrape(scraper)
    assert shown[("voxloop_terminals_silent", ())] == 1
    assert shown[("voxloop_terminals", (("status", "active"),))] == 1
