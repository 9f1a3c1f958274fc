"""The jobs as they run in a hub: the APScheduler runner delivers an alert without being asked
(woken by the ingest), and `voxloop hub alerts test` sends a test alert through a rule."""

from __future__ import annotations

import time

from click.testing import CliRunner

from hub.jobs import JobRunner
from tests.hub.alerting import outbox, rating, send
from tests.support.mail import text_of


def test_the_job_runner_delivers_an_alert_without_being_asked(app, people, terminal, inbox):
    """The runner polls and is woken by the ingest; how fast: bench/alert_latency.py."""
    runner = JobRunner(app, worker="in-process")
    runner.start()
    try:
        send(terminal, rating(terminal, 1, comment="schnell bitte"))
        deadline = time.monotonic() + 10
        while not any("Very unhappy" in m["Subject"] for m in inbox.messages) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        runner.stop()
    (mail,) = [m for m in inbox.to("mia@example.org") if "Very unhappy" in m["Subject"]]
    assert "schnell bitte" in text_of(mail)
    assert {m.state for m in outbox(app) if m.kind == "alert"} == {"sent"}


def test_the_test_alert_command_sends_through_the_rules_channels(app, database_url, tmp_path, monkeypatch, inbox):
    from hub.cli import hub

    monkeypatch.setenv("VOXLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("VOXLOOP_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.setenv("VOXLOOP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VOXLOOP_SMTP_PORT", str(inbox.port))

    result = CliRunner().invoke(hub, ["alerts", "test", "--rule", "very_unhappy", "--to", "ops@example.org"])

    assert result.exit_code == 0, result.output
    assert "email to ops@example.org: sent" in result.output
    (mail,) = inbox.to("ops@example.org")
    # the command runs a hub as installed: German for an address that is nobody's account
    assert mail["Subject"].startswith("Testalarm:")
    assert "erreichen Sie Alarme per E-Mail" in text_of(mail)


def test_the_test_alert_command_says_when_delivery_fails(app, database_url, tmp_path, monkeypatch):
    from hub.cli import hub

    monkeypatch.setenv("VOXLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("VOXLOOP_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.setenv("VOXLOOP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VOXLOOP_SMTP_PORT", "9")  # nothing listens there
    monkeypatch.setenv("VOXLOOP_SMTP_TIMEOUT_SECONDS", "1")

    result = CliRunner().invoke(hub, ["alerts", "test", "--rule", "very_unhappy", "--to", "ops@example.org"])

    assert result.exit_code == 1
    assert "retry: SMTP server 127.0.0.1:9 unreachable" in result.output
    assert "1 of 1 test messages were not delivered" in result.output


def test_an_unknown_rule_is_named_in_the_error(app, database_url, tmp_path, monkeypatch):
    from hub.cli import hub

    monkeypatch.setenv("VOXLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("VOXLOOP_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", str(tmp_path / "cli-instance"))

    result = CliRunner().invoke(hub, ["alerts", "test", "--rule", "nonsense"])

    assert result.exit_code == 1
    assert "no alert rule has the id or key 'nonsense'" in result.output
