"""/api/v1/actions: actions, tasks and effects for machines and sessions, scoped like the person
or the API token (actions:read, actions:write), and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from hub.models import Action
from hub.services import api_tokens
from shared.errors import VoxloopError
from tests.hub.action_data import planted_fleet
from tests.hub.conftest import assert_problem, connected
from tests.hub.test_api_tokens import bearer, make


def _create(client, token, **fields):
    return client.post("/api/v1/actions", json=fields, headers=bearer(token))


def test_a_store_managers_token_makes_and_works_an_action_of_their_store(app, client, clock, people, store):
    token = make(app, clock, people["mia"], "actions:read", "actions:write")

    made = _create(
        client,
        token,
        title="Second till",
        kpi="reason_share",
        reason="queue",
        scope=f"store:{store.id}",
        due_on="2026-12-01",
    )
    action_id = made.get_json()["id"]
    task = client.post(f"/api/v1/actions/{action_id}/tasks", json={"title": "Roster"}, headers=bearer(token))
    done = client.patch(
        f"/api/v1/actions/{action_id}/tasks/{task.get_json()['id']}", json={"done": True}, headers=bearer(token)
    )
    moved = client.patch(
        f"/api/v1/actions/{action_id}",
        json={"state": "in_progress", "effect_from": "2026-11-23"},
        headers=bearer(token),
    )

    assert made.status_code == 201 and task.status_code == 201
    assert made.get_json()["goal"] == {"kpi": "reason_share", "reason": "queue", "direction": "down"}
    assert done.get_json()["done"] is True
    body = moved.get_json()
    assert (body["state"], body["effect_from"], body["tasks"]) == ("in_progress", "2026-11-23", {"total": 1, "done": 1})
    assert body["effect"]["verdict"] == "pending"
    assert [e["kind"] for e in body["events"]] == ["created", "task_added", "task_done", "in_effect", "state"]


def test_another_stores_action_answers_404_to_a_token_and_stays_unchanged(
    app, client, clock, people, store, other_store
):
    theirs = _create(
        client,
        make(app, clock, people["hans"], "actions:write"),
        title="Clean the entrance",
        kpi="csat",
        scope=f"store:{other_store.id}",
    ).get_json()["id"]
    token = make(app, clock, people["mia"], "actions:read", "actions:write")

    assert_problem(client.get(f"/api/v1/actions/{theirs}", headers=bearer(token)), 404, "not_found")
    assert_problem(client.get(f"/api/v1/actions/{theirs}/effect", headers=bearer(token)), 404, "not_found")
    patched = client.patch(f"/api/v1/actions/{theirs}", json={"state": "dropped"}, headers=bearer(token))
    assert_problem(patched, 404, "not_found")
    assert client.get("/api/v1/actions?state=all", headers=bearer(token)).get_json() == {"actions": []}
    with connected(app):
        assert Action.get_by_id(theirs).state == "planned"


def test_a_token_without_the_actions_scope_is_refused(app, client, clock, people, store):
    reader = make(app, clock, people["mia"], "actions:read")
    cases_only = make(app, clock, people["mia"], "cases:read")

    assert_problem(client.get("/api/v1/actions", headers=bearer(cases_only)), 403, "insufficient_scope")
    refused = _create(client, reader, title="x", kpi="nps", scope=f"store:{store.id}")
    assert_problem(refused, 403, "insufficient_scope")


def test_an_hq_analyst_gets_no_actions_write_token(app, clock, people):
    with connected(app), pytest.raises(VoxloopError) as refused:
        api_tokens.make_token(people["ana"], "BI", ["actions:write"], now=clock())

    assert refused.value.code == "bad_token_request"


def test_a_refused_action_is_a_problem_with_a_stable_code(app, client, clock, people, store, other_store):
    token = make(app, clock, people["mia"], "actions:write")

    foreign = _create(client, token, title="x", kpi="nps", scope=f"store:{other_store.id}")
    unknown = _create(client, token, title="x", kpi="nps", scope=f"store:{store.id}", colour="red")
    made = _create(client, token, title="x", kpi="nps", scope=f"store:{store.id}").get_json()["id"]
    backwards = client.patch(f"/api/v1/actions/{made}", json={"state": "dropped"}, headers=bearer(token))
    again = client.patch(f"/api/v1/actions/{made}", json={"state": "done"}, headers=bearer(token))

    assert_problem(foreign, 422, "invalid_action")
    assert_problem(unknown, 422, "invalid_action")
    assert backwards.status_code == 200
    assert_problem(again, 409, "action_state")


def test_the_effect_of_a_planted_improvement_reads_clear_through_the_api(app, client, clock, people):
    fleet = planted_fleet(app)
    token = make(app, clock, people["admin"], "actions:read", "actions:write")
    made = _create(
        client,
        token,
        title="Second till",
        kpi="smiley_index",
        scope=f"region:{fleet.region_id}",
        effect_from="2026-09-28",
    ).get_json()["id"]
    clock.at = datetime(2026, 10, 26, 10, 0, tzinfo=UTC)

    effect = client.get(f"/api/v1/actions/{made}/effect", headers=bearer(token)).get_json()
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/actions.csv", headers=bearer(token)).get_data(True))))

    assert effect["verdict"] == "clear"
    assert effect["low"] > 0 and effect["low"] <= 10.0 <= effect["high"]
    assert effect["after"] == {"start": "2026-09-28", "end": "2026-10-25"}
    assert effect["treated"]["stores"] == 3
    assert [(r["id"], r["effect"], r["estimate"]) for r in rows] == [(str(made), "clear", str(effect["estimate"]))]
