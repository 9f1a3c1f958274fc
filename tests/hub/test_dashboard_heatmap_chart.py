"""The server-drawn heatmap: one cell per hour and weekday, coloured by its value, empty and
small-sample cells told apart, every label escaped."""

from __future__ import annotations

import re

from hub import charts

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HOURS = [f"{h:02d}" for h in range(24)]


def test_every_hour_of_every_weekday_gets_a_cell():
    svg = charts.heatmap("t", DAYS, HOURS, {(0, 9): charts.Cell(50.0, "index 50.0, n = 40")})
    assert svg.count("<rect") == 7 * 24
    assert svg.count('class="cell empty"') == 7 * 24 - 1
    assert "<title>Mon 09: index 50.0, n = 40</title>" in svg


def test_the_best_cells_are_green_the_worst_red_the_middle_grey():
    assert charts.heat_colour(100.0, -100.0, 100.0) == "#1a7f37"
    assert charts.heat_colour(-100.0, -100.0, 100.0) == "#b42318"
    assert charts.heat_colour(0.0, -100.0, 100.0) == "#eaeef2"
    assert charts.heat_colour(40.0, 0.0, 40.0, diverging=False) == "#0a5bd3"


def test_a_small_sample_cell_is_drawn_muted():
    cells = {(1, 1): charts.Cell(10.0, muted=True), (1, 2): charts.Cell(10.0)}
    svg = charts.heatmap("t", DAYS, HOURS, cells)
    assert svg.count('class="cell muted"') == 1
    fills = re.findall(r'class="cell(?: muted)?" [^>]*fill="(#[0-9a-f]{6})"', svg)
    assert len(fills) == 2 and fills[0] == fills[1]


def test_heatmap_labels_are_escaped():
    evil = "<script>alert(1)</script>"
    svg = charts.heatmap(evil, [evil], [evil], {(0, 0): charts.Cell(1.0, evil)})
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
