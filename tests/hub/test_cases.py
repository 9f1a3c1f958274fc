"""Cases worked to resolution, on the phone-friendly pages and through the JSON API: scoping
(another store's case is 404), the signed acknowledge link, comments, call back, resolve,
close-the-loop email, the audit trail, and escaping of everything people and customers typed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import timedelta

import pytest

from hub.models import Case, CaseEvent
from hub.services.outbox.links import ack_token
from tests.hub.alerting import deliver, newest_case_after_bad_rating, outbox, rating, send, sign_in_as
from tests.hub.conftest import connected
from tests.hub.test_openapi import check_answer
from tests.support.mail import Inbox, html_of, text_of


@pytest.fixture
def berlin_case(app, people, terminal) -> int:
    """An open case at B001 (Mia's store) with a comment and a contact left."""
    send(terminal, rating(terminal, 1, comment="Niemand an der Kasse", contact="kunde@example.com"))
    with connected(app):
        return Case.select().where(Case.rule == 1).get().id


@pytest.fixture
def hamburg_case(app, people, other_terminal) -> int:
    return newest_case_after_bad_rating(app, other_terminal, "Hamburg")


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def case_state(app, case_id: int) -> str:
    with connected(app):
        return Case.get_by_id(case_id).state


# --- pages --------------------------------------------------------------------------------------


def test_cases_need_sign_in(client, berlin_case):
    answer = client.get(f"/cases/{berlin_case}")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=/cases/")


def test_a_store_manager_sees_their_open_cases_and_not_another_stores(client, people, berlin_case, hamburg_case):
    sign_in_as(client, people["mia"])
    page = client.get("/cases").get_data(as_text=True)
    assert f'data-case="{berlin_case}"' in page
    assert f'data-case="{hamburg_case}"' not in page


def test_another_stores_case_page_is_not_found(client, people, hamburg_case):
    sign_in_as(client, people["mia"])
    assert client.get(f"/cases/{hamburg_case}").status_code == 404


@pytest.mark.parametrize("step", ["acknowledge", "resolve", "comment", "called-back"])
def test_a_store_manager_cannot_act_on_another_stores_case(app, client, people, hamburg_case, step):
    token = sign_in_as(client, people["mia"])
    data = {"csrf_token": token, "category": "other", "note": "x", "text": "x"}
    assert client.post(f"/cases/{hamburg_case}/{step}", data=data).status_code == 404
    assert case_state(app, hamburg_case) == "open"


def test_the_case_page_shows_the_words_and_the_contact_to_the_manager(client, people, berlin_case):
    sign_in_as(client, people["mia"])
    page = client.get(f"/cases/{berlin_case}").get_data(as_text=True)
    assert "Niemand an der Kasse" in page
    assert "kunde@example.com" in page
    assert "acknowledge within 30 min" in page


def test_an_analyst_reads_the_case_without_the_contact_and_cannot_act(app, client, people, berlin_case):
    token = sign_in_as(client, people["ana"])
    page = client.get(f"/cases/{berlin_case}").get_data(as_text=True)
    assert "Niemand an der Kasse" in page
    assert "kunde@example.com" not in page
    assert "Acknowledge</button>" not in page
    client.post(f"/cases/{berlin_case}/acknowledge", data={"csrf_token": token})
    assert case_state(app, berlin_case) == "open"


def test_a_page_post_without_the_csrf_token_is_refused(app, client, people, berlin_case):
    sign_in_as(client, people["mia"])
    assert client.post(f"/cases/{berlin_case}/acknowledge").status_code == 403
    assert case_state(app, berlin_case) == "open"


def test_a_manager_acknowledges_comments_calls_back_and_resolves(app, client, clock, people, berlin_case):
    token = sign_in_as(client, people["mia"])
    url = f"/cases/{berlin_case}"
    client.post(f"{url}/acknowledge", data={"csrf_token": token})
    clock.advance(minutes=5)
    client.post(f"{url}/comment", data={"csrf_token": token, "text": "Ich rufe gleich an"})
    client.post(f"{url}/called-back", data={"csrf_token": token, "note": "erreicht"})
    answer = client.post(
        f"{url}/resolve", data={"csrf_token": token, "category": "resolved_with_customer", "note": "Gutschein gegeben"}
    )
    assert answer.status_code == 302
    assert case_state(app, berlin_case) == "resolved"
    with connected(app):
        events = CaseEvent.select().where(CaseEvent.case == berlin_case).order_by(CaseEvent.id)
        trail = [(e.action, e.user.name if e.user_id else None, e.at.strftime("%H:%M")) for e in events]
        case = Case.get_by_id(berlin_case)
    assert trail == [
        ("opened", None, "09:00"),
        ("alerted", None, "09:00"),  # the call-back rule matched too: it is told under this case
        ("acknowledged", "Mia Manager", "09:00"),
        ("commented", "Mia Manager", "09:05"),
        ("called_back", "Mia Manager", "09:05"),
        ("resolved", "Mia Manager", "09:05"),
    ]
    assert case.resolution_category == "resolved_with_customer"
    assert case.called_back_at is not None
    page = client.get(url).get_data(as_text=True)
    assert "Gutschein gegeben" in page and "Ich rufe gleich an" in page


def test_resolving_twice_is_refused_with_a_clear_message(app, client, people, berlin_case):
    token = sign_in_as(client, people["mia"])
    data = {"csrf_token": token, "category": "other", "note": "done"}
    client.post(f"/cases/{berlin_case}/resolve", data=data)
    answer = client.post(f"/cases/{berlin_case}/resolve", data=data, follow_redirects=True)
    assert "is resolved already" in answer.get_data(as_text=True)


def test_a_comment_with_markup_is_shown_as_text(client, people, berlin_case):
    token = sign_in_as(client, people["mia"])
    evil = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
    client.post(f"/cases/{berlin_case}/comment", data={"csrf_token": token, "text": evil})
    page = client.get(f"/cases/{berlin_case}").get_data(as_text=True)
    assert evil not in page
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page


def test_a_customers_markup_is_shown_as_text_on_the_page_and_in_the_email(app, client, people, terminal, inbox):
    evil = "<svg onload=alert(1)>"
    send(terminal, rating(terminal, 1, comment=evil))
    deliver(app)
    assert evil not in html_of(inbox.messages[0])
    assert "&lt;svg onload=alert(1)&gt;" in html_of(inbox.messages[0])
    sign_in_as(client, people["mia"])
    page = client.get("/cases/1").get_data(as_text=True)
    assert evil not in page and "&lt;svg onload=alert(1)&gt;" in page


# --- the acknowledge link in the email ----------------------------------------------------------


def ack_link(inbox: Inbox) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/cases/\d+/ack/\S+)", text_of(inbox.messages[0])).group(1)


def test_the_emails_acknowledge_link_asks_for_sign_in_then_acknowledges(app, client, people, terminal, inbox):
    send(terminal, rating(terminal, 1))
    deliver(app)
    link = ack_link(inbox)

    first = client.get(link)
    assert first.status_code == 302 and "/login?next=" in first.headers["Location"]
    assert case_state(app, 1) == "open"

    sign_in_as(client, people["mia"])
    answer = client.get(link, follow_redirects=True)
    assert "Acknowledged. Thank you." in answer.get_data(as_text=True)
    assert case_state(app, 1) == "acknowledged"


def test_an_expired_acknowledge_link_acknowledges_nothing(app, client, clock, people, terminal, inbox):
    send(terminal, rating(terminal, 1))
    deliver(app)
    link = ack_link(inbox)
    clock.advance(days=8)  # links live 7 days
    sign_in_as(client, people["mia"])
    answer = client.get(link, follow_redirects=True)
    assert "has expired" in answer.get_data(as_text=True)
    assert case_state(app, 1) == "open"


def test_an_acknowledge_link_made_for_someone_else_does_not_acknowledge(app, client, clock, people, berlin_case):
    token = ack_token("test-secret-key", berlin_case, people["rolf"].id, clock() + timedelta(days=1))
    sign_in_as(client, people["mia"])
    answer = client.get(f"/cases/{berlin_case}/ack/{token}", follow_redirects=True)
    assert "sent to someone else" in answer.get_data(as_text=True)
    assert case_state(app, berlin_case) == "open"


def test_a_forged_acknowledge_link_does_not_acknowledge(app, client, people, berlin_case):
    sign_in_as(client, people["mia"])
    answer = client.get(
        f"/cases/{berlin_case}/ack/{berlin_case}.{people['mia'].id}.9999999999.AAAA", follow_redirects=True
    )
    assert "is not valid" in answer.get_data(as_text=True)
    assert case_state(app, berlin_case) == "open"


def old_ack_token(secret: str, case_id: int, user_id: int, expires: int) -> str:
    """An acknowledge link as hubs made them before the token format: still read until it expires."""
    key = hmac.new(secret.encode(), b"voxloop case acknowledge v1", hashlib.sha256).digest()
    payload = f"{case_id}.{user_id}.{expires}"
    mac = base64.urlsafe_b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest()[:18]).decode().rstrip("=")
    return f"{payload}.{mac}"


def test_an_acknowledge_link_of_the_old_format_acknowledges_until_it_expires(app, client, clock, people, berlin_case):
    token = old_ack_token("test-secret-key", berlin_case, people["mia"].id, int(clock().timestamp()) + 3600)
    sign_in_as(client, people["mia"])
    client.get(f"/cases/{berlin_case}/ack/{token}", follow_redirects=True)
    assert case_state(app, berlin_case) == "acknowledged"


def test_an_expired_acknowledge_link_of_the_old_format_acknowledges_nothing(app, client, clock, people, berlin_case):
    token = old_ack_token("test-secret-key", berlin_case, people["mia"].id, int(clock().timestamp()) - 1)
    sign_in_as(client, people["mia"])
    answer = client.get(f"/cases/{berlin_case}/ack/{token}", follow_redirects=True)
    assert "has expired" in answer.get_data(as_text=True)
    assert case_state(app, berlin_case) == "open"


def test_an_acknowledge_link_is_a_token_in_the_hubs_one_format(clock):
    assert ack_token("test-secret-key", 7, 3, clock() + timedelta(days=1)).startswith("v1.")


def test_an_acknowledge_link_to_another_stores_case_is_not_found(client, clock, people, hamburg_case):
    token = ack_token("test-secret-key", hamburg_case, people["mia"].id, clock() + timedelta(days=1))
    sign_in_as(client, people["mia"])
    assert client.get(f"/cases/{hamburg_case}/ack/{token}").status_code == 404


# --- closing the loop with the customer ---------------------------------------------------------


def test_resolving_with_notify_sends_the_customer_a_close_the_loop_email(app, client, people, berlin_case, inbox):
    token = sign_in_as(client, people["mia"])
    client.post(
        f"/cases/{berlin_case}/resolve",
        data={
            "csrf_token": token,
            "category": "resolved_with_customer",
            "note": "Entschuldigt",
            "notify_customer": "on",
            "customer_message": "Ab morgen öffnen wir eine zweite Kasse <b>früher</b>.",
        },
    )
    deliver(app)
    (mail,) = inbox.to("kunde@example.com")
    assert mail["Subject"] == "Ihr Feedback an Berlin Mitte"
    assert "Ab morgen öffnen wir eine zweite Kasse" in text_of(mail)
    assert "&lt;b&gt;früher&lt;/b&gt;" in html_of(mail)
    with connected(app):
        message = next(m for m in outbox(app) if m.kind == "close_loop")
    assert message.recipient == "customer"  # the address stays sealed in the outbox


def test_without_an_email_address_there_is_nobody_to_write_to(app, client, people, terminal):
    send(terminal, rating(terminal, 1, contact="+49 30 1234567"))
    token = sign_in_as(client, people["mia"])
    answer = client.post(
        "/cases/1/resolve",
        data={"csrf_token": token, "category": "other", "note": "x", "notify_customer": "on"},
        follow_redirects=True,
    )
    assert "no customer of this case left an email address" in answer.get_data(as_text=True)
    assert case_state(app, 1) == "open"


# --- HQ: deliveries and misrouted cases ---------------------------------------------------------


def test_hq_sees_undeliverable_messages_and_misrouted_cases(app, client, people, terminal, other_terminal, inbox):
    from hub.models import UserStore

    inbox.refuse.add("mia@example.org")
    with connected(app):
        UserStore.delete().where(UserStore.user == people["hans"].id).execute()
    send(terminal, rating(terminal, 1))
    send(other_terminal, rating(other_terminal, 1))  # Hamburg has no store manager now
    deliver(app)

    sign_in_as(client, people["ana"])
    page = client.get("/cases/deliveries").get_data(as_text=True)
    assert 'data-state="failed"' in page and "550" in page
    assert 'data-misrouted="2"' in page


def test_a_store_manager_cannot_open_the_deliveries_page(client, people):
    sign_in_as(client, people["mia"])
    assert client.get("/cases/deliveries").status_code == 403


# --- the JSON API -------------------------------------------------------------------------------


def test_the_api_needs_a_session(client, doc, berlin_case):
    answer = client.get("/api/v1/cases")
    assert answer.status_code == 401
    check_answer(doc, "GET", "/api/v1/cases", answer)


def test_the_api_lists_and_shows_the_callers_cases_as_documented(client, doc, people, berlin_case, hamburg_case):
    sign_in_as(client, people["mia"])
    listed = client.get("/api/v1/cases")
    check_answer(doc, "GET", "/api/v1/cases", listed)
    assert berlin_case in {c["id"] for c in listed.get_json()["cases"]}
    assert hamburg_case not in {c["id"] for c in listed.get_json()["cases"]}

    shown = client.get(f"/api/v1/cases/{berlin_case}")
    check_answer(doc, "GET", "/api/v1/cases/{case_id}", shown)
    response = shown.get_json()["responses"][0]
    assert (response["comment"], response["contact"]) == ("Niemand an der Kasse", "kunde@example.com")


@pytest.mark.parametrize("step", ["", "/acknowledge", "/resolve", "/comments", "/called-back", "/assign"])
def test_another_stores_case_is_not_found_through_the_api(app, client, people, hamburg_case, step):
    token = sign_in_as(client, people["mia"])
    url = f"/api/v1/cases/{hamburg_case}{step}"
    body = {"category": "other", "note": "x", "text": "x", "assignee": None}
    answer = client.get(url) if not step else client.post(url, json=body, headers={"X-CSRF-Token": token})
    assert answer.status_code == 404
    assert answer.get_json()["code"] == "not_found"
    assert case_state(app, hamburg_case) == "open"


def test_an_api_write_needs_the_csrf_header(app, client, doc, people, berlin_case):
    sign_in_as(client, people["mia"])
    answer = client.post(f"/api/v1/cases/{berlin_case}/acknowledge")
    assert answer.status_code == 403 and answer.get_json()["code"] == "csrf_failed"
    check_answer(doc, "POST", "/api/v1/cases/{case_id}/acknowledge", answer)
    assert case_state(app, berlin_case) == "open"


def test_the_api_works_a_case_to_resolution_as_documented(app, client, doc, people, berlin_case):
    sign_in_as(client, people["mia"])
    token = client.get("/api/v1/me").get_json()["csrf_token"]
    headers = {"X-CSRF-Token": token}
    base = f"/api/v1/cases/{berlin_case}"

    steps = [
        ("/acknowledge", None, 200),
        ("/comments", {"text": "<b>on it</b>"}, 201),
        ("/assign", {"assignee": people["mia"].id}, 200),
        ("/called-back", {"note": "reached"}, 200),
        ("/resolve", {"category": "fixed_in_store", "note": "second till opened"}, 200),
    ]
    for path, body, status in steps:
        answer = (
            client.post(base + path, json=body, headers=headers) if body else client.post(base + path, headers=headers)
        )
        assert answer.status_code == status, answer.get_data(as_text=True)
        check_answer(doc, "POST", "/api/v1/cases/{case_id}" + path, answer)

    final = client.get(base).get_json()
    assert final["state"] == "resolved"
    assert final["assignee"] == {"id": people["mia"].id, "name": "Mia Manager"}
    assert [e["action"] for e in final["events"]][-5:] == [
        "acknowledged",
        "commented",
        "assigned",
        "called_back",
        "resolved",
    ]
    assert final["events"][-4]["text"] == "<b>on it</b>"  # JSON carries text; escaping is the renderer's job

    again = client.post(base + "/acknowledge", headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "case_state"
    check_answer(doc, "POST", "/api/v1/cases/{case_id}/acknowledge", again)


def test_an_analyst_reads_through_the_api_without_contacts_and_may_not_act(client, people, berlin_case):
    token = sign_in_as(client, people["ana"])
    shown = client.get(f"/api/v1/cases/{berlin_case}").get_json()
    assert shown["responses"][0]["contact"] is None and shown["responses"][0]["contact_left"] is True
    answer = client.post(f"/api/v1/cases/{berlin_case}/acknowledge", headers={"X-CSRF-Token": token})
    assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden"


def test_a_case_cannot_be_assigned_to_someone_from_another_store(client, people, berlin_case):
    token = sign_in_as(client, people["mia"])
    answer = client.post(
        f"/api/v1/cases/{berlin_case}/assign", json={"assignee": people["hans"].id}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 404
    assert "works this store's cases" in answer.get_json()["detail"]


# --- alert rules through the API ----------------------------------------------------------------


def test_hq_admins_add_and_change_rules_as_documented(client, doc, people):
    token = sign_in_as(client, people["admin"])
    headers = {"X-CSRF-Token": token}
    rule = {
        "name": "Detractor with words",
        "kind": "response",
        "scope": "store",
        "store": "B001",
        "condition": {"nps_at_most": 6, "with_comment": True},
        "webhook_url": "https://hooks.example/voxloop",
        "webhook_format": "slack",
        "sla_minutes": 45,
    }
    created = client.post("/api/v1/alert-rules", json=rule, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    check_answer(doc, "POST", "/api/v1/alert-rules", created)
    body = created.get_json()
    assert body["store"] == "B001" and body["webhook_secret"]

    changed = client.patch(f"/api/v1/alert-rules/{body['id']}", json={"active": False}, headers=headers)
    check_answer(doc, "PATCH", "/api/v1/alert-rules/{rule_id}", changed)
    assert changed.get_json()["active"] is False

    listed = client.get("/api/v1/alert-rules")
    check_answer(doc, "GET", "/api/v1/alert-rules", listed)
    assert {r["key"] for r in listed.get_json()["rules"]} >= {"very_unhappy", "contact_requested", "negative_share"}


def test_an_impossible_rule_is_refused_with_the_setting_and_the_reason(client, doc, people):
    token = sign_in_as(client, people["admin"])
    answer = client.post(
        "/api/v1/alert-rules",
        json={"name": "never", "kind": "response", "condition": {"rating_at_most": 0}},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 422
    check_answer(doc, "POST", "/api/v1/alert-rules", answer)
    body = answer.get_json()
    assert (body["code"], body["field"]) == ("invalid_rule", "condition.rating_at_most")


def test_only_hq_admins_change_rules_and_store_managers_do_not_read_them(client, people):
    token = sign_in_as(client, people["ana"])
    refused = client.post(
        "/api/v1/alert-rules", json={"name": "x", "kind": "response", "condition": {}}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/alert-rules").status_code == 200
    sign_in_as(client, people["mia"])
    assert client.get("/api/v1/alert-rules").status_code == 403


def test_the_analysts_do_not_see_webhook_secrets(client, people):
    sign_in_as(client, people["ana"])
    rules = client.get("/api/v1/alert-rules").get_json()["rules"]
    assert all("webhook_secret" not in r for r in rules)
