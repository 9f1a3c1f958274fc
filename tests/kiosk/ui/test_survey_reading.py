"""The faces' look and the staff PIN; no window needed."""

from __future__ import annotations

import pytest

from kiosk.app import read_admin_pin
from kiosk.faces import face_look


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
