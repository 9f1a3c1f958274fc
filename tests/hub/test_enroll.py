"""POST /api/v1/enroll: a single-use, expiring code and a public key in; a device id, the hub's
time and the terminal's configuration out."""

from __future__ import annotations

import re
import threading

import pytest

from hub.models import EnrollmentCode
from hub.services.terminal_config import config_etag
from shared.crypto import new_private_key, public_key_text
from tests.hub.conftest import assert_problem, connected, count, make_code, rows


@pytest.fixture
def code(app, clock, store) -> str:
    return make_code(app, clock, "B001")


def enroll(client, code: str, **fields):
    body = {"code": code, "public_key": public_key_text(new_private_key()), "name": "Exit 1", **fields}
    return client.post("/api/v1/enroll", json=body)


def test_enrollment_returns_201_with_a_device_id_and_the_hubs_time(client, clock, code):
    clock.advance(seconds=1.5)

    answer = enroll(client, code)

    assert answer.status_code == 201
    body = answer.get_json()
    assert re.fullmatch(r"t[A-Za-z0-9_-]{16}", body["device_id"])
    assert body["hub_time"] == "2026-11-23T09:00:01.500Z"


def test_enrollment_stores_an_active_terminal_with_the_public_key(app, client, code):
    key = public_key_text(new_private_key())

    answer = enroll(client, code, public_key=key, app_version="1.4.2")

    stored = rows(app, "SELECT id, public_key, status, app_version, name FROM terminal")
    assert stored == [(answer.get_json()["device_id"], key, "active", "1.4.2", "Exit 1")]


def test_enrollment_returns_the_terminals_configuration(client, code):
    config = enroll(client, code).get_json()["config"]

    assert config["store"]["code"] == "B001"
    assert config["store"]["time_zone"] == "Europe/Berlin"
    assert config["touchpoint"]["code"] == "exit"
    assert config["survey"]["key"] == "exit"
    assert [q["id"] for q in config["survey"]["questions"]] == ["rating", "reason", "nps", "comment"]


def test_enrollment_returns_the_configurations_etag(client, code):
    answer = enroll(client, code)

    assert answer.headers["ETag"] == config_etag(answer.get_json()["config"])
    assert re.fullmatch(r'"[0-9a-f]{32}"', answer.headers["ETag"])


def test_a_code_works_once(client, code):
    assert enroll(client, code).status_code == 201

    assert_problem(enroll(client, code), 400, "used_code")


def test_a_code_past_its_lifetime_is_refused(client, clock, code):
    clock.advance(hours=1, seconds=1)  # make_code gives codes one hour

    assert_problem(enroll(client, code), 400, "expired_code")


def test_a_code_just_before_its_expiry_still_works(client, clock, code):
    clock.advance(minutes=59, seconds=59)

    assert enroll(client, code).status_code == 201


def test_an_unknown_code_is_refused(client, store):
    assert_problem(enroll(client, "ABCD-EFGH-JKLM"), 400, "unknown_code")


@pytest.mark.parametrize(
    "public_key",
    ["", "not base64 at all!", public_key_text(new_private_key())[:-4], public_key_text(new_private_key()) + "AAAA"],
    ids=["empty", "not_base64", "too_short", "too_long"],
)
def test_a_public_key_that_is_not_32_bytes_of_base64url_is_refused(client, code, public_key):
    assert_problem(enroll(client, code, public_key=public_key), 400, "bad_public_key")


@pytest.mark.parametrize(
    "body",
    [{}, {"code": "ABCD-EFGH-JKLM"}, {"public_key": "x" * 43}, {"code": 1234, "public_key": "x" * 43}, ["code"]],
    ids=["empty", "no_public_key", "no_code", "code_not_a_string", "not_an_object"],
)
def test_a_request_without_code_and_public_key_is_refused(client, store, body):
    assert_problem(client.post("/api/v1/enroll", json=body), 400, "malformed_request")


def test_a_body_that_is_not_json_is_refused(client, store):
    answer = client.post("/api/v1/enroll", data=b"{code", content_type="application/json")

    assert_problem(answer, 400, "malformed_json")


def test_a_body_of_another_content_type_is_refused(client, code):
    answer = client.post("/api/v1/enroll", data=f"code={code}", content_type="application/x-www-form-urlencoded")

    assert_problem(answer, 415, "wrong_content_type")


def test_a_code_typed_in_lower_case_without_dashes_works(client, code):
    typed = code.lower().replace("-", "")

    assert enroll(client, typed).status_code == 201


@pytest.mark.parametrize("failure", ["unknown_code", "expired_code", "used_code", "bad_public_key"])
def test_a_failed_enrollment_stores_no_terminal(app, client, clock, code, failure):
    if failure == "used_code":
        enroll(client, code)
    before = count(app, "terminal")
    if failure == "expired_code":
        clock.advance(hours=2)

    answer = enroll(
        client,
        "ABCD-EFGH-JKLM" if failure == "unknown_code" else code,
        **({"public_key": "short"} if failure == "bad_public_key" else {}),
    )

    assert_problem(answer, 400, failure)
    assert count(app, "terminal") == before


@pytest.mark.parametrize("failure", ["expired_code", "bad_public_key"])
def test_a_failed_enrollment_leaves_the_code_unused(app, client, clock, code, failure):
    if failure == "expired_code":
        clock.advance(hours=2)

    enroll(client, code, **({"public_key": "short"} if failure == "bad_public_key" else {}))

    with connected(app):
        assert [(c.used_at, c.terminal_id) for c in EnrollmentCode.select()] == [(None, None)]


def test_a_used_code_names_the_terminal_it_enrolled(app, client, clock, code):
    device_id = enroll(client, code).get_json()["device_id"]

    with connected(app):
        assert [(c.used_at, c.terminal_id) for c in EnrollmentCode.select()] == [
            (clock().replace(tzinfo=None), device_id)
        ]


def test_the_hub_keeps_only_a_hash_of_the_code(app, code):
    stored = rows(app, "SELECT code_hash FROM enrollment_code")

    assert len(stored) == 1
    assert code.replace("-", "") not in stored[0][0]
    assert re.fullmatch(r"[0-9a-f]{64}", stored[0][0])


def enroll_from(client, address: str, code: str):
    body = {"code": code, "public_key": public_key_text(new_private_key())}
    return client.post("/api/v1/enroll", json=body, environ_base={"REMOTE_ADDR": address})


def test_after_ten_wrong_codes_a_client_waits_even_with_the_right_one(client, code):
    for _ in range(10):
        assert_problem(enroll_from(client, "198.51.100.7", "AAAA-BBBB-CCCC"), 400, "unknown_code")

    assert_problem(enroll_from(client, "198.51.100.7", code), 429, "too_many_attempts")
    assert enroll_from(client, "198.51.100.8", code).status_code == 201  # another client is not held up


def test_wrong_codes_leave_the_window_after_fifteen_minutes(client, clock, code):
    for _ in range(10):
        enroll_from(client, "198.51.100.7", "AAAA-BBBB-CCCC")

    clock.advance(minutes=15, seconds=1)

    assert enroll_from(client, "198.51.100.7", code).status_code == 201


def test_a_wrong_code_is_answered_without_the_write_lock(app, client, code):
    """While another writer holds the hub's write lock (SQLite), a guess is still answered."""
    from hub.db import _write_lock

    answers = []
    with _write_lock:
        guesser = threading.Thread(target=lambda: answers.append(enroll_from(client, "198.51.100.7", "AAAA-BBBB-CCCC")))
        guesser.start()
        guesser.join(timeout=10)
        held_up = guesser.is_alive()
    guesser.join()

    assert not held_up
    assert_problem(answers[0], 400, "unknown_code")
