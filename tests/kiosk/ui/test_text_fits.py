"""Every text on every screen of the terminal fits its box, at every screen shape a store has,
in German and in English.

Each size runs the real app in its own offscreen window (drive.py, scenario "fit"): the rating,
the reasons (also with one picked), the 0-10 question, the thank-you, out of order, the PIN pad
(also after a wrong PIN) and the staff screen with the values of an enrolled terminal in trouble,
once with German as the store's first language and once with English. Of every label shown it
reports the lines Kivy laid out into the texture. A label fails when its texture is wider or
taller than its box, when its box leaves the window, when text was left out or shortened, or when
a line ends inside a word (a word may only be broken where a hyphen was put). Screenshots land
in test-artifacts/kiosk/fit-<size>-<language>-<screen>.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

SIZES = ["800x480", "800x600", "1024x768", "1280x800", "1920x1080", "480x800", "768x1024", "1080x1920"]
SCREENS = ["rating", "follow_up", "follow_up_picked", "nps", "thanks", "out_of_order", "pin", "pin_wrong", "admin"]
SLACK = 1.0  # pixels: the layout rounds


LONG_REASON = {"de": "Selbstbedienungskassen", "en": "Self-service checkouts"}


def survey_with_a_long_compound() -> dict[str, Any]:
    """The demo survey with one more reason, a German compound too wide for a reason's button
    on the smaller screens."""
    from kiosk.terminal import demo_config

    survey = demo_config()["survey"]
    reasons = next(question for question in survey["questions"] if question["kind"] == "choice")
    reasons["options"].append({"id": "self_checkout", "text": LONG_REASON})
    return survey


@pytest.fixture(scope="module", params=SIZES)
def fit(request, run_scenario):
    config = {"kiosk": {"ask_nps": True}, "survey": survey_with_a_long_compound()}
    return run_scenario("fit", size=request.param, config=config, name="fit")


def line_problems(shown: str, lines: list[str]) -> list[str]:
    """What went wrong between the text a label was to show and the lines it shows."""
    position = 0
    for number, line in enumerate(lines):
        line = line.strip()
        while position < len(shown) and shown[position].isspace():
            position += 1
        if not shown.startswith(line, position):
            return [f"shows {line!r} where the text goes on {shown[position:]!r}"]
        position += len(line)
        last = number == len(lines) - 1
        if not last and line and position < len(shown) and not shown[position].isspace():
            return [f"breaks a word after {line!r}"]
    rest = shown[position:].strip()
    return [f"leaves out {rest!r}"] if rest else []


def letters(text: str) -> str:
    return re.sub(r"[\s\-]", "", text)


def label_problems(label: dict[str, Any], window: list[int]) -> list[str]:
    x, y, width, height = label["box"]
    texture_width, texture_height = label["texture"]
    found = []
    if texture_width > width + SLACK:
        found.append(f"texture {texture_width:.0f} px wide in a box of {width:.0f}")
    if texture_height > height + SLACK:
        found.append(f"texture {texture_height:.0f} px tall in a box of {height:.0f}")
    outside = x < -SLACK or y < -SLACK or x + width > window[0] + SLACK or y + height > window[1] + SLACK
    if outside and not label["in_scroll_view"]:
        found.append(f"box {label['box']} leaves the window")
    if label["shortened"]:
        found.append("shortened")
    if letters(label["shown"]) != letters(label["text"]):
        found.append(f"shows {label['shown']!r} for {label['text']!r}")
    return found + line_problems(label["shown"], label["lines"])


def clipped(fit) -> list[str]:
    return [
        f"{screen['language']} {screen['screen']}: {label['type']} {label['text']!r}: {problem}"
        for screen in fit["screens"]
        for label in screen["labels"]
        for problem in label_problems(label, fit["window_size"])
    ]


def test_the_check_finds_a_word_broken_inside_and_text_left_out():
    assert line_problems("Warenverfügbarkeit", ["Warenverfügb", "arkeit"]) == ["breaks a word after 'Warenverfügb'"]
    assert line_problems("Waren-\nverfügbarkeit", ["Waren-", "verfügbarkeit"]) == []
    assert line_problems("Wartezeit an der Kasse", ["Wartezeit an", "der Kasse"]) == []
    assert line_problems("a b c", ["c"]) == ["shows 'c' where the text goes on 'a b c'"]
    assert line_problems("Thank you! Bye", ["Thank you!"]) == ["leaves out 'Bye'"]
    wide = {"box": [0, 0, 349, 113], "texture": [500, 113], "shortened": False, "in_scroll_view": False}
    wide |= {"text": "Thank you!", "shown": "Thank you!", "lines": ["Thank you!"]}
    assert label_problems(wide, [800, 600]) == ["texture 500 px wide in a box of 349"]


def test_every_screen_is_shown_in_both_languages(fit):
    shown = [(s["language"], s["screen"], s["current"]) for s in fit["screens"]]
    expected_screen = {"follow_up_picked": "follow_up", "pin_wrong": "pin"}
    assert shown == [
        (language, screen, expected_screen.get(screen, screen)) for language in ("de", "en") for screen in SCREENS
    ]
    for screen in fit["screens"]:
        assert screen["labels"], screen["screen"]


def english_words_with_german_translations() -> set[str]:
    from babel.messages.pofile import read_po

    from kiosk.translations import LOCALE_DIR

    with (LOCALE_DIR / "de" / "LC_MESSAGES" / "kiosk.po").open("rb") as file:
        return {message.id for message in read_po(file) if message.id and message.string != message.id}


def test_every_screen_speaks_its_language_and_the_staff_screens_the_stores_first(fit):
    english_only = english_words_with_german_translations()
    for screen in fit["screens"]:
        assert screen["app_language"] == screen["language"], screen["screen"]
        texts = {label["text"] for label in screen["labels"]}
        if screen["language"] == "de":
            assert texts & english_only == set(), screen["screen"]
    admin = {(s["language"], label["text"]) for s in fit["screens"] if s["screen"] == "admin" for label in s["labels"]}
    assert {("de", "Betriebsart"), ("de", "Jetzt übertragen"), ("de", "Angemeldet")} <= admin
    assert {("en", "Mode"), ("en", "Sync now"), ("en", "Enrolled")} <= admin


def test_no_text_is_clipped_on_any_screen(fit):
    assert clipped(fit) == []


def test_the_thank_you_says_it_whole(fit):
    titles = [
        label["lines"]
        for screen in fit["screens"]
        if screen["screen"] == "thanks"
        for label in screen["labels"]
        if label["text"] in ("Danke!", "Thank you!")
    ]
    assert titles == [["Danke!"], ["Thank you!"]]


@pytest.mark.parametrize("fit", ["800x600", "1024x768"], indirect=True)
def test_a_german_compound_too_wide_for_its_button_is_hyphenated_at_a_syllable(fit):
    [shown] = [
        label["shown"]
        for screen in fit["screens"]
        if (screen["language"], screen["screen"]) == ("de", "follow_up")
        for label in screen["labels"]
        if label["text"] == LONG_REASON["de"]
    ]
    assert shown in ("Selbst-\nbedienungskassen", "Selbstbedienungs-\nkassen", "Selbstbedienungskas-\nsen")


def test_a_screenshot_of_every_screen_is_kept(fit):
    for screen in fit["screens"]:
        assert Path(screen["shot"]).stat().st_size > 5000
