"""The Customer News Screen's news beside the weather, on feedback sent through the real signed
sync path: at B001 "Friendliness" is what happy customers name most and "Waiting at the till"
what annoys them (the drivers page's top reason for the same days); the themes follow the
comments' faces; the NPS trend's weeks equal analytics' trend and the NPS of the period equals
the raw answers; each level (all stores, a region, a store) shows only what the person sees
(404 otherwise); empty panels say why; German on a German person's screen."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from hub.dashboards.weather import nps_sparkline
from hub.models import Region, User
from hub.services import analytics, customer_news, drivers
from hub.services.access import scope_for
from hub.services.analytics import Period, TrendPoint
from shared.protocol import format_time
from shared.scoring import EMPTY, Score, mood, nps
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import connected, rows
from tests.hub.raw_feedback import raw_responses
from tests.hub.test_dashboards import page
from tests.hub.test_drivers import send

FACES = 4
TODAY = date(2026, 11, 23)  # the test clock's day (conftest.START)
PERIOD = Period.ending(TODAY, customer_news.NEWS_DAYS)
DAYS = [TODAY - timedelta(days=4 * k) for k in range(14)]  # every fourth day over eight weeks
PRAISE = "Sehr freundliches Personal, danke"
ANNOYANCE = "Lange Warteschlange an der Kasse"


def _response(terminal, day: date, face: int, score: int, reasons: list[str], comment: str | None = None) -> dict:
    answers = [
        {"question": "rating", "kind": "smiley", "value": face},
        {"question": "nps", "kind": "nps", "value": score},
    ]
    if reasons:
        answers.append({"question": "reason", "kind": "choice", "value": reasons})
    if comment:
        answers.append({"question": "comment", "kind": "text", "value": comment})
    captured = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
    return terminal.response(captured_at=format_time(captured), answers=answers)


def b001_day(terminal, day: date, k: int) -> list[dict]:
    """8 unhappy naming the queue (a third also the prices) and writing about it; 12 happy
    naming the staff (a third also the cleanliness) and praising them; 4 naming nothing. The
    NPS answers drift with ``k`` so the weeks differ."""
    items = []
    for i in range(8):
        reasons = ["queue"] if i % 3 else ["queue", "price"]
        items.append(_response(terminal, day, 1 + i % 2, (i + k) % 7, reasons, ANNOYANCE if i % 2 else None))
    for i in range(12):
        reasons = ["staff"] if i % 3 else ["staff", "cleanliness"]
        items.append(_response(terminal, day, 3 + i % 2, 10 - 3 * (k % 3) - i % 2, reasons, PRAISE if i % 2 else None))
    items += [_response(terminal, day, 2 + i % 3, 8, []) for i in range(4)]
    return items


@pytest.fixture
def feedback(terminal, other_terminal, people) -> None:
    send(terminal, [item for k, day in enumerate(DAYS) for item in b001_day(terminal, day, k)])
    # H002: its prices annoy, its queue is praised: none of it on B001's screen
    yesterday = TODAY - timedelta(days=1)
    items = [_response(other_terminal, yesterday, 1, 2, ["price"], "Hamburg: zu teuer") for _ in range(40)]
    items += [_response(other_terminal, yesterday, 4, 9, ["queue"]) for _ in range(40)]
    send(other_terminal, items)


@pytest.fixture
def admin(client, people):
    sign_in_as(client, people["admin"])
    return client


def region_id(app, name: str) -> int:
    with connected(app):
        return Region.get(Region.name == name).id


def shown_praise(html: str) -> list[tuple[str, int, str]]:
    """(option, happy customers naming it, share shown) of the praised reasons."""
    block = re.search(r'<ul class="ranked" id="praised-reasons">(.*?)</ul>', html, re.S).group(1)
    return [
        (key, int(named), share)
        for key, named, share in re.findall(
            r'<li data-key="([^"]+)" data-named="(\d+)">.*?class="how">([^<]*) %<', block, re.S
        )
    ]


def shown_annoyances(html: str) -> list[str]:
    block = re.search(r'<ul class="ranked" id="annoying-reasons">(.*?)</ul>', html, re.S).group(1)
    return re.findall(r'<li data-key="([^"]+)"', block)


def shown_themes(html: str, which: str) -> list[str]:
    block = re.search(rf'<ul class="themes" id="{which}-themes">(.*?)</ul>', html, re.S).group(1)
    return re.findall(r'data-term="([^"]+)"', block)


def weekly(html: str) -> dict[str, tuple[str, int]]:
    return {w: (v, int(n)) for w, v, n in re.findall(r'data-week="([^"]+)" data-value="([^"]+)" data-n="(\d+)"', html)}


def raw_nps(app, store: str, first: date, last: date) -> Counter:
    found: Counter = Counter()
    for code, day, number in rows(
        app,
        "SELECT s.code, r.local_day, a.number FROM response r JOIN answer a ON a.response_id = r.id "
        "JOIN store s ON s.id = r.store_id WHERE a.question = 'nps'",
    ):
        day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
        if code == store and first <= day <= last:
            found[number] += 1
    return found


# --- the news equal the answers ------------------------------------------------------------------


@pytest.mark.usefixtures("feedback")
def test_a_stores_praise_equals_the_happy_answers_naming_each_reason(app, admin):
    responses = raw_responses(app, PERIOD.start, PERIOD.end, "B001").values()
    happy = [r for r in responses if r.face and mood(r.face, FACES) == "positive"]
    named = Counter(option for r in happy for option in r.reasons)
    with_reason = sum(1 for r in happy if r.reasons)
    html = page(admin, "/weather/stores/B001")
    praise = shown_praise(html)
    assert praise[0][0] == "staff" and "Friendliness" in html  # the planted praise, first
    assert [(key, n) for key, n, _ in praise] == sorted(named.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    assert re.search(r'id="happy-n">(\d+)<', html).group(1) == str(with_reason)
    assert praise[0][2] == f"{100.0 * named['staff'] / with_reason:.1f}"
    assert "queue" not in [key for key, *_ in praise]  # H002's happy customers named the queue


@pytest.mark.usefixtures("feedback")
def test_a_stores_annoyance_is_the_drivers_pages_top_reason(app, admin):
    html = page(admin, "/weather/stores/B001")
    assert shown_annoyances(html)[0] == "queue" and "Waiting at the till" in html
    with connected(app):
        hq = scope_for(User.get(User.email == "admin@example.org"))
        tops = {p.code: p.top.key for p in drivers.store_potentials(hq, PERIOD) if p.top}
    assert tops["B001"] == "queue"  # one rule, the same days: the drivers page says the same
    assert shown_annoyances(page(admin, "/weather/stores/H002"))[0] == tops["H002"] == "price"
    drivers_page = page(admin, f"/dashboard/drivers?store=B001&from={PERIOD.start}&to={PERIOD.end}")
    assert re.search(r'<tr data-key="queue".*?<td class="rank">1</td>', drivers_page, re.S)


@pytest.mark.usefixtures("feedback")
def test_the_themes_follow_the_faces_of_their_comments(admin):
    html = page(admin, "/weather/stores/B001")
    praised, annoying = shown_themes(html, "praised"), shown_themes(html, "annoying")
    assert praised and annoying
    assert set(praised) <= {"freundlich", "personal", "freundlich personal", "dank"}
    assert set(annoying) <= {"lang", "warteschlange", "lang warteschlange", "kasse"}
    assert "zu teuer" not in html and "teuer" not in praised + annoying  # H002's comments


@pytest.mark.usefixtures("feedback")
def test_the_nps_trend_equals_analytics_weeks_and_the_raw_answers(app, admin):
    html = page(admin, "/weather/stores/B001")
    with connected(app):
        store_id = rows(app, "SELECT id FROM store WHERE code = 'B001'")[0][0]
        weeks = analytics.trend([store_id], customer_news.trend_period(TODAY), analytics.survey_scales(), "week")
    assert len(weeks) == customer_news.TREND_WEEKS
    expected = {
        p.start.isoformat(): (f"{p.nps.value:.1f}", p.nps.n) for p in weeks if p.nps.n >= customer_news.MIN_WEEK_ANSWERS
    }
    assert weekly(html) == expected and len(expected) >= 6
    for week, (_, n) in expected.items():  # each week's n is the raw answers of its days
        first = date.fromisoformat(week)
        assert n == sum(raw_nps(app, "B001", first, first + timedelta(days=6)).values())
    truth = nps(raw_nps(app, "B001", PERIOD.start, PERIOD.end))
    assert re.search(r'id="nps" data-value="([^"]+)"', html).group(1) == f"{truth.value:.1f}"
    assert re.search(r'id="nps-n">(\d+)<', html).group(1) == str(truth.n)


def test_the_sparkline_leaves_out_weeks_with_too_few_answers():
    def week(i: int, value: float | None, n: int) -> TrendPoint:
        score = Score(value, n, None, None) if n else EMPTY
        return TrendPoint(date(2026, 9, 7) + timedelta(weeks=i), EMPTY, score)

    svg = nps_sparkline([week(0, 50.0, 20), week(1, 0.0, 3), week(2, -20.0, 12), week(3, 10.0, 15)], 10, "<NPS>")
    assert re.findall(r'data-week="([^"]+)"', svg) == ["2026-09-07", "2026-09-21", "2026-09-28"]
    assert svg.count("<polyline") == 1  # the gap splits the line; a lone week is a dot alone
    assert "<title>&lt;NPS&gt;</title>" in svg  # its name, escaped


# --- empty panels --------------------------------------------------------------------------------


def test_without_answers_every_panel_says_why_and_shows_no_figure(admin):
    html = page(admin, "/weather/stores/B001")
    assert 'id="praise-empty"' in html and "Too few happy customers have named a reason yet (0 of 30)" in html
    assert 'id="annoyances-empty" data-state="none"' in html
    assert 'id="nps-empty" data-state="few"' in html and 'id="nps"' not in html
    assert 'id="praised-themes-empty"' in html and 'id="annoying-themes-empty"' in html
    assert "data-week=" not in html


def test_too_few_answers_per_reason_show_no_annoyance(admin, terminal, people):
    items = [_response(terminal, TODAY, 1, 3, ["queue"]) for _ in range(10)]
    items += [_response(terminal, TODAY, 4, 9, []) for _ in range(10)]
    send(terminal, items)
    html = page(admin, "/weather/stores/B001")
    assert 'id="annoyances-empty" data-state="few"' in html and 'id="annoying-reasons"' not in html


# --- levels and who sees them --------------------------------------------------------------------


@pytest.mark.usefixtures("feedback")
def test_a_regions_screen_shows_its_stores(app, admin):
    north = page(admin, f"/weather/regions/{region_id(app, 'North')}")
    assert "<h1>North</h1>" in north
    assert shown_praise(north) == shown_praise(page(admin, "/weather/stores/B001"))
    south = page(admin, f"/weather/regions/{region_id(app, 'South')}")
    assert shown_annoyances(south)[0] == "price" and shown_praise(south)[0][0] == "queue"
    everyone = page(admin, "/weather")
    assert {key for key, *_ in shown_praise(everyone)} >= {"staff", "queue"}
    assert admin.get("/weather/regions/999999").status_code == 404


@pytest.mark.usefixtures("feedback")
def test_a_store_manager_sees_their_stores_screens_only(app, client, people):
    sign_in_as(client, people["mia"])
    assert client.get("/weather/stores/B001").status_code == 200
    assert client.get("/weather/stores/H002").status_code == 404
    for region in ("North", "South"):  # a store manager sees stores, not a region
        assert client.get(f"/weather/regions/{region_id(app, region)}").status_code == 404
    mine = page(client, "/weather")
    assert shown_praise(mine) == shown_praise(page(client, "/weather/stores/B001"))
    assert shown_annoyances(mine)[0] == "queue" and "Hamburg" not in mine  # H002's annoyance and comments


@pytest.mark.usefixtures("feedback")
def test_a_regional_manager_sees_their_region_and_its_stores_only(app, client, people):
    sign_in_as(client, people["rolf"])
    north, south = region_id(app, "North"), region_id(app, "South")
    assert client.get(f"/weather/regions/{north}").status_code == 200
    assert client.get(f"/weather/regions/{south}").status_code == 404
    assert client.get("/weather/stores/H002").status_code == 404
    sign_in_as(client, people["ana"])  # an HQ analyst sees every region
    assert client.get(f"/weather/regions/{south}").status_code == 200


def test_strangers_are_sent_to_sign_in(app, client, people):
    answer = client.get(f"/weather/regions/{region_id(app, 'North')}")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


# --- in German -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("feedback")
def test_a_german_person_reads_the_news_in_german(app, client, people):
    with connected(app):
        User.update(language="de").where(User.id == people["admin"].id).execute()
    sign_in_as(client, people["admin"])
    html = page(client, "/weather/stores/B001")
    assert "Warum Kunden kommen" in html and "Was sie ärgert" in html and "Kommen sie wieder?" in html
    assert "Freundlichkeit" in html and "Wartezeit an der Kasse" in html
    assert "Why customers come" not in html and "Friendliness" not in html
    assert re.search(r'id="nps" data-value="-?\d+,\d"', html)  # German decimals
    assert re.search(r'data-key="staff" data-named="\d+">.*?class="how">\d+,\d %<', html, re.S)


def test_a_region_without_stores_shows_empty_panels(app, admin):
    with connected(app):
        empty = Region.create(name="West").id
    html = page(admin, f"/weather/regions/{empty}")
    assert "<h1>West</h1>" in html and 'id="empty" data-state="none"' in html
    assert 'id="praise-empty"' in html and 'id="nps-empty" data-state="few"' in html
