"""Comment search through the databases' own full-text index (SQLite FTS5, PostgreSQL tsvector
with German and English configurations): the whole history, phrases and prefixes, German
inflection on PostgreSQL, the caller's stores only, nothing left of an erased comment, a
clear refusal of a search that cannot be read, the matched words marked in escaped text, and
the same comments as the raw rows say. Comments arrive through the real signed sync path."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest

from hub.dashboards import comments as comment_pages
from hub.queries import comments as comment_queries
from hub.services import comment_search
from tests.hub.conftest import ADMIN_PASSWORD, PASSWORD, rows
from tests.hub.test_dashboard_comments import BASE, comment_item, every_page, post, raw_comments, shown_ids, words
from tests.hub.test_dashboards import page, sign_in
from tests.hub.test_erasure import sqlite_path, voxloop  # noqa: F401 (a fixture)
from tests.mobile_web.conftest import TestPhone, phone_token

OLD = "Vor einem Jahr: der Quastenflosser im Aquarium war wunderbar"
RECENT = [
    "Die Warteschlange war lange",
    "Eine lange Warteschlange an der Kasse",
    "Der Parkplatz war voll",
    "Zu wenige Parkplätze vor dem Laden",
    "Die Wartezeit war kurz",
    "Freundliches Personal und schnelle Kasse",
    "Schnelle Bedienung, freundliches Personal",
    "Parken ist schwierig",
]
SECRET = "anna.schmidt@example.org schrieb vom Zauberlehrling"


@pytest.fixture
def written(terminal, other_terminal, people) -> None:
    """B001: a comment of a year ago, then 40 newer ones; H002: a comment with the rare word."""
    items = [comment_item(terminal, 0, OLD, face=4, at=BASE - timedelta(days=365))]
    for i in range(40):
        items.append(
            comment_item(terminal, i + 1, RECENT[i % len(RECENT)], face=i % 4 + 1, at=BASE + timedelta(hours=i))
        )
    items.append(comment_item(terminal, 99, SECRET, face=1, at=BASE + timedelta(days=2)))
    items.append(comment_item(terminal, 98, "<script>alert(1)</script> Quastenflosser & Co", face=1, at=BASE))
    items.append(comment_item(terminal, 97, "Bitte <b>hier</b> window.__pwned=2 klicken", face=1, at=BASE))
    post(terminal, items)
    post(other_terminal, [comment_item(other_terminal, 0, "Ein Quastenflosser in Hamburg", face=2, at=BASE)])


@pytest.fixture
def hq(client, written):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    return client


@pytest.fixture
def mia(client, written):
    sign_in(client, "mia@example.org", PASSWORD)
    return client


@pytest.fixture
def small_walks(monkeypatch):
    """A walk would read 20 responses at most: a search must not walk."""
    from hub.queries import comments as comment_queries

    monkeypatch.setattr(comment_queries, "FIRST_WINDOW", 7)
    monkeypatch.setattr(comment_queries, "WALK_BUDGET", 20)


def texts(app, ids: list[int]) -> list[str]:
    found = dict(rows(app, "SELECT id, text FROM answer WHERE kind = 'text'"))
    return [found[i] for i in ids]


def searched(client, query: str) -> list[int]:
    return [i for p in every_page(client, f"/dashboard/comments?q={query}") for i in p]


def postgres(app) -> bool:
    return not app.config["DATABASE_URL"].startswith("sqlite")


def test_a_rare_word_from_a_year_ago_is_found_beyond_any_walk(app, hq, small_walks):
    html = page(hq, "/dashboard/comments?q=quastenflosser&store=B001")

    assert texts(app, shown_ids(html))[-1] == OLD
    assert "Searched back to" not in html  # the whole history, not a bounded walk


def test_a_phrase_needs_its_words_in_order(app, hq):
    found = texts(app, searched(hq, '"lange Warteschlange"'))
    both_words = texts(app, searched(hq, "lange Warteschlange"))

    assert set(found) == {"Eine lange Warteschlange an der Kasse"}
    assert set(both_words) == {"Eine lange Warteschlange an der Kasse", "Die Warteschlange war lange"}


def test_a_prefix_finds_every_word_it_starts(app, hq):
    found = set(texts(app, searched(hq, "Parkpl*")))

    assert found == {"Der Parkplatz war voll", "Zu wenige Parkplätze vor dem Laden"}


def test_german_comments_are_stemmed_on_postgresql(app, hq):
    found = set(texts(app, searched(hq, "Wartezeiten")))

    if postgres(app):  # the german configuration: Wartezeiten and Wartezeit are one word
        assert found == {"Die Wartezeit war kurz"}
    else:  # unicode61 matches words as written
        assert found == set()


def test_a_store_manager_never_finds_another_stores_comment(app, mia, client):
    found = texts(app, searched(mia, "quastenflosser"))

    assert "Ein Quastenflosser in Hamburg" not in found
    assert OLD in found
    assert client.get("/dashboard/comments?q=quastenflosser&store=H002").status_code == 404


def test_words_inside_markup_or_an_address_are_words_on_both_engines(app, hq):
    assert set(texts(app, searched(hq, "script"))) == {"<script>alert(1)</script> Quastenflosser & Co"}
    assert set(texts(app, searched(hq, "pwned"))) == {"Bitte <b>hier</b> window.__pwned=2 klicken"}
    assert set(texts(app, searched(hq, '"window pwned"'))) == {"Bitte <b>hier</b> window.__pwned=2 klicken"}


def test_a_phone_comment_and_what_its_later_version_adds_are_found(app, client, hq, clock):
    phone = TestPhone(client, clock, phone_token(), served_at=clock() - timedelta(minutes=5))
    first = phone.version({"question": "rating", "kind": "smiley", "value": 1}, partial=True)
    assert phone.put(first).status_code == 200
    assert searched(hq, "Seepferdchen") == []
    later = phone.version(
        {"question": "rating", "kind": "smiley", "value": 1},
        {"question": "comment", "kind": "text", "value": "Ein Seepferdchen am Eingang"},
        partial=False,
    )
    assert phone.put(later).status_code == 200

    assert texts(app, searched(hq, "Seepferdchen")) == ["Ein Seepferdchen am Eingang"]


def test_headquarters_finds_it_in_every_store(app, hq):
    assert "Ein Quastenflosser in Hamburg" in texts(app, searched(hq, "quastenflosser"))


def test_an_erased_comment_leaves_nothing_findable(app, hq, voxloop):  # noqa: F811
    assert len(searched(hq, "Zauberlehrling")) == 1

    voxloop("hub", "erase", "--contact", "anna.schmidt@example.org")

    assert searched(hq, "Zauberlehrling") == []
    assert searched(hq, "Zauberl*") == []
    path = sqlite_path(app)
    if path is not None:  # FTS5 keeps a deleted comment's words until its segments merge
        with closing(sqlite3.connect(path)) as db:
            db.execute("CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, comment_fts, 'row')")
            assert db.execute("SELECT term FROM temp.words WHERE term LIKE 'zauber%'").fetchall() == []
            blobs = b"".join(bytes(b) for (b,) in db.execute("SELECT block FROM comment_fts_data"))
        assert b"lehrling" not in blobs  # terms are stored prefix-compressed: a tail is enough
    else:
        assert rows(
            app, "SELECT COUNT(*) FROM comment_search s JOIN answer a ON a.id = s.answer_id WHERE a.text IS NULL"
        ) == [(0,)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"lange Warteschlange', "quotation mark"),
        ("*", "must follow a word"),
        ("Park**", "may only end a word"),
        ("P*", "at least 2 letters"),
        ('""', "holds no word"),
        ("!!!", "holds no word"),
    ],
)
def test_a_search_that_cannot_be_read_is_refused_with_a_message(hq, query, message):
    for url in ("/dashboard/comments", "/dashboard/comments.csv", "/dashboard/comments.json"):
        answer = hq.get(url, query_string={"q": query})
        assert answer.status_code == 400, (url, query)
        assert message in answer.get_data(as_text=True), (url, query)


def test_matched_words_are_marked_in_escaped_text(hq):
    html = page(hq, "/dashboard/comments?q=quastenflosser")

    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Quastenflosser</mark> &amp; Co" in html
    assert "<script>alert" not in html
    assert "der <mark>Quastenflosser</mark> im Aquarium" in html


def test_a_prefix_marks_the_words_it_starts(hq):
    html = page(hq, "/dashboard/comments?q=Parkpl*")

    assert "Der <mark>Parkplatz</mark> war voll" in html
    assert "Zu wenige <mark>Parkplätze</mark> vor dem Laden" in html


def _holds(text: str, query: str) -> bool:
    """The search's meaning on words as written: each quoted phrase in order, a * prefix."""
    have = " " + " ".join(words(text)) + " "
    for phrase, bare in re.findall(r'"([^"]*)"|(\S+)', query.lower()):
        item = phrase or bare
        prefix = item.endswith("*")
        needle = " " + " ".join(words(item)) + ("" if prefix else " ")
        if needle not in have:
            return False
    return True


@pytest.mark.parametrize("way", ["index", "walk"])
@pytest.mark.parametrize("query", ["kasse", '"freundliches Personal"', "schnell*", "Personal schnelle", "parken"])
def test_each_search_finds_exactly_the_comments_the_raw_rows_hold(app, hq, query, way, monkeypatch):
    """Both ways to a page: every match joined and sorted (a rare word), or the responses
    walked newest first, each comment tested in the index (PostgreSQL) or against the matching
    ids of the answer ids around (SQLite) (a common word)."""
    monkeypatch.setattr(comment_pages, "PAGE_SIZE", 7)  # several pages
    monkeypatch.setattr(comment_search, "WALK_FACTOR", 10**9 if way == "index" else 0)
    monkeypatch.setattr(comment_queries, "FIRST_WINDOW", 7)  # the walk goes window by window
    monkeypatch.setattr(comment_queries, "MIN_WINDOW", 1)  # each as long as the matches so far say
    monkeypatch.setattr(comment_search, "SPAN", 8)  # and reads the matching ids stretch by stretch
    expected = [r[0] for r in raw_comments(app) if _holds(r[2], query)]

    assert len(expected) >= 5
    assert searched(hq, query) == expected
    export = hq.get("/dashboard/comments.json", query_string={"q": query}).get_json()["comments"]
    assert [c["comment"] for c in export] == texts(app, expected)


def test_a_seeded_hub_indexes_every_comment_it_writes(app, clock):
    from tests.hub.test_demo_seed import seeded

    seeded(app, clock)
    comments = rows(app, "SELECT id, text FROM answer WHERE kind = 'text' AND text IS NOT NULL AND text <> ''")
    table = "comment_search" if postgres(app) else "comment_fts_docsize"  # a row per indexed comment
    held = rows(app, f"SELECT COUNT(*) FROM {table}")

    assert len(comments) >= 50
    assert held == [(len(comments),)]
