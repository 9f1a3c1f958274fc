"""The case pages as a store manager and HQ use them: people named by name, typed text kept when
the server refuses it, the list filtered and sorted by state, age and SLA breach, and a header
whose count is the list below it."""

from __future__ import annotations

import re

from hub.models import Case
from hub.services.alerts.windows import check_windows
from tests.hub.alerting import rating, send, sign_in_as
from tests.hub.conftest import connected


def newest_case(app) -> int:
    with connected(app):
        return Case.select().order_by(Case.id.desc()).get().id


def listed(client, **query: str) -> list[int]:
    page = client.get("/cases", query_string=query).get_data(as_text=True)
    return [int(i) for i in re.findall(r'data-case="(\d+)"', page)]


def test_people_are_named_by_name_after_assigning_and_resolving(app, client, people, terminal):
    send(terminal, rating(terminal, 1, comment="Kasse"))
    case_id = newest_case(app)
    token = sign_in_as(client, people["mia"])
    client.post(f"/cases/{case_id}/assign", data={"csrf_token": token, "assignee": str(people["mia"].id)})
    client.post(f"/cases/{case_id}/resolve", data={"csrf_token": token, "category": "other", "note": "done"})
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Assigned to Mia Manager" in page
    assert "by Mia Manager: Other" in page
    assert f"#{people['mia'].id}<" not in page and "Assigned to #" not in page


def test_the_assignee_list_names_people(app, client, people, terminal):
    send(terminal, rating(terminal, 1))
    sign_in_as(client, people["mia"])
    page = client.get(f"/cases/{newest_case(app)}").get_data(as_text=True)
    assert f'<option value="{people["rolf"].id}" >Rolf Regional</option>' in page


def test_the_messages_of_a_case_name_the_people_they_went_to(app, client, people, terminal):
    send(terminal, rating(terminal, 1))
    sign_in_as(client, people["mia"])
    page = client.get(f"/cases/{newest_case(app)}").get_data(as_text=True)
    assert "<td>alert (email)</td><td>Mia Manager</td>" in page
    assert "mia@example.org" not in page


def test_a_comment_too_long_comes_back_with_the_limit_and_every_character(app, client, people, terminal):
    send(terminal, rating(terminal, 1))
    case_id = newest_case(app)
    token = sign_in_as(client, people["mia"])
    assert "Comment (at most 4000 characters)" in client.get(f"/cases/{case_id}").get_data(as_text=True)
    typed = "Rückruf vereinbart & <notiert>. " * 1700  # 54,400 characters

    answer = client.post(f"/cases/{case_id}/comment", data={"csrf_token": token, "text": typed})

    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "the comment has 54,400 characters; at most 4,000 are kept" in page
    kept = re.search(r'<textarea id="comment" name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert kept == typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    with connected(app):
        assert not Case.get_by_id(case_id).events.where(Case.events.rel_model.action == "commented").exists()

    shortened = client.post(f"/cases/{case_id}/comment", data={"csrf_token": token, "text": typed[:3999]})
    assert shortened.status_code == 302


def test_a_resolution_note_too_long_is_kept_and_the_case_stays_open(app, client, people, terminal):
    send(terminal, rating(terminal, 1))
    case_id = newest_case(app)
    token = sign_in_as(client, people["mia"])
    note = "x" * 4001
    answer = client.post(f"/cases/{case_id}/resolve", data={"csrf_token": token, "category": "other", "note": note})
    assert answer.status_code == 422
    assert f">{note}</textarea>" in answer.get_data(as_text=True)
    with connected(app):
        assert Case.get_by_id(case_id).state == "open"


def test_the_list_filters_by_state_age_and_sla_and_sorts(app, client, clock, people, terminal, other_terminal):
    send(terminal, rating(terminal, 1))  # B001, very unhappy: SLA 30 min
    old = newest_case(app)
    clock.advance(days=8)
    send(other_terminal, rating(other_terminal, 1))  # H002
    overdue = newest_case(app)
    clock.advance(hours=1)
    send(terminal, rating(terminal, 3, contact="kunde@example.com"))  # a call back: SLA 60 min
    fresh = newest_case(app)
    sign_in_as(client, people["admin"])

    assert listed(client, sort="oldest") == [old, overdue, fresh]
    assert listed(client, sort="newest") == [fresh, overdue, old]
    assert listed(client, sort="sla") == [old, overdue, fresh]
    assert listed(client, age="day", sort="oldest") == [overdue, fresh]
    assert listed(client, age="older") == [old]
    assert listed(client, breached="1", sort="oldest") == [old, overdue]
    assert listed(client, state="resolved") == []
    assert listed(client, sort="nonsense", age="nonsense") == listed(client)  # unknown: the default


def test_a_store_manager_lists_only_their_stores_cases_whatever_the_filter(app, client, clock, people, other_terminal):
    send(other_terminal, rating(other_terminal, 1))
    clock.advance(hours=1)
    sign_in_as(client, people["mia"])
    assert listed(client, breached="1") == []
    assert listed(client, state="all", sort="oldest") == []


def test_a_window_cases_header_counts_the_responses_it_lists(app, client, clock, people, terminal):
    send(terminal, *[rating(terminal, 2, comment=f"unhappy {i}") for i in range(4)], rating(terminal, 4))
    with connected(app):
        assert check_windows(clock()) == 1
    case_id = newest_case(app)
    sign_in_as(client, people["mia"])
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert '<span id="response-count">4 responses</span>' in page
    assert len(re.findall(r'data-response="', page)) == 4
    assert "In the window: 5 responses" in page  # the window's figures say what they are about
    assert f'data-case="{case_id}"' in client.get("/cases").get_data(as_text=True)
    assert "4 responses" in client.get("/cases").get_data(as_text=True)


def test_the_case_page_shows_the_whole_conversation_in_the_surveys_order(app, client, people, terminal):
    item = rating(terminal, 1, comment="Niemand an der Kasse", reasons=["queue", "staff"])
    item["answers"].insert(1, {"question": "nps", "kind": "nps", "value": 2})
    send(terminal, item)
    sign_in_as(client, people["mia"])
    page = client.get(f"/cases/{newest_case(app)}").get_data(as_text=True)
    said = re.findall(r"<dt>(.*?)</dt>\s*<dd>(?:<strong>|<blockquote[^>]*>)(.*?)<", page, re.S)
    assert next(question for question, _ in said) == "How was your visit today?"
    assert dict(said)["How was your visit today?"] == "1 of 4 (very unhappy)"
    assert dict(said)["What was the reason?"] == "Waiting at the till, Friendliness"
    assert "Niemand an der Kasse" in [answer for _, answer in said]
    assert len(said) == 4


def test_a_case_names_the_same_customers_earlier_cases_at_this_store_only(
    app, client, clock, people, terminal, other_terminal
):
    send(terminal, rating(terminal, 1, comment="first visit", contact="kunde@example.com"))
    first = newest_case(app)
    send(other_terminal, rating(other_terminal, 1, contact="kunde@example.com"))  # Hamburg: not Mia's
    elsewhere = newest_case(app)
    token = sign_in_as(client, people["mia"])
    client.post(f"/cases/{first}/resolve", data={"csrf_token": token, "category": "other", "note": "done"})
    clock.advance(days=3)
    token = sign_in_as(client, people["mia"])  # a session ends after 12 hours
    send(terminal, rating(terminal, 1, comment="someone else", contact="other@example.com"))
    other_customer = newest_case(app)
    client.post(f"/cases/{other_customer}/resolve", data={"csrf_token": token, "category": "other", "note": "x"})
    send(terminal, rating(terminal, 1, comment="again", contact=" Kunde@Example.com"))
    again = newest_case(app)

    page = client.get(f"/cases/{again}").get_data(as_text=True)
    assert re.findall(r'data-prior="(\d+)"', page) == [str(first)]
    assert str(elsewhere) not in re.findall(r'data-prior="(\d+)"', page)
    sign_in_as(client, people["ana"])  # an analyst reads the case but opens no contact
    assert "data-prior" not in client.get(f"/cases/{again}").get_data(as_text=True)


def test_the_api_lists_cases_filtered_and_sorted_as_documented(app, client, clock, people, terminal, other_terminal):
    from tests.hub.test_openapi import check_answer

    doc = client.get("/api/v1/openapi.json").get_json()
    send(terminal, rating(terminal, 1))
    old = newest_case(app)
    clock.advance(days=8)
    send(other_terminal, rating(other_terminal, 1))
    overdue = newest_case(app)
    clock.advance(hours=1)
    sign_in_as(client, people["admin"])

    def ids(**query: str) -> list[int]:
        answer = client.get("/api/v1/cases", query_string=query)
        check_answer(doc, "GET", "/api/v1/cases", answer)
        return [c["id"] for c in answer.get_json()["cases"]]

    assert ids(sort="oldest") == [old, overdue]
    assert ids(age="day") == [overdue]
    assert ids(age="older", breached="true") == [old]
    assert ids(breached="false", sort="newest") == [overdue, old]
    for bad in ({"sort": "up"}, {"age": ""}, {"breached": "1"}):
        answer = client.get("/api/v1/cases", query_string=bad)
        assert answer.status_code == 400
        check_answer(doc, "GET", "/api/v1/cases", answer)
