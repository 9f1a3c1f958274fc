"""Time as people think of it: a case's responses show when the customer answered, in the
store's time zone (Berlin, UTC+1 in November), and say so when the hub heard of it much later
or could not believe the terminal's clock."""

from __future__ import annotations

from datetime import timedelta

from hub.models import Case
from hub.services.response_views import time_note
from shared.protocol import format_time
from tests.hub.alerting import deliver, rating, send, sign_in_as
from tests.hub.conftest import START, connected
from tests.support.mail import html_of, text_of


def late(terminal, clock, comment: str, **delta: float) -> dict:
    item = rating(terminal, 1, comment=comment)
    item["captured_at"] = format_time(clock() + timedelta(**delta))
    return item


def test_a_response_sent_two_days_late_shows_its_capture_and_why_it_came_late(
    app, client, clock, people, terminal, inbox
):
    send(terminal, late(terminal, clock, "Kasse zu", days=-2, hours=-3))  # Sat 21 Nov 06:00 UTC
    deliver(app)
    with connected(app):
        case_id = Case.get().id
    sign_in_as(client, people["mia"])
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    for shown in (page, text_of(inbox.messages[0]), html_of(inbox.messages[0])):
        assert "Sat 21 Nov 07:00" in shown  # Berlin
        assert "sent 2 days later: terminal was offline" in shown
        assert "received Mon 23 Nov 10:00" in shown


def test_a_response_synced_at_once_shows_only_its_capture(app, client, clock, people, terminal, inbox):
    send(terminal, late(terminal, clock, "gleich", minutes=-3))
    deliver(app)
    text = text_of(inbox.messages[0])
    assert "Mon 23 Nov 09:57" in text
    assert "later" not in text and "received" not in text


def test_a_wrong_terminal_clock_shows_the_receive_time_and_says_so(app, client, clock, people, terminal, inbox):
    send(terminal, late(terminal, clock, "Zukunft", days=3))  # refused as capture time: clock_skew
    deliver(app)
    text = text_of(inbox.messages[0])
    assert "Mon 23 Nov 10:00 (time of receipt: the terminal's clock was wrong" in text
    assert "Thu 26 Nov" not in text


def test_the_note_names_the_delay_in_words_people_use():
    at = START
    assert time_note(at, at + timedelta(minutes=9), "", "kiosk") is None
    assert time_note(at, at + timedelta(minutes=25), "", "kiosk") == "sent 25 min later: terminal was offline"
    assert time_note(at, at + timedelta(hours=5), "", "phone") == "sent 5 h later: phone was offline"
    assert time_note(at, at + timedelta(days=3), "", "kiosk") == "sent 3 days later: terminal was offline"
    assert time_note(at, at, "clock_skew", "kiosk") == "time of receipt: the terminal's clock was wrong"


def test_the_cases_api_gives_the_capture_time_and_the_note_as_documented(app, client, clock, people, terminal):
    from tests.hub.test_openapi import check_answer

    send(terminal, late(terminal, clock, "Kasse zu", days=-2, hours=-3))
    with connected(app):
        case_id = Case.get().id
    sign_in_as(client, people["mia"])
    answer = client.get(f"/api/v1/cases/{case_id}")
    check_answer(client.get("/api/v1/openapi.json").get_json(), "GET", "/api/v1/cases/{case_id}", answer)
    (response,) = answer.get_json()["responses"]
    assert response["captured_at"] == "2026-11-21T06:00:00Z"
    assert response["received_at"] == "2026-11-23T09:00:00Z"
    assert response["time_note"] == "sent 2 days later: terminal was offline"
