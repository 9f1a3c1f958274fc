"""The dashboards' pure parts: periods and buckets, the SVG charts, and CSV cells that a
spreadsheet cannot run."""

from __future__ import annotations

from datetime import date

from hub import charts
from hub.dashboards.pages import csv_cell
from hub.services.analytics import Period, buckets


def test_the_default_period_is_28_days_and_the_previous_one_the_28_before():
    period = Period.ending(date(2026, 11, 23))
    assert (period.start, period.end, period.days) == (date(2026, 10, 27), date(2026, 11, 23), 28)
    assert period.previous() == Period(date(2026, 9, 29), date(2026, 10, 26))


def test_buckets_cover_every_day_week_and_month_that_overlaps_the_period():
    period = Period(date(2026, 1, 30), date(2026, 3, 2))
    assert len(buckets(period, "day")) == 32
    assert buckets(period, "week")[0] == date(2026, 1, 26)  # the Monday before
    assert buckets(period, "week")[-1] == date(2026, 3, 2)
    assert buckets(period, "month") == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def test_cells_that_start_like_a_formula_get_a_leading_apostrophe():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("Berlin = Mitte") == "Berlin = Mitte"
    assert csv_cell(None) == ""


def test_chart_labels_are_escaped():
    evil = "<script>alert(1)</script>"
    line = charts.line_chart(evil, [charts.Point(evil, 10.0, 0.0, 20.0), charts.Point("b", 20.0, 10.0, 30.0)])
    bars = charts.bar_chart(evil, [charts.Point(evil, -50.0, -70.0, -30.0, muted=True)])
    for svg in (line, bars):
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg


def test_a_line_breaks_where_a_bucket_had_no_answers():
    points = [charts.Point("a", 10.0), charts.Point("b", None), charts.Point("c", 30.0), charts.Point("d", 40.0)]
    svg = charts.line_chart("t", points)
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 3


def test_a_bar_of_a_small_sample_is_drawn_muted():
    svg = charts.bar_chart("t", [charts.Point("big", 40.0, 30.0, 50.0), charts.Point("small", 80.0, muted=True)])
    assert svg.count('class="bar muted"') == 1
    assert svg.count('class="whisker"') == 1


def test_a_long_bar_label_is_cut_to_fit_and_kept_whole_in_its_title():
    from hub import charts

    long_name = "poster Phone poster at the exit <b>"
    svg = str(charts.bar_chart("Touchpoints", [charts.Point(long_name, 20.0, 10.0, 30.0)]))
    shown = svg.split('class="label">', 1)[1].split("</text>", 1)[0]
    assert "<title>poster Phone poster at the exit &lt;b&gt;</title>" in shown
    visible = shown.split("</title>", 1)[1]
    assert visible.endswith("…") and len(visible) <= charts.LABEL_CHARS
    assert "Short name</text>" in str(charts.bar_chart("x", [charts.Point("Short name", 1.0)]))
