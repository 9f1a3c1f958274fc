"""The content hash that tells a retry from a conflict is keyed with the hub's secret, so a copy
of the database cannot confirm a guessed contact; migration v0008 keys the hashes held before,
and retries of those responses are still duplicates, other content still conflicts."""

from __future__ import annotations

import pytest

from hub.db import database
from hub.migrations import migrate
from hub.services.personal_data import content_hash_key
from hub.services.setup import migrate_schema
from shared.crypto import keyed_content_hash
from shared.protocol import content_hash
from tests.hub.conftest import connected, count, rows

SECRET = "test-secret-key"  # the app fixture's SECRET_KEY
CONTACT = {"address": "+49 151 23456789", "consent": True}
LOW = [{"question": "rating", "kind": "smiley", "value": 1}]


def stored_hash(app, response_id: str) -> str:
    return rows(app, "SELECT content_hash FROM response WHERE id = ?", (response_id,))[0][0]


def statuses(answer) -> list[str]:
    return [item["status"] for item in answer.get_json()["results"]]


def test_the_stored_hash_does_not_confirm_a_guessed_contact(app, terminal):
    item = terminal.response(rating=4, contact=CONTACT)
    terminal.post_batch([item])

    guessed = content_hash(item)  # what anyone can compute for a guessed number
    assert stored_hash(app, item["id"]) != guessed
    assert stored_hash(app, item["id"]) == keyed_content_hash(content_hash_key(SECRET), guessed)


def test_a_kept_conflict_is_stored_with_a_keyed_hash(app, terminal):
    item = terminal.response(rating=4)
    terminal.post_batch([item])
    changed = {**item, "answers": LOW, "contact": CONTACT}
    terminal.post_batch([changed])

    [(kept,)] = rows(app, "SELECT content_hash FROM response_conflict")
    assert kept == keyed_content_hash(content_hash_key(SECRET), content_hash(changed))


def _as_before_v0008(app, hashes: dict[str, str], conflict: str) -> None:
    """The database as a hub before v0008 left it: plain SHA-256 hashes, v0008 not applied."""
    with connected(app), database.atomic():
        p = database.param
        for response_id, plain in hashes.items():
            database.execute_sql(f"UPDATE response SET content_hash = {p} WHERE id = {p}", (plain, response_id))
        database.execute_sql(f"UPDATE response_conflict SET content_hash = {p}", (conflict,))
        database.execute_sql("DELETE FROM schema_migration WHERE version = 8")


@pytest.fixture
def migrated(app, terminal):
    """Two responses and a kept conflict stored with plain hashes, then keyed by v0008."""
    first = terminal.response(rating=4, contact=CONTACT)
    second = terminal.response(rating=3)
    terminal.post_batch([first, second])
    changed = {**first, "answers": LOW}
    terminal.post_batch([changed])
    _as_before_v0008(app, {r["id"]: content_hash(r) for r in (first, second)}, content_hash(changed))
    with connected(app):
        assert migrate_schema() == ["v0008_keyed_content_hashes"]
    return first, second, changed


def test_v0008_keys_the_held_hashes(app, migrated):
    first, second, changed = migrated
    key = content_hash_key(SECRET)
    assert stored_hash(app, first["id"]) == keyed_content_hash(key, content_hash(first))
    assert stored_hash(app, second["id"]) == keyed_content_hash(key, content_hash(second))
    assert rows(app, "SELECT content_hash FROM response_conflict") == [
        (keyed_content_hash(key, content_hash(changed)),)
    ]


def test_a_retry_of_a_response_stored_before_v0008_is_a_duplicate(terminal, migrated):
    first, second, _changed = migrated
    assert statuses(terminal.post_batch([first, second])) == ["duplicate", "duplicate"]


def test_other_content_for_a_response_stored_before_v0008_is_a_conflict(app, terminal, migrated):
    first, _second, changed = migrated
    other = {**first, "answers": [{"question": "rating", "kind": "smiley", "value": 2}]}
    assert statuses(terminal.post_batch([other, changed])) == ["conflict", "conflict"]
    assert count(app, "response_conflict") == 2  # the conflict kept before v0008 is kept once


def test_v0008_refuses_a_database_with_responses_when_no_key_is_handed_in(app, terminal):
    item = terminal.response()
    terminal.post_batch([item])
    _as_before_v0008(app, {item["id"]: content_hash(item)}, "")
    with connected(app), pytest.raises(RuntimeError, match="content_key"):
        migrate(database.obj)
