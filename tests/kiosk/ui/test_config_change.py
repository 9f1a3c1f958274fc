"""A new config from the sync worker's thread reaches the screen on the UI thread, no restart."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def change_run(run_scenario):
    return run_scenario("config_change")


def test_the_change_waits_for_the_ui_thread(change_run):
    assert change_run["before"] == 4
    assert change_run["right_after_thread"] == 4


def test_the_next_frame_shows_the_new_faces_and_question(change_run):
    assert change_run["after_frame"] == 5
    assert change_run["question"] == "Wie zufrieden waren Sie?"


def test_the_new_survey_decides_the_follow_up(change_run):
    # five faces: all but the best two ask for reasons, so the middle face does now
    assert change_run["middle_face_screen"] == "follow_up"
