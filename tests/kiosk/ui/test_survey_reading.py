"""What the terminal asks, read from a survey config; no window needed."""

from __future__ import annotations

import copy

import pytest

from kiosk.app import Visit, localized, read_admin_pin, read_survey
from kiosk.faces import face_look
from kiosk.terminal import demo_config


@pytest.fixture
def config():
    return copy.deepcopy(demo_config())


def test_the_worse_faces_get_the_reasons_and_the_best_two_none(config):
    survey = read_survey(config)
    assert survey.faces == 4
    assert [len(survey.reasons_for(v)) for v in (1, 2, 3, 4)] == [5, 5, 0, 0]
    assert survey.steps_after(1) == ["follow_up"]
    assert survey.steps_after(4) == []


def test_the_survey_may_say_which_faces_get_which_reasons(config):
    reasons = config["survey"]["questions"][1]
    reasons["for_ratings"] = [1, 2, 3]
    reasons["options"][4]["for_ratings"] = [3]  # "price" only after the middle face
    survey = read_survey(config)
    assert [o["id"] for o in survey.reasons_for(1)] == ["queue", "staff", "stock", "cleanliness"]
    assert [o["id"] for o in survey.reasons_for(3)][-1] == "price"
    assert survey.reasons_for(4) == []


def test_nps_is_asked_only_when_the_kiosk_config_says_so(config):
    assert read_survey(config).nps is None
    config["kiosk"]["ask_nps"] = True
    assert read_survey(config).steps_after(4) == ["nps"]
    assert read_survey(config).steps_after(1) == ["follow_up", "nps"]


def test_a_visit_becomes_the_protocols_answers(config):
    config["kiosk"]["ask_nps"] = True
    survey = read_survey(config)
    visit = Visit(rating=2, steps=[], reasons=["queue"], nps=3)
    assert visit.answers(survey) == [
        {"question": "rating", "kind": "smiley", "value": 2},
        {"question": "reason", "kind": "choice", "value": ["queue"]},
        {"question": "nps", "kind": "nps", "value": 3},
    ]


def test_texts_fall_back_to_another_language():
    assert localized({"de": "Danke", "en": "Thanks"}, "en") == "Thanks"
    assert localized({"de": "Danke"}, "fr") == "Danke"
    assert localized(None, "de") == ""


def test_faces_go_from_a_red_frown_to_a_green_smile():
    worst, best = face_look(1, 5), face_look(5, 5)
    assert worst.curve == -1 and best.curve == 1
    assert worst.colour[0] > worst.colour[1] and best.colour[1] > best.colour[0]
    assert face_look(3, 5).curve == 0
    with pytest.raises(ValueError):
        face_look(5, 4)


def test_the_admin_pin_comes_from_the_data_dir_or_defaults(tmp_path):
    assert read_admin_pin(tmp_path) == "2468"
    (tmp_path / "admin_pin").write_text("9137\n")
    assert read_admin_pin(tmp_path) == "9137"
