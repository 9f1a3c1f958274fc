"""Phone responses land exactly once, however often and in whatever order their versions
arrive: partial then complete, duplicates, late partials, conflicts; receipts take one."""

from __future__ import annotations

import logging
import secrets

from hub.db import database
from hub.services.personal_data import content_hash_key
from hub.services.setup import migrate_schema
from shared.crypto import keyed_content_hash
from shared.protocol import content_hash
from tests.hub.conftest import assert_problem, connected, count, rows
from tests.mobile_web.conftest import (
    COMMENT,
    NPS,
    RATING,
    REASON,
    TestPhone,
    phone_token,
    rollups,
    stored,
)


def test_a_partial_response_is_stored_as_partial(app, phone):
    answer = phone.put(phone.version(RATING))
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "accepted"
    assert answer.get_json()["complete"] is False
    assert stored(app, phone.id)["flags"] == ["partial"]
    assert stored(app, phone.id)["answers"] == [("rating", 2, None)]


def test_a_more_complete_version_completes_the_same_response(app, phone):
    phone.put(phone.version(RATING))
    phone.put(phone.version(RATING, REASON))
    answer = phone.put(phone.version(RATING, REASON, NPS, COMMENT, partial=False))
    assert answer.get_json() | {"hub_time": None} == {
        "id": phone.id,
        "status": "updated",
        "complete": True,
        "hub_time": None,
    }
    assert count(app, "response") == 1
    assert stored(app, phone.id)["flags"] == []
    assert stored(app, phone.id)["answers"] == sorted(
        [
            ("rating", 2, None),
            ("reason", None, "queue"),
            ("reason", None, "staff"),
            ("nps", 3, None),
            ("comment", None, "The queue was long"),
        ],
        key=repr,
    )


def test_rollups_count_each_answer_once_however_often_it_is_sent(app, phone):
    for item in (
        phone.version(RATING),
        phone.version(RATING),
        phone.version(RATING, REASON),
        phone.version(RATING),  # a late retry of the first version
        phone.version(RATING, REASON, NPS, partial=False),
        phone.version(RATING, REASON, NPS, partial=False),
    ):
        assert phone.put(item).status_code == 200
    assert rollups(app) == {("rating", "2"): 1, ("reason", "queue"): 1, ("reason", "staff"): 1, ("nps", "3"): 1}


def test_the_same_version_again_is_a_duplicate_and_changes_nothing(app, phone):
    phone.put(phone.version(RATING, REASON, partial=False))
    before = stored(app, phone.id)
    again = phone.put(phone.version(RATING, REASON, partial=False))
    assert again.status_code == 200
    assert again.get_json()["status"] == "duplicate"
    assert stored(app, phone.id) == before
    assert count(app, "answer") == 3


def test_an_older_partial_arriving_after_the_complete_one_changes_nothing(app, phone):
    phone.put(phone.version(RATING, REASON, NPS, partial=False))
    before = stored(app, phone.id)
    late = phone.put(phone.version(RATING))
    assert late.get_json()["status"] == "duplicate"
    assert late.get_json()["complete"] is True
    assert stored(app, phone.id) == before


def test_another_answer_to_a_stored_question_is_a_conflict_kept_aside(app, phone):
    phone.put(phone.version(RATING, REASON))
    before = stored(app, phone.id)
    changed = phone.put(phone.version({**RATING, "value": 4}, REASON, NPS, partial=False))
    body = assert_problem(changed, 409, "response_conflict")
    assert body["id"] == phone.id
    assert stored(app, phone.id) == before  # nothing added, still partial
    assert [str(r[0]) for r in rows(app, "SELECT response_id FROM response_conflict")] == [phone.id]
    assert rollups(app)[("rating", "2")] == 1 and ("rating", "4") not in rollups(app)


def test_other_facts_under_the_same_id_are_a_conflict(app, phone):
    phone.put(phone.version(RATING))
    moved = phone.put(phone.version(RATING, REASON, captured_at="2026-11-22T08:00:00.000Z"))
    assert_problem(moved, 409, "response_conflict")
    assert stored(app, phone.id)["answers"] == [("rating", 2, None)]


def test_a_switched_language_updates_the_locale(app, phone):
    phone.put(phone.version(RATING))
    assert phone.put(phone.version(RATING, REASON, locale="de")).get_json()["status"] == "updated"
    assert stored(app, phone.id)["locale"] == "de"


def test_an_invalid_response_is_refused_with_its_problems(app, phone):
    answer = phone.put(phone.version({**RATING, "value": 9}))
    body = assert_problem(answer, 422, "value_out_of_range")
    assert body["problems"][0]["path"] == "answers[0]"
    assert count(app, "response") == 0


def test_a_complete_response_needs_its_required_question(app, phone):
    assert_problem(phone.put(phone.version(NPS, partial=False)), 422, "missing_required")
    assert phone.put(phone.version(NPS)).status_code == 200  # a partial one may lack it


def test_a_response_for_another_store_or_channel_is_refused(app, phone, other_store):
    assert_problem(phone.put(phone.version(RATING, store="H002")), 422, "wrong_store")
    assert_problem(phone.put(phone.version(RATING, channel="kiosk", seq=1)), 422, "unknown_channel")
    assert count(app, "response") == 0


def test_the_id_in_the_url_and_the_body_must_agree(phone):
    item = phone.version(RATING)
    answer = phone.client.put(
        f"/api/v1/phone/{phone.token}/responses/{'0' * 8}-0000-7000-8000-{'0' * 12}",
        json={"response": item},
    )
    assert_problem(answer, 422, "bad_id")


def test_a_request_from_another_site_is_refused(app, phone):
    answer = phone.put(phone.version(RATING), Origin="https://evil.example")
    assert_problem(answer, 403, "csrf_failed")
    assert count(app, "response") == 0


def test_a_body_that_is_not_json_is_refused(phone):
    answer = phone.client.put(f"/api/v1/phone/{phone.token}/responses/{phone.id}", data="rating=2")
    assert_problem(answer, 415, "wrong_content_type")


# --- receipts -------------------------------------------------------------------------------


def test_a_receipt_token_takes_one_response(app, client, clock, store):
    token = phone_token(receipt="R-1001")
    first = TestPhone(client, clock, token)
    second = TestPhone(client, clock, token)
    assert first.put(first.version(RATING)).status_code == 200
    refused = second.put(second.version(RATING))
    assert_problem(refused, 410, "token_used")
    # the first response's own later versions still pass
    assert first.put(first.version(RATING, NPS, partial=False)).get_json()["status"] == "updated"
    assert [str(r[0]) for r in rows(app, "SELECT id FROM response")] == [first.id]


def test_a_used_receipt_link_opens_a_friendly_page(client, clock, store):
    token = phone_token(receipt="R-1002")
    phone = TestPhone(client, clock, token)
    assert client.get(f"/m/{token}").status_code == 200
    phone.put(phone.version(RATING))
    assert client.get(f"/m/{token}").status_code == 200  # unfinished: its owner may resume
    phone.put(phone.version(RATING, partial=False))
    page = client.get(f"/m/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 410
    assert "Already answered" in page.get_data(as_text=True)


def test_receipts_of_different_stores_do_not_collide(client, clock, store, other_store):
    from hub.services.qr_tokens import QrKeys, make_phone_token

    mine = TestPhone(client, clock, phone_token(receipt="R-7"))
    assert mine.put(mine.version(RATING)).status_code == 200
    keys = QrKeys.from_config({"SECRET_KEY": "test-secret-key"})
    theirs = TestPhone(client, clock, make_phone_token(keys, "H002", "exit", receipt="R-7"))
    assert theirs.put(theirs.version(RATING, store="H002")).status_code == 200


# --- contact --------------------------------------------------------------------------------


def test_the_contact_is_sealed_at_rest_and_never_logged(app, phone, caplog):
    from hub.services.personal_data import contact_key, open_contact

    address = f"anna.{secrets.token_hex(3)}@example.org"
    caplog.set_level(logging.DEBUG)
    phone.put(phone.version(RATING))
    answer = phone.put(phone.version(RATING, partial=False, contact={"address": address, "consent": True}))
    assert answer.get_json()["status"] == "updated"
    sealed = stored(app, phone.id)["sealed"]
    assert address.encode() not in sealed
    assert open_contact(contact_key("test-secret-key"), sealed, phone.id) == {"address": address, "consent": True}
    for table in ("response", "answer", "response_conflict", "rollup_daily", "phone_receipt", "phone_rate_limit"):
        assert address not in repr(rows(app, f"SELECT * FROM {table}"))
    assert address not in caplog.text


def test_a_changed_contact_is_a_conflict_kept_sealed(app, phone):
    first = {"address": "anna@example.org", "consent": True}
    phone.put(phone.version(RATING, partial=False, contact=first))
    changed = phone.put(phone.version(RATING, partial=False, contact={"address": "bob@example.org", "consent": True}))
    assert_problem(changed, 409, "response_conflict")
    [(body,)] = rows(app, "SELECT body FROM response_conflict")
    assert "bob@example.org" not in body and "sealed" in body


def test_a_contact_needs_consent(app, phone):
    refused = phone.put(phone.version(RATING, contact={"address": "anna@example.org", "consent": False}))
    assert_problem(refused, 422, "bad_contact")


# --- too fast to be a person ----------------------------------------------------------------


def test_a_response_finished_faster_than_a_person_could_is_flagged_suspect(app, client, clock, store):
    token = phone_token()
    bot = TestPhone(client, clock, token, served_at=clock())
    clock.advance(seconds=1)
    answer = bot.put(bot.version(RATING, REASON, NPS, COMMENT, partial=False))
    assert "suspect" in stored(app, bot.id)["flags"]
    assert answer.status_code == 200  # kept and counted, but marked


def test_a_response_at_a_persons_pace_is_not_suspect(app, client, clock, store):
    person = TestPhone(client, clock, phone_token(), served_at=clock())
    person.put(person.version(RATING))
    clock.advance(seconds=25)
    person.put(person.version(RATING, REASON, NPS, COMMENT, partial=False))
    assert stored(app, person.id)["flags"] == []


def test_a_response_without_the_pages_ticket_is_suspect(app, phone):
    phone.put(phone.version(RATING, partial=False), with_ticket=False)
    assert stored(app, phone.id)["flags"] == ["suspect"]


# --- the answers are the ones the API document describes ------------------------------------


def test_every_answer_is_the_one_the_openapi_document_describes(app, client, clock, store, configured):
    from jsonschema import Draft202012Validator

    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/phone/{token}/responses/{response_id}"]["put"]
    limited = configured(PHONE_RATE_PER_TOKEN=3).test_client()  # an invalid answer is not counted
    phone = TestPhone(limited, clock, phone_token())
    answers = [
        phone.put(phone.version(RATING)),
        phone.put(phone.version(RATING)),
        phone.put(phone.version({**RATING, "value": 3})),
        phone.put(phone.version({**RATING, "value": 7})),
        phone.put(phone.version(RATING)),
    ]
    assert [a.status_code for a in answers] == [200, 200, 409, 422, 429]
    for answer in answers:
        spec = operation["responses"][str(answer.status_code)]
        while "$ref" in spec:
            spec = doc["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
        [(media, content)] = spec["content"].items()
        assert answer.mimetype == media
        for header in spec.get("headers", {}):
            assert header in answer.headers
        schema = {**content["schema"], "components": doc["components"]}
        Draft202012Validator(schema).validate(answer.get_json())
    request_schema = {"$ref": "#/components/schemas/PhoneResponseRequest", "components": doc["components"]}
    Draft202012Validator(request_schema).validate({"response": phone.version(RATING), "ticket": None})


def test_a_body_over_the_limit_is_refused_with_413_body_too_large(app, phone):
    item = phone.version(RATING, {"question": "comment", "kind": "text", "value": "x" * (2 * 1024 * 1024)})
    answer = phone.put(item)
    assert_problem(answer, 413, "body_too_large")
    assert count(app, "response") == 0


def test_a_form_post_over_the_limit_gets_a_413_page(client, store):
    answer = client.post(f"/m/{phone_token()}", data={"comment": "x" * (2 * 1024 * 1024 + 1)})
    assert answer.status_code == 413
    assert answer.mimetype == "text/html"


def test_a_phone_response_is_stored_with_a_keyed_hash_not_one_that_confirms_its_contact(app, phone):
    item = phone.version(RATING, partial=False, contact={"address": "+49 151 23456789", "consent": True})
    phone.put(item)
    key = content_hash_key("test-secret-key")
    assert stored(app, phone.id)["hash"] == keyed_content_hash(key, content_hash(item)) != content_hash(item)


def test_a_phone_retry_of_a_response_stored_before_v0008_is_a_duplicate_and_a_change_a_conflict(app, phone):
    item = phone.version(RATING, NPS, partial=False)
    phone.put(item)
    with connected(app), database.atomic():  # as a hub before v0008 left it: the plain SHA-256
        database.execute_sql(f"UPDATE response SET content_hash = {database.param}", (content_hash(item),))
        database.execute_sql("DELETE FROM schema_migration WHERE version = 8")
    with connected(app):
        migrate_schema()

    assert phone.put(item).get_json()["status"] == "duplicate"
    changed = phone.version({**RATING, "value": 4}, NPS, partial=False)
    assert_problem(phone.put(changed), 409, "response_conflict")
