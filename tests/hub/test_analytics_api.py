"""The analytics API for BI tools: its figures equal the scores recomputed from the raw
responses (ingested through the real signed sync path), its lists page through every row
exactly once by cursor (also while responses arrive), each person sees only their stores,
and a parameter it cannot use answers a documented problem."""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import pytest

from shared.scoring import nps, smiley_index
from tests.hub.alerting import sign_in_as
from tests.hub.analytics_data import feedback, raw_counts, send, total
from tests.hub.conftest import assert_problem, rows

FACES = 4
TODAY = date(2026, 11, 23)  # the test clock's day (conftest.START)
FROM, TO = "2026-11-01", "2026-11-23"


B001_DAYS = [(date(2026, 11, d), d % 11, [4, 3, 1, 2, 4, 4, 3][: 3 + d % 5]) for d in range(1, 23)]
B001_BEFORE = [(date(2026, 10, d), 5, [1, 2, 2, 4]) for d in range(12, 20)]
H002_DAYS = [(date(2026, 11, d), 9, [4, 4, 2]) for d in (3, 10, 21)]


@pytest.fixture
def data(terminal, other_terminal) -> None:
    send(terminal, feedback(terminal, B001_DAYS + B001_BEFORE))
    send(terminal, feedback(terminal, [(date(2026, 11, 22), 10, [1, 4])], hour=23))  # Berlin: the 23rd
    send(other_terminal, feedback(other_terminal, H002_DAYS))


@pytest.fixture
def hq(client, people, data):
    sign_in_as(client, people["ana"])  # an HQ analyst reads everything
    return client


@pytest.fixture
def mia(client, people, data):
    sign_in_as(client, people["mia"])  # store manager of B001 only
    return client


# --- the truth, from the raw tables ---------------------------------------------------------------


def raw(app, question: str, first: str = FROM, last: str = TO) -> dict[tuple[str, date], Counter]:
    return raw_counts(app, question, first, last)


def period_ids(app) -> set[str]:
    return {str(r[0]) for r in rows(app, "SELECT id FROM response WHERE local_day BETWEEN ? AND ?", (FROM, TO))}


def get(client, url: str) -> dict[str, Any]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def every_page(client, url: str, field: str) -> tuple[list[dict[str, Any]], int]:
    """All rows of a list, following ``next``; and how many pages it took."""
    found, pages = [], 0
    while url:
        body = get(client, url)
        found += body[field]
        pages += 1
        url = body["next"]
    return found, pages


def approx(value: float | None) -> Any:
    return None if value is None else pytest.approx(value)


# --- figures equal the raw recomputation ---------------------------------------------------------


def test_the_overview_equals_the_scores_recomputed_from_the_raw_answers(app, hq):
    body = get(hq, f"/api/v1/analytics/overview?from={FROM}&to={TO}")
    figures = {f["key"]: f for f in body["figures"]}
    smileys, promoters = total(raw(app, "rating")), total(raw(app, "nps"))
    expected = smiley_index(smileys, FACES)

    assert body["period"] == {"from": FROM, "to": TO}
    assert body["previous_period"] == {"from": "2026-10-09", "to": "2026-10-31"}
    assert figures["smiley_index"]["value"] == approx(expected.value)
    assert figures["smiley_index"]["n"] == expected.n == sum(smileys.values())
    assert (figures["smiley_index"]["low"], figures["smiley_index"]["high"]) == (
        approx(expected.low),
        approx(expected.high),
    )
    assert figures["nps"]["value"] == approx(nps(promoters).value)
    assert figures["volume"]["value"] == sum(smileys.values())


def test_the_overview_compares_with_the_period_before(app, hq):
    body = get(hq, f"/api/v1/analytics/overview?from={FROM}&to={TO}&store=B001")
    figure = next(f for f in body["figures"] if f["key"] == "smiley_index")
    before = smiley_index(total(raw(app, "rating", "2026-10-09", "2026-10-31"), "B001"), FACES)

    assert figure["previous"]["value"] == approx(before.value)
    assert figure["previous"]["n"] == before.n == 8 * 4
    assert figure["change"] == approx(figure["value"] - before.value)


def test_daily_rows_hold_the_raw_counts_of_every_store_and_local_day(app, hq):
    days, _ = every_page(hq, f"/api/v1/analytics/daily?from={FROM}&to={TO}", "days")
    faces, promoters = raw(app, "rating"), raw(app, "nps")

    assert {(d["store"], date.fromisoformat(d["day"])) for d in days} == set(faces)
    for d in days:
        key = (d["store"], date.fromisoformat(d["day"]))
        assert d["faces"] == {str(f): faces[key][f] for f in range(1, FACES + 1)}
        assert d["responses"] == sum(faces[key].values())
        assert d["smiley_index"]["value"] == approx(smiley_index(faces[key], FACES).value)
        assert d["nps"]["n"] == sum(promoters[key].values())
        assert d["nps"]["promoters"] == sum(c for v, c in promoters[key].items() if v >= 9)
        assert d["nps"]["detractors"] == sum(c for v, c in promoters[key].items() if v <= 6)
        assert d["nps"]["value"] == approx(nps(promoters[key]).value)


def test_a_late_evening_response_counts_on_the_stores_local_day(hq):
    days, _ = every_page(hq, "/api/v1/analytics/daily?from=2026-11-23&to=2026-11-23&store=B001", "days")

    assert [(d["day"], d["responses"]) for d in days] == [("2026-11-23", 2)]  # 23:00 UTC is 00:00 in Berlin


def test_the_weekly_trend_holds_every_answer_of_the_period(app, hq):
    points, _ = every_page(hq, f"/api/v1/analytics/trend?from={FROM}&to={TO}&grain=week&store=B001", "points")
    faces = raw(app, "rating")
    weeks: dict[date, Counter] = defaultdict(Counter)
    for (code, day), counts in faces.items():
        if code == "B001":
            weeks[day - timedelta(days=day.weekday())].update(counts)

    assert [p["start"] for p in points] == [
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
    ]
    for p in points:
        expected = smiley_index(weeks[date.fromisoformat(p["start"])], FACES)
        assert (p["smiley_index"]["value"], p["smiley_index"]["n"]) == (approx(expected.value), expected.n)


def test_stores_are_ranked_and_a_small_sample_is_marked_without_a_rank(app, hq):
    body = get(hq, f"/api/v1/analytics/stores?from={FROM}&to={TO}")
    stores = {s["code"]: s for s in body["stores"]}
    b001 = smiley_index(total(raw(app, "rating"), "B001"), FACES)

    assert [s["code"] for s in body["stores"]] == ["B001", "H002"]
    assert stores["B001"]["rank"] == 1 and not stores["B001"]["small_sample"]
    assert stores["B001"]["smiley_index"]["value"] == approx(b001.value)
    assert stores["H002"]["rank"] is None and stores["H002"]["small_sample"]
    assert stores["H002"]["smiley_index"]["n"] == 9


def test_touchpoints_of_a_store(hq):
    body = get(hq, f"/api/v1/analytics/touchpoints?from={FROM}&to={TO}&store=H002")

    assert [(t["store"], t["code"], t["smiley_index"]["n"]) for t in body["touchpoints"]] == [("H002", "exit", 9)]


# --- raw responses ---------------------------------------------------------------------------------


def test_raw_responses_carry_their_answers_and_never_the_contact(app, hq):
    found, _ = every_page(hq, f"/api/v1/analytics/responses?from={FROM}&to={TO}&limit=1000", "responses")
    stored = {
        str(rid): (code, str(day)[:10])
        for rid, code, day in rows(
            app,
            "SELECT r.id, s.code, r.local_day FROM response r JOIN store s ON s.id = r.store_id "
            "WHERE r.local_day BETWEEN ? AND ?",
            (FROM, TO),
        )
    }
    with_reasons = next(r for r in found if any(a["kind"] == "choice" and len(a["value"]) == 2 for a in r["answers"]))

    assert {r["id"]: (r["store"], r["local_day"]) for r in found} == stored
    assert {a["question"] for a in with_reasons["answers"]} >= {"rating", "nps", "reason"}
    assert next(a for a in with_reasons["answers"] if a["question"] == "reason")["value"] == ["queue", "staff"]
    assert "customer@example.net" not in str(found) and all("contact" not in r for r in found)
    assert any(a["value"].startswith("comment") for r in found for a in r["answers"] if a["kind"] == "text")


# --- paging ----------------------------------------------------------------------------------------


def test_paging_responses_by_three_returns_each_exactly_once_while_new_ones_arrive(app, hq, terminal):
    url = f"/api/v1/analytics/responses?from={FROM}&to={TO}&limit=3"
    before = period_ids(app)
    seen: list[str] = []
    pages = 0
    while url:
        body = get(hq, url)
        assert len(body["responses"]) <= 3
        seen += [r["id"] for r in body["responses"]]
        pages += 1
        if pages % 5 == 1:  # responses arrive all over the period, before and after the cursor
            send(terminal, feedback(terminal, [(date(2026, 11, 1 + pages % 22), 3, [2, 4])]))
        url = body["next"]

    assert len(seen) == len(set(seen))  # nothing twice
    assert before <= set(seen) <= period_ids(app)  # everything that was there when paging began
    assert pages > 10


def test_paging_daily_rows_by_two_returns_each_store_day_once_while_responses_arrive(app, hq, terminal):
    everything, _ = every_page(hq, f"/api/v1/analytics/daily?from={FROM}&to={TO}", "days")
    url = f"/api/v1/analytics/daily?from={FROM}&to={TO}&limit=2"
    seen: list[tuple[str, str]] = []
    while url:
        body = get(hq, url)
        assert len(body["days"]) <= 2
        seen += [(d["day"], d["store"]) for d in body["days"]]
        send(terminal, feedback(terminal, [(date(2026, 11, 5), 3, [1])]))  # behind the cursor
        url = body["next"]

    assert len(seen) == len(set(seen))
    assert set(seen) == {(d["day"], d["store"]) for d in everything}
    assert seen == sorted(seen)  # by day, then store


def test_the_next_link_is_also_the_link_header_and_the_last_page_has_none(hq):
    first = hq.get(f"/api/v1/analytics/daily?from={FROM}&to={TO}&limit=5")
    body = first.get_json()
    last = hq.get(f"/api/v1/analytics/daily?from={FROM}&to={TO}&limit=1000")

    assert first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    assert "limit=5" in body["next"] and "from=2026-11-01" in body["next"]
    assert last.get_json()["next"] is None and "Link" not in last.headers


def test_the_default_limit_is_100_and_the_most_is_1000(app, hq, terminal):
    send(terminal, feedback(terminal, [(date(2026, 11, 12), 4, [4] * 7) for _ in range(20)]))

    assert len(get(hq, f"/api/v1/analytics/responses?from={FROM}&to={TO}")["responses"]) == 100
    assert_problem(hq.get("/api/v1/analytics/responses?limit=1001"), 400, "bad_parameter")


# --- scope -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["overview", "trend", "touchpoints", "daily", "responses"])
def test_a_store_manager_gets_not_found_for_another_store(mia, endpoint):
    assert_problem(mia.get(f"/api/v1/analytics/{endpoint}?store=H002"), 404, "not_found")
    assert_problem(mia.get(f"/api/v1/analytics/{endpoint}?store=NOPE"), 404, "not_found")


def test_a_store_managers_lists_hold_only_their_store(app, mia):
    stores = get(mia, f"/api/v1/analytics/stores?from={FROM}&to={TO}")["stores"]
    days, _ = every_page(mia, f"/api/v1/analytics/daily?from={FROM}&to={TO}&limit=1000", "days")
    found, _ = every_page(mia, f"/api/v1/analytics/responses?from={FROM}&to={TO}&limit=1000", "responses")
    overview = get(mia, f"/api/v1/analytics/overview?from={FROM}&to={TO}")
    smiley = next(f for f in overview["figures"] if f["key"] == "smiley_index")

    assert [s["code"] for s in stores] == ["B001"]
    assert {d["store"] for d in days} == {r["store"] for r in found} == {"B001"}
    assert smiley["n"] == sum(total(raw(app, "rating"), "B001").values())


def test_a_cursor_cannot_reach_beyond_the_scope(mia):
    forged = base64.urlsafe_b64encode(b'["responses",0,"2026-11-01",""]').decode().rstrip("=")
    found, _ = every_page(mia, f"/api/v1/analytics/responses?from={FROM}&to={TO}&cursor={forged}", "responses")

    assert found and {r["store"] for r in found} == {"B001"}


def test_strangers_must_sign_in(client, data):
    assert_problem(client.get("/api/v1/analytics/overview"), 401, "sign_in_required")
    assert_problem(client.get("/api/v1/analytics/responses"), 401, "sign_in_required")


# --- parameters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("overview?from=2026-13-01", "from"),
        ("overview?to=yesterday", "to"),
        ("overview?to=", "to"),
        ("overview?from=2026-11-20&to=2026-11-01", "from"),
        ("overview?from=2024-01-01&to=2026-11-01", "from"),
        ("trend?grain=hour", "grain"),
        ("stores?limit=0", "limit"),
        ("daily?limit=ten", "limit"),
        ("responses?cursor=not-a-cursor", "cursor"),
        ("daily?cursor=WyJyZXNwb25zZXMiLDEsIjIwMjYtMTEtMDEiLCJ4Il0", "cursor"),  # a responses cursor
        ("daily?cursor=WyJkYWlseSIsIm5vdCBhIGRheSIsMV0", "cursor"),  # ["daily","not a day",1]
    ],
)
def test_a_parameter_that_cannot_be_used_is_named_in_the_problem(hq, query, parameter):
    body = assert_problem(hq.get(f"/api/v1/analytics/{query}"), 400, "bad_parameter")

    assert body["parameter"] == parameter
