"""The ``recommendation.made`` webhook (hub/services/recommendation_events.py): each team's
recommendation of the day reaches the alert rules of kind ``action`` that ask for it and whose
scope holds the store, queued with the recommendation and delivered signed to a real HTTP
receiver; a rule that asked for other events, or for another store, hears nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hub.models import AlertRule, Recommendation
from hub.services.recommendations import make_recommendations
from tests.hub.alerting import deliver
from tests.hub.conftest import connected
from tests.hub.recommendation_data import week
from tests.hub.test_action_webhooks import action_rule
from tests.hub.test_alerts_webhooks import verifies
from tests.support.webhook_receiver import WebhookReceiver

MORNING = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 07:30 in Berlin


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1"
    server = WebhookReceiver().start()
    yield server
    server.stop()


def test_the_recommendation_reaches_the_rules_that_asked_for_it_signed(app, clock, people, terminal, receiver):
    planted = week(terminal, queue_problem=True, seed=17)
    wanted = action_rule(app, clock, receiver.url, condition={"events_in": ["recommendation.made"]})
    action_rule(app, clock, receiver.url + "/tasks", condition={"events_in": ["action.task_done"]})
    action_rule(app, clock, receiver.url + "/hamburg", scope="store", store="H002")
    with connected(app):
        make_recommendations(MORNING)
        made = Recommendation.get(Recommendation.reason == "queue")
        again = make_recommendations(MORNING)

    deliver(app)

    assert again == 0
    heard = sorted((c.path, json.loads(c.body)["store"]["code"]) for c in receiver.calls)
    # every store's to the rule for every store, Hamburg's only to Hamburg's rule, none to the task rule
    assert heard == [("/hooks/voxloop", "B001"), ("/hooks/voxloop", "H002"), ("/hooks/voxloop/hamburg", "H002")]
    (call,) = [c for c in receiver.calls if json.loads(c.body)["store"]["code"] == "B001"]
    event = json.loads(call.body)
    assert (event["event"], event["recommendation"], event["day"]) == ("recommendation.made", made.id, "2026-11-23")
    assert event["store"] == {"code": "B001", "name": "Berlin Mitte"}
    assert event["reason"] == {"id": "queue", "label": "Waiting at the till"}
    assert event["figures"]["n"] == planted.named["queue"]
    assert [c["text"] for c in event["comments"]] == planted.newest_queue_comments(3)
    assert event["url"].endswith(f"/#recommendation-{made.id}")
    with connected(app):
        secret = AlertRule.get_by_id(wanted.id).webhook_secret
    assert verifies(secret, call)


def test_a_slack_rule_gets_the_recommendation_shaped_for_slack_with_the_words_escaped(
    app, clock, people, terminal, receiver
):
    week(terminal, queue_problem=True, seed=17)
    action_rule(app, clock, receiver.url, condition={"events_in": ["recommendation.made"]}, webhook_format="slack")
    with connected(app):
        make_recommendations(MORNING)

    deliver(app)

    (body,) = [b for b in map(json.loads, (c.body for c in receiver.calls)) if "B001" in b["text"]]
    assert body["text"].startswith("Recommendation for Whole store at B001 Berlin Mitte, 2026-11-23")
    assert "Waiting at the till" in body["text"]
    assert any("Kasse" in block["text"]["text"] or "till" in block["text"]["text"] for block in body["blocks"][1:-1])
