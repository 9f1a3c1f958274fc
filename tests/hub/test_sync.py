"""POST /api/v1/sync: what a signed batch stores, what it answers, and what it refuses.

Every refusal is an RFC 9457 problem with a stable code and leaves the database as it was.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from hub.models import Response, SyncLog, Terminal
from hub.services.enrollment import revoke
from hub.services.personal_data import contact_key, open_contact
from shared.crypto import new_private_key
from shared.protocol import canonical_json, format_time
from tests.hub.conftest import (
    assert_problem,
    connected,
    count,
    rollup_counts,
    rows,
    stored_counts,
)

# The test clock starts at 2026-11-23 09:00 UTC; 23:30 UTC the evening before is already
# 00:30 on 2026-11-23 in Berlin, the store's time zone.
LATE_EVENING_UTC = "2026-11-22T23:30:00.000Z"
BERLIN_DAY = "2026-11-23"


def statuses(answer) -> list[str]:
    return [item["status"] for item in answer.get_json()["results"]]


def stored_ids(app) -> set[str]:
    return {str(row[0]) for row in rows(app, "SELECT id FROM response")}


def answers_of(app, response_id: str) -> list[tuple]:
    return sorted(
        rows(app, "SELECT question, kind, number, text FROM answer WHERE response_id = ?", (response_id,)),
        key=repr,
    )


def data_counts(app) -> dict[str, int]:
    """Row counts of the tables that hold feedback (not the request bookkeeping)."""
    return {table: count(app, table) for table in ("response", "answer", "rollup_daily", "response_conflict")}


def full_response(terminal, **overrides):
    """A response answering every question of the default survey."""
    return terminal.response(
        answers=[
            {"question": "rating", "kind": "smiley", "value": 2},
            {"question": "reason", "kind": "choice", "value": ["queue", "staff"]},
            {"question": "nps", "kind": "nps", "value": 7},
            {"question": "comment", "kind": "text", "value": "Zu lange gewartet"},
        ],
        **overrides,
    )


# --- accepted -----------------------------------------------------------------------------


def test_an_accepted_response_is_stored_once(app, terminal):
    item = terminal.response()

    answer = terminal.post_batch([item])

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["results"] == [{"id": item["id"], "status": "accepted"}]
    assert stored_ids(app) == {item["id"]}


def test_an_accepted_response_stores_one_answer_row_per_answer_value(app, terminal):
    item = full_response(terminal)

    terminal.post_batch([item])

    assert answers_of(app, item["id"]) == sorted(
        [
            ("rating", "smiley", 2, None),
            ("reason", "choice", None, "queue"),
            ("reason", "choice", None, "staff"),
            ("nps", "nps", 7, None),
            ("comment", "text", None, "Zu lange gewartet"),
        ],
        key=repr,
    )


def test_an_accepted_response_counts_once_per_answer_value_on_the_stores_local_day(app, terminal):
    terminal.post_batch([full_response(terminal, captured_at=LATE_EVENING_UTC)])

    assert rollup_counts(app) == {
        ("rating", BERLIN_DAY, "2"): 1,
        ("reason", BERLIN_DAY, "queue"): 1,
        ("reason", BERLIN_DAY, "staff"): 1,
        ("nps", BERLIN_DAY, "7"): 1,
        ("comment", BERLIN_DAY, ""): 1,
    }


def test_the_response_is_dated_by_the_stores_local_day_not_the_utc_day(app, terminal):
    item = terminal.response(captured_at=LATE_EVENING_UTC)

    terminal.post_batch([item])

    assert [str(day) for (day,) in rows(app, "SELECT local_day FROM response")] == [BERLIN_DAY]


def test_a_second_response_with_the_same_rating_increments_the_rollup_count(app, terminal):
    terminal.post_batch([terminal.response(rating=3, captured_at=LATE_EVENING_UTC)])
    terminal.post_batch([terminal.response(rating=3, captured_at=LATE_EVENING_UTC)])

    assert rollup_counts(app) == {("rating", BERLIN_DAY, "3"): 2}


# --- duplicate and conflict ---------------------------------------------------------------


def test_the_same_item_sent_again_is_a_duplicate_and_changes_nothing(app, terminal):
    item = full_response(terminal)
    terminal.post_batch([item])
    before, rollups_before = data_counts(app), rollup_counts(app)

    answer = terminal.post_batch([item])  # signed afresh: new nonce, new signature

    assert answer.status_code == 200
    assert answer.get_json()["results"] == [{"id": item["id"], "status": "duplicate"}]
    assert data_counts(app) == before
    assert rollup_counts(app) == rollups_before


def test_a_retry_with_new_responses_beside_stored_ones_stores_and_counts_only_the_new(app, terminal):
    # the rows are made before the transaction for every valid item; a stored one among
    # them must make them again, for the new ones only
    stored = terminal.response(rating=3, captured_at=LATE_EVENING_UTC)
    terminal.post_batch([stored])
    fresh = [terminal.response(rating=rating, captured_at=LATE_EVENING_UTC) for rating in (1, 3)]

    answer = terminal.post_batch([fresh[0], stored, fresh[1]])

    assert statuses(answer) == ["accepted", "duplicate", "accepted"]
    assert stored_ids(app) == {stored["id"], fresh[0]["id"], fresh[1]["id"]}
    assert count(app, "answer") == 3
    assert rollup_counts(app) == {("rating", BERLIN_DAY, "1"): 1, ("rating", BERLIN_DAY, "3"): 2}


def test_the_same_id_with_other_content_is_a_conflict(app, terminal):
    item = terminal.response(rating=4)
    terminal.post_batch([item])

    answer = terminal.post_batch([{**item, "answers": [{"question": "rating", "kind": "smiley", "value": 1}]}])

    assert answer.status_code == 200
    assert answer.get_json()["results"] == [{"id": item["id"], "status": "conflict", "code": "response_conflict"}]


def test_a_conflict_leaves_the_stored_response_unchanged(app, terminal):
    item = terminal.response(rating=4)
    terminal.post_batch([item])
    stored_hash = rows(app, "SELECT content_hash FROM response")

    terminal.post_batch([{**item, "answers": [{"question": "rating", "kind": "smiley", "value": 1}]}])

    assert answers_of(app, item["id"]) == [("rating", "smiley", 4, None)]
    assert rows(app, "SELECT content_hash FROM response") == stored_hash
    assert rollup_counts(app) == {("rating", "2026-11-23", "4"): 1}


def test_a_conflict_keeps_the_new_body_aside(app, terminal):
    item = terminal.response(rating=4)
    terminal.post_batch([item])
    changed = {**item, "answers": [{"question": "rating", "kind": "smiley", "value": 1}]}

    terminal.post_batch([changed])

    kept = rows(app, "SELECT response_id, terminal_id, body FROM response_conflict")
    assert [(str(r), t, json.loads(body)) for r, t, body in kept] == [(item["id"], terminal.device_id, changed)]


def test_the_same_conflicting_content_sent_again_is_kept_once(app, terminal):
    item = terminal.response(rating=4)
    terminal.post_batch([item])
    changed = {**item, "answers": [{"question": "rating", "kind": "smiley", "value": 1}]}
    terminal.post_batch([changed])

    answer = terminal.post_batch([changed])

    assert statuses(answer) == ["conflict"]
    assert count(app, "response_conflict") == 1


# --- mixed batches ------------------------------------------------------------------------


def test_valid_items_are_stored_and_invalid_ones_reported_in_place(app, terminal):
    good_1 = terminal.response(rating=1)
    out_of_range = terminal.response(rating=9)
    unknown_question = terminal.response(
        answers=[
            {"question": "rating", "kind": "smiley", "value": 2},
            {"question": "mood", "kind": "smiley", "value": 2},
        ]
    )
    wrong_store = terminal.response(store="H002")
    wrong_touchpoint = terminal.response(touchpoint="checkout")
    not_an_object = "rating: 3"
    phone_channel = terminal.response(channel="qr", seq=None)
    good_2 = terminal.response(rating=4)
    batch = [
        good_1,
        out_of_range,
        unknown_question,
        wrong_store,
        wrong_touchpoint,
        not_an_object,
        phone_channel,
        good_2,
    ]

    answer = terminal.post_batch(batch)

    assert answer.status_code == 200
    results = answer.get_json()["results"]
    assert results[0] == {"id": good_1["id"], "status": "accepted"}
    assert results[7] == {"id": good_2["id"], "status": "accepted"}
    reported = [
        (r["id"], r["status"], r["code"], [(p["code"], p["path"]) for p in r["problems"]]) for r in results[1:7]
    ]
    assert reported == [
        (out_of_range["id"], "invalid", "value_out_of_range", [("value_out_of_range", "answers[0]")]),
        (unknown_question["id"], "invalid", "unknown_question", [("unknown_question", "answers[1]")]),
        (wrong_store["id"], "invalid", "wrong_store", [("wrong_store", "store")]),
        (wrong_touchpoint["id"], "invalid", "wrong_touchpoint", [("wrong_touchpoint", "touchpoint")]),
        (None, "invalid", "not_an_object", [("not_an_object", "")]),
        (phone_channel["id"], "invalid", "unknown_channel", [("unknown_channel", "channel")]),
    ]
    assert all(p["message"] for r in results[1:7] for p in r["problems"])


@pytest.mark.parametrize("bad_id", [42, {"uuid": "x"}, ["a"], None], ids=["number", "object", "list", "null"])
def test_an_item_whose_id_is_not_a_string_is_reported_with_a_null_id(terminal, bad_id):
    answer = terminal.post_batch([terminal.response(id=bad_id)])

    assert [(r["id"], r["status"], r["code"]) for r in answer.get_json()["results"]] == [(None, "invalid", "bad_id")]


def test_nothing_is_stored_for_invalid_items(app, terminal):
    good = terminal.response(rating=1)
    invalid = [
        terminal.response(rating=9),
        terminal.response(store="H002"),
        terminal.response(touchpoint="checkout"),
        terminal.response(channel="qr", seq=None),
    ]

    terminal.post_batch([*invalid, good])

    assert stored_ids(app) == {good["id"]}
    assert [str(r) for (r,) in rows(app, "SELECT DISTINCT response_id FROM answer")] == [good["id"]]
    assert rollup_counts(app) == {("rating", "2026-11-23", "1"): 1}


def test_the_same_id_twice_in_one_batch_with_the_same_content_is_accepted_then_duplicate(app, terminal):
    item = terminal.response()

    answer = terminal.post_batch([item, dict(item)])

    assert statuses(answer) == ["accepted", "duplicate"]
    assert count(app, "response") == 1
    assert count(app, "answer") == 1


def test_the_same_id_twice_in_one_batch_with_other_content_is_accepted_then_conflict(app, terminal):
    item = terminal.response(rating=4)
    changed = {**item, "answers": [{"question": "rating", "kind": "smiley", "value": 1}]}

    answer = terminal.post_batch([item, changed])

    assert answer.get_json()["results"] == [
        {"id": item["id"], "status": "accepted"},
        {"id": item["id"], "status": "conflict", "code": "response_conflict"},
    ]
    assert answers_of(app, item["id"]) == [("rating", "smiley", 4, None)]
    assert count(app, "response_conflict") == 1


# --- rejections: nothing is stored --------------------------------------------------------


def _body(terminal, *items) -> bytes:
    return json.dumps({"v": 1, "responses": list(items), "heartbeat": {}}).encode()


def test_an_unsigned_request_is_refused(app, client, terminal):
    before = stored_counts(app)

    answer = client.post("/api/v1/sync", data=_body(terminal, terminal.response()), content_type="application/json")

    assert_problem(answer, 401, "missing_signature")
    assert stored_counts(app) == before


def test_a_malformed_signature_input_is_refused(app, client, terminal):
    body = _body(terminal, terminal.response())
    headers = terminal.signed_headers("POST", "/api/v1/sync", body)
    headers["Signature-Input"] = 'sig1=("@method");created=1;keyid="x"'
    before = stored_counts(app)

    answer = client.post("/api/v1/sync", data=body, headers={**headers, "Content-Type": "application/json"})

    assert_problem(answer, 401, "malformed_signature")
    assert stored_counts(app) == before


def test_a_body_changed_after_signing_is_refused(app, client, terminal):
    body = _body(terminal, terminal.response(rating=4))
    headers = terminal.signed_headers("POST", "/api/v1/sync", body)
    tampered = body.replace(b'"value": 4', b'"value": 1')
    assert tampered != body
    before = stored_counts(app)

    answer = client.post("/api/v1/sync", data=tampered, headers={**headers, "Content-Type": "application/json"})

    assert_problem(answer, 401, "digest_mismatch")
    assert stored_counts(app) == before


def test_a_signature_by_another_key_is_refused(app, terminal):
    before = stored_counts(app)

    answer = terminal.post_batch([terminal.response()], key=new_private_key())

    assert_problem(answer, 401, "bad_signature")
    assert stored_counts(app) == before


def test_a_signature_over_another_path_is_refused(app, client, terminal):
    body = _body(terminal, terminal.response())
    headers = terminal.signed_headers("POST", "/api/v1/config", body)
    before = stored_counts(app)

    answer = client.post("/api/v1/sync", data=body, headers={**headers, "Content-Type": "application/json"})

    assert_problem(answer, 401, "bad_signature")
    assert stored_counts(app) == before


def test_an_unknown_device_is_refused(app, terminal):
    before = stored_counts(app)

    answer = terminal.post_batch([terminal.response()], device_id="tNoSuchTerminal1")

    assert_problem(answer, 401, "unknown_device")
    assert stored_counts(app) == before


def test_a_revoked_device_is_refused(app, clock, terminal):
    with connected(app):
        revoke(terminal.device_id, now=clock())
    before = stored_counts(app)

    answer = terminal.post_batch([terminal.response()])

    assert_problem(answer, 403, "revoked_device")
    assert stored_counts(app) == before


def test_a_replayed_request_is_refused_and_stores_nothing_more(app, client, terminal):
    body = _body(terminal, terminal.response())
    headers = {**terminal.signed_headers("POST", "/api/v1/sync", body), "Content-Type": "application/json"}
    first = client.post("/api/v1/sync", data=body, headers=headers)
    assert statuses(first) == ["accepted"]
    before = stored_counts(app)

    replay = client.post("/api/v1/sync", data=body, headers=headers)

    assert_problem(replay, 401, "replayed_nonce")
    assert stored_counts(app) == before


@pytest.mark.parametrize("offset", [-600, 600], ids=["ten_minutes_ago", "ten_minutes_ahead"])
def test_a_signature_created_far_from_the_hubs_clock_is_refused(app, clock, terminal, offset):
    before = stored_counts(app)

    answer = terminal.post_batch([terminal.response()], created=int(clock().timestamp()) + offset)

    assert_problem(answer, 401, "stale_created")
    assert stored_counts(app) == before


def test_a_body_over_the_size_limit_is_refused(app, terminal):
    padding = "x" * app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"v": 1, "responses": [], "heartbeat": {"last_error": padding}}).encode()
    before = stored_counts(app)

    answer = terminal.post_raw(body)

    assert_problem(answer, 413, "body_too_large")
    assert stored_counts(app) == before


def test_a_body_that_is_not_json_is_refused(app, terminal):
    before = stored_counts(app)

    answer = terminal.post_raw(b'{"v": 1, "responses": [')

    assert_problem(answer, 400, "malformed_json")
    assert stored_counts(app) == before


def test_a_body_of_another_content_type_is_refused(app, terminal):
    before = stored_counts(app)

    answer = terminal.post_raw(_body(terminal, terminal.response()), content_type="text/plain")

    assert_problem(answer, 415, "wrong_content_type")
    assert stored_counts(app) == before


def test_an_unsupported_protocol_version_is_refused(app, terminal):
    before = stored_counts(app)

    answer = terminal.post_raw(json.dumps({"v": 2, "responses": [terminal.response()]}).encode())

    assert_problem(answer, 400, "unsupported_protocol")
    assert stored_counts(app) == before


def test_responses_that_are_not_a_list_are_refused(app, terminal):
    before = stored_counts(app)

    answer = terminal.post_raw(json.dumps({"v": 1, "responses": {"0": terminal.response()}}).encode())

    assert_problem(answer, 400, "malformed_batch")
    assert stored_counts(app) == before


def test_a_batch_over_the_item_limit_is_refused(app, terminal):
    items = [terminal.response() for _ in range(app.config["SYNC_MAX_ITEMS"] + 1)]
    before = stored_counts(app)

    answer = terminal.post_batch(items)

    assert_problem(answer, 413, "batch_too_large")
    assert stored_counts(app) == before


def test_a_batch_at_the_item_limit_is_accepted(app, terminal):
    items = [terminal.response() for _ in range(app.config["SYNC_MAX_ITEMS"])]

    answer = terminal.post_batch(items)

    assert set(statuses(answer)) == {"accepted"}
    assert count(app, "response") == app.config["SYNC_MAX_ITEMS"]


def test_another_method_is_refused_and_told_which_is_allowed(client):
    answer = client.get("/api/v1/sync")

    assert_problem(answer, 405, "method_not_allowed")
    assert "POST" in {method.strip() for method in answer.headers["Allow"].split(",")}


# --- two stores ---------------------------------------------------------------------------


def _responses_per_store(app) -> dict[str, int]:
    return dict(rows(app, "SELECT s.code, COUNT(*) FROM response r JOIN store s ON s.id = r.store_id GROUP BY s.code"))


def test_a_terminal_cannot_write_into_another_store(app, terminal, other_terminal):
    item = terminal.response(store="H002")

    answer = terminal.post_batch([item])

    assert [(r["status"], r["code"]) for r in answer.get_json()["results"]] == [("invalid", "wrong_store")]
    assert _responses_per_store(app) == {}


def test_each_terminals_responses_land_in_its_own_store(app, terminal, other_terminal):
    terminal.post_batch([terminal.response(), terminal.response()])

    answer = other_terminal.post_batch([other_terminal.response()])

    assert statuses(answer) == ["accepted"]
    assert _responses_per_store(app) == {"B001": 2, "H002": 1}


# --- sequence numbers and heartbeat -------------------------------------------------------


def test_a_gap_in_sequence_numbers_is_reported_missing(terminal):
    answer = terminal.post_batch([terminal.response(seq=n) for n in (1, 2, 5)])

    assert answer.get_json()["missing"] == [[3, 4]]


def test_a_filled_gap_is_no_longer_missing(terminal):
    terminal.post_batch([terminal.response(seq=n) for n in (1, 2, 5)])

    answer = terminal.post_batch([terminal.response(seq=n) for n in (3, 4)])

    assert answer.get_json()["missing"] == []


def test_sequence_numbers_up_to_the_heartbeats_last_seq_are_reported_missing(terminal):
    answer = terminal.post_batch([terminal.response(seq=n) for n in range(1, 6)], heartbeat={"last_seq": 8})

    assert answer.get_json()["missing"] == [[6, 8]]


def test_the_sequence_numbers_of_refused_items_are_not_missing(terminal):
    items = [terminal.response(seq=n) for n in range(1, 7)]
    terminal.post_batch(items[:1])
    items[1]["answers"][0]["value"] = 9  # invalid: value_out_of_range
    items[2]["id"] = items[0]["id"]  # conflict: the id of seq 1 with other content
    items[2]["answers"][0]["value"] = 1

    answer = terminal.post_batch(items[1:], heartbeat={"last_seq": 6})

    assert statuses(answer) == ["invalid", "conflict", "accepted", "accepted", "accepted"]
    assert answer.get_json()["missing"] == []


def test_sequence_numbers_the_terminal_names_unavailable_are_no_longer_asked_for(terminal):
    terminal.post_batch([terminal.response(seq=n) for n in (1, 3, 5, 9)], heartbeat={"last_seq": 10})

    answer = terminal.post_batch([], heartbeat={"last_seq": 10, "unavailable": [[2, 2], [6, 7], [10, 40]]})

    assert answer.get_json()["missing"] == [[4, 4], [8, 8]]


def test_missing_ranges_come_a_page_at_a_time_until_every_one_was_asked_for(terminal):
    terminal.post_batch([terminal.response(seq=n) for n in range(1, 500, 2)], heartbeat={"last_seq": 700})
    # 250 single gaps (2, 4, ..., 498), then 499 is held and 500..700 are missing

    pages = [terminal.post_batch([], heartbeat={"last_seq": 700}).get_json()["missing"] for _ in range(3)]

    assert [len(page) for page in pages] == [100, 100, 100]
    asked = {tuple(r) for page in pages for r in page}
    assert asked == {(n, n) for n in range(2, 499, 2)} | {(500, 700)}


@pytest.mark.parametrize(
    "unavailable",
    [[[0, 3]], [[5, 4]], [[1]], [["1", "2"]], "1-4", [[1, 2]] * 1001],
    ids=["zero", "backwards", "single", "strings", "text", "too-many"],
)
def test_a_malformed_unavailable_refuses_the_batch(app, terminal, unavailable):
    answer = terminal.post_batch([terminal.response()], heartbeat={"unavailable": unavailable})

    assert_problem(answer, 400, "malformed_batch")
    assert count(app, "response") == 0


def test_the_terminal_row_keeps_the_heartbeat_and_when_it_was_last_seen(app, clock, terminal):
    heartbeat = {"last_seq": 8, "queue_depth": 3, "app_version": "1.4.2", "quarantined": 1, "last_error": "timeout"}
    clock.advance(minutes=7)

    terminal.post_batch([terminal.response(seq=n) for n in range(1, 6)], heartbeat=heartbeat)

    with connected(app):
        row = Terminal.get_by_id(terminal.device_id)
    assert (row.queue_depth, row.app_version, row.quarantined, row.last_error) == (3, "1.4.2", 1, "timeout")
    assert (row.last_seq, row.seq_ranges) == (8, [[1, 5]])
    assert row.last_seen_at == datetime(2026, 11, 23, 9, 7)


# --- what the answer tells the terminal ---------------------------------------------------


def test_the_answer_carries_the_hubs_time_and_a_date_header(clock, terminal):
    clock.advance(seconds=12.345)

    answer = terminal.post_batch([terminal.response()])

    assert answer.get_json()["hub_time"] == "2026-11-23T09:00:12.345Z" == format_time(clock())
    assert answer.headers["Date"] == "Mon, 23 Nov 2026 09:00:12 GMT"


# --- clock skew ---------------------------------------------------------------------------


def test_a_response_captured_in_1970_is_kept_dated_by_the_hubs_receive_time(app, clock, terminal):
    clock.advance(hours=14)  # 23:00 UTC, already 2026-11-24 in Berlin
    item = terminal.response(captured_at="1970-01-01T00:00:00.000Z")

    answer = terminal.post_batch([item])

    assert statuses(answer) == ["accepted"]
    with connected(app):
        stored = Response.get_by_id(item["id"])
    assert stored.flags == "clock_skew"
    assert str(stored.local_day) == "2026-11-24"
    assert rollup_counts(app) == {("rating", "2026-11-24", "4"): 1}


def test_a_response_captured_in_the_future_is_flagged_clock_skew(app, clock, terminal):
    item = terminal.response(captured_at=format_time(clock() + timedelta(hours=2)))

    terminal.post_batch([item])

    assert rows(app, "SELECT flags FROM response") == [("clock_skew",)]


def test_a_response_captured_in_time_is_not_flagged(app, terminal):
    terminal.post_batch([terminal.response(captured_at=LATE_EVENING_UTC)])

    assert rows(app, "SELECT flags FROM response") == [("",)]


# --- personal data ------------------------------------------------------------------------


def test_a_contact_with_consent_is_stored_encrypted(app, terminal):
    contact = {"address": "anna.schmidt@example.org", "consent": True}
    item = terminal.response(rating=1, contact=contact)

    terminal.post_batch([item])

    ((sealed,),) = rows(app, "SELECT contact_sealed FROM response")
    sealed = bytes(sealed)
    assert b"anna.schmidt" not in sealed
    assert open_contact(contact_key("test-secret-key"), sealed, item["id"]) == contact


def test_a_response_without_contact_stores_no_contact(app, terminal):
    terminal.post_batch([terminal.response()])

    assert rows(app, "SELECT contact_sealed FROM response") == [(None,)]


# --- sync log -----------------------------------------------------------------------------


def test_each_accepted_request_writes_one_sync_log_row_with_its_counts(app, clock, terminal):
    first, second = terminal.response(rating=1), terminal.response(rating=2)
    terminal.post_batch([first, second, terminal.response(rating=9)])
    clock.advance(seconds=30)

    terminal.post_batch(
        [first, {**second, "answers": [{"question": "rating", "kind": "smiley", "value": 3}]}, terminal.response()]
    )

    logged = rows(
        app,
        "SELECT terminal_id, accepted, duplicates, conflicts, invalid, problems FROM sync_log ORDER BY id",
    )
    assert [row[:5] for row in logged] == [
        (terminal.device_id, 2, 0, 0, 1),
        (terminal.device_id, 1, 1, 1, 0),
    ]
    assert [[p["code"] for p in json.loads(row[5])] for row in logged] == [
        ["value_out_of_range"],
        ["response_conflict"],
    ]


def test_the_sync_log_row_is_dated_by_the_hubs_clock(app, clock, terminal):
    clock.advance(minutes=3)

    terminal.post_batch([terminal.response()])

    with connected(app):
        assert [log.received_at for log in SyncLog.select()] == [datetime(2026, 11, 23, 9, 3)]


def test_the_stored_conflict_body_is_the_canonical_item(app, terminal):
    item = terminal.response(rating=4)
    terminal.post_batch([item])
    changed = {**item, "locale": "en"}

    terminal.post_batch([changed])

    assert rows(app, "SELECT body FROM response_conflict") == [(canonical_json(changed).decode(),)]


def test_the_terminals_clock_offset_is_recorded_from_the_signature(app, clock, terminal):
    terminal.post_batch([terminal.response()], created=int(clock().timestamp()) - 90)

    with connected(app):
        assert Terminal.get_by_id(terminal.device_id).clock_offset_ms == -90_000
