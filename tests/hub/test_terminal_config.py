"""GET /api/v1/config: the signed terminal's configuration, cached by ETag; a new survey
version changes the ETag, and the sync answer announces it."""

from __future__ import annotations

import copy

import pytest

from hub.db import database
from hub.services import catalog
from hub.services.catalog import DEFAULT_SURVEY
from hub.services.enrollment import revoke
from shared.crypto import new_private_key, public_key_text
from tests.hub.conftest import TestTerminal, assert_problem, connected, make_code


def get_config(terminal, headers: dict[str, str] | None = None, **sign):
    signed = terminal.signed_headers("GET", "/api/v1/config", b"", **sign)
    return terminal.client.get("/api/v1/config", headers={**signed, **(headers or {})})


def reworded_survey() -> dict:
    survey = copy.deepcopy(DEFAULT_SURVEY)
    survey["questions"][0]["text"]["en"] = "How did we do today?"
    return survey


@pytest.fixture
def new_survey_version(app, clock):
    """Publish the exit survey again with one question reworded; returns the new version."""

    def publish() -> int:
        with connected(app):
            return catalog.add_survey(reworded_survey(), clock()).version

    return publish


def test_a_signed_request_gets_the_configuration_with_an_etag(terminal):
    answer = get_config(terminal)

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["terminal"]["id"] == terminal.device_id
    assert body["store"]["code"] == "B001"
    assert body["survey"]["version"] == 1
    assert answer.headers["ETag"].startswith('"') and answer.headers["ETag"].endswith('"')


def test_the_configuration_has_the_etag_given_at_enrollment(app, client, clock, store):
    key = new_private_key()
    enrolled = client.post(
        "/api/v1/enroll", json={"code": make_code(app, clock, "B001"), "public_key": public_key_text(key)}
    )
    terminal = TestTerminal(client, clock, "B001", device_id=enrolled.get_json()["device_id"], key=key)

    answer = get_config(terminal)

    assert answer.headers["ETag"] == enrolled.headers["ETag"]
    assert answer.get_json() == enrolled.get_json()["config"]


def test_the_same_etag_in_if_none_match_gets_304_without_a_body(terminal):
    etag = get_config(terminal).headers["ETag"]

    answer = get_config(terminal, {"If-None-Match": etag})

    assert answer.status_code == 304
    assert answer.get_data() == b""
    assert answer.headers["ETag"] == etag


def test_an_outdated_etag_gets_the_configuration(terminal):
    answer = get_config(terminal, {"If-None-Match": '"0123456789abcdef0123456789abcdef"'})

    assert answer.status_code == 200
    assert answer.get_json()["store"]["code"] == "B001"


def test_a_new_survey_version_changes_the_etag(terminal, new_survey_version):
    before = get_config(terminal).headers["ETag"]

    assert new_survey_version() == 2

    answer = get_config(terminal, {"If-None-Match": before})
    assert answer.status_code == 200
    assert answer.headers["ETag"] != before
    assert answer.get_json()["survey"]["version"] == 2
    assert answer.get_json()["survey"]["questions"][0]["text"]["en"] == "How did we do today?"


def test_the_sync_answer_announces_the_current_etag(terminal, new_survey_version):
    before = terminal.post_batch([terminal.response()]).get_json()["config_etag"]
    assert before == get_config(terminal).headers["ETag"]
    new_survey_version()

    announced = terminal.post_batch([terminal.response()]).get_json()["config_etag"]

    assert announced != before
    assert announced == get_config(terminal).headers["ETag"]


def test_an_unsigned_request_is_refused(client, terminal):
    assert_problem(client.get("/api/v1/config"), 401, "missing_signature")


def test_a_request_signed_by_another_key_is_refused(terminal):
    assert_problem(get_config(terminal, key=new_private_key()), 401, "bad_signature")


def test_a_revoked_terminal_gets_no_configuration(app, clock, terminal):
    with connected(app):
        revoke(terminal.device_id, now=clock())

    assert_problem(get_config(terminal), 403, "revoked_device")


def test_the_announced_etag_follows_changes_made_by_another_process(app, terminal):
    """Each hub process keeps the ETags it made, by the configuration's row: a store renamed
    or a terminal renamed in the database (here behind the app's back, as another process
    would) is announced at the next sync, and a name set back gives the first ETag again."""
    first = terminal.post_batch([terminal.response()]).get_json()["config_etag"]
    statements = (
        ("UPDATE store SET name = 'Berlin Ost' WHERE code = 'B001'", ()),
        ("UPDATE terminal SET name = 'Exit 2' WHERE id = ?", (terminal.device_id,)),
    )
    seen = [first]
    for sql, params in statements:
        with connected(app):
            database.execute_sql(sql.replace("?", database.param), params)
        announced = terminal.post_batch([terminal.response()]).get_json()["config_etag"]
        assert announced not in seen
        assert announced == get_config(terminal).headers["ETag"]
        seen.append(announced)
    with connected(app):
        database.execute_sql(f"UPDATE terminal SET name = 'Exit 1' WHERE id = {database.param}", (terminal.device_id,))
        database.execute_sql("UPDATE store SET name = 'Berlin Mitte' WHERE code = 'B001'")
    assert terminal.post_batch([terminal.response()]).get_json()["config_etag"] == first
