"""The phone page cannot be stuffed: a served page takes one response, bursts from one client
are flagged suspect (their earlier responses too), and suspect answers are counted apart
from the figures' rollups, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hub.services.rollups import rebuild_rollups
from tests.hub.conftest import assert_problem, connected, rows
from tests.mobile_web.conftest import COMMENT, NPS, RATING, REASON, TestPhone, phone_token, stored
from tests.mobile_web.test_phone_page import form_fields

PERSON_PACE = timedelta(minutes=5)  # a page served this long before its answers: a person's pace


def score_n(app, question: str = "rating") -> int:
    """The answers score_daily counts for every store (the figures' source)."""
    [(n,)] = rows(app, "SELECT COALESCE(SUM(n), 0) FROM score_daily WHERE store_id = 0 AND question = ?", (question,))
    return int(n)


def suspect_n(app, question: str = "rating") -> int:
    [(n,)] = rows(app, "SELECT COALESCE(SUM(count), 0) FROM suspect_daily WHERE question = ?", (question,))
    return int(n)


def snapshot(app) -> dict[str, list[tuple]]:
    tables = ("rollup_daily", "score_daily", "hour_daily", "reason_daily", "term_daily", "suspect_daily")
    return {t: sorted((r for r in rows(app, f"SELECT * FROM {t}") if any(r[-1:])), key=repr) for t in tables}


def counted(app) -> dict[str, Counter]:
    """Each rollup's counts without its rows at zero (moved rows stay behind at 0)."""
    found = {}
    for table, value in (("score_daily", "n"), ("rollup_daily", "count"), ("suspect_daily", "count")):
        found[table] = Counter({row[:-1]: row[-1] for row in rows(app, f"SELECT *, {value} FROM {table}") if row[-1]})
    return found


# --- one page, one response -------------------------------------------------------------------


def test_a_served_page_takes_one_response_and_its_later_versions(app, client, clock, store):
    page = TestPhone(client, clock, phone_token(), served_at=clock() - PERSON_PACE)
    assert page.put(page.version(RATING)).status_code == 200
    other = TestPhone(client, clock, page.token, served_at=page.served_at, tickets=page.tickets)  # same page

    refused = other.put(other.version({**RATING, "value": 1}, partial=False))

    assert_problem(refused, 409, "ticket_used")
    assert rows(app, "SELECT COUNT(*) FROM response WHERE id = ?", (other.id,)) == [(0,)]
    finished = page.put(page.version(RATING, REASON, NPS, COMMENT, partial=False))
    assert finished.status_code == 200 and finished.get_json()["status"] == "updated"
    assert stored(app, page.id)["flags"] == []
    assert score_n(app) == 1


def test_a_page_loaded_again_takes_another_response(app, client, clock, store):
    first = TestPhone(client, clock, phone_token(), served_at=clock() - PERSON_PACE)
    first.put(first.version(RATING, partial=False))
    again = TestPhone(client, clock, first.token, served_at=clock() - PERSON_PACE + timedelta(seconds=1))

    answer = again.put(again.version({**RATING, "value": 4}, partial=False))

    assert answer.status_code == 200 and answer.get_json()["status"] == "accepted"
    assert score_n(app) == 2 and suspect_n(app) == 0


def test_one_pages_ticket_reused_for_hundreds_of_answers_stores_one(app, client, clock, store):
    """The outside test's run: 287 answers sent with one page's ticket within seconds."""
    first = TestPhone(client, clock, phone_token(), served_at=clock() - PERSON_PACE)
    statuses = Counter()
    for number in range(287):
        bot = TestPhone(client, clock, first.token, served_at=first.served_at, tickets=first.tickets)
        statuses[bot.put(bot.version({**RATING, "value": 1 + number % 4}, partial=False)).status_code] += 1
        clock.advance(seconds=0.008)

    assert statuses == {200: 1, 409: 286}
    assert rows(app, "SELECT COUNT(*) FROM response WHERE channel = 'qr'") == [(1,)]
    assert score_n(app) == 1


def test_a_page_whose_ticket_is_used_says_so_on_the_plain_form(app, client, clock, store):
    token = phone_token()
    fields = form_fields(client.get(f"/m/{token}").get_data(as_text=True))
    clock.advance(seconds=40)
    first = client.post(f"/m/{token}", data={**fields, "q.rating": "4"})
    other_id = {**fields, "response_id": TestPhone(client, clock, token).id, "q.rating": "1"}
    second = client.post(f"/m/{token}", data=other_id, headers={"Accept-Language": "en"})

    assert first.status_code == 200
    assert second.status_code == 409
    assert "Already sent" in second.get_data(as_text=True)
    assert rows(app, "SELECT COUNT(*) FROM response WHERE channel = 'qr'") == [(1,)]


# --- bursts -------------------------------------------------------------------------------------


def test_a_burst_from_one_address_is_suspect_with_its_first_responses(app, client, clock, store):
    token = phone_token()
    burst = []
    for number in range(6):  # PHONE_BURST_RESPONSES is 5: the sixth within a minute makes a burst
        phone = TestPhone(client, clock, token, served_at=clock() - PERSON_PACE, address="203.0.113.9")
        phone.put(phone.version({**RATING, "value": 1 + number % 4}, partial=False))
        burst.append(phone)
        clock.advance(seconds=9)
    neighbour = TestPhone(client, clock, token, served_at=clock() - PERSON_PACE, address="203.0.113.10")
    neighbour.put(neighbour.version(RATING, partial=False))

    assert [stored(app, p.id)["flags"] for p in burst] == [["suspect"]] * 6
    assert stored(app, neighbour.id)["flags"] == []
    assert score_n(app) == 1 and suspect_n(app) == 6
    written = counted(app)
    with connected(app):
        rebuild_rollups()
    assert counted(app) == written  # the moved counts are what counting the stored rows gives


def test_responses_a_minute_apart_from_one_address_are_no_burst(app, client, clock, store):
    token = phone_token()
    for _ in range(8):
        phone = TestPhone(client, clock, token, served_at=clock() - PERSON_PACE, address="203.0.113.9")
        phone.put(phone.version(RATING, partial=False))
        clock.advance(seconds=61)

    assert suspect_n(app) == 0 and score_n(app) == 8
    assert rows(app, "SELECT COUNT(*) FROM phone_burst") == [(1,)]  # older rows are forgotten


def test_the_burst_threshold_is_a_setting(app, clock, store, configured):
    strict = configured(PHONE_BURST_RESPONSES=1, PHONE_BURST_SECONDS=600).test_client()
    token = phone_token()
    for _ in range(2):
        phone = TestPhone(strict, clock, token, served_at=clock() - PERSON_PACE)
        phone.put(phone.version(RATING, partial=False))
        clock.advance(seconds=120)

    assert suspect_n(app) == 2 and score_n(app) == 0


# --- suspect answers are counted apart --------------------------------------------------------


def test_a_conversation_finished_too_fast_moves_what_was_counted(app, client, clock, store):
    bot = TestPhone(client, clock, phone_token(), served_at=clock())
    bot.put(bot.version(RATING))  # the smiley, counted at once
    assert score_n(app) == 1

    clock.advance(seconds=1)  # four answers in a second
    bot.put(bot.version(RATING, REASON, NPS, COMMENT, partial=False))

    assert stored(app, bot.id)["flags"] == ["suspect"]
    assert score_n(app) == 0 and score_n(app, "nps") == 0
    assert suspect_n(app) == 1 and suspect_n(app, "nps") == 1 and suspect_n(app, "comment") == 1
    [(reasons, terms)] = rows(
        app,
        "SELECT (SELECT COALESCE(SUM(n), 0) FROM reason_daily), (SELECT COALESCE(SUM(n), 0) FROM term_daily)",
    )
    assert (reasons, terms) == (0, 0)
    written = counted(app)
    with connected(app):
        rebuild_rollups()
    assert counted(app) == written


def test_a_suspect_responses_later_answers_are_counted_apart(app, client, clock, store):
    """A burst flags a response while it is unfinished; its later answers join the suspect ones."""
    token = phone_token()
    phones = [TestPhone(client, clock, token, served_at=clock() - PERSON_PACE) for _ in range(6)]
    for phone in phones:
        phone.put(phone.version(RATING))
    first = phones[0]
    clock.advance(seconds=30)
    first.put(first.version(RATING, NPS, partial=False))

    assert "suspect" in stored(app, first.id)["flags"]
    assert score_n(app, "nps") == 0 and suspect_n(app, "nps") == 1
