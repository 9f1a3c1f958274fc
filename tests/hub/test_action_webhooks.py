"""Action events as webhooks (hub/services/action_events.py): the alert rules of kind
``action`` hear of an action made, its state changed, its tasks made, given, done and opened
again, each queued with the change it tells of and delivered signed to a real HTTP receiver;
a rule hears only of the actions of its stores and of the events it asked for."""

from __future__ import annotations

import json

import pytest

from hub.db import database
from hub.models import Action, OutboxMessage
from hub.services import actions
from hub.services.access import scope_for
from hub.services.alerts.rules import create_rule
from shared.errors import RequestError, RuleError
from tests.hub.alerting import deliver
from tests.hub.conftest import START, connected
from tests.hub.test_action_exports import DOC
from tests.hub.test_alerts_webhooks import verifies
from tests.hub.test_openapi import validator
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1"
    server = WebhookReceiver().start()
    yield server
    server.stop()


def action_rule(app, clock, url, **settings):
    with connected(app):
        return create_rule(
            {
                "name": "Mirror actions",
                "kind": "action",
                "condition": {},
                "email": False,
                "webhook_url": url,
                **settings,
            },
            now=clock(),
        )


def events_of(receiver):
    return [json.loads(call.body) for call in receiver.calls]


def work_an_action(app, people, store):
    """Made, started, a task made for Mia, given to Rolf, done, opened again."""
    admin = people["admin"]
    with connected(app):
        scope = scope_for(admin)
        action = actions.create_action(
            scope, admin, {"title": "Second till", "kpi": "smiley_index", "scope": f"store:{store.id}"}, now=START
        )
        actions.update_action(scope, admin, action.id, {"state": "in_progress"}, now=START)
        task = actions.add_task(scope, admin, action.id, {"title": "Order it", "assignee": people["mia"].id}, now=START)
        actions.update_task(scope, admin, action.id, task.id, {"assignee": people["rolf"].id}, now=START)
        actions.update_task(scope, admin, action.id, task.id, {"done": True}, now=START)
        actions.update_task(scope, admin, action.id, task.id, {"done": False}, now=START)
        return action, task


def test_every_change_of_an_action_reaches_the_action_rules_webhook_signed_and_in_order(
    app, clock, people, store, receiver
):
    rule = action_rule(app, clock, receiver.url)
    action, task = work_an_action(app, people, store)

    assert len(deliver(app).sent) == 6
    events = events_of(receiver)
    assert [e["event"] for e in events] == [
        "action.created",
        "action.state_changed",
        "action.task_created",
        "action.task_assigned",
        "action.task_done",
        "action.task_reopened",
    ]
    assert all(verifies(rule.webhook_secret, call) for call in receiver.calls)
    created, state, made, given, done, _ = events
    assert created["action"]["id"] == action.id and created["action"]["state"] == "planned"
    assert created["action"]["url"].endswith(f"/actions/{action.id}")
    assert (state["before"], state["after"], state["action"]["state"]) == ("planned", "in_progress", "in_progress")
    assert made["task"]["assignee"] == people["mia"].id
    assert (given["before"], given["task"]["assignee"]) == (people["mia"].id, people["rolf"].id)
    assert done["task"]["done"] is True and done["task"]["id"] == task.id
    assert {e["delivery"] for e in events} == {c.headers["webhook-id"] for c in receiver.calls}
    described = validator(
        DOC, DOC["webhooks"]["actionEvent"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    )
    assert [[e.message for e in described.iter_errors(event)] for event in events] == [[]] * 6
    assert deliver(app).sent == []


def test_a_rule_hears_only_the_events_it_asked_for_and_only_of_its_stores(
    app, clock, people, store, other_store, receiver
):
    action_rule(app, clock, receiver.url, condition={"events_in": ["action.task_done"]})
    action_rule(app, clock, receiver.url + "/hamburg", scope="store", store="H002")
    work_an_action(app, people, store)  # a Berlin action

    deliver(app)

    assert [(c.path, json.loads(c.body)["event"]) for c in receiver.calls] == [("/hooks/voxloop", "action.task_done")]


def test_an_event_commits_with_its_change_and_a_change_refused_queues_nothing(app, clock, people, store, receiver):
    action_rule(app, clock, receiver.url)
    admin = people["admin"]
    with connected(app):
        scope = scope_for(admin)
        action = actions.create_action(
            scope, admin, {"title": "Till", "kpi": "nps", "scope": f"store:{store.id}"}, now=START
        )
        before = OutboxMessage.select().count()
        with pytest.raises(RuntimeError), database.atomic():
            actions.update_action(scope, admin, action.id, {"state": "done"}, now=START)
            raise RuntimeError("the transaction fails after the change")
        assert OutboxMessage.select().count() == before
        assert Action.get_by_id(action.id).state == "planned"
        with pytest.raises(RequestError):
            actions.update_action(scope, admin, action.id, {"state": "bogus"}, now=START)
        assert OutboxMessage.select().count() == before
        actions.update_action(scope, admin, action.id, {"state": "done"}, now=START)
        assert OutboxMessage.select().order_by(OutboxMessage.id.desc()).first().payload["after"] == "done"


def test_an_action_rule_needs_a_webhook_and_a_known_event(app, clock):
    with connected(app), pytest.raises(RuleError) as no_hook:
        create_rule({"name": "x", "kind": "action", "condition": {}, "email": True}, now=clock())
    with connected(app), pytest.raises(RuleError) as unknown:
        create_rule(
            {
                "name": "y",
                "kind": "action",
                "condition": {"events_in": ["action.eaten"]},
                "webhook_url": "https://a.example",
            },
            now=clock(),
        )

    assert no_hook.value.field == "webhook_url"
    assert unknown.value.field == "condition.events_in"


def test_a_slack_shaped_action_event_escapes_the_title(app, clock, people, store, receiver):
    action_rule(app, clock, receiver.url, webhook_format="slack")
    admin = people["admin"]
    with connected(app):
        actions.create_action(
            scope_for(admin), admin, {"title": "<!channel> till", "kpi": "nps", "scope": f"store:{store.id}"}, now=START
        )

    deliver(app)

    body = json.loads(receiver.calls[0].body)
    assert "&lt;!channel&gt;" in body["text"] and "<!channel>" not in json.dumps(body)
