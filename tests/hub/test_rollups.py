"""The insight rollups: what terminal batches and phone answers count equals what the raw
responses say (counted again by rebuild_rollups and, independently, here), the every-store
rows are the sum of the stores, and the readers in hub/queries/scores.py return those counts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hub.queries import scores
from hub.services.comment_text import comment_sentiment, comment_terms
from hub.services.rollups import rebuild_rollups
from shared.protocol import format_time
from tests.hub.conftest import connected, rows
from tests.mobile_web.conftest import TestPhone, phone_token

TABLES = (
    "rollup_daily",
    "score_daily",
    "score_monthly",
    "score_weekly",
    "hour_daily",
    "reason_daily",
    "reason_pair_daily",
    "term_daily",
)
DAY = date(2026, 11, 20)


def snapshot(app) -> dict[str, list[tuple]]:
    found = {}
    for table in TABLES:
        found[table] = sorted(
            tuple(round(v, 6) if isinstance(v, float) else str(v) if isinstance(v, date) else v for v in row)
            for row in rows(app, f"SELECT * FROM {table}")
        )
    return found


def feedback(terminal, hour_utc: int, face: int, *, reasons=(), comment=None, score=None, locale="de"):
    captured = datetime(DAY.year, DAY.month, DAY.day, hour_utc, 15, tzinfo=UTC)
    answers = [{"question": "rating", "kind": "smiley", "value": face}]
    if reasons:
        answers.append({"question": "reason", "kind": "choice", "value": list(reasons)})
    if score is not None:
        answers.append({"question": "nps", "kind": "nps", "value": score})
    if comment:
        answers.append({"question": "comment", "kind": "text", "value": comment})
    return terminal.response(captured_at=format_time(captured), answers=answers, locale=locale)


def send_terminal_feedback(terminal, other_terminal) -> None:
    batch = [
        feedback(terminal, 7, 1, reasons=["queue"], comment="Die Wartezeit an der Kasse war viel zu lang", score=2),
        feedback(terminal, 7, 2, reasons=["queue", "staff"], comment="Kasse langsam, Personal unfreundlich"),
        feedback(terminal, 12, 4, reasons=["staff"], comment="Sehr freundliches Personal!", score=10),
        feedback(terminal, 12, 3, score=8, locale="en", comment="Nice store, short queue"),
        feedback(terminal, 23, 4),  # 00:15 the next day in Berlin
    ]
    assert all(r["status"] == "accepted" for r in terminal.post_batch(batch).get_json()["results"])
    other = [feedback(other_terminal, 9, 2, reasons=["stock"], comment="Nothing in stock", locale="en")]
    assert other_terminal.post_batch(other).get_json()["results"][0]["status"] == "accepted"


def test_rollups_counted_at_ingest_equal_a_recount_from_the_raw_responses(app, client, clock, terminal, other_terminal):
    send_terminal_feedback(terminal, other_terminal)
    phone = TestPhone(client, clock, phone_token(), served_at=clock() - timedelta(minutes=5))
    rating = {"question": "rating", "kind": "smiley", "value": 1}
    reason = {"question": "reason", "kind": "choice", "value": ["queue"]}
    comment = {"question": "comment", "kind": "text", "value": "The queue was terribly long"}
    # the phone sends the whole response so far after each answer: the later answers are
    # counted with the smiley stored before them
    assert phone.put(phone.version(rating)).status_code in (200, 201)
    assert phone.put(phone.version(rating, reason)).status_code == 200
    assert phone.put(phone.version(rating, reason, comment, partial=False)).status_code == 200

    counted = snapshot(app)
    with connected(app):
        assert rebuild_rollups(chunk=3) == 7
    assert snapshot(app) == counted


def test_every_store_rows_are_the_sum_of_the_stores_and_the_readers_return_them(app, terminal, other_terminal, store):
    send_terminal_feedback(terminal, other_terminal)
    with connected(app):
        every = scores.score_counts("rating", DAY, DAY + timedelta(days=1), None)[None]
        per_store = scores.score_counts("rating", DAY, DAY + timedelta(days=1), None, "store")
        assert every == {1: 1, 2: 2, 3: 1, 4: 2}
        assert sum((Counter(c) for c in per_store.values()), Counter()) == Counter(every)
        assert per_store[store.id] == {1: 1, 2: 1, 3: 1, 4: 2}
        # the same figures scoped to one store, through the store index
        assert scores.score_counts("rating", DAY, DAY + timedelta(days=1), [store.id])[None] == per_store[store.id]
        assert scores.score_counts("rating", DAY, DAY, [store.id], "day") == {DAY: {1: 1, 2: 1, 3: 1, 4: 1}}
        assert scores.score_counts("nps", DAY, DAY, [store.id], "channel") == {"kiosk": {2: 1, 10: 1, 8: 1}}
        assert scores.score_counts("rating", DAY, DAY, []) == {}

        # Berlin is UTC+1 in November: hours are the store's, the late one falls on the next day
        hours = scores.hour_counts(DAY, DAY + timedelta(days=1), [store.id])
        assert hours == {(4, 8): {1: 1, 2: 1}, (4, 13): {4: 1, 3: 1}, (5, 0): {4: 1}}

        reasons = scores.reason_counts("reason", DAY, DAY, None)[None]
        assert reasons["queue"] == {"n": 2, 1: 1, 2: 1}
        assert reasons["staff"] == {"n": 2, 2: 1, 4: 1}
        assert reasons["stock"] == {"n": 1, 2: 1}
        assert set(scores.reason_counts("reason", DAY, DAY, [store.id])[None]) == {"queue", "staff"}
        # reasons named together, and (both '') the responses that named any
        pairs = scores.reason_pair_counts("reason", DAY, DAY, None)[None]
        assert pairs == {("queue", "staff"): {"n": 1, 2: 1}, ("", ""): {"n": 4, 1: 1, 2: 2, 4: 1}}
        assert scores.reason_pair_counts("reason", DAY, DAY, [store.id], "store")[store.id][("", "")]["n"] == 3


def test_comment_terms_are_counted_with_their_mood_and_sentiment(app, terminal, other_terminal, store):
    send_terminal_feedback(terminal, other_terminal)
    comments = [
        ("de", 1, "Die Wartezeit an der Kasse war viel zu lang"),
        ("de", 2, "Kasse langsam, Personal unfreundlich"),
        ("de", 4, "Sehr freundliches Personal!"),
        ("en", 3, "Nice store, short queue"),
    ]
    expected: dict[tuple[str, str], list] = {}
    for language, face, text in comments:
        for term in comment_terms(text, language):
            row = expected.setdefault((language, term), [0, 0, 0, 0.0])
            row[0] += 1
            row[1] += face <= 2  # the default survey's smiley has four faces
            row[2] += face >= 3
            row[3] += comment_sentiment(text, language)
    with connected(app):
        found = scores.term_counts(DAY, DAY, [store.id])
    assert {(t.language, t.term): [t.n, t.negative, t.positive, round(t.sentiment, 6)] for t in found} == {
        key: [*value[:3], round(value[3], 6)] for key, value in expected.items()
    }
    assert [t.n for t in found] == sorted((t.n for t in found), reverse=True)
    with connected(app):
        every = scores.comment_counts(DAY, DAY, [store.id])
    assert {lang: (c.n, c.negative, c.positive) for lang, c in every.items()} == {"de": (3, 2, 1), "en": (1, 0, 1)}
    assert found[0].n >= 2  # "kasse" or "personal" is in two comments


def test_the_migration_counts_the_responses_a_hub_already_held(app, terminal, other_terminal):
    from hub.db import database
    from hub.services.rollups import count_held_responses

    send_terminal_feedback(terminal, other_terminal)
    counted = snapshot(app)
    with connected(app):
        for table in TABLES:
            database.execute_sql(f"DELETE FROM {table}")
        count_held_responses(database.obj)
    assert snapshot(app) == counted
