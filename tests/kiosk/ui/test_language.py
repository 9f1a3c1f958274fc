"""The language switch: the store's languages, the survey's own words in each."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def language_run(run_scenario):
    return run_scenario("language")


def test_the_rating_screen_starts_in_the_stores_first_language(language_run):
    assert language_run["language"] == "de"
    assert language_run["question"] == "Wie war Ihr Einkauf heute?"
    assert language_run["buttons"] == ["Deutsch", "English"]


def test_the_language_switch_changes_the_question(language_run):
    assert language_run["language_after"] == "en"
    assert language_run["question_after"] == "How was your visit today?"


def test_the_switch_marks_the_chosen_language_and_switches_back(language_run):
    assert language_run["switch_after"] == [["Deutsch", "de", False], ["English", "en", True]]
    assert language_run["language_back"] == "de"


def test_the_follow_up_speaks_the_chosen_language(language_run):
    assert language_run["follow_up_question"] == "What was the reason?"
    assert language_run["chip_texts"][0] == "Waiting at the till"


def test_a_visit_open_when_the_app_stops_is_stored_in_its_language(language_run):
    [response] = language_run.responses  # the run ended on the follow-up screen
    assert response["locale"] == "en"
    assert response["answers"] == [{"question": "rating", "kind": "smiley", "value": 1}]
