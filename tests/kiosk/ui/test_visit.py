"""A shopper's visit on the real app: a tap, an optional reason, a thank-you, and the response on
disk before the thank-you shows."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def reason_run(run_scenario):
    return run_scenario("reason")


@pytest.fixture(scope="module")
def best_face_run(run_scenario):
    return run_scenario("no_follow_up")


@pytest.fixture(scope="module")
def timeouts_run(run_scenario):
    return run_scenario("timeouts")


@pytest.fixture(scope="module")
def rapid_run(run_scenario):
    return run_scenario("rapid")


@pytest.fixture(scope="module")
def nps_run(run_scenario):
    return run_scenario("nps", config={"kiosk": {"ask_nps": True}})


def test_the_worst_face_asks_for_the_reasons_as_chips(reason_run):
    assert reason_run["after_face"] == "follow_up"
    assert reason_run["chips"] == ["queue", "staff", "stock", "cleanliness", "price"]


def test_reasons_picked_and_done_are_stored_with_the_rating_before_the_thank_you(reason_run):
    assert reason_run["chips_down"] == ["queue", "cleanliness"]
    assert reason_run["after_done"] == "thanks"
    assert reason_run["committed_when_shown"] == {"thanks#1": 1}
    [response] = reason_run.responses
    assert response["answers"] == [
        {"question": "rating", "kind": "smiley", "value": 1},
        {"question": "reason", "kind": "choice", "value": ["queue", "cleanliness"]},
    ]
    assert response["locale"] == "de"
    assert response["channel"] == "kiosk"
    assert "flags" not in response


def test_a_face_without_follow_up_is_stored_at_the_tap(best_face_run):
    assert best_face_run["before"] == 0
    assert best_face_run["after_face"] == "thanks"
    assert best_face_run["committed_when_shown"] == {"thanks#1": 1}
    [response] = best_face_run.responses
    assert response["answers"] == [{"question": "rating", "kind": "smiley", "value": 4}]


def test_walking_away_from_the_follow_up_stores_the_rating_without_a_reason(timeouts_run):
    assert timeouts_run["after_face"] == "follow_up"
    assert timeouts_run["before_follow_up_timeout"] == "follow_up"
    assert timeouts_run["committed_before_timeout"] == 0
    assert timeouts_run["after_follow_up_timeout"] == "rating"
    assert timeouts_run["committed_after_timeout"] == 1
    assert timeouts_run.responses[0]["answers"] == [{"question": "rating", "kind": "smiley", "value": 2}]


def test_the_thank_you_returns_to_the_faces_after_its_time(timeouts_run):
    assert timeouts_run["after_best_face"] == "thanks"
    assert timeouts_run["after_thank_you_time"] == "rating"


def test_an_idle_terminal_returns_to_the_faces_in_the_first_language(timeouts_run):
    assert timeouts_run["language_after_switch"] == "en"
    assert timeouts_run["language_after_idle"] == "de"
    assert timeouts_run["screen_after_idle"] == "rating"


def test_an_idle_pin_pad_returns_to_the_faces(timeouts_run):
    assert timeouts_run["pin_open"] == "pin"
    assert timeouts_run["after_pin_idle"] == "rating"


def test_rapid_presses_are_all_stored_and_all_but_the_first_flagged_suspect(rapid_run):
    assert rapid_run["screens"] == ["thanks"] * 5
    assert rapid_run["real_seconds"] < 3  # the demo config's press interval
    responses = rapid_run.responses
    assert [r["seq"] for r in responses] == [1, 2, 3, 4, 5]
    assert [r.get("flags", []) for r in responses] == [[]] + [["suspect"]] * 4


def test_the_nps_step_when_configured_is_stored_with_the_rating(nps_run):
    assert nps_run["after_face"] == "nps"
    assert nps_run["committed_on_nps"] == 0
    assert nps_run["after_nine"] == "thanks"
    first, _ = nps_run.responses
    assert first["answers"] == [
        {"question": "rating", "kind": "smiley", "value": 4},
        {"question": "nps", "kind": "nps", "value": 9},
    ]


def test_the_nps_step_can_be_skipped(nps_run):
    assert nps_run["after_skip"] == "thanks"
    skipped = nps_run.responses[1]
    assert skipped["answers"] == [{"question": "rating", "kind": "smiley", "value": 4}]
