"""Actions and tasks for machines and spreadsheets: an action's tasks and its effect in the JSON
API as the OpenAPI document describes them, and the CSV downloads of actions and of tasks for
every store in scope or one store, from the API and from the actions list page."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hub.services import actions
from hub.services.access import scope_for
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import START, assert_problem, connected
from tests.hub.test_api_tokens import bearer, make
from tests.hub.test_openapi import check_answer

DOC = json.loads((Path(__file__).resolve().parents[2] / "hub" / "api" / "openapi.json").read_text())


def two_stores_with_tasks(app, people, store, other_store):
    """An action of B001 with a done and an open task, one of H002 with one task."""
    admin = people["admin"]
    with connected(app):
        scope = scope_for(admin)
        berlin = actions.create_action(
            scope, admin, {"title": "Second till", "kpi": "smiley_index", "scope": f"store:{store.id}"}, now=START
        )
        hamburg = actions.create_action(
            scope, admin, {"title": "Fresh counter", "kpi": "csat", "scope": f"store:{other_store.id}"}, now=START
        )
        done = actions.add_task(
            scope,
            admin,
            berlin.id,
            {"title": "=Order it", "assignee": people["mia"].id, "due_on": "2026-11-20"},
            now=START,
        )
        actions.update_task(scope, admin, berlin.id, done.id, {"done": True}, now=START)
        actions.add_task(scope, admin, berlin.id, {"title": "Roster", "due_on": "2026-11-20"}, now=START)
        actions.add_task(scope, admin, hamburg.id, {"title": "Clean"}, now=START)
    return berlin, hamburg


def rows(answer, sig: bool):
    text = answer.get_data().decode("utf-8-sig" if sig else "utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_tasks_of_an_action_come_as_the_document_says(app, client, clock, people, store, other_store):
    berlin, _ = two_stores_with_tasks(app, people, store, other_store)
    token = make(app, clock, people["mia"], "actions:read")

    answer = client.get(f"/api/v1/actions/{berlin.id}/tasks", headers=bearer(token))

    check_answer(DOC, "GET", "/api/v1/actions/{action_id}/tasks", answer)
    tasks = answer.get_json()["tasks"]
    assert [(t["title"], t["done"], t["assignee"]) for t in tasks] == [
        ("=Order it", True, people["mia"].id),
        ("Roster", False, None),
    ]


def test_another_stores_tasks_and_a_token_without_the_scope_are_refused(app, client, clock, people, store, other_store):
    _, hamburg = two_stores_with_tasks(app, people, store, other_store)
    mia = make(app, clock, people["mia"], "actions:read")
    cases_only = make(app, clock, people["mia"], "cases:read")

    assert_problem(client.get(f"/api/v1/actions/{hamburg.id}/tasks", headers=bearer(mia)), 404, "not_found")
    refused = client.get("/api/v1/actions/tasks.csv", headers=bearer(cases_only))
    assert refused.status_code == 403


def test_the_effect_of_an_action_comes_with_verdict_interval_n_and_dates(app, client, clock, people, store):
    token = make(app, clock, people["admin"], "actions:read", "actions:write")
    made = client.post(
        "/api/v1/actions",
        json={"title": "Till", "kpi": "nps", "scope": f"store:{store.id}", "effect_from": "2026-11-01"},
        headers=bearer(token),
    )

    answer = client.get(f"/api/v1/actions/{made.get_json()['id']}/effect", headers=bearer(token))

    check_answer(DOC, "GET", "/api/v1/actions/{action_id}/effect", answer)
    effect = answer.get_json()
    assert effect["verdict"] == "pending" and effect["effect_from"] == "2026-11-01"
    assert {"estimate", "low", "high", "before", "after", "treated", "comparison"} <= set(effect)


def test_the_api_csvs_hold_every_store_in_scope_or_one_store(app, client, clock, people, store, other_store):
    berlin, hamburg = two_stores_with_tasks(app, people, store, other_store)
    token = make(app, clock, people["admin"], "actions:read")

    every = rows(client.get("/api/v1/actions.csv", headers=bearer(token)), sig=False)
    one = rows(client.get("/api/v1/actions.csv?store=B001", headers=bearer(token)), sig=False)
    tasks = rows(client.get("/api/v1/actions/tasks.csv?store=B001", headers=bearer(token)), sig=False)

    assert {r["id"] for r in every} == {str(berlin.id), str(hamburg.id)}
    assert [(r["id"], r["tasks"], r["tasks_done"]) for r in one] == [(str(berlin.id), "2", "1")]
    assert [(r["title"], r["done"], r["overdue"], r["assignee"]) for r in tasks] == [
        ("'=Order it", "yes", "", "Mia Manager"),  # a formula is written as text
        ("Roster", "", "yes", ""),
    ]


def test_a_store_outside_the_scope_is_not_found_and_a_code_that_cannot_be_one_is_refused(
    app, client, clock, people, store, other_store
):
    two_stores_with_tasks(app, people, store, other_store)
    token = make(app, clock, people["mia"], "actions:read")

    assert_problem(client.get("/api/v1/actions/tasks.csv?store=H002", headers=bearer(token)), 404, "not_found")
    assert_problem(client.get("/api/v1/actions/tasks.csv?store=%00%13", headers=bearer(token)), 404, "not_found")
    assert_problem(client.get("/api/v1/actions.csv?store=" + "X" * 41, headers=bearer(token)), 400, "malformed_request")


def test_the_list_page_offers_both_downloads_per_store_and_they_are_scoped(app, client, people, store, other_store):
    two_stores_with_tasks(app, people, store, other_store)
    sign_in_as(client, people["mia"])

    page = client.get("/actions").get_data(as_text=True)
    tasks = client.get("/actions/tasks.csv?store=B001")
    theirs = client.get("/actions/tasks.csv?store=H002")

    assert 'id="downloads"' in page and 'formaction="/actions/tasks.csv"' in page
    assert '<option value="B001">' in page and '<option value="H002">' not in page
    assert tasks.mimetype == "text/csv" and tasks.get_data().startswith("\ufeff".encode())
    assert [r["title"] for r in rows(tasks, sig=True)] == ["'=Order it", "Roster"]
    assert theirs.status_code == 404
