"""The customer weather as a TV in a back office shows it: in a real Chromium at 1920x1080 and
1280x720 the page fits the screen (no scrolling either way), with long comments too; with no
answers today it says so instead of showing a figure, with a few it shows neither the weather
nor the index; its clock shows the hub's time in the store's zone to the minute and keeps
ticking from it whatever the screen's own clock says; today's measures so far sit beside the
weather; the news beside it (praise, annoyances, the NPS trend) fit at both sizes with no text
cut, on a store's, a region's and every store's screen, in German too. Screenshots land in the
test's tmp dir."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.models import Region, User
from hub.services import measures
from hub.services.access import Scope
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import connected
from tests.hub.test_customer_news import feedback as _news  # noqa: F401 (a fixture, asked for by name)
from tests.hub.test_dashboard_weather import TODAY, at, send
from tests.hub.test_dashboard_weather import answers as _answers  # noqa: F401 (a fixture, asked for by name)
from tests.hub.test_dashboards import page
from tests.support.browser import chromium

SCREENS = [(1920, 1080), (1280, 720)]
DRAWN_AT = datetime(2026, 11, 23, 9, 7, tzinfo=UTC)  # 10:07 in Berlin: a minute for the page to show it
LONG = "Die Warteschlange an der Kasse war sehr lang und niemand hat eine zweite Kasse geöffnet. " * 5
# the comments shown whole inside their box (one that does not fit is out of sight, not cut)
WHOLE_COMMENTS = """() => { const box = document.getElementById('comments').getBoundingClientRect();
  const shown = [...document.querySelectorAll('#comments li')].map((li) => li.getBoundingClientRect())
    .filter((r) => r.left < box.right);
  return {shown: shown.length, cut: shown.filter((r) => r.bottom > box.bottom + 1).length}; }"""
# every text of the screen inside the box it belongs to: the page, its column, its panel (the
# comments are checked whole by WHOLE_COMMENTS: one that does not fit goes out of sight)
CUT_TEXTS = """() => { const cut = [];
  const inside = (r, box) => r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.left >= box.left - 1
    && r.right <= box.right + 1;
  const page = {top: 0, left: 0, bottom: window.innerHeight, right: window.innerWidth};
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('#comments') || e.closest('script, style, title') || !e.getClientRects().length) continue;
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own && e.tagName !== 'svg') continue;
    const r = e.getBoundingClientRect();
    const boxes = [page, e.closest('main > section'), e.closest('.panel')].filter(Boolean)
      .map((b) => b.getBoundingClientRect ? b.getBoundingClientRect() : b);
    const clipped = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible';
    if (!boxes.every((box) => inside(r, box)) || clipped)
      cut.push(e.id || e.className.baseVal || e.className || e.tagName);
  }
  return cut; }"""
FITS = """() => ({height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth,
  viewHeight: window.innerHeight, viewWidth: window.innerWidth})"""


def load_measures(app, clock) -> None:
    """B001 today: footfall and open tills at 8, 9 and 10 o'clock, and a footfall planned for 15
    o'clock (not yet: left out); H002: footfall at 9 o'clock."""
    items = [("footfall", "B001", f"2026-11-23T{h:02d}:00", v) for h, v in ((8, 40.0), (9, 55.0), (10, 61.0))]
    items += [("open_tills", "B001", f"2026-11-23T{h:02d}:00", v) for h, v in ((8, 2.0), (9, 3.0), (10, 4.0))]
    items += [("footfall", "B001", "2026-11-23T15:00", 500.0), ("footfall", "H002", "2026-11-23T09:00", 70.0)]
    items += [("footfall", "B001", "2026-11-22T10:00", 900.0)]  # yesterday
    definitions = {
        "footfall": measures.Definition("footfall", "Footfall", "people", "count", "hour"),
        "open_tills": measures.Definition("open_tills", "Open tills", "tills", "level", "hour"),
    }
    with connected(app):
        rows = [measures.Row(i, *item) for i, item in enumerate(items)]
        measures.load(Scope(0, "hq_admin", None), rows, now=clock(), definitions=definitions, may_define=True)


def shown_measures(html: str) -> dict[str, str]:
    return dict(re.findall(r'<li data-measure="(\w+)">.*?data-value="([^"]*)"', html, re.S))


@pytest.fixture
def admin(client, people):
    sign_in_as(client, people["admin"])
    return client


# --- the page as the server writes it ------------------------------------------------------------


def test_with_no_answers_today_the_screen_says_so_and_shows_no_figure(admin, clock):
    clock.at = DRAWN_AT
    html = page(admin, "/weather/stores/B001")
    assert 'id="empty" data-state="none"' in html and "No answers yet today" in html
    assert 'id="today-index"' not in html and "-100" not in html
    assert 'data-weather="no weather yet"' in html
    assert re.search(r'id="baseline">.*?class="value none" data-value="">no answers<', html, re.S)
    assert "No comments yet." in html


def test_with_a_few_answers_the_screen_shows_neither_weather_nor_index(admin, clock, terminal):
    send(terminal, [(at(TODAY, 9, 10), 1, None), (at(TODAY, 9, 20), 1, None)])  # an index of -100
    clock.at = DRAWN_AT
    html = page(admin, "/weather/stores/B001")
    assert 'id="empty" data-state="few"' in html and "Too few answers yet for the weather" in html
    assert re.search(r'<span id="today-n">2</span> answers so far', html)
    assert 'id="today-index"' not in html and "-100" not in html
    assert re.search(r'id="count">.*?data-value="2"', html, re.S)
    assert re.search(r'id="last-hour">.*?class="value none" data-value="">too few answers<', html, re.S)


def test_the_clock_shows_the_hubs_time_in_the_stores_zone_to_the_minute(admin, clock):
    clock.at = DRAWN_AT
    answer = admin.get("/weather/stores/B001")
    html = answer.get_data(as_text=True)
    clock_tag = re.search(
        r'<time id="clock" datetime="([^"]+)" data-now="(\d+)" data-zone="([^"]+)" data-refresh="60">([^<]*)<', html
    )
    assert clock_tag.groups() == (
        "2026-11-23T10:07+01:00",
        str(int(DRAWN_AT.timestamp() * 1000)),
        "Europe/Berlin",
        "10:07",
    )
    german = admin.get("/weather/stores/B001", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert ">10:07</time>" in german


def test_the_one_script_is_inline_and_allowed_by_its_hash_alone(admin):
    answer = admin.get("/weather")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", answer.get_data(as_text=True), re.S)
    assert len(scripts) == 1 and scripts[0][0] == ""
    digest = base64.b64encode(hashlib.sha256(scripts[0][1].encode()).digest()).decode()
    policy = answer.headers["Content-Security-Policy"]
    assert f"script-src 'sha256-{digest}';" in policy
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert admin.get("/dashboard").headers["Content-Security-Policy"].count("script-src 'none'") == 1


@pytest.mark.usefixtures("_answers")
def test_todays_measures_so_far_sit_beside_the_weather(app, admin, clock):
    load_measures(app, clock)
    # a count is summed over today's hours up to now (15:00 is to come, yesterday is past);
    # an hourly level is each store's mean over its hours, summed over the stores
    assert shown_measures(page(admin, "/weather/stores/B001")) == {"footfall": "156.0", "open_tills": "3.0"}
    assert shown_measures(page(admin, "/weather")) == {"footfall": "226.0", "open_tills": "3.0"}
    html = page(admin, "/weather/stores/H002")
    assert shown_measures(html) == {"footfall": "70.0"} and "In the store today so far" in html


@pytest.mark.usefixtures("_answers")
def test_a_store_without_measures_shows_none(admin):
    assert 'id="measures"' not in page(admin, "/weather/stores/B001")


@pytest.mark.usefixtures("_answers")
def test_a_store_manager_sees_the_measures_of_their_stores_only(app, client, clock, people):
    load_measures(app, clock)
    sign_in_as(client, people["mia"])
    assert shown_measures(page(client, "/weather")) == {"footfall": "156.0", "open_tills": "3.0"}


# --- the page on a screen ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _screen(browser, app, served, user, size) -> Any:
    client = app.test_client()
    sign_in_as(client, user)
    cookie = client.get_cookie("voxloop_session")
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    # the screen's own clock is years off: the page must show the hub's time all the same
    context.clock.install(time=datetime(2031, 6, 1, 3, 33, tzinfo=UTC))
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": served}])
    return context.new_page()


def _fits(page_: Any, path: str, shot) -> None:
    page_.screenshot(path=str(shot))
    size = page_.evaluate(FITS)
    assert size["height"] <= size["viewHeight"], (path, size)
    assert size["width"] <= size["viewWidth"], (path, size)
    assert page_.evaluate(CUT_TEXTS) == [], path


@pytest.mark.usefixtures("_answers")
@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_full_screen_fits_without_scrolling_and_its_clock_ticks(
    browser, app, served, clock, people, terminal, tmp_path, size
):
    load_measures(app, clock)
    send(terminal, [(at(TODAY, 10, 2 + i), 1 + i % 4, f"{i} {LONG}") for i in range(6)])
    clock.at = DRAWN_AT + timedelta(seconds=30)  # 10:07:30 in Berlin
    screen = _screen(browser, app, served, people["admin"], size)
    answer = screen.goto(served + "/weather/stores/B001")
    assert answer is not None and answer.status == 200
    assert screen.locator("#clock").inner_text() == "10:07"
    assert screen.locator("#measures li").count() == 2 and screen.locator("#today-index").is_visible()
    _fits(screen, "/weather/stores/B001", tmp_path / f"weather-{size[0]}x{size[1]}.png")
    comments = screen.evaluate(WHOLE_COMMENTS)
    assert comments["shown"] >= 1 and comments["cut"] == 0, comments
    screen.clock.run_for(30_000)  # half a minute on: the page's own clock goes on from the hub's
    assert screen.locator("#clock").inner_text() == "10:08"
    clock.at = DRAWN_AT + timedelta(minutes=5)
    with screen.expect_navigation():  # a minute after it was drawn, the page draws itself again
        screen.clock.run_for(30_000)
    assert screen.locator("#clock").inner_text() == "10:12"
    screen.goto(served + "/weather")
    _fits(screen, "/weather", tmp_path / f"weather-all-{size[0]}x{size[1]}.png")


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_empty_screen_fits_and_says_there_are_no_answers_in_german(
    browser, app, served, clock, people, tmp_path, size
):
    clock.at = DRAWN_AT + timedelta(hours=4)  # 14:07 in Berlin
    with connected(app):
        User.update(language="de").where(User.id == people["admin"].id).execute()
    screen = _screen(browser, app, served, people["admin"], size)
    screen.goto(served + "/weather/stores/B001")
    assert screen.locator("#empty").inner_text() == "Heute noch keine Antworten"
    assert re.fullmatch(r"\d\d:\d\d", screen.locator("#clock").inner_text())
    assert screen.locator("#clock").inner_text() == "14:07"
    _fits(screen, "/weather/stores/B001", tmp_path / f"weather-empty-{size[0]}x{size[1]}.png")


@pytest.mark.usefixtures("_news")
@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_news_fit_beside_the_weather_at_every_level(browser, app, served, clock, people, tmp_path, size, language):
    load_measures(app, clock)
    clock.at = DRAWN_AT
    with connected(app):
        User.update(language=language).where(User.id == people["admin"].id).execute()
        north = Region.get(Region.name == "North").id
    screen = _screen(browser, app, served, people["admin"], size)
    for name, path in (("store", "/weather/stores/B001"), ("region", f"/weather/regions/{north}"), ("all", "/weather")):
        answer = screen.goto(served + path)
        assert answer is not None and answer.status == 200
        for panel in ("#praised-reasons li", "#annoying-reasons li", "#praised-themes li", "#annoying-themes li"):
            assert screen.locator(panel).count() >= 1, (path, panel)
            assert screen.locator(panel).first.is_visible(), (path, panel)
        assert screen.locator("#nps").is_visible() and screen.locator(".spark circle").count() >= 6
        _fits(screen, path, tmp_path / f"news-{name}-{language}-{size[0]}x{size[1]}.png")
        comments = screen.evaluate(WHOLE_COMMENTS)
        assert comments["shown"] >= 1 and comments["cut"] == 0, (path, comments)
