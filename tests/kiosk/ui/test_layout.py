"""The screens hold from a 7-inch 800x480 panel to a 1920x1080 screen, landscape and portrait:
every face whole, none overlapping, nothing outside the window. Screenshots of every screen go
to test-artifacts/kiosk/ for a look."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

SIZES = ["800x480", "480x800", "1920x1080", "1080x1920"]
CASES = [(size, 4) for size in SIZES] + [("480x800", 5)]  # five faces on the narrowest screen


@pytest.fixture(scope="module", params=CASES, ids=[f"{s}-{n}faces" for s, n in CASES])
def layout(request, run_scenario):
    size, faces = request.param
    config = {"kiosk": {"ask_nps": True}}
    if faces == 5:
        from kiosk.terminal import demo_config

        survey = demo_config()["survey"]
        survey["questions"][0]["faces"] = 5
        config["survey"] = survey
    return run_scenario("layout", size=size, config=config, name=f"layout-{faces}faces")


def inside(box, window, margin=0.0):
    x, y, w, h = box
    return x >= -margin and y >= -margin and x + w <= window[0] + margin and y + h <= window[1] + margin


def overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def circle_box(face):
    (cx, cy), r = face["center"], face["radius"]
    return [cx - r, cy - r, 2 * r, 2 * r]


def test_the_window_has_the_asked_size(layout):
    assert layout["window_size"] == layout["asked_size"]


def test_every_face_is_whole_inside_the_window(layout):
    assert layout["faces"]
    for face in layout["faces"]:
        assert inside(circle_box(face), layout["window_size"]), face


def test_no_two_faces_overlap(layout):
    for a, b in combinations(layout["faces"], 2):
        assert not overlap(a["box"], b["box"])
        (ax, ay), (bx, by) = a["center"], b["center"]
        assert ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 >= a["radius"] + b["radius"]


def test_faces_are_big_touch_targets_in_order_worst_to_best(layout):
    shorter = min(layout["window_size"])
    for face in layout["faces"]:
        assert 2 * face["radius"] >= max(60, 0.12 * shorter), face
    xs = [face["center"][0] for face in layout["faces"]]
    assert xs == sorted(xs)
    assert [f["value"] for f in layout["faces"]] == list(range(1, len(layout["faces"]) + 1))


def test_question_and_language_switch_leave_the_faces_free(layout):
    assert inside(layout["question"], layout["window_size"])
    assert layout["question_text_height"] <= layout["question"][3]
    assert len(layout["languages"]) == 2
    for face in layout["faces"]:
        assert not overlap(circle_box(face), layout["question"])
        for button in layout["languages"]:
            assert inside(button, layout["window_size"])
            assert not overlap(circle_box(face), button)


def test_the_follow_up_chips_and_buttons_fit(layout):
    assert layout["follow_up_screen"] == "follow_up"
    boxes = [*layout["chips"], layout["skip"], layout["done"]]
    for box in boxes:
        assert inside(box, layout["window_size"]), box
    for a, b in combinations(boxes, 2):
        assert not overlap(a, b)
    assert all(layout["chip_text_fits"])


def test_the_nps_scale_fits(layout):
    assert layout["nps_screen"] == "nps"
    assert len(layout["nps_buttons"]) == 11
    for box in layout["nps_buttons"]:
        assert inside(box, layout["window_size"]), box
        assert box[2] >= 30 and box[3] >= 30
    for a, b in combinations(layout["nps_buttons"], 2):
        assert not overlap(a, b)


def test_the_thank_you_shows_a_large_qr_code_inside_the_window(layout):
    assert layout["thanks_screen"] == "thanks"
    card = layout["qr_card"]
    assert inside(card, layout["window_size"])
    assert card[2] == card[3]
    assert card[2] >= 0.4 * min(layout["window_size"])
    assert not overlap(card, layout["thanks_title"])


def test_screenshots_of_every_screen_are_saved(layout):
    assert len(layout["shots"]) == 4
    for shot in layout["shots"]:
        assert Path(shot).stat().st_size > 5000
