"""The comment browser: every comment once across its pages, newest first; each filter keeps
exactly the comments the raw tables say it should; a person sees only their stores; what
customers write never runs in a page or a spreadsheet. Comments arrive through the real
signed sync path (terminals) and the phone page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from hub.dashboards import comments as comment_pages
from hub.models import Store
from hub.services.comment_text import comment_terms
from hub.services.rollups import comment_language
from shared.protocol import format_time
from tests.hub.conftest import ADMIN_PASSWORD, PASSWORD, connected, rows
from tests.hub.test_dashboards import page, sign_in
from tests.mobile_web.conftest import TestPhone, phone_token

EVIL = '=HYPERLINK("http://evil.example")<script>alert(1)</script>'
BASE = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def comment_item(terminal, i: int, text: str, *, face: int, at: datetime, locale: str = "de", reasons=()) -> dict:
    answers = [{"question": "rating", "kind": "smiley", "value": face}]
    if reasons:
        answers.append({"question": "reason", "kind": "choice", "value": list(reasons)})
    answers.append({"question": "comment", "kind": "text", "value": text})
    return terminal.response(captured_at=format_time(at), locale=locale, answers=answers)


def post(terminal, items) -> None:
    answer = terminal.post_batch(items)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert {r["status"] for r in answer.get_json()["results"]} == {"accepted"}, answer.get_json()


@pytest.fixture
def written(terminal, other_terminal, people) -> None:
    """B001: 130 comments over three days (ten share one capture time), in German and English,
    with faces 1-4, some with reasons; plus answers without a comment. H002: five comments."""
    items = []
    for i in range(130):
        at = BASE + timedelta(minutes=30 * (i // 10 if i < 10 else i))  # the first ten: one moment
        language = "en-GB" if i % 3 == 0 else "de"
        text = f"Comment {i}: " + ("Die Warteschlange war lang" if i % 5 == 0 else "freundliches Personal")
        text += " und 50% teurer" if i == 7 else ""
        reasons = ("queue",) if i % 5 == 0 else ()
        items.append(comment_item(terminal, i, text, face=i % 4 + 1, at=at, locale=language, reasons=reasons))
    items.append(
        terminal.response(captured_at=format_time(BASE), answers=[{"question": "rating", "kind": "smiley", "value": 3}])
    )
    post(terminal, items)
    post(
        other_terminal,
        [comment_item(other_terminal, i, f"Hamburg note {i}", face=2, at=BASE + timedelta(hours=i)) for i in range(5)],
    )


@pytest.fixture
def hq(client, written):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    return client


@pytest.fixture
def mia(client, written):
    sign_in(client, "mia@example.org", PASSWORD)
    return client


def raw_comments(app, where: str = "1 = 1", params: tuple = ()) -> list[tuple]:
    """(answer id, store code, text, face, channel, locale, local day) of every comment, newest first."""
    return rows(
        app,
        "SELECT a.id, s.code, a.text, f.number, r.channel, r.locale, r.local_day FROM answer a "
        "JOIN response r ON r.id = a.response_id JOIN store s ON s.id = r.store_id "
        "LEFT JOIN answer f ON f.response_id = r.id AND f.question = 'rating' "
        f"WHERE a.kind = 'text' AND {where} ORDER BY r.captured_at DESC, r.id DESC, a.id DESC",
        params,
    )


def shown_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-answer="(\d+)"', html)]


def next_link(html: str) -> str | None:
    found = re.search(r'<a class="next" rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def every_page(client, url: str) -> list[list[int]]:
    pages = []
    while url:
        html = page(client, url)
        pages.append(shown_ids(html))
        url = next_link(html)
    return pages


# --- pages ----------------------------------------------------------------------------------------


def test_pages_show_every_comment_exactly_once_newest_first(app, hq):
    pages = every_page(hq, "/dashboard/comments")
    expected = [row[0] for row in raw_comments(app)]
    assert len(expected) == 135
    assert [len(p) for p in pages] == [50, 50, 35]
    assert [i for p in pages for i in p] == expected


def test_a_comment_arriving_while_someone_pages_shifts_nothing(app, hq, terminal):
    first = page(hq, "/dashboard/comments")
    post(terminal, [comment_item(terminal, 999, "late", face=4, at=BASE + timedelta(days=3))])
    second = shown_ids(page(hq, next_link(first)))
    assert second == [row[0] for row in raw_comments(app)][51:101]  # the new one sits before the first page


def test_a_malformed_cursor_starts_at_the_newest(app, hq):
    assert shown_ids(page(hq, "/dashboard/comments?after=yesterday")) == [r[0] for r in raw_comments(app)][:50]


# --- filters --------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """The words of a text as the search indexes them (letters and digits, any case)."""
    return re.findall(r"[^\W_]+", text.lower())


def ids_of_every_page(client, url: str) -> list[int]:
    return [i for p in every_page(client, url) for i in p]


def test_each_filter_keeps_the_comments_the_raw_tables_name(app, hq):
    day = date(2026, 11, 21)
    checks = {
        "store=H002": lambda r: r[1] == "H002",
        "rating=1": lambda r: r[3] == 1,
        "language=en": lambda r: comment_language(r[2], r[5]) == "en",  # as written, else the page's
        "channel=kiosk": lambda r: r[4] == "kiosk",
        "channel=qr": lambda r: r[4] == "qr",
        "touchpoint=exit&store=B001": lambda r: r[1] == "B001",
        f"from={day}&to={day}": lambda r: str(r[6])[:10] == day.isoformat(),
        "q=WARTESCHLANGE": lambda r: "warteschlange" in words(r[2]),
        "q=50%25": lambda r: "50" in words(r[2]),  # words are searched: the percent sign is none
        "rating=2&language=de&store=B001": lambda r: (
            r[3] == 2 and comment_language(r[2], r[5]) == "de" and r[1] == "B001"
        ),
    }
    everything = raw_comments(app)
    for query, keep in checks.items():
        expected = [r[0] for r in everything if keep(r)]
        assert ids_of_every_page(hq, f"/dashboard/comments?{query}") == expected, query
    assert ids_of_every_page(hq, "/dashboard/comments?rating=1")  # the checks are not all empty
    assert ids_of_every_page(hq, f"/dashboard/comments?from={day}&to={day}")


def test_a_theme_term_finds_the_comments_that_hold_it_across_pages(app, hq):
    from hub.services.comment_text import comment_terms

    everything = raw_comments(app)
    # counted as the themes count it: in the language the comment is written in
    expected = [r[0] for r in everything if "warteschlange" in comment_terms(r[2], comment_language(r[2], r[5]))]
    assert len(expected) >= 20
    pages = every_page(hq, "/dashboard/comments?term=warteschlange")
    assert [i for p in pages for i in p] == expected


def test_phone_comments_are_there_with_their_channel(app, client, hq, clock):
    phone = TestPhone(client, clock, phone_token(), served_at=clock() - timedelta(minutes=5))
    item = phone.version(
        {"question": "rating", "kind": "smiley", "value": 1},
        {"question": "comment", "kind": "text", "value": "Sent from my phone"},
        partial=False,
    )
    assert phone.put(item).status_code == 200
    html = page(hq, "/dashboard/comments?channel=qr")
    assert shown_ids(html) == [r[0] for r in raw_comments(app, "r.channel = 'qr'")]
    assert "Sent from my phone" in html and "Phone" in html


def test_each_comment_shows_its_face_reasons_store_and_case(app, hq):
    html = page(hq, "/dashboard/comments?store=B001&q=Comment%205:")
    block = re.search(r'data-answer="\d+".*?</blockquote>.*?</div>\s*</div>', html, re.S).group(0)
    assert "<mark>Comment</mark> <mark>5</mark>: Die Warteschlange war lang" in block
    assert 'data-face="2"' in block and "unhappy" in block
    assert "Reason: Waiting at the till" in html
    assert "B001 Berlin Mitte" in block


def test_a_comment_links_to_the_case_its_response_opened(app, hq):
    case_of = {str(r): c for r, c in rows(app, "SELECT response_id, case_id FROM case_response")}
    html = page(hq, "/dashboard/comments?rating=1&store=B001")
    blocks = dict(
        re.findall(r'data-response="([^"]+)">(.*?)(?=<div class="card comment"|<p class="pager")', html, re.S)
    )
    linked = [r for r in blocks if r in case_of]
    assert linked  # a very unhappy rating opened a case
    for response_id in linked:
        assert f'href="/cases/{case_of[response_id]}"' in blocks[response_id]
    assert all("/cases/" not in block for r, block in blocks.items() if r not in case_of)


# --- exports --------------------------------------------------------------------------------------


def test_the_csv_and_json_hold_the_filtered_list(app, hq):
    expected = [r for r in raw_comments(app) if r[3] == 4 and r[1] == "B001"]
    answer = hq.get("/dashboard/comments.csv?rating=4&store=B001")
    assert answer.mimetype == "text/csv"
    found = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [row["comment"] for row in found] == [r[2] for r in expected]
    assert {row["face"] for row in found} == {"4"}
    body = hq.get("/dashboard/comments.json?rating=4&store=B001").get_json()
    assert [c["comment"] for c in body["comments"]] == [r[2] for r in expected]


def test_the_export_is_capped(app, hq, monkeypatch):
    monkeypatch.setattr(comment_pages, "EXPORT_CAP", 7)
    assert len(hq.get("/dashboard/comments.json").get_json()["comments"]) == 7
    assert len(list(csv.DictReader(io.StringIO(hq.get("/dashboard/comments.csv").get_data(as_text=True))))) == 7


# --- who sees what --------------------------------------------------------------------------------


def test_a_store_manager_sees_only_their_stores_comments(app, mia):
    assert ids_of_every_page(mia, "/dashboard/comments") == [r[0] for r in raw_comments(app) if r[1] == "B001"]
    assert "Hamburg note" not in mia.get("/dashboard/comments.csv").get_data(as_text=True)
    assert all(c["store"] == "B001" for c in mia.get("/dashboard/comments.json").get_json()["comments"])


def test_another_stores_comments_answer_not_found_to_a_store_manager(mia):
    for url in (
        "/dashboard/comments?store=H002",
        "/dashboard/comments.csv?store=H002",
        "/dashboard/comments.json?store=H002",
    ):
        assert mia.get(url).status_code == 404, url


def test_strangers_are_sent_to_sign_in(client, written):
    for url in ("/dashboard/comments", "/dashboard/comments.csv", "/dashboard/comments.json"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


# --- what customers write cannot run --------------------------------------------------------------


@pytest.fixture
def evil(app, terminal, written):
    post(terminal, [comment_item(terminal, 500, EVIL, face=1, at=BASE + timedelta(days=3))])
    with connected(app):
        Store.update(name="<img src=x onerror=alert(2)>").where(Store.code == "B001").execute()


def test_markup_in_comments_and_store_names_is_escaped_in_the_page(hq, evil):
    html = page(hq, "/dashboard/comments")
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_a_comment_that_looks_like_a_formula_is_neutralised_in_the_csv(hq, evil):
    found = list(csv.DictReader(io.StringIO(hq.get("/dashboard/comments.csv").get_data(as_text=True))))
    assert found[0]["comment"] == "'" + EVIL
    assert hq.get("/dashboard/comments.json").get_json()["comments"][0]["comment"] == EVIL


# --- a bounded walk -------------------------------------------------------------------------------


@pytest.fixture
def small_walks(monkeypatch):
    """A first window of 7 responses, the next ones as long as the comments found say, and 20
    read per request at most, so the walk is cut often."""
    from hub.queries import comments as comment_queries

    monkeypatch.setattr(comment_queries, "FIRST_WINDOW", 7)
    monkeypatch.setattr(comment_queries, "MIN_WINDOW", 1)
    monkeypatch.setattr(comment_queries, "WALK_BUDGET", 20)


def test_the_next_window_is_as_long_as_the_comments_found_so_far_say_the_page_needs():
    from hub.queries.comments import MIN_WINDOW, next_window

    assert next_window(2000, 2000, 0, 51) == 16_000  # nothing found: eight times the last
    assert next_window(2000, 2000, 23, 51) == 3653  # 28 more at 23 per 2,000, and half again
    assert next_window(3653, 5653, 50, 51) == MIN_WINDOW  # one more: never a tiny window


def test_a_walk_cut_by_its_budget_goes_on_where_it_stopped_and_loses_nothing(app, hq, small_walks):
    for query, keep in (
        ("", lambda r: True),
        ("rating=1&language=de", lambda r: r[3] == 1 and comment_language(r[2], r[5]) == "de"),
    ):
        expected = [r[0] for r in raw_comments(app) if keep(r)]
        pages = every_page(hq, f"/dashboard/comments?{query}")
        assert [i for p in pages for i in p] == expected, query
    assert any(len(p) < 50 for p in every_page(hq, "/dashboard/comments?rating=1")[:-1])  # cut early


def test_a_page_cut_by_the_budget_says_how_far_back_it_searched(hq, small_walks):
    html = page(hq, "/dashboard/comments?term=nothingmatchesthis")  # a theme term walks
    assert "Searched back to" in html
    assert next_link(html)


def test_a_comment_in_a_language_the_themes_do_not_analyse_is_found_as_english(app, hq, terminal):
    """The themes count a French comment as English (hub/services/rollups.py language_of): its
    theme link and the English filter must find it too."""
    post(terminal, [comment_item(terminal, 0, "Caisse fermée, queue énorme", face=1, at=BASE, locale="fr-FR")])
    french = [r[0] for r in raw_comments(app, "r.locale = 'fr-FR'")]
    assert len(french) == 1
    assert french[0] in shown_ids(page(hq, "/dashboard/comments?language=en&store=B001"))
    assert french[0] not in shown_ids(page(hq, "/dashboard/comments?language=de&store=B001"))
    term = comment_terms("Caisse fermée", "en")[0]  # as the themes count it: English, stemmed ("caiss")
    assert shown_ids(page(hq, f"/dashboard/comments?term={term}&language=en")) == french


def test_a_theme_link_finds_comments_with_an_umlaut_plural_or_a_capital_umlaut(app, hq, terminal):
    """A topic is a stem: "Parkplätze" is the topic "parkplatz", "Öffnungszeiten"
    "öffnungszeit"; the browser's SQL sieve must let both through on SQLite, whose LIKE folds
    the case of ASCII letters only."""
    texts = ["Keine Parkplätze frei", "Öffnungszeiten zu kurz"]
    post(terminal, [comment_item(terminal, i, text, face=2, at=BASE, locale="de-DE") for i, text in enumerate(texts)])
    ids = {text: [r[0] for r in raw_comments(app) if r[2] == text] for text in texts}
    assert shown_ids(page(hq, "/dashboard/comments?term=parkplatz&language=de")) == ids["Keine Parkplätze frei"]
    assert shown_ids(page(hq, "/dashboard/comments?term=öffnungszeit&language=de")) == ids["Öffnungszeiten zu kurz"]
