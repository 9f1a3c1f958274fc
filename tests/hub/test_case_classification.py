"""Each case is classified for the agent when it opens: a category from its reasons and comment
topics, a priority with what raised it, and a suggested reply in the customer's language that
the case page offers and a person sends (hub/services/case_classification.py)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from hub.db import write_transaction
from hub.jobs import deliverer_for, job_functions
from hub.models import Case, CaseClassification, CaseToClassify, OutboxMessage
from hub.services.case_classification import CLASSIFY_SECONDS, category_of, priority_of
from tests.hub.alerting import rating, send, sign_in_as
from tests.hub.conftest import assert_problem, connected
from tests.hub.test_api_tokens import bearer, make
from tests.support.postgres import lock_waits


def newest_case(app) -> int:
    with connected(app):
        return Case.select().order_by(Case.id.desc()).get().id


def classification_of(app, case_id: int) -> CaseClassification:
    with connected(app):
        return CaseClassification.get(CaseClassification.case == case_id)


def listed(client, **query: str) -> list[int]:
    page = client.get("/cases", query_string={"state": "all", **query}).get_data(as_text=True)
    return [int(i) for i in re.findall(r'data-case="(\d+)"', page)]


# --- the rules, on their own ------------------------------------------------------------------


def test_a_queue_reason_and_a_comment_about_the_till_are_checkout():
    assert category_of(["queue"], [("lange Schlange an der Kasse", "de")], "de") == "checkout"


def test_a_comment_alone_decides_by_its_topics_in_its_own_language():
    assert category_of([], [("Die Regale waren leer, Brot ausverkauft", "en")], "en") == "availability"
    assert category_of([], [("The staff at the till were rude and unfriendly", "de")], "de") == "staff"
    assert category_of([], [("Alles war okay", "de")], "de") == "other"


def test_a_reason_outweighs_a_single_keyword_of_another_category():
    assert category_of(["price"], [("Das Personal war nett", "de")], "de") == "prices"


def test_priority_points_add_up_to_high_normal_and_low():
    assert priority_of("very_unhappy", True, False, None) == ("high", ["very_unhappy", "contact_requested"])
    assert priority_of("very_unhappy", False, False, None) == ("normal", ["very_unhappy"])
    assert priority_of("unhappy", False, True, 5000.0) == ("high", ["unhappy", "repeat_customer", "valuable_customer"])
    assert priority_of("unhappy", False, False, 999.0) == ("normal", ["unhappy"])
    assert priority_of(None, False, False, None) == ("low", [])


# --- computed when a case opens ----------------------------------------------------------------


def test_a_queue_complaint_in_german_is_checkout_with_a_german_reply_naming_the_store(app, people, terminal):
    send(terminal, rating(terminal, 1, reasons=["queue"], comment="lange Schlange an der Kasse"))

    found = classification_of(app, newest_case(app))

    assert found.category == "checkout"
    assert found.language == "de"
    assert "Berlin Mitte" in found.suggested_reply and "an der Kasse warten" in found.suggested_reply
    assert found.priority == "normal" and found.priority_reasons == ["very_unhappy"]


def test_a_comment_in_english_on_a_german_terminal_gets_an_english_reply(app, people, terminal):
    send(terminal, rating(terminal, 1, comment="The store was dirty and the floor was sticky"))

    found = classification_of(app, newest_case(app))

    assert (found.category, found.language) == ("cleanliness", "en")
    assert found.suggested_reply.startswith("We are sorry Berlin Mitte was not as clean")


def test_a_very_unhappy_customer_who_asks_for_a_call_back_is_high(app, people, terminal):
    send(terminal, rating(terminal, 1, contact="kunde@example.com"))

    found = classification_of(app, newest_case(app))

    assert found.priority == "high"
    assert found.priority_reasons == ["very_unhappy", "contact_requested"]


def test_a_customer_who_complained_before_is_a_repeat_customer(app, client, clock, people, terminal):
    send(terminal, rating(terminal, 2, contact="Kunde@Example.com"))
    first = newest_case(app)
    token = sign_in_as(client, people["mia"])
    client.post(f"/cases/{first}/resolve", data={"csrf_token": token, "category": "other", "note": "called"})
    clock.advance(days=3)

    send(terminal, rating(terminal, 2, contact=" kunde@example.com "))

    second = newest_case(app)
    assert second != first
    assert "repeat_customer" not in classification_of(app, first).priority_reasons
    found = classification_of(app, second)
    assert found.priority_reasons == ["unhappy", "contact_requested", "repeat_customer"]
    assert found.priority == "high"


def test_another_stores_case_with_the_same_contact_is_no_repeat(app, people, terminal, other_terminal):
    send(other_terminal, rating(other_terminal, 2, contact="kunde@example.com"))
    send(terminal, rating(terminal, 2, contact="kunde@example.com"))

    assert "repeat_customer" not in classification_of(app, newest_case(app)).priority_reasons


def classify_job(app, clock) -> int:
    """The classify job as the scheduler runs it (hub/jobs.py), at the test's clock."""
    with app.app_context():
        return job_functions(app, deliverer_for(app, worker="test"))["classify_cases"](clock())


def queued(app) -> list[int]:
    with connected(app):
        return [row.case_id for row in CaseToClassify.select().order_by(CaseToClassify.case)]


def test_responses_joining_the_case_queue_it_and_the_job_classifies_it_once(app, clock, people, terminal):
    send(terminal, rating(terminal, 1))
    case_id = newest_case(app)
    opened = classification_of(app, case_id)
    assert opened.category == "other"  # classified in the transaction that opened it
    assert queued(app) == []
    clock.advance(minutes=5)

    send(terminal, rating(terminal, 1, reasons=["stock"], comment="Milch war aus, Regal leer"))
    send(terminal, rating(terminal, 1, reasons=["stock"]))

    assert newest_case(app) == case_id
    assert queued(app) == [case_id]  # two batches joined: queued once
    assert classification_of(app, case_id).category == "other"  # until the job runs

    clock.advance(seconds=CLASSIFY_SECONDS)
    assert classify_job(app, clock) == 1
    found = classification_of(app, case_id)
    assert found.category == "availability"
    assert "nicht alles da war" in found.suggested_reply
    assert found.computed_at > opened.computed_at
    assert queued(app) == []
    assert classify_job(app, clock) == 0  # nothing waits: nothing is classified again


def test_a_case_another_job_process_took_is_not_classified_twice(app, clock, people, terminal):
    from hub.queries.cases import take_queued

    send(terminal, rating(terminal, 1))
    case_id = newest_case(app)
    send(terminal, rating(terminal, 1, reasons=["stock"]))
    assert queued(app) == [case_id]

    with connected(app), write_transaction():
        assert take_queued(case_id) is True  # the other process
    with connected(app), write_transaction():
        assert take_queued(case_id) is False

    assert classify_job(app, clock) == 0
    assert classification_of(app, case_id).category == "other"


def test_the_job_waits_for_a_sync_that_queues_the_case_and_sees_its_responses(
    app, clock, people, terminal, database_url
):
    """On PostgreSQL the sync's queue upsert holds the case's queue row until it commits, so the
    job, taking the row off first, classifies with the sync's responses, never without them."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises every writer already; the row lock is PostgreSQL's")
    import threading

    import psycopg

    send(terminal, rating(terminal, 1))
    case_id = newest_case(app)
    send(terminal, rating(terminal, 1))  # joins: the case is queued
    late = rating(terminal, 2, reasons=["stock"])
    send(terminal, late)  # a rating of 2 opens no case: stored, in none
    assert queued(app) == [case_id]
    done = []
    with psycopg.connect(database_url) as sync:
        sync.execute(  # what routing does when the late response joins the case
            "INSERT INTO case_response (case_id, response_id, joined_at, captured_at) "
            "SELECT %s, id, now(), captured_at FROM response WHERE id = %s",
            (case_id, late["id"]),
        )
        sync.execute(
            "INSERT INTO case_to_classify (case_id, queued_at) VALUES (%s, now()) "
            "ON CONFLICT (case_id) DO UPDATE SET queued_at = excluded.queued_at",
            (case_id,),
        )
        job = threading.Thread(target=lambda: done.append(classify_job(app, clock)))
        job.start()
        assert lock_waits(database_url) == 1 and not done  # the job waits for the sync
        sync.commit()
    job.join(10)

    assert done == [1]
    assert classification_of(app, case_id).category == "availability"  # the sync's response counted
    assert queued(app) == []


def test_a_case_is_classified_from_its_latest_captured_responses_read_from_its_links(app, clock, people, terminal):
    """The links hold each response's capture time (v0034): the latest are the newest captured,
    whatever order they arrived in, and a response captured long ago joining adds nothing."""
    from hub.models import CaseResponse, Response
    from hub.queries.cases import latest_answers
    from shared.protocol import format_time

    def at(minutes: int, comment: str) -> dict:
        item = rating(terminal, 1, comment=comment)
        item["captured_at"] = format_time(clock() - timedelta(minutes=minutes))
        return item

    send(terminal, at(30, "dreißig"), at(10, "zehn"), at(20, "zwanzig"))
    send(terminal, at(5, "fünf"), at(600, "zehn Stunden"))
    case_id = newest_case(app)
    with connected(app):
        links = {c.response_id: c.captured_at for c in CaseResponse.select().where(CaseResponse.case == case_id)}
        captured = {r.id: r.captured_at for r in Response.select().where(Response.id.in_(list(links)))}
        texts = [row[5] for row in latest_answers(case_id, 3) if row[3] == "text"]
    assert len(links) == 5 and links == captured
    assert texts == ["fünf", "zehn", "zwanzig"]


def test_v0034_gives_the_links_made_before_it_their_responses_capture_times(app, people, terminal):
    from hub.db import database, is_sqlite
    from hub.migrations import v0034_case_latest_responses

    send(terminal, rating(terminal, 1), rating(terminal, 1, comment="Kasse zu"))
    query = "SELECT response_id, captured_at FROM case_response ORDER BY response_id"
    with connected(app):
        written = database.execute_sql(query).fetchall()
        with database.atomic():
            database.execute_sql("DROP INDEX case_response_latest")
            database.execute_sql("ALTER TABLE case_response DROP COLUMN captured_at")
            ts = "DATETIME" if is_sqlite() else "TIMESTAMP"
            v0034_case_latest_responses.up(database.obj, lambda s: database.execute_sql(s.format(ts=ts)))
        migrated = database.execute_sql(query).fetchall()
    assert len(written) == 2 and all(c is not None for _, c in written)
    assert migrated == written


# --- the case page: shown, prefilled, never sent by itself --------------------------------------


def test_the_case_page_prefills_the_close_the_loop_message_and_sends_nothing_until_a_person_does(
    app, client, people, terminal
):
    send(
        terminal, rating(terminal, 1, reasons=["queue"], comment="lange Schlange an der Kasse", contact="k@example.com")
    )
    case_id = newest_case(app)
    token = sign_in_as(client, people["mia"])

    page = client.get(f"/cases/{case_id}").get_data(as_text=True)

    assert 'id="case-category">Checkout and queue<' in page
    assert 'id="case-priority">high<' in page
    assert "very unhappy rating, asked for a call back" in page
    message = re.search(r'<textarea id="customer_message" name="customer_message"[^>]*>(.*?)</textarea>', page, re.S)
    suggestion = classification_of(app, case_id).suggested_reply
    assert html.unescape(message.group(1)) == suggestion
    assert page.count(suggestion) == 1  # one form: the resolve form's message, no second one
    with connected(app):
        assert not OutboxMessage.select().where(OutboxMessage.kind == "close_loop").exists()

    edited = suggestion + " Bis bald!"
    client.post(
        f"/cases/{case_id}/resolve",
        data={
            "csrf_token": token,
            "category": "resolved_with_customer",
            "note": "apologised",
            "notify_customer": "on",
            "customer_message": edited,
        },
    )
    with connected(app):
        sent = list(OutboxMessage.select().where(OutboxMessage.kind == "close_loop"))
    assert [m.payload["message"] for m in sent] == [edited]


def test_without_an_email_address_the_reply_is_offered_to_read_out_and_nothing_is_queued(app, client, people, terminal):
    send(terminal, rating(terminal, 1, reasons=["price"], contact="+49 30 1234567"))
    case_id = newest_case(app)
    sign_in_as(client, people["mia"])

    page = client.get(f"/cases/{case_id}").get_data(as_text=True)

    assert 'id="customer_message"' not in page
    shown = re.search(r'<textarea id="suggested-reply"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert html.unescape(shown) == classification_of(app, case_id).suggested_reply
    assert "Preisen bei Berlin Mitte" in html.unescape(shown)
    with connected(app):
        assert not OutboxMessage.select().where(OutboxMessage.kind == "close_loop").exists()


def test_a_store_name_with_markup_is_escaped_in_the_reply(app, client, people, terminal, store):
    with connected(app):
        store.name = "<b>Mitte</b>"
        store.save()
    send(terminal, rating(terminal, 1, contact="+49 30 1234567"))
    sign_in_as(client, people["mia"])

    page = client.get(f"/cases/{newest_case(app)}").get_data(as_text=True)

    assert "<b>Mitte</b>" not in page and "&lt;b&gt;Mitte&lt;/b&gt;" in page


# --- the list: filtered by category and priority, within the person's stores -------------------


def test_the_list_filters_by_category_and_priority_within_the_persons_stores(
    app, client, clock, people, terminal, other_terminal
):
    send(terminal, rating(terminal, 1, reasons=["queue"], contact="a@example.com"))  # B001 checkout high
    queue_high = newest_case(app)
    send(terminal, rating(terminal, 2, reasons=["stock"]))  # B001: joins no case (rating 2 has no rule)
    send(other_terminal, rating(other_terminal, 1, reasons=["queue"], contact="b@example.com"))  # H002
    other_store = newest_case(app)

    sign_in_as(client, people["mia"])
    assert listed(client, category="checkout") == [queue_high]
    assert listed(client, category="checkout", priority="high") == [queue_high]
    assert listed(client, priority="low") == []
    assert listed(client, category="availability") == []

    sign_in_as(client, people["admin"])
    assert sorted(listed(client, category="checkout", priority="high")) == sorted([queue_high, other_store])
    assert listed(client, category="nonsense") == listed(client)  # unknown: no filter


# --- the API -----------------------------------------------------------------------------------


def test_the_api_lists_and_filters_by_classification(app, client, clock, people, terminal, other_terminal):
    send(terminal, rating(terminal, 1, reasons=["queue"], comment="lange Schlange an der Kasse"))
    mine = newest_case(app)
    send(other_terminal, rating(other_terminal, 1, reasons=["queue"]))
    token = make(app, clock, people["mia"], "cases:read")

    body = client.get("/api/v1/cases?category=checkout", headers=bearer(token)).get_json()

    assert [c["id"] for c in body["cases"]] == [mine]
    found = body["cases"][0]["classification"]
    assert found["category"] == "checkout" and found["language"] == "de"
    assert found["priority"] == "normal" and found["priority_reasons"] == ["very_unhappy"]
    assert found["customer_value"] is None
    detail = client.get(f"/api/v1/cases/{mine}", headers=bearer(token)).get_json()
    assert detail["classification"] == found
    assert_problem(client.get("/api/v1/cases?priority=urgent", headers=bearer(token)), 400, "malformed_request")


def test_a_crm_value_raises_the_priority_and_bad_values_are_refused(app, client, clock, people, terminal):
    send(terminal, rating(terminal, 1))
    case_id = newest_case(app)
    token = make(app, clock, people["mia"], "cases:read", "cases:write")
    url = f"/api/v1/cases/{case_id}/customer-value"

    answer = client.post(url, json={"customer_value": 2500}, headers=bearer(token))

    assert answer.status_code == 200
    found = answer.get_json()["classification"]
    assert found["customer_value"] == 2500
    assert found["priority"] == "high" and found["priority_reasons"] == ["very_unhappy", "valuable_customer"]
    for bad in ({"customer_value": -1}, {"customer_value": "a lot"}, {"customer_value": True}, {}):
        assert_problem(client.post(url, json=bad, headers=bearer(token)), 400, "malformed_request")
    assert classification_of(app, case_id).customer_value == 2500

    back = client.post(url, json={"customer_value": None}, headers=bearer(token)).get_json()["classification"]
    assert back["priority"] == "normal" and back["customer_value"] is None


def test_a_crm_value_for_another_stores_case_is_not_found(app, client, clock, people, other_terminal):
    send(other_terminal, rating(other_terminal, 1))
    token = make(app, clock, people["mia"], "cases:read", "cases:write")

    answer = client.post(
        f"/api/v1/cases/{newest_case(app)}/customer-value", json={"customer_value": 9000}, headers=bearer(token)
    )

    assert_problem(answer, 404, "not_found")
    with connected(app):
        assert CaseClassification.get(CaseClassification.case == newest_case(app)).customer_value is None


def test_the_classified_answers_are_the_ones_the_openapi_document_describes(app, client, clock, people, terminal):
    from tests.hub.test_openapi import check_answer

    doc = client.get("/api/v1/openapi.json").get_json()
    send(terminal, rating(terminal, 1, reasons=["queue"], contact="k@example.com"))
    case_id = newest_case(app)
    token = make(app, clock, people["mia"], "cases:read", "cases:write")

    listing = client.get("/api/v1/cases?category=checkout&priority=high", headers=bearer(token))
    detail = client.get(f"/api/v1/cases/{case_id}", headers=bearer(token))
    valued = client.post(
        f"/api/v1/cases/{case_id}/customer-value", json={"customer_value": 12.5}, headers=bearer(token)
    )
    refused = client.post(f"/api/v1/cases/{case_id}/customer-value", json={"customer_value": -3}, headers=bearer(token))

    assert [c["id"] for c in listing.get_json()["cases"]] == [case_id]
    check_answer(doc, "GET", "/api/v1/cases", listing)
    check_answer(doc, "GET", "/api/v1/cases/{case_id}", detail)
    check_answer(doc, "POST", "/api/v1/cases/{case_id}/customer-value", valued)
    check_answer(doc, "POST", "/api/v1/cases/{case_id}/customer-value", refused)
