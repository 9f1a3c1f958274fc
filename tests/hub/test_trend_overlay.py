"""A measure beside the trend: the select lists the measures of the stores shown, the chosen
one is drawn on a second axis of the smiley index chart with its unit, its value per day the
sum of a count's values or the mean of a level's (store-local days), a week the mean of its
days; scoped like every figure; in Chromium with a screenshot; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from hub import charts
from tests.hub.analytics_data import feedback, send
from tests.hub.conftest import ADMIN_PASSWORD, PASSWORD
from tests.hub.test_dashboards import page, sign_in
from tests.hub.test_measures_dashboards import _load
from tests.support.browser import chromium

FIRST = date(2026, 11, 9)  # a Monday
DAYS = 14
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "trend-overlay"


@pytest.fixture
def measured(app, clock, people, terminal, other_terminal):
    """Open tills (a level) and footfall (a count) per local hour 8-19 of two weeks in both
    stores, and a few responses a day; returns the raw values as (store, code, day, value)."""
    raw = []
    for store, base in (("B001", 2), ("H002", 5)):
        for d in range(DAYS):
            day = FIRST + timedelta(days=d)
            for hour in range(8, 20):
                raw.append((store, "open_tills", day, hour, float(base + (hour * 7 + d * 3) % 4 + d % 3)))
                raw.append((store, "footfall", day, hour, float(10 * base + (hour + d) % 9)))
    _load(
        app,
        clock,
        [(c, s, f"{day.isoformat()}T{hour:02d}:00", v) for s, c, day, hour, v in raw],
        open_tills={"unit": "tills", "kind": "level", "grain": "hour"},
        footfall={"unit": "people", "kind": "count", "grain": "hour"},
    )
    send(terminal, feedback(terminal, [(FIRST + timedelta(days=d), 8, [1, 3, 4]) for d in range(DAYS)]))
    send(other_terminal, feedback(other_terminal, [(FIRST + timedelta(days=d), 9, [4, 4]) for d in range(DAYS)]))
    return raw


def _expected(raw, code, stores, summed):
    per_day = defaultdict(list)
    for store, c, day, _, value in raw:
        if c == code and store in stores:
            per_day[day].append(value)
    return {day: sum(v) if summed else sum(v) / len(v) for day, v in per_day.items()}


def _table(html):
    body = re.search(r'<table id="trend-overlay-table">(.*?)</table>', html, re.S).group(1)
    return {
        date.fromisoformat(start): float(value)
        for start, value in re.findall(r'<tr data-start="([^"]+)" data-value="([^"]+)">', body)
    }


URL = f"from={FIRST}&to={FIRST + timedelta(days=DAYS - 1)}"


def test_a_days_value_is_the_sum_of_a_count_and_the_mean_of_a_level(app, client, measured):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)

    tills = _table(page(client, f"/dashboard?{URL}&measure=open_tills"))
    footfall = _table(page(client, f"/dashboard?{URL}&measure=footfall"))
    one = _table(page(client, f"/dashboard/stores/H002?{URL}&measure=footfall"))

    assert tills == pytest.approx(_expected(measured, "open_tills", {"B001", "H002"}, summed=False))
    assert footfall == pytest.approx(_expected(measured, "footfall", {"B001", "H002"}, summed=True))
    assert one == pytest.approx(_expected(measured, "footfall", {"H002"}, summed=True))


def test_a_week_shows_the_mean_of_its_days(app, client, measured):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)

    weeks = _table(page(client, f"/dashboard?{URL}&grain=week&measure=footfall"))

    days = _expected(measured, "footfall", {"B001", "H002"}, summed=True)
    for monday in (FIRST, FIRST + timedelta(days=7)):
        week = [days[monday + timedelta(days=d)] for d in range(7)]
        assert weeks[monday] == pytest.approx(sum(week) / 7)


def test_the_chart_draws_the_measure_on_a_second_axis_with_its_unit(app, client, measured):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)

    html = page(client, f"/dashboard?{URL}&measure=open_tills")
    plain = page(client, f"/dashboard?{URL}")

    svg = re.search(r'<svg class="chart line overlay".*?</svg>', html, re.S).group(0)
    line = re.search(r'<polyline class="measure-series" points="([^"]+)"', svg).group(1)
    assert len(line.split()) == DAYS
    assert ">open_tills (tills, mean per day)</text>" in svg and 'class="tick measure-tick"' in svg
    assert '<option value="open_tills" selected>' in html and '<option value="footfall">' in html
    assert "measure-series" not in plain and 'id="trend-overlay-form"' in plain


def test_a_store_manager_chooses_only_among_her_stores_measures(app, client, clock, measured):
    _load(
        app,
        clock,
        [("queue_minutes", "H002", f"{FIRST}T10:00", 3.0)],
        queue_minutes={"unit": "min", "kind": "duration", "grain": "hour"},
    )
    sign_in(client, "mia@example.org", PASSWORD)

    html = page(client, f"/dashboard?{URL}")
    theirs = client.get(f"/dashboard?{URL}&measure=queue_minutes")
    mine = _table(page(client, f"/dashboard?{URL}&measure=footfall"))

    assert '<option value="footfall">' in html and "queue_minutes" not in html
    assert theirs.status_code == 400 and "There is no measure queue_minutes" in theirs.get_data(as_text=True)
    assert mine == pytest.approx(_expected(measured, "footfall", {"B001"}, summed=True))


def test_the_overlays_labels_are_escaped():
    evil = "<script>alert(1)</script>"
    svg = charts.overlay_chart(evil, [charts.Point(evil, 10.0)], evil, [3.0])
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_in_a_browser_the_measure_is_drawn_and_labelled(app, measured, served, database_url):
    from hub.models import User
    from tests.hub.alerting import sign_in_as
    from tests.hub.conftest import connected

    client = app.test_client()
    with connected(app):
        sign_in_as(client, User.get(User.email == "admin@example.org"))
    cookie = client.get_cookie("voxloop_session")
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": served}])
        tab = context.new_page()
        tab.goto(f"{served}/dashboard?{URL}")
        tab.select_option("#trend-overlay-form select[name=measure]", "open_tills")
        tab.click("#trend-overlay-form button[type=submit]")
        tab.wait_for_load_state()
        line = tab.locator("svg.overlay polyline.measure-series")
        box = line.bounding_box()
        legend = tab.locator("svg.overlay text.measure-label")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        db = "sqlite" if database_url.startswith("sqlite") else "postgres"
        tab.locator("svg.overlay").screenshot(path=str(ARTIFACTS / f"{db}-open-tills.png"))
        tab.screenshot(path=str(ARTIFACTS / f"{db}-dashboard.png"), full_page=True)

        assert "measure=open_tills" in tab.url
        assert line.is_visible() and box["width"] > 400 and box["height"] > 5
        assert legend.is_visible() and legend.text_content() == "open_tills (tills, mean per day)"
        assert tab.locator("svg.overlay text.measure-tick").count() == 3
        context.close()
