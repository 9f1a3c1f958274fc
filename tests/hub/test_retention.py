"""Retention: the hourly job deletes contacts after their period (from the case's resolution,
or from receipt when no case holds them, at the latest after the ceiling) and prunes sign-in
attempts, sent messages' payloads, sync logs, conflicts and nonces by theirs, on SQLite and
PostgreSQL. Time is the test's clock: START is Monday 2026-11-23 09:00 UTC."""

from __future__ import annotations

import threading

import pytest

from hub.jobs import deliverer_for, job_functions
from hub.models import AlertRule, Case, HelpdeskEvent, LoginAttempt, OutboxMessage, Response, SyncLog
from hub.services.alerts.rule_book import forget_book
from hub.services.retention import RetentionPeriods, apply_retention
from tests.hub.alerting import rating, send
from tests.hub.conftest import connected, rows

PERIODS = RetentionPeriods()  # the defaults: contacts 90 days, at most 365


def contacts(app) -> dict[str, bool]:
    """Response id -> whether it still holds its sealed contact."""
    return {str(i): sealed is not None for i, sealed in rows(app, "SELECT id, contact_sealed FROM response")}


def retain(app, clock, **advance):
    clock.advance(**advance)
    with connected(app):
        return apply_retention(clock(), PERIODS).counts


def without_contact_rule(app) -> None:
    with connected(app):
        AlertRule.update(active=False).where(AlertRule.key == "contact_requested").execute()
        forget_book()


def test_a_contact_in_no_case_is_deleted_90_days_after_receipt(app, clock, terminal, people):
    without_contact_rule(app)
    item = rating(terminal, 4, contact="anna@example.org")
    send(terminal, item)
    assert rows(app, "SELECT COUNT(*) FROM case_response") == [(0,)]

    assert retain(app, clock, days=89, hours=23)["contacts"] == 0
    assert contacts(app) == {item["id"]: True}
    assert retain(app, clock, hours=2)["contacts"] == 1
    assert contacts(app) == {item["id"]: False}
    assert rows(app, "SELECT COUNT(*) FROM answer WHERE response_id = ?", (item["id"],)) == [(1,)]  # the rating stays


def test_a_contact_is_kept_while_its_case_is_open_and_deleted_90_days_after_it_is_resolved(
    app, clock, terminal, people
):
    item = rating(terminal, 1, contact="+49 171 2345678")
    send(terminal, item)
    assert retain(app, clock, days=120)["contacts"] == 0  # the case is still being worked
    with connected(app):
        Case.update(state="resolved", resolved_at=clock().replace(tzinfo=None)).execute()
    assert retain(app, clock, days=89)["contacts"] == 0
    assert contacts(app) == {item["id"]: True}
    assert retain(app, clock, days=2)["contacts"] == 1
    assert contacts(app) == {item["id"]: False}


def test_a_contact_in_a_case_never_resolved_goes_at_the_ceiling(app, clock, terminal, people):
    item = rating(terminal, 1, contact="anna@example.org")
    send(terminal, item)
    assert retain(app, clock, days=364)["contacts"] == 0
    assert retain(app, clock, days=2)["contacts"] == 1
    assert contacts(app) == {item["id"]: False}


def test_sign_in_attempts_sync_logs_nonces_and_sent_payloads_go_after_their_periods(app, clock, terminal, people):
    send(terminal, rating(terminal, 1, comment="Zu lange gewartet"))  # a sync log, a nonce, an alert
    with connected(app):
        LoginAttempt.create(email="x@example.org", address="203.0.113.9", attempted_at=clock(), succeeded=False)
        OutboxMessage.update(state="sent", sent_at=clock().replace(tzinfo=None)).execute()
    assert retain(app, clock, minutes=14)["nonces"] == 0
    first = retain(app, clock, minutes=2)
    assert first["nonces"] == 1 and first["sync_logs"] == 0
    assert retain(app, clock, days=29)["sign_in_attempts"] == 0
    month = retain(app, clock, days=1, hours=1)
    assert (month["sign_in_attempts"], month["outbox_payloads"]) == (1, 1)
    with connected(app):
        assert [m.payload for m in OutboxMessage.select()] == [{}]
        assert OutboxMessage.select().count() == 1  # the record of the message stays
        assert SyncLog.select().count() == 1
    assert retain(app, clock, days=60)["sync_logs"] == 1
    assert rows(app, "SELECT COUNT(*) FROM sync_log") == [(0,)]


def test_a_kept_conflict_loses_its_contact_with_the_contacts_and_goes_after_its_own_period(
    app, clock, terminal, people
):
    item = rating(terminal, 4)
    send(terminal, item)
    other = {**item, "answers": [{"question": "rating", "kind": "smiley", "value": 1}]}
    other["contact"] = {"address": "anna@example.org", "consent": True}
    assert terminal.post_batch([other]).get_json()["results"][0]["status"] == "conflict"
    assert '"sealed"' in rows(app, "SELECT body FROM response_conflict")[0][0]
    periods = RetentionPeriods(conflict_days=180)

    clock.advance(days=91)
    with connected(app):
        first = apply_retention(clock(), periods).counts
    assert (first["conflict_contacts"], first["conflicts"]) == (1, 0)
    (body,) = rows(app, "SELECT body FROM response_conflict")[0]
    assert '"sealed"' not in body and '"contact": {"erased": true}' in body
    clock.advance(days=90)
    with connected(app):
        later = apply_retention(clock(), periods).counts
    assert (later["conflict_contacts"], later["conflicts"]) == (0, 1)
    assert rows(app, "SELECT COUNT(*) FROM response_conflict") == [(0,)]


def test_a_second_run_finds_nothing_left_to_delete(app, clock, terminal, people):
    without_contact_rule(app)
    send(terminal, *(rating(terminal, 4, contact=f"p{n}@example.org") for n in range(3)))
    assert retain(app, clock, days=91)["contacts"] == 3
    assert set(retain(app, clock, seconds=1).values()) == {0}


def test_the_retention_job_runs_with_the_configured_periods(app, clock, terminal, people):
    without_contact_rule(app)
    item = rating(terminal, 4, contact="anna@example.org")
    send(terminal, item)
    app.config["RETENTION_CONTACT_DAYS"] = 7
    jobs = job_functions(app, deliverer_for(app, worker="test"))
    clock.advance(days=8)
    with connected(app):
        run = jobs["retention"](clock())
    assert run.counts["contacts"] == 1
    assert contacts(app) == {item["id"]: False}


def test_two_job_processes_running_it_together_delete_each_contact_once(app, clock, terminal, people):
    without_contact_rule(app)
    send(terminal, *(rating(terminal, 4, contact=f"p{n}@example.org") for n in range(40)))
    clock.advance(days=91)
    barrier, counts = threading.Barrier(2), []

    def job() -> None:
        with connected(app):
            barrier.wait()
            counts.append(apply_retention(clock(), PERIODS).counts["contacts"])

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 40
    assert rows(app, "SELECT COUNT(*) FROM response WHERE contact_sealed IS NOT NULL") == [(0,)]


@pytest.mark.parametrize("setting", ["RETENTION_CONTACT_DAYS", "RETENTION_SYNC_LOG_DAYS"])
def test_a_period_below_one_day_is_refused(app, setting):
    with pytest.raises(ValueError, match="must be at least 1"):
        RetentionPeriods.from_config({**app.config, setting: 0})


def test_responses_keep_everything_but_the_contact(app, clock, terminal, people):
    without_contact_rule(app)
    item = rating(terminal, 4, comment="Sehr nett", contact="anna@example.org")
    send(terminal, item)
    retain(app, clock, days=91)
    with connected(app):
        response = Response.get_by_id(item["id"])
        assert response.contact_sealed is None
        assert sorted(a.text or "" for a in response.answers) == ["", "Sehr nett"]


def test_a_help_desks_event_ids_go_once_no_replay_of_their_signature_could_pass(app, clock, people):
    with connected(app):
        HelpdeskEvent.insert(system="rt", webhook_id="msg_1", received_at=clock().replace(tzinfo=None)).execute()
    assert retain(app, clock, minutes=9)["helpdesk_events"] == 0
    assert retain(app, clock, minutes=2)["helpdesk_events"] == 1
    assert rows(app, "SELECT COUNT(*) FROM helpdesk_event") == [(0,)]
