"""The terminal's thank-you QR code continues the same response on the phone, on SQLite and
PostgreSQL: the follow-up attaches to the tapped response whether the tap arrived first or
not, one shopper is one response counted once, a code takes one conversation, expires, and is
refused when forged or from a revoked terminal."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections import Counter
from datetime import timedelta

import pytest

from hub.services.rollups import rebuild_rollups
from shared.continuation import LIFETIME_SECONDS, make_continuation, read_continuation
from shared.crypto import b64url, new_private_key
from shared.errors import TokenError
from tests.hub import conftest as hub_fixtures
from tests.hub.conftest import assert_problem, connected, rows
from tests.mobile_web.conftest import COMMENT, NPS, TestPhone, page_boot, stored
from tests.support.postgres import lock_waits

terminal = hub_fixtures.terminal  # an enrolled terminal of store B001 that signs its syncs

REASON = {"question": "reason", "kind": "choice", "value": ["queue"]}
OTHER_REASON = {"question": "reason", "kind": "choice", "value": ["price"]}
CONTACT = {"address": "anna@example.org", "consent": True}
PERSON_PACE = timedelta(minutes=3)


def code_for(terminal, response_id: str, *, expires=None, key=None, store="B001", touchpoint="exit", key_id=None):
    """What the terminal's thank-you screen shows for a tap (kiosk/terminal.py makes it alike)."""
    expires = expires or terminal.clock() + timedelta(seconds=LIFETIME_SECONDS)
    return make_continuation(
        key or terminal.key,
        response_id=response_id,
        key_id=key_id or terminal.device_id,
        store=store,
        touchpoint=touchpoint,
        expires=int(expires.timestamp()),
    )


def tap(terminal, rating: int = 2, **overrides):
    """A tap the terminal made (not yet sent)."""
    return terminal.response(rating=rating, **overrides)


def follow_up(client, clock, terminal, item, **options) -> TestPhone:
    code = code_for(terminal, item["id"], **options)
    return TestPhone(client, clock, code, served_at=clock() - PERSON_PACE, id=item["id"])


def counted(app) -> dict[str, Counter]:
    found = {}
    for table, value in (
        ("rollup_daily", "count"),
        ("score_daily", "n"),
        ("reason_daily", "n"),
        ("term_daily", "n"),
        ("hour_daily", "n"),
    ):
        found[table] = Counter({row[:-1]: row[-1] for row in rows(app, f"SELECT *, {value} FROM {table}") if row[-1]})
    return found


def assert_counted_as_recounted(app) -> None:
    written = counted(app)
    with connected(app):
        rebuild_rollups()
    assert counted(app) == written


def smileys(app) -> int:
    [(n,)] = rows(app, "SELECT COALESCE(SUM(n), 0) FROM score_daily WHERE store_id = 0 AND question = 'rating'")
    return int(n)


def answered(app, question: str) -> int:
    [(n,)] = rows(app, "SELECT COALESCE(SUM(count), 0) FROM rollup_daily WHERE question = ?", (question,))
    return int(n)


# --- the code --------------------------------------------------------------------------------


def test_a_code_holds_the_tap_and_is_short_enough_for_a_qr_code_read_at_arms_length():
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = make_continuation(
        new_private_key(),
        response_id="0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        key_id="t" + "x" * 16,
        store="B001",
        touchpoint="exit",
        expires=1_800_000_000,
    )
    claims = read_continuation(code)
    assert (claims.response_id, claims.store, claims.touchpoint, claims.expires) == (
        "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "B001",
        "exit",
        1_800_000_000,
    )
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    qr.add_data("https://feedback.example-store.de/m/c/" + code)
    qr.make(fit=True)
    assert qr.version <= 10  # 57 modules: a phone reads it from the terminal's screen


@pytest.mark.parametrize("spoiled", ["", "x" * 500, "AAAA", "!!!!" * 40])
def test_what_is_no_code_is_malformed(spoiled):
    with pytest.raises(TokenError) as refused:
        read_continuation(spoiled)
    assert refused.value.code == "malformed_token"


def test_a_code_is_spelled_one_way_only():
    code = make_continuation(
        new_private_key(), response_id=str(uuid.uuid4()), key_id="t1", store="B", touchpoint="e", expires=1
    )
    with pytest.raises(TokenError):
        read_continuation(code + "=")
    with pytest.raises(TokenError):
        read_continuation(code[:10] + "\n" + code[10:])


# --- the page --------------------------------------------------------------------------------


def test_the_page_skips_the_rating_and_names_the_face_tapped(app, client, clock, terminal):
    item = tap(terminal, rating=2, answers=[{"question": "rating", "kind": "smiley", "value": 2}, REASON])
    assert terminal.post_batch([item]).status_code == 200
    code = code_for(terminal, item["id"])

    page = client.get(f"/m/c/{code}", headers={"Accept-Language": "en"})

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    boot = page_boot(html)
    assert boot["response_id"] == item["id"]
    assert [q["id"] for q in boot["survey"]["questions"]] == ["nps", "comment"]  # no rating, no reason again
    assert "Thank you for rating us “Bad” on our terminal!" in html
    assert boot["receipt"] is True  # one response: no "give new feedback"


def test_the_page_of_a_tap_not_yet_arrived_simply_continues(app, client, clock, terminal):
    item = tap(terminal)
    page = client.get(f"/m/c/{code_for(terminal, item['id'])}", headers={"Accept-Language": "de"})

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Danke für Ihre Bewertung an unserem Terminal!" in html
    assert [q["id"] for q in page_boot(html)["survey"]["questions"]] == ["reason", "nps", "comment"]


# --- both orders -------------------------------------------------------------------------------


def test_a_follow_up_after_the_tap_arrived_adds_its_answers_to_the_same_response(app, client, clock, terminal):
    item = tap(terminal, rating=2)
    assert terminal.post_batch([item]).status_code == 200
    before = stored(app, item["id"])
    phone = follow_up(client, clock, terminal, item)

    assert phone.put(phone.version(REASON)).get_json()["status"] == "updated"
    done = phone.put(phone.version(REASON, NPS, COMMENT, partial=False, contact=CONTACT))

    assert done.status_code == 200 and done.get_json()["status"] == "updated"
    assert rows(app, "SELECT COUNT(*), MIN(channel) FROM response") == [(1, "kiosk")]
    after = stored(app, item["id"])
    assert after["answers"] == sorted(
        [("rating", 2, None), ("reason", None, "queue"), ("nps", 3, None), ("comment", None, "The queue was long")],
        key=repr,
    )
    assert after["hash"] == before["hash"]  # the terminal's retries stay duplicates
    assert after["sealed"] is not None and b"anna@example.org" not in after["sealed"]
    assert terminal.post_batch([item]).get_json()["results"][0]["status"] == "duplicate"
    assert smileys(app) == 1 and answered(app, "nps") == 1 and answered(app, "reason") == 1
    assert_counted_as_recounted(app)


def test_a_follow_up_before_the_tap_arrives_waits_and_joins_it_at_ingest(app, client, clock, terminal):
    item = tap(terminal, rating=2)  # the terminal is offline: the phone is first
    phone = follow_up(client, clock, terminal, item)
    assert phone.put(phone.version(REASON, NPS)).get_json()["status"] == "updated"
    assert phone.put(phone.version(REASON, NPS, COMMENT, partial=False, contact=CONTACT)).status_code == 200
    assert rows(app, "SELECT COUNT(*) FROM response") == [(0,)]
    assert answered(app, "nps") == 0  # nothing counted before the tap is there

    synced = terminal.post_batch([item])

    assert synced.get_json()["results"][0]["status"] == "accepted"
    after = stored(app, item["id"])
    assert after["answers"] == sorted(
        [("rating", 2, None), ("reason", None, "queue"), ("nps", 3, None), ("comment", None, "The queue was long")],
        key=repr,
    )
    assert after["sealed"] is not None
    assert rows(app, "SELECT pending, pending_contact FROM phone_continuation") == [(None, None)]
    assert smileys(app) == 1 and answered(app, "nps") == 1 and answered(app, "comment") == 1
    assert_counted_as_recounted(app)
    assert terminal.post_batch([item]).get_json()["results"][0]["status"] == "duplicate"


def test_a_follow_up_continued_after_the_tap_arrived_counts_only_what_it_adds(app, client, clock, terminal):
    item = tap(terminal, rating=3)
    phone = follow_up(client, clock, terminal, item)
    phone.put(phone.version(REASON))  # pending
    terminal.post_batch([item])  # merged at ingest
    phone.put(phone.version(REASON, NPS, partial=False))  # added to the stored response

    assert answered(app, "reason") == 1 and answered(app, "nps") == 1 and smileys(app) == 1
    assert_counted_as_recounted(app)


def test_a_reason_answered_otherwise_on_the_terminal_is_never_overwritten(app, client, clock, terminal):
    item = tap(terminal, rating=2, answers=[{"question": "rating", "kind": "smiley", "value": 2}, REASON])
    terminal.post_batch([item])
    phone = follow_up(client, clock, terminal, item)

    answer = phone.put(phone.version(OTHER_REASON, NPS, partial=False))

    assert answer.get_json()["status"] == "updated"  # the nps is added
    assert ("reason", None, "queue") in stored(app, item["id"])["answers"]
    assert ("reason", None, "price") not in stored(app, item["id"])["answers"]
    assert rows(app, "SELECT COUNT(*) FROM response_conflict WHERE response_id = ?", (item["id"],)) == [(1,)]
    assert_counted_as_recounted(app)


def test_a_pending_answer_the_terminal_gave_otherwise_stays_aside_at_ingest(app, client, clock, terminal):
    item = tap(terminal, rating=2, answers=[{"question": "rating", "kind": "smiley", "value": 2}, REASON])
    phone = follow_up(client, clock, terminal, item)
    phone.put(phone.version(OTHER_REASON, NPS, partial=False))

    terminal.post_batch([item])

    answers = stored(app, item["id"])["answers"]
    assert ("reason", None, "queue") in answers and ("nps", 3, None) in answers
    assert ("reason", None, "price") not in answers
    [(pending,)] = rows(app, "SELECT pending FROM phone_continuation")
    assert json.loads(pending) == [["reason", "choice", None, "price"]]
    assert_counted_as_recounted(app)


def test_a_retry_of_the_same_version_changes_nothing(app, client, clock, terminal):
    item = tap(terminal)
    terminal.post_batch([item])
    phone = follow_up(client, clock, terminal, item)
    phone.put(phone.version(NPS, partial=False))
    written = counted(app)

    again = phone.put(phone.version(NPS, partial=False))

    assert again.get_json()["status"] == "duplicate"
    assert counted(app) == written


# --- one conversation ----------------------------------------------------------------------------


def test_a_code_takes_one_conversation(app, client, clock, terminal):
    item = tap(terminal)
    terminal.post_batch([item])
    phone = follow_up(client, clock, terminal, item)
    assert phone.put(phone.version(NPS)).status_code == 200
    other = TestPhone(client, clock, phone.token, served_at=clock() - timedelta(minutes=1), id=item["id"])

    refused = other.put(other.version(COMMENT, partial=False))

    assert_problem(refused, 410, "continuation_used")
    assert ("comment", None, "The queue was long") not in stored(app, item["id"])["answers"]
    assert phone.put(phone.version(NPS, COMMENT, partial=False)).status_code == 200  # its own page goes on


def test_a_finished_conversation_no_longer_opens_its_code(app, client, clock, terminal):
    item = tap(terminal)
    terminal.post_batch([item])
    phone = follow_up(client, clock, terminal, item)
    phone.put(phone.version(NPS, partial=False))

    for language, words in (("de", "Schon beantwortet"), ("en", "Already answered")):
        page = client.get(f"/m/c/{phone.token}", headers={"Accept-Language": language})
        assert page.status_code == 410
        assert words in page.get_data(as_text=True)


def test_a_follow_up_without_its_pages_ticket_is_refused(app, client, clock, terminal):
    item = tap(terminal)
    phone = follow_up(client, clock, terminal, item)

    assert_problem(phone.put(phone.version(NPS), with_ticket=False), 410, "continuation_used")
    assert rows(app, "SELECT COUNT(*) FROM phone_continuation") == [(0,)]


def test_a_follow_up_cannot_rate_again(app, client, clock, terminal):
    item = tap(terminal)
    terminal.post_batch([item])
    phone = follow_up(client, clock, terminal, item)

    answer = phone.put(phone.version({"question": "rating", "kind": "smiley", "value": 4}, NPS))

    assert_problem(answer, 400, "malformed_request")
    assert smileys(app) == 1


def test_a_code_writes_only_into_its_own_tap(app, client, clock, terminal):
    mine, other = tap(terminal), tap(terminal)
    terminal.post_batch([mine, other])
    phone = follow_up(client, clock, terminal, mine)
    foreign = phone.version(NPS)
    foreign["id"] = other["id"]

    answer = phone.client.put(
        f"/api/v1/phone/{phone.token}/responses/{other['id']}",
        data=json.dumps({"response": foreign, "ticket": None}),
        content_type="application/json",
    )

    assert answer.status_code in (400, 410, 422)
    assert ("nps", 3, None) not in stored(app, other["id"])["answers"]


# --- refused codes ---------------------------------------------------------------------------------


def test_an_expired_code_gets_a_friendly_page(app, client, clock, terminal):
    item = tap(terminal)
    code = code_for(terminal, item["id"], expires=clock() - timedelta(seconds=1))

    for language, words in (("de", "Dieser Code ist abgelaufen"), ("en", "This code has expired")):
        page = client.get(f"/m/c/{code}", headers={"Accept-Language": language})
        assert page.status_code == 410
        assert words in page.get_data(as_text=True)


def test_a_page_served_before_the_code_expired_still_sends_its_answers(app, client, clock, terminal):
    item = tap(terminal)
    terminal.post_batch([item])
    phone = follow_up(client, clock, terminal, item, expires=clock() + timedelta(minutes=1))
    phone.served_at = clock() - timedelta(seconds=30)
    clock.advance(minutes=5)

    assert phone.put(phone.version(NPS, partial=False)).status_code == 200
    assert ("nps", 3, None) in stored(app, item["id"])["answers"]


FORGERIES = ["other key", "changed byte", "other touchpoint", "other store", "unknown terminal"]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_code_is_refused_with_a_friendly_page(app, client, clock, terminal, other_store, forgery):
    from hub.services.catalog import add_touchpoint

    with connected(app):
        add_touchpoint("B001", "till", "Till", kind="checkout")  # a real place, not the terminal's
    item = tap(terminal)
    terminal.post_batch([item])
    if forgery == "other key":
        code = code_for(terminal, item["id"], key=new_private_key())
    elif forgery == "changed byte":
        raw = bytearray(base64.urlsafe_b64decode(code_for(terminal, item["id"]) + "=="))
        raw[5] ^= 1  # another response id
        code = b64url(bytes(raw))
    elif forgery == "other touchpoint":
        code = code_for(terminal, item["id"], touchpoint="till")
    elif forgery == "other store":
        code = code_for(terminal, item["id"], store="H002")
    else:
        code = code_for(terminal, item["id"], key_id="tNobodyAtAll")

    for language, words in (("de", "Dieser Code funktioniert nicht"), ("en", "Please scan it again")):
        page = client.get(f"/m/c/{code}", headers={"Accept-Language": language})
        assert page.status_code == 400
        assert words in page.get_data(as_text=True)
    phone = TestPhone(client, clock, code, served_at=clock() - PERSON_PACE, id=item["id"])
    assert_problem(phone.put(phone.version(NPS)), 400, "bad_token_signature")
    assert ("nps", 3, None) not in stored(app, item["id"])["answers"]
    assert rows(app, "SELECT COUNT(*) FROM phone_continuation") == [(0,)]


def test_a_code_of_a_revoked_terminal_is_refused(app, client, clock, terminal):
    from hub.models import Terminal

    item = tap(terminal)
    code = code_for(terminal, item["id"])
    with connected(app):
        Terminal.update(status="revoked").where(Terminal.id == terminal.device_id).execute()

    for language, words in (("de", "Dieser Code funktioniert nicht"), ("en", "Please scan it again")):
        page = client.get(f"/m/c/{code}", headers={"Accept-Language": language})
        assert page.status_code == 403
        assert words in page.get_data(as_text=True)
    assert terminal.device_id not in page.get_data(as_text=True)
    phone = TestPhone(client, clock, code, served_at=clock() - PERSON_PACE, id=item["id"])
    assert_problem(phone.put(phone.version(NPS)), 403, "revoked_device")
    assert rows(app, "SELECT COUNT(*) FROM phone_continuation") == [(0,)]


# --- alerts ----------------------------------------------------------------------------------------


def cases_of(app, response_id: str) -> int:
    [(n,)] = rows(app, "SELECT COUNT(*) FROM case_response WHERE response_id = ?", (response_id,))
    return n


def test_a_contact_left_on_the_phone_opens_the_case_of_that_response(app, client, clock, terminal):
    item = tap(terminal, rating=3)
    terminal.post_batch([item])
    assert cases_of(app, item["id"]) == 0
    phone = follow_up(client, clock, terminal, item)

    phone.put(phone.version(COMMENT, partial=False, contact=CONTACT))

    assert cases_of(app, item["id"]) == 1


def test_a_follow_up_to_a_tap_in_a_case_joins_it_without_alerting_twice(app, client, clock, terminal):
    item = tap(terminal, rating=1)
    terminal.post_batch([item])
    assert cases_of(app, item["id"]) == 1
    [(messages,)] = rows(app, "SELECT COUNT(*) FROM outbox_message")
    phone = follow_up(client, clock, terminal, item)

    phone.put(phone.version(COMMENT, partial=False, contact=CONTACT))

    assert cases_of(app, item["id"]) == 1
    assert rows(app, "SELECT COUNT(*) FROM outbox_message") == [(messages,)]
    assert ("comment", None, "The queue was long") in stored(app, item["id"])["answers"]


def test_a_contact_that_waited_for_its_tap_is_routed_with_it_once(app, client, clock, terminal):
    item = tap(terminal, rating=3)
    phone = follow_up(client, clock, terminal, item)
    phone.put(phone.version(COMMENT, partial=False, contact=CONTACT))

    terminal.post_batch([item])

    assert cases_of(app, item["id"]) == 1
    assert rows(app, "SELECT COUNT(*) FROM alert_case") == [(1,)]


# --- without JavaScript, and in the logs --------------------------------------------------------


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_the_plain_form_continues_the_tap_without_a_rating(app, client, clock, terminal):
    item = tap(terminal, rating=2)
    terminal.post_batch([item])
    code = code_for(terminal, item["id"])
    page = client.get(f"/m/c/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    fields = form_fields(page)
    assert fields["response_id"] == item["id"]
    assert 'name="q.rating"' not in page
    clock.advance(seconds=40)

    thanks = client.post(f"/m/c/{code}", data={**fields, "q.nps": "9", "q.comment": "Quick and kind"})

    assert thanks.status_code == 200 and "Thank you!" in thanks.get_data(as_text=True)
    assert stored(app, item["id"])["answers"] == sorted(
        [("rating", 2, None), ("nps", 9, None), ("comment", None, "Quick and kind")], key=repr
    )
    assert smileys(app) == 1
    assert client.get(f"/m/c/{code}").status_code == 410  # finished: the code took its conversation


def test_the_plain_form_without_its_csrf_value_is_refused_and_kept(app, client, clock, terminal):
    item = tap(terminal)
    code = code_for(terminal, item["id"])
    fields = form_fields(client.get(f"/m/c/{code}").get_data(as_text=True))

    refused = client.post(f"/m/c/{code}", data={**fields, "csrf": "x" * 43, "lang": "en", "q.comment": "keep me"})

    assert refused.status_code == 403 and "keep me" in refused.get_data(as_text=True)
    assert rows(app, "SELECT COUNT(*) FROM phone_continuation") == [(0,)]


def test_a_code_never_reaches_a_log_line(app, terminal):
    from hub.logs import loggable_path

    code = code_for(terminal, tap(terminal)["id"])
    routes = app.url_map.bind("hub.test")

    for method, path in (("GET", f"/m/c/{code}"), ("PUT", f"/api/v1/phone/{code}/responses/0190")):
        rule, arguments = routes.match(path, method=method, return_rule=True)
        assert code not in loggable_path(path, rule.rule, arguments)


def test_settled_conversations_are_forgotten_after_a_week_and_waiting_ones_after_a_month(app, client, clock, terminal):
    arrived, lost = tap(terminal), tap(terminal)
    terminal.post_batch([arrived])
    for item in (arrived, lost):  # the second tap never reaches the hub
        phone = follow_up(client, clock, terminal, item)
        phone.put(phone.version(NPS, partial=False, contact=CONTACT))

    clock.advance(days=9)
    newer = tap(terminal)
    terminal.post_batch([newer])
    phone = follow_up(client, clock, terminal, newer)
    phone.put(phone.version(NPS))
    assert {str(r[0]) for r in rows(app, "SELECT response_id FROM phone_continuation")} == {lost["id"], newer["id"]}

    clock.advance(days=22)
    latest = tap(terminal)
    phone = follow_up(client, clock, terminal, latest)
    phone.put(phone.version(NPS))
    assert {str(r[0]) for r in rows(app, "SELECT response_id FROM phone_continuation")} == {latest["id"]}
    assert ("nps", 3, None) in stored(app, arrived["id"])["answers"]  # what was added stays


def test_a_follow_up_waits_for_a_sync_of_its_terminal_in_progress(app, client, clock, terminal, database_url):
    """On PostgreSQL a follow-up and the sync that brings its tap take the terminal's row lock,
    so the sync sees the follow-up waiting or the follow-up sees the tap, never neither."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises every writer already; the row lock is PostgreSQL's")
    import threading

    import psycopg

    item = tap(terminal)
    phone = follow_up(client, clock, terminal, item)
    sent = []
    with psycopg.connect(database_url) as sync_in_progress:
        sync_in_progress.execute("SELECT id FROM terminal WHERE id = %s FOR UPDATE", (terminal.device_id,))
        worker = threading.Thread(target=lambda: sent.append(phone.put(phone.version(NPS, partial=False))))
        worker.start()
        assert lock_waits(database_url) == 1 and not sent  # the follow-up waits for the sync
        sync_in_progress.rollback()
    worker.join(10)

    assert sent[0].status_code == 200
    terminal.post_batch([item])
    assert ("nps", 3, None) in stored(app, item["id"])["answers"]


def test_erasing_a_contact_drops_a_follow_up_still_waiting_for_its_tap(app, client, clock, terminal, monkeypatch):
    """A customer's erasure request reaches a phone follow-up whose tap has not arrived: its
    waiting answers and contact go, and nothing of it joins the tap later."""
    from click.testing import CliRunner

    from voxloop_cli import main

    item = tap(terminal, rating=2)
    phone = follow_up(client, clock, terminal, item)
    assert phone.put(phone.version(REASON, COMMENT, partial=False, contact=CONTACT)).status_code == 200
    other = tap(terminal, rating=1)
    kept = follow_up(client, clock, terminal, other)
    ben = {"address": "ben@example.org", "consent": True}
    assert kept.put(kept.version(NPS, partial=False, contact=ben)).status_code == 200
    for name, value in (("DATABASE_URL", app.config["DATABASE_URL"]), ("SECRET_KEY", app.config["SECRET_KEY"])):
        monkeypatch.setenv(f"VOXLOOP_{name}", value)
    monkeypatch.setenv("VOXLOOP_INSTANCE_PATH", app.instance_path)

    result = CliRunner().invoke(main, ["hub", "erase", "--contact", "Anna@Example.org"])

    assert result.exit_code == 0, result.output
    assert "1 waiting phone follow-ups" in result.output
    waiting = dict(rows(app, "SELECT response_id, pending_contact IS NOT NULL FROM phone_continuation"))
    assert {str(k): bool(v) for k, v in waiting.items()} == {item["id"]: False, other["id"]: True}
    terminal.post_batch([item, other])
    assert stored(app, item["id"])["answers"] == [("rating", 2, None)] and stored(app, item["id"])["sealed"] is None
    assert stored(app, other["id"])["sealed"] is not None
