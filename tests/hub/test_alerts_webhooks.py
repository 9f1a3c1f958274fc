"""Webhooks: a signed JSON POST per alert to a real HTTP receiver (http.server on 127.0.0.1),
in our shape or shaped for Slack and Teams; retried when the receiver fails or hangs."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from hub.models import AlertRule
from hub.services.alerts.rules import update_rule
from tests.hub.alerting import deliver, outbox, rating, send
from tests.hub.conftest import connected
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1"  # the receiver is local: allowed, as an operator would
    server = WebhookReceiver().start()
    yield server
    server.stop()


def hook(app, clock, receiver, form: str = "json", email: bool = False) -> AlertRule:
    """The default "very unhappy" rule, sending to the receiver (and not by email)."""
    with connected(app):
        rule = AlertRule.get(AlertRule.key == "very_unhappy")
        return update_rule(rule.id, {"webhook_url": receiver.url, "webhook_format": form, "email": email}, now=clock())


def verifies(secret: str, call) -> bool:
    """What a receiver does, written out independently of the hub's code."""
    parts = dict(item.split("=", 1) for item in call.headers["X-Voxloop-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + call.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_an_alert_reaches_the_webhook_once_signed_with_the_rules_secret(app, clock, people, terminal, receiver):
    rule = hook(app, clock, receiver)
    item = rating(terminal, 1, comment="Kasse 3 war zu", contact="secret@example.com")
    send(terminal, item)

    assert deliver(app).sent
    assert deliver(app).sent == []

    (call,) = receiver.calls
    assert call.headers["Content-Type"] == "application/json"
    assert verifies(rule.webhook_secret, call)
    assert not verifies("another secret", call)
    assert int(call.headers["X-Voxloop-Signature"].split(",")[0][2:]) == int(clock().timestamp())
    body = json.loads(call.body)
    assert body["event"] == "alert"
    assert body["store"] == {"code": "B001", "name": "Berlin Mitte"}
    assert body["case"]["url"].endswith(f"/cases/{body['case']['id']}")
    assert [(r["id"], r["comment"], r["contact_left"]) for r in body["responses"]] == [
        (item["id"], "Kasse 3 war zu", True)
    ]
    assert b"secret@example.com" not in call.body
    assert call.headers["X-Voxloop-Delivery"] == str(outbox(app)[0].id)


def test_a_slack_payload_has_blocks_and_escapes_the_customers_words(app, clock, people, terminal, receiver):
    hook(app, clock, receiver, "slack")
    send(terminal, rating(terminal, 1, comment="<!channel> & <http://evil|click>"))
    deliver(app)
    body = json.loads(receiver.calls[0].body)
    assert body["text"].startswith("B001 Berlin Mitte: Very unhappy customer")
    texts = " ".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    assert "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;" in texts
    assert "<!channel>" not in texts
    assert body["blocks"][-1]["elements"][0]["url"].startswith("http://127.0.0.1:8000/cases/")


def test_a_teams_payload_is_an_adaptive_card(app, clock, people, terminal, receiver):
    hook(app, clock, receiver, "teams")
    send(terminal, rating(terminal, 1, comment="[click](http://evil)"))
    deliver(app)
    body = json.loads(receiver.calls[0].body)
    card = body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    assert any("\\[click\\]\\(http://evil\\)" in block["text"] for block in card["content"]["body"])
    assert card["content"]["actions"][0]["type"] == "Action.OpenUrl"


def test_a_receiver_answering_500_is_retried_and_gets_the_alert_once(app, clock, people, terminal, receiver):
    hook(app, clock, receiver)
    receiver.statuses = [500, 503]
    send(terminal, rating(terminal, 1))

    assert deliver(app).retrying
    clock.advance(seconds=5)
    assert deliver(app).retrying
    clock.advance(seconds=10)
    assert deliver(app).sent
    clock.advance(minutes=10)
    deliver(app)

    assert len(receiver.calls) == 3  # two failed attempts, one delivery
    assert {c.headers["X-Voxloop-Delivery"] for c in receiver.calls} == {str(outbox(app)[0].id)}
    assert outbox(app)[0].state == "sent"


def test_a_hanging_receiver_times_out_and_is_retried(app, clock, people, terminal, receiver):
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 0.3
    hook(app, clock, receiver)
    receiver.hang = 1.0
    send(terminal, rating(terminal, 1))

    assert deliver(app).retrying
    assert "timed out" in outbox(app)[0].last_error
    receiver.hang = 0
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 5
    clock.advance(seconds=5)
    assert deliver(app).sent


def test_a_receiver_refusing_with_4xx_fails_for_good_and_shows_it(app, clock, people, terminal, receiver):
    hook(app, clock, receiver)
    receiver.statuses = [410]
    send(terminal, rating(terminal, 1))
    assert deliver(app).failed
    message = outbox(app)[0]
    assert (message.state, message.last_error) == ("failed", "webhook answered 410 Gone")


def test_email_and_webhook_go_out_side_by_side(app, clock, people, terminal, receiver):
    hook(app, clock, receiver, email=True)
    send(terminal, rating(terminal, 1))
    assert sorted((m.channel, m.recipient) for m in outbox(app)) == [
        ("email", "mia@example.org"),
        ("webhook", receiver.url),
    ]
