"""What the terminal asks, read from a survey config, and the answers a visit becomes (kiosk/visit.py)."""

from __future__ import annotations

import copy

import pytest

from kiosk.terminal import demo_config
from kiosk.visit import Visit, localized, read_survey


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


def test_a_visit_with_only_a_face_is_one_answer(config):
    assert Visit(rating=4, steps=[]).answers(read_survey(config)) == [
        {"question": "rating", "kind": "smiley", "value": 4}
    ]


def test_an_nps_given_where_the_survey_asks_none_is_left_out(config):
    survey = read_survey(config)  # ask_nps is off
    assert Visit(rating=1, steps=[], nps=9).answers(survey) == [{"question": "rating", "kind": "smiley", "value": 1}]


def test_a_config_without_a_survey_asks_for_a_four_face_rating():
    survey = read_survey({})
    assert (survey.faces, survey.reasons, survey.nps, survey.languages) == (4, None, None, ("de", "en"))


def test_the_visit_logic_needs_no_kivy():
    import ast
    from pathlib import Path

    import kiosk.visit

    tree = ast.parse(Path(kiosk.visit.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not any(name and name.split(".")[0] == "kivy" for name in imported)
