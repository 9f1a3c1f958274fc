"""/api/v1/analytics/signals: the signals for BI tools, scoped, paged, and as the OpenAPI
document describes them (both databases)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.hub.alerting import sign_in_as
from tests.hub.test_openapi import check_answer
from tests.hub.test_signals import planted_drop, run_job, signals_of

PATH = "/api/v1/analytics/signals"


@pytest.fixture
def detected(app, clock, people, terminal):
    planted_drop(terminal)
    run_job(app, clock)
    return signals_of(app)


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_hq_pages_through_the_signals_newest_first(app, client, people, detected, doc):
    sign_in_as(client, people["admin"])

    first = client.get(f"{PATH}?limit=1")
    check_answer(doc, "GET", PATH, first)
    body = first.get_json()
    assert [s["id"] for s in body["signals"]] == [max(s.id for s in detected)]
    assert first.headers["Link"] == f'<{body["next"]}>; rel="next"'

    url = urlsplit(body["next"])
    second = client.get(f"{url.path}?{url.query}")
    check_answer(doc, "GET", PATH, second)
    rest = second.get_json()
    assert [s["id"] for s in rest["signals"]] == [min(s.id for s in detected)]
    assert rest["next"] is None

    row = next(s for s in rest["signals"] + body["signals"] if s["kpi"] == "unhappy_share")
    assert (row["store"], row["current_value"], row["current_n"], row["baseline_value"], row["baseline_n"]) == (
        "B001",
        40.0,
        140,
        20.0,
        560,
    )
    assert row["test"] == "one-sided z-test on weekly means (8 weeks, no spread beyond chance)"
    assert 0 < row["p_value"] < 1e-4


def test_a_store_manager_gets_only_their_stores_signals(client, people, detected, doc):
    sign_in_as(client, people["hans"])  # H002
    mine = client.get(PATH)
    check_answer(doc, "GET", PATH, mine)
    assert mine.get_json()["signals"] == []
    other = client.get(f"{PATH}?store=B001")
    check_answer(doc, "GET", PATH, other)
    assert other.status_code == 404

    sign_in_as(client, people["mia"])  # B001
    assert {s["store"] for s in client.get(f"{PATH}?store=B001").get_json()["signals"]} == {"B001"}


def test_state_narrows_the_list_and_a_bad_one_is_named(client, people, detected, doc):
    sign_in_as(client, people["admin"])
    assert client.get(f"{PATH}?state=dismissed").get_json()["signals"] == []
    assert len(client.get(f"{PATH}?state=open").get_json()["signals"]) == 2
    bad = client.get(f"{PATH}?state=closed")
    check_answer(doc, "GET", PATH, bad)
    assert bad.status_code == 400
    assert bad.get_json()["parameter"] == "state"


def test_signed_out_callers_get_401(client, detected, doc):
    answer = client.get(PATH)
    check_answer(doc, "GET", PATH, answer)
    assert answer.status_code == 401
