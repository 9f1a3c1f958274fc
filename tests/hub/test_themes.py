"""Comment themes from German and English comments sent through the real signed sync path: the
page and its CSV equal the terms recomputed from the raw comments with comment_terms, each theme
links to its comments, nothing a customer writes runs in the page or a spreadsheet, and each
person sees only their stores' themes."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from hub.services import themes
from hub.services.analytics import Period
from hub.services.comment_text import comment_sentiment, comment_terms
from hub.services.rollups import comment_language
from shared.protocol import format_time
from tests.hub.conftest import ADMIN_PASSWORD, connected
from tests.hub.raw_feedback import raw_responses
from tests.hub.test_sign_in import sign_in

FACES = 4
TODAY = date(2026, 11, 23)  # the test clock's day (conftest.START)
PERIOD = Period.ending(TODAY)  # the pages' default: the last 28 days
XSS = ('<script>alert("x")</script> Kasse kaputt', '"><img src=x onerror=alert(1)> queue too long')

B001_COMMENTS = [
    ("de", 1, "Zu lange gewartet, nur eine Kasse offen!"),
    ("de", 2, "Die Warteschlange an der Kasse war sehr lang."),
    ("de", 1, "Kassen nicht besetzt, lange Wartezeit"),
    ("de", 4, "Sehr freundliche Mitarbeiterin an der Kasse, danke!"),
    ("de", 3, "Frische Brötchen, freundliches Personal"),
    ("de", 4, "Alles super, gerne wieder"),
    ("de-AT", 2, "Das Personal war nicht freundlich."),
    ("en", 1, "The queue at the tills was far too long"),
    ("en", 2, "Only one till open, long queues again"),
    ("en", 4, "Friendly staff and a clean store"),
    ("en-GB", 3, "Staff were helpful, store was clean"),
    ("de", 1, XSS[0]),
    ("en", 2, XSS[1]),
    ("en", 1, '=HYPERLINK("http://evil.example") +cmd -2 @SUM(A1)'),
]
B001_BEFORE = [  # 40 days ago: in the period before
    ("de", 2, "Kasse zu, lange Wartezeit"),
    ("en", 4, "Friendly staff"),
]
THEME_ROW = r'<tr data-term="([^"]+)">\s*<td class="term"><a href="([^"]+)">.*?<td class="n">(\d+)</td>'
H002_COMMENTS = [("de", 1, "Parkplatz immer voll"), ("en", 1, "Parking lot always full")]


def _send(terminal, comments, day: date) -> None:
    items = []
    for locale, face, text in comments:
        captured = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
        answers = [
            {"question": "rating", "kind": "smiley", "value": face},
            {"question": "comment", "kind": "text", "value": text},
        ]
        items.append(terminal.response(captured_at=format_time(captured), locale=locale, answers=answers))
    answer = terminal.post_batch(items)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert all(r["status"] == "accepted" for r in answer.get_json()["results"]), answer.get_json()


@pytest.fixture
def feedback(terminal, other_terminal) -> None:
    _send(terminal, B001_COMMENTS, TODAY - timedelta(days=2))
    _send(terminal, B001_BEFORE, TODAY - timedelta(days=40))
    _send(other_terminal, H002_COMMENTS, TODAY - timedelta(days=1))


def recomputed(app, first: date, last: date, store_code: str | None = None) -> tuple[dict, int]:
    """{(language, term): [n, negative, positive, sentiment]} and the number of comments,
    from the raw response and answer tables and comment_terms."""
    comments = [r for r in raw_responses(app, first, last, store_code).values() if r.comment is not None]
    found: dict = defaultdict(lambda: [0, 0, 0, 0.0])
    for r in comments:
        language = comment_language(r.comment, r.locale)
        for term in comment_terms(r.comment, language):
            row = found[(language, term)]
            row[0] += 1
            row[1] += r.face <= FACES // 2
            row[2] += r.face > (FACES + 1) // 2
            row[3] += comment_sentiment(r.comment, language)
    return dict(found), len(comments)


def test_themes_equal_the_terms_recomputed_from_the_raw_comments(app, feedback):
    with connected(app):
        found = themes.themes(None, PERIOD, limit=1000)
    truth, comments = recomputed(app, PERIOD.start, PERIOD.end)
    shown = {(t.language, t.term): t for rows_ in found.values() for t in rows_}
    assert set(shown) == set(truth)
    assert comments == len(B001_COMMENTS) + len(H002_COMMENTS)
    for key, (n, negative, positive, sentiment) in truth.items():
        t = shown[key]
        assert t.n == n
        assert t.share == pytest.approx(100 * n / comments)
        assert t.negative == pytest.approx(100 * negative / n)
        assert t.positive == pytest.approx(100 * positive / n)
        assert t.sentiment == pytest.approx(sentiment / n)
    # the German and the English plurals met their singular
    assert shown[("de", "kasse")].n == 5
    assert shown[("en", "queue")].n == 3


def test_the_change_is_against_the_period_before(app, feedback):
    with connected(app):
        found = {t.term: t for t in themes.themes(None, PERIOD, "de")["de"]}
    previous = PERIOD.previous()
    before, _ = recomputed(app, previous.start, previous.end)
    assert found["kasse"].previous_n == before[("de", "kasse")][0] == 1
    assert found["kasse"].change == 4
    assert found["personal"].previous_n == 0  # new


def test_the_page_shows_every_theme_with_its_numbers_and_a_link_to_its_comments(app, client, feedback):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    answer = client.get("/dashboard/themes?store=B001")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    truth, _ = recomputed(app, PERIOD.start, PERIOD.end, "B001")
    for language in ("de", "en"):
        table = re.search(rf'<table id="themes-table-{language}">(.*?)</table>', page, re.S).group(1)
        cells = {
            html_lib.unescape(term): (html_lib.unescape(link), n)
            for term, link, n in re.findall(
                r'<tr data-term="([^"]+)">\s*<td class="term"><a href="([^"]+)">.*?<td class="n">(\d+)</td>',
                table,
                re.S,
            )
        }
        expected = {term: v[0] for (lang, term), v in truth.items() if lang == language}
        assert {term: int(n) for term, (_, n) in cells.items()} == expected
        for term, (link, _) in cells.items():
            url = urlparse(link)
            assert url.path == "/dashboard/comments"
            assert parse_qs(url.query) == {
                "term": [term],
                "language": [language],
                "from": [PERIOD.start.isoformat()],
                "to": [PERIOD.end.isoformat()],
                "store": ["B001"],
            }
    assert page.count("<svg") >= 4  # counts and sentiment per language


def test_a_theme_link_finds_the_comments_behind_it(app, client, feedback):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    page = client.get("/dashboard/themes?store=B001&language=de").get_data(as_text=True)
    link = html_lib.unescape(re.search(r'<tr data-term="kasse">\s*<td class="term"><a href="([^"]+)"', page).group(1))
    listed = client.get(link).get_data(as_text=True)
    assert len(re.findall(r'class="card comment"', listed)) == 5


def test_comments_cannot_run_in_the_themes_page(app, client, feedback):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    page = client.get("/dashboard/themes").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img" not in page and "onerror=" not in page
    assert "script" in page  # the word is a theme, as text


def test_themes_csv_equals_the_table_and_runs_nothing(app, client, feedback):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    answer = client.get("/dashboard/themes.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    header, body = table[0], table[1:]
    truth, _ = recomputed(app, PERIOD.start, PERIOD.end)
    assert {(r[0], r[1]): int(r[2]) for r in body} == {k: v[0] for k, v in truth.items()}
    for row in body:
        for name, cell in zip(header, row, strict=True):
            if name in ("language", "term"):
                assert not cell.startswith(("=", "+", "-", "@")), cell
    assert {"hyperlink", "cmd", "sum"} <= {r[1] for r in body}


def test_a_store_manager_sees_only_their_stores_themes(app, client, feedback, people):
    sign_in(client, "mia@example.org")
    assert client.get("/dashboard/themes?store=H002").status_code == 404
    assert client.get("/dashboard/themes.csv?store=H002").status_code == 404
    page = client.get("/dashboard/themes").get_data(as_text=True)
    assert 'data-term="kasse"' in page
    assert "parkplatz" not in page and "parking" not in page
    body = client.get("/dashboard/themes.csv").get_data(as_text=True)
    assert "kasse" in body and "parkplatz" not in body


def test_the_json_gives_each_theme_with_its_comments_link(app, client, feedback, people):
    sign_in(client, "mia@example.org")
    assert client.get("/dashboard/themes.json?store=H002").status_code == 404
    body = client.get("/dashboard/themes.json?language=en").get_json()
    assert list(body["themes"]) == ["en"]
    truth, _ = recomputed(app, PERIOD.start, PERIOD.end, "B001")
    assert {t["term"]: t["n"] for t in body["themes"]["en"]} == {
        term: v[0] for (lang, term), v in truth.items() if lang == "en"
    }
    queue = next(t for t in body["themes"]["en"] if t["term"] == "queue")
    assert parse_qs(urlparse(queue["comments"]).query)["term"] == ["queue"]


def test_a_store_name_cannot_run_in_the_insight_pages(app, client, feedback):
    from hub.models import Store

    with connected(app):
        Store.update(name='<script>alert("store")</script>').where(Store.code == "B001").execute()
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    for url in ("/dashboard/themes?store=B001", "/dashboard/drivers?store=B001"):
        page = client.get(url).get_data(as_text=True)
        assert '<script>alert("store")' not in page
        assert "&lt;script&gt;alert(" in page


def test_a_comment_is_counted_in_the_language_it_is_written_in(app, client, terminal):
    """A German comment typed on a page set to English (and the other way round) sits with
    its language's themes, with its sentiment, and the theme's link finds it."""
    mixed = [
        ("en", 1, "Die Schlange an der Kasse war viel zu lang, sehr schlecht"),
        ("de", 4, "The staff were very friendly and helpful"),
        ("en", 2, "ok"),  # no sign either way: the page's language
    ]
    _send(terminal, mixed, TODAY - timedelta(days=1))
    with connected(app):
        found = themes.themes(None, PERIOD, limit=1000)
    german = {t.term: t for t in found["de"]}
    english = {t.term: t for t in found["en"]}
    assert "schlange" in german and "schlange" not in english
    assert german["schlange"].sentiment < 0
    assert "staff" in english and "staff" not in german
    assert english["staff"].sentiment > 0
    assert {(t.language, t.term) for rows_ in found.values() for t in rows_} == set(
        recomputed(app, PERIOD.start, PERIOD.end)[0]
    )
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    listed = client.get("/dashboard/comments?language=de&term=schlange").get_data(as_text=True)
    assert "Die Schlange an der Kasse" in listed
    assert "The staff were very friendly" not in client.get("/dashboard/comments?language=de").get_data(as_text=True)
