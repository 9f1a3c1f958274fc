"""Customer weather: today's smiley index and count, the same weekday of the four weeks before,
the last hour and the weather equal what the raw responses say (sent through the signed sync
path); the page reloads itself, shows the latest comments escaped and the
target, and keeps a store manager to their stores."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.services import targets
from hub.services.weather import weather_for
from shared.protocol import format_time
from shared.scoring import smiley_index
from tests.hub.conftest import ADMIN_PASSWORD, PASSWORD, connected, rows
from tests.hub.test_dashboards import FACES, page, shown, sign_in

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 11, 23)  # a Monday; the clock says 10:00 in Berlin
EVIL = "<script>alert(1)</script> =cmd"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def send(terminal, items) -> None:
    body = []
    for moment, face, comment in items:
        answers = [{"question": "rating", "kind": "smiley", "value": face}]
        if comment:
            answers.append({"question": "comment", "kind": "text", "value": comment})
        body.append(terminal.response(captured_at=format_time(moment), answers=answers))
    answer = terminal.post_batch(body)
    assert answer.status_code == 200
    assert {r["status"] for r in answer.get_json()["results"]} == {"accepted"}


@pytest.fixture
def answers(terminal, other_terminal, people) -> None:
    """B001: eleven answers today (two in this hour, three in the hour before), and on each of
    the four Mondays before: answers early and late in the day; H002: four today."""
    today = [(7, 10, 4), (8, 5, 3), (8, 40, 4), (9, 1, 1), (9, 20, 2), (9, 59, 4), (10, 0, 3), (10, 1, 4)]
    today += [(6, 30, 4), (7, 45, 3), (8, 15, 4)]
    items = [(at(TODAY, h, m), face, f"today {h}:{m:02d}" if h >= 9 else None) for h, m, face in today]
    for week in range(1, 6):  # the fifth week is outside the baseline
        monday = TODAY - timedelta(weeks=week)
        items += [(at(monday, 9, 30), 2, None), (at(monday, 10, 15), 1, None), (at(monday, 16, 0), 1, None)]
        items += [(at(monday + timedelta(days=1), 9, 0), 4, None)]  # a Tuesday: another weekday
    items += [(at(TODAY, 9, 58), 1, EVIL)]
    send(terminal, items)
    send(other_terminal, [(at(TODAY, 8, m), 1, "Hamburg today") for m in (1, 2, 3, 4)])


@pytest.fixture
def hq(client, answers):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    return client


@pytest.fixture
def mia(client, answers):
    sign_in(client, "mia@example.org", PASSWORD)
    return client


def raw(app, store: str | None) -> list[tuple[date, int, int]]:
    """(local day, local hour, face) of every smiley answer of the store (None: all)."""
    found = []
    for code, captured, day, face in rows(
        app,
        "SELECT s.code, r.captured_at, r.local_day, a.number FROM response r JOIN answer a ON a.response_id = r.id "
        "JOIN store s ON s.id = r.store_id WHERE a.question = 'rating'",
    ):
        if store is None or code == store:
            moment = captured if isinstance(captured, datetime) else datetime.fromisoformat(captured)
            local = moment.replace(tzinfo=UTC).astimezone(BERLIN)
            found.append((day if isinstance(day, date) else date.fromisoformat(day), local.hour, face))
    return found


def truth(app, store: str | None) -> dict:
    answers = raw(app, store)
    now = Counter(f for d, _, f in answers if d == TODAY)
    mondays = {TODAY - timedelta(weeks=w) for w in range(1, 5)}
    before = Counter(f for d, _, f in answers if d in mondays)
    by_now = sum(1 for d, h, _ in answers if d in mondays and h <= 10) / 4
    recent = Counter(f for d, h, f in answers if d == TODAY and h in (9, 10))
    index = smiley_index(now, FACES)
    return {
        "index": index,
        "before": smiley_index(before, FACES),
        "by_now": by_now,
        "recent": smiley_index(recent, FACES),
        "weather": weather_for(index.value, index.n)[0],
    }


def value(html: str, element: str) -> str:
    return re.search(rf'id="{element}"[^>]*>.*?data-value="([^"]*)"', html, re.S).group(1)


def check(html: str, expected: dict) -> None:
    assert re.search(r'id="today-index" data-value="([^"]*)"', html).group(1) == shown(expected["index"].value)
    assert re.search(r'id="today-n">(\d+)<', html).group(1) == str(expected["index"].n)
    assert value(html, "baseline") == shown(expected["before"].value)
    assert re.search(r'id="change">([^<]*)<', html).group(1).lstrip("+") == shown(
        expected["index"].value - expected["before"].value
    )
    assert re.search(r'id="usual">([^<]*)<', html).group(1) == shown(expected["by_now"])
    assert value(html, "last-hour") == shown(expected["recent"].value)
    assert re.search(r'id="last-hour".*?class="n">(\d+)<', html, re.S).group(1) == str(expected["recent"].n)
    assert f'data-weather="{expected["weather"]}"' in html


def test_a_stores_weather_equals_the_raw_answers(app, hq):
    expected = truth(app, "B001")
    assert expected["index"].n == 12 and expected["recent"].n == 6
    check(page(hq, "/weather/stores/B001"), expected)


def test_the_weather_of_all_stores_equals_the_raw_answers(app, hq):
    expected = truth(app, None)
    assert expected["index"].n == 16
    check(page(hq, "/weather"), expected)


def test_the_weather_follows_the_documented_thresholds():
    assert weather_for(50.0, 5) == ("sunny", "\u2600")
    assert weather_for(49.9, 5)[0] == "cloudy"
    assert weather_for(0.0, 5)[0] == "cloudy"
    assert weather_for(-0.1, 5)[0] == "rain"
    assert weather_for(-50.0, 5)[0] == "rain"
    assert weather_for(-50.1, 5)[0] == "storm"
    assert weather_for(90.0, 4)[0] == "no weather yet"  # too few answers
    assert weather_for(None, 0)[0] == "no weather yet"


def test_the_screen_reloads_itself_with_nothing_from_elsewhere(hq):
    html = page(hq, "/weather/stores/B001")
    assert 'data-refresh="60"' in html and "location.reload()" in html  # the clock's script reloads
    assert 'http-equiv="refresh"' not in html
    assert re.findall(r"<script[^>]*>", html) == ["<script>"]  # the clock's, inline (test_weather_screen.py)
    assert not re.search(r'(src|href)="https?://', html)


def test_the_latest_comments_are_shown_newest_first_and_escaped(app, hq):
    html = page(hq, "/weather/stores/B001")
    texts = re.findall(r'<div class="text">(.*?)</div>', html, re.S)
    assert texts[0] == "today 10:01"
    assert texts[:5] == [
        "today 10:01",
        "today 10:00",
        "today 9:59",
        "&lt;script&gt;alert(1)&lt;/script&gt; =cmd",
        "today 9:20",
    ]
    assert "<script>alert(1)" not in html


def test_the_target_is_shown(app, clock, hq, store):
    with connected(app):
        targets.set_target("smiley_index", 95, now=clock(), store=store)
        targets.set_target("volume", 40, now=clock())
    html = page(hq, "/weather/stores/B001")
    assert value(html, "target") == "95.0"
    assert "to go" in html and "40.0 answers a day" in html


def test_a_store_manager_sees_their_stores_weather_only(app, mia):
    assert mia.get("/weather/stores/H002").status_code == 404
    html = page(mia, "/weather")
    check(html, truth(app, "B001"))
    assert "Hamburg today" not in html


def test_strangers_are_sent_to_sign_in(client, answers):
    for url in ("/weather", "/weather/stores/B001"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
