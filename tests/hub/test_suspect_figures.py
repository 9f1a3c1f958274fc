"""Suspect responses (a terminal's hammered buttons, phone answers faster than a person reads,
bursts from one client) are left out of every figure by default; the dashboards and the
analytics API say how many there are and count them when asked, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from shared.protocol import format_time
from shared.scoring import smiley_index
from tests.hub.conftest import ADMIN_PASSWORD, rows
from tests.hub.test_dashboards import sign_in

FACES = 4
PERIOD = {"from": "2026-11-01", "to": "2026-11-23"}  # the test clock's day is 23 Nov
HAPPY = [4, 4, 3, 4, 4, 3, 4, 2, 4, 4]  # a person's taps
HAMMERED = [1, 1, 1, 1, 1, 1]  # a child pressing the unhappy face, flagged suspect by the terminal


@pytest.fixture
def hq(client, terminal):
    items = []
    for number, face in enumerate(HAPPY + HAMMERED):
        captured = datetime(2026, 11, 20, 10, number, tzinfo=UTC)
        item = terminal.response(face, captured_at=format_time(captured))
        if number >= len(HAPPY):
            item["flags"] = ["suspect"]
        items.append(item)
    answer = terminal.post_batch(items)
    assert {r["status"] for r in answer.get_json()["results"]} == {"accepted"}
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    return client


def raw_faces(app, *, suspect: bool | None) -> dict[int, int]:
    """Smiley counts from the raw tables: only suspect ones, only others, or all (None)."""
    found: dict[int, int] = {}
    for number, flags in rows(
        app,
        "SELECT a.number, r.flags FROM answer a JOIN response r ON r.id = a.response_id WHERE a.question = 'rating'",
    ):
        if suspect is None or ("suspect" in flags.split()) == suspect:
            found[number] = found.get(number, 0) + 1
    return found


def index(counts: dict[int, int]) -> float:
    return round(smiley_index(counts, FACES).value, 1)


def test_the_api_leaves_suspect_responses_out_and_says_how_many(app, hq):
    default = hq.get("/api/v1/analytics/overview", query_string=PERIOD).get_json()
    counted = hq.get("/api/v1/analytics/overview", query_string={**PERIOD, "suspect": "include"}).get_json()

    figures = {f["key"]: f for f in default["figures"]}
    figures_with = {f["key"]: f for f in counted["figures"]}
    assert default["suspect"] == {"responses": len(HAMMERED), "counted": False}
    assert counted["suspect"] == {"responses": len(HAMMERED), "counted": True}
    assert figures["volume"]["n"] == len(HAPPY) == sum(raw_faces(app, suspect=False).values())
    assert figures_with["volume"]["n"] == len(HAPPY) + len(HAMMERED)
    assert round(figures["smiley_index"]["value"], 1) == index(raw_faces(app, suspect=False))
    assert round(figures_with["smiley_index"]["value"], 1) == index(raw_faces(app, suspect=None))
    assert figures_with["smiley_index"]["value"] < figures["smiley_index"]["value"]


@pytest.mark.parametrize("path", ["overview", "trend", "stores", "touchpoints"])
def test_every_analytics_answer_follows_the_switch(hq, path):
    default = hq.get(f"/api/v1/analytics/{path}", query_string=PERIOD).get_json()
    counted = hq.get(f"/api/v1/analytics/{path}", query_string={**PERIOD, "suspect": "include"}).get_json()
    assert default != counted
    refused = hq.get(f"/api/v1/analytics/{path}", query_string={**PERIOD, "suspect": "yes"})
    assert refused.status_code == 400 and refused.get_json()["code"] == "bad_parameter"


def test_the_dashboard_says_how_many_are_left_out_and_counts_them_when_asked(app, hq):
    page = hq.get("/dashboard", query_string=PERIOD).get_data(as_text=True)
    assert '<p class="card suspect-note" id="suspect-note"><strong>6</strong> suspect responses are not counted' in page
    assert "suspect=include" in page  # the switch

    switched = hq.get("/dashboard", query_string={**PERIOD, "suspect": "include"}).get_data(as_text=True)
    assert "Counting <strong>6</strong> suspect responses" in switched
    assert 'name="suspect" value="include" checked' in switched
    value = f'data-value="{index(raw_faces(app, suspect=None)):.1f}"'
    assert value in switched and value not in page


def test_exports_follow_the_switch(hq):
    def trend_n(**extra: str) -> int:
        answer = hq.get("/dashboard.csv", query_string={**PERIOD, "view": "trend", **extra})
        return sum(int(row["smiley_n"]) for row in csv.DictReader(io.StringIO(answer.get_data(as_text=True))))

    assert trend_n() == len(HAPPY)
    assert trend_n(suspect="include") == len(HAPPY) + len(HAMMERED)


def test_the_hours_page_says_what_it_leaves_out(hq):
    page = hq.get("/dashboard/hours", query_string=PERIOD).get_data(as_text=True)
    assert "6 suspect responses are not counted here." in page


def test_the_suspect_count_is_scoped_by_store_and_day(app, hq, store, other_store):
    """suspect_total sums the question index alone (v0035): the stores and days asked for, no
    others, equal to the answers flagged suspect in the raw tables."""
    from datetime import date

    from hub.queries.scores import suspect_total
    from tests.hub.conftest import connected

    day = date(2026, 11, 20)
    flagged = sum(raw_faces(app, suspect=True).values())
    with connected(app):
        assert suspect_total("rating", day, day, None) == flagged == len(HAMMERED)
        assert suspect_total("rating", date(2026, 11, 1), day, [store.id]) == flagged
        assert suspect_total("rating", day, day, [other_store.id]) == 0
        assert suspect_total("rating", day, day, []) == 0
        assert suspect_total("rating", date(2026, 11, 21), date(2026, 11, 23), None) == 0
        assert suspect_total("reasons", day, day, None) == 0
