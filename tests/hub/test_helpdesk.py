"""Cases handed to a real help desk, both ways: a throwaway Request Tracker 5 (Debian's
request-tracker5, tests/support/request_tracker.py, started once per session), the hub on
SQLite and PostgreSQL. A case becomes a ticket (read back through RT's API), RT's state
changes and resolution come back, a resolution here resolves the ticket, and an RT that is
down delays the ticket without losing it or making two. Each test has its own RT queue."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from hub.models import Case, CaseEvent, HelpdeskCursor, HelpdeskEvent, HelpdeskTicket, OutboxMessage
from hub.services import cases
from hub.services.access import scope_for
from hub.services.helpdesk import HelpDeskRefused, connector, systems
from hub.services.helpdesk.handover import hand_over
from hub.services.helpdesk.outbound import TicketSender
from hub.services.helpdesk.settings import HelpDeskSettings
from hub.services.helpdesk.sync import sync
from hub.state import state
from shared.errors import CaseStateError
from tests.conftest import missing_system_package
from tests.hub.alerting import deliver, rating, send, sign_in_as
from tests.hub.conftest import connected
from tests.support.request_tracker import RT_LIB, TemporaryRequestTracker, rt_installed

CONTACT = "kunde@example.com"
COMMENT = "Niemand an der Kasse, 20 Minuten gewartet"


@pytest.fixture(scope="session")
def request_tracker() -> Iterator[TemporaryRequestTracker]:
    missing = rt_installed()
    if missing:
        missing_system_package(missing)
    with TemporaryRequestTracker() as rt:
        yield rt


@pytest.fixture
def rt(app, request_tracker, request) -> TemporaryRequestTracker:
    """The session's RT with a queue of this test's own, and the app pointed at it."""
    queue = "vx-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]
    request_tracker.new_queue(queue)
    app.config.update(
        HELPDESK_SYSTEM="rt",
        HELPDESK_URL=request_tracker.url,
        HELPDESK_TOKEN=request_tracker.token,
        HELPDESK_QUEUE=queue,
        HELPDESK_TIMEOUT_SECONDS=10,
    )
    request_tracker.queue = queue
    return request_tracker


@pytest.fixture
def berlin_case(app, people, terminal) -> int:
    send(terminal, rating(terminal, 1, comment=COMMENT, reasons=["queue"], contact=CONTACT))
    with connected(app):
        return Case.select().order_by(Case.id.desc()).get().id


def settings_of(app) -> HelpDeskSettings:
    return HelpDeskSettings.from_config(app.config)


def run_sync(app, clock):
    with connected(app):
        return sync(settings_of(app), clock())


def ticket_row(app, case_id: int) -> HelpdeskTicket | None:
    with connected(app):
        return HelpdeskTicket.get_or_none(HelpdeskTicket.case == case_id)


def trail(app, case_id: int) -> list[tuple[str, str | None]]:
    with connected(app):
        return [(e.action, e.text) for e in CaseEvent.select().where(CaseEvent.case == case_id).order_by(CaseEvent.id)]


def ticket_messages(app) -> list[OutboxMessage]:
    with connected(app):
        return list(OutboxMessage.select().where(OutboxMessage.channel == "ticket").order_by(OutboxMessage.id))


def hand_over_on_the_page(client, people, case_id: int):
    token = sign_in_as(client, people["mia"])
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="hand-to-helpdesk"' in page
    return client.post(f"/cases/{case_id}/helpdesk", data={"csrf_token": token})


def made_ticket(app, client, people, case_id: int) -> str:
    """Hand the case over on its page and deliver: the ticket's RT id."""
    assert hand_over_on_the_page(client, people, case_id).status_code == 302
    deliver(app)
    row = ticket_row(app, case_id)
    assert row is not None and row.external_id, [(m.state, m.last_error) for m in ticket_messages(app)]
    return row.external_id


# --- a case becomes a ticket -------------------------------------------------------------------


def test_a_case_handed_over_on_its_page_becomes_a_ticket_in_rt(app, client, people, berlin_case, rt):
    answer = hand_over_on_the_page(client, people, berlin_case)
    assert answer.status_code == 302
    assert ticket_row(app, berlin_case).state == "queued"  # recorded at once, made by the outbox
    assert [(m.kind, m.state) for m in ticket_messages(app)] == [("ticket_create", "pending")]

    run = deliver(app)

    [message] = ticket_messages(app)
    assert message.state == "sent" and message.id in run.sent
    [ticket] = rt.tickets(rt.queue)
    row = ticket_row(app, berlin_case)
    assert row.external_id == ticket["id"] and row.state == "new"
    assert ticket["Subject"].startswith(f"[voxloop #{berlin_case}] ")
    assert "B001 Berlin Mitte" in ticket["Subject"]
    shown = rt.ticket(ticket["id"])
    assert str(shown["Queue"]["id"]) == str(rt.agent("GET", f"/queue/{rt.queue}")["id"])
    [body] = rt.texts(ticket["id"])
    assert "Rating: 1 of 4" in body
    assert "Reasons: Waiting at the till" in body
    assert f"Comment: {COMMENT}" in body
    assert f"/cases/{berlin_case}" in body
    # no personal contact data unless HELPDESK_SEND_CONTACT says so; the ticket says one exists
    assert CONTACT not in body and "kunde" not in body
    assert "The customer left a contact" in body
    page = client.get(f"/cases/{berlin_case}").get_data(as_text=True)
    assert f">#{ticket['id']}</a>" in page
    assert re.search(r'id="ticket-state">new<', page)
    assert f'href="{rt.url}/Ticket/Display.html?id={ticket["id"]}"' in page
    assert 'id="hand-to-helpdesk"' not in page  # once


def test_the_contact_goes_into_the_ticket_only_when_the_setting_says_so(app, client, people, berlin_case, rt):
    app.config["HELPDESK_SEND_CONTACT"] = 1
    ticket_id = made_ticket(app, client, people, berlin_case)
    [body] = rt.texts(ticket_id)
    assert f"agreed to be contacted): {CONTACT}" in body


def test_the_ticket_speaks_the_hubs_language(app, client, people, berlin_case, rt):
    app.config["LANGUAGE"] = "de"
    [body] = rt.texts(made_ticket(app, client, people, berlin_case))
    assert f"Fall #{berlin_case} in Berlin Mitte (B001)" in body
    assert "Bewertung: 1 von 4" in body and f"Kommentar: {COMMENT}" in body
    assert "Rating:" not in body


def test_a_setting_hands_over_the_cases_of_a_store_by_itself(app, people, berlin_case, rt, clock):
    app.config["HELPDESK_AUTO_STORES"] = "B001"
    run = run_sync(app, clock)
    assert run.handed_over == [berlin_case]
    assert run_sync(app, clock).handed_over == []  # once
    deliver(app)
    assert [t["Subject"].split("]")[0] for t in rt.tickets(rt.queue)] == [f"[voxloop #{berlin_case}"]
    assert ("handed_to_helpdesk", None) in trail(app, berlin_case)


# --- changes come back, resolutions go both ways -----------------------------------------------


def test_a_state_change_in_rt_comes_back_and_resolving_there_resolves_here(app, client, people, berlin_case, rt, clock):
    ticket_id = made_ticket(app, client, people, berlin_case)

    rt.take(ticket_id)
    run = run_sync(app, clock)
    assert run.acknowledged == [berlin_case]
    assert ticket_row(app, berlin_case).state == "open"
    with connected(app):
        assert Case.get_by_id(berlin_case).state == "acknowledged"  # taken up there: no escalation here
    assert ("acknowledged_in_helpdesk", None) in trail(app, berlin_case)

    rt.comment(ticket_id, "Kundin angerufen, Gutschein geschickt.")
    rt.resolve(ticket_id)
    run = run_sync(app, clock)
    assert run.resolved == [berlin_case]
    with connected(app):
        case = Case.get_by_id(berlin_case)
    assert case.state == "resolved"
    assert case.resolution_note == "Kundin angerufen, Gutschein geschickt."
    assert case.resolved_by_id is None
    assert ("resolved_in_helpdesk", "Kundin angerufen, Gutschein geschickt.") in trail(app, berlin_case)
    page = client.get(f"/cases/{berlin_case}").get_data(as_text=True)
    assert "resolved in the help desk" in page

    again = run_sync(app, clock)  # the newest change is read again: nothing happens twice
    assert (again.changed, again.resolved, again.pushed) == ([], [], [])
    assert [m.kind for m in ticket_messages(app)] == ["ticket_create"]  # nothing sent back
    assert rt.ticket(ticket_id)["Status"] == "resolved"


def test_resolving_here_resolves_the_ticket_through_the_outbox(app, client, people, berlin_case, rt, clock):
    ticket_id = made_ticket(app, client, people, berlin_case)
    with connected(app):
        mia = people["mia"]
        cases.resolve(
            scope_for(mia), mia, berlin_case, category="fixed_in_store", note="Zweite Kasse ab 9 Uhr.", now=clock()
        )

    run = run_sync(app, clock)
    assert run.pushed == [berlin_case]
    assert run_sync(app, clock).pushed == []  # queued once
    assert [(m.kind, m.state) for m in ticket_messages(app)][-1] == ("ticket_resolve", "pending")
    deliver(app)

    assert ticket_messages(app)[-1].state == "sent"
    assert rt.ticket(ticket_id)["Status"] == "resolved"
    assert any("Zweite Kasse ab 9 Uhr." in text for text in rt.texts(ticket_id))
    assert ticket_row(app, berlin_case).state == "resolved"
    after = run_sync(app, clock)  # RT's resolved ticket changes nothing here any more
    assert after.resolved == []
    with connected(app):
        assert Case.get_by_id(berlin_case).resolution_note == "Zweite Kasse ab 9 Uhr."


# --- a help desk that is down delays, never loses, never doubles ---------------------------------


def test_rt_down_delays_the_ticket_and_after_it_is_back_exactly_one_exists(
    app, client, people, berlin_case, rt, clock, caplog
):
    caplog.set_level(logging.INFO)
    rt.stop()
    try:
        assert hand_over_on_the_page(client, people, berlin_case).status_code == 302
        first = deliver(app)
        [message] = ticket_messages(app)
        assert message.id in first.retrying and message.state == "retry"
        assert "cannot be reached" in message.last_error
        clock.advance(seconds=10)
        deliver(app)
        assert ticket_messages(app)[0].state == "retry" and ticket_messages(app)[0].attempts == 2
        assert ticket_row(app, berlin_case).state == "queued"
    finally:
        rt.start()
    clock.advance(minutes=5)
    deliver(app)
    [message] = ticket_messages(app)
    assert message.state == "sent" and message.attempts == 3
    tickets = rt.tickets(rt.queue)
    assert len(tickets) == 1
    assert ticket_row(app, berlin_case).external_id == tickets[0]["id"]
    assert rt.token not in caplog.text and rt.token not in (message.last_error or "")


def test_a_create_whose_answer_was_lost_makes_no_second_ticket(app, client, people, berlin_case, rt, clock):
    ticket_id = made_ticket(app, client, people, berlin_case)
    with connected(app):  # the worker died after RT made the ticket, before the hub wrote it down
        HelpdeskTicket.update(external_id=None, state="queued").where(HelpdeskTicket.case == berlin_case).execute()
        [message] = OutboxMessage.select().where(OutboxMessage.kind == "ticket_create")
        TicketSender(settings_of(app), app.config["PUBLIC_URL"], state().contact_key)(message, clock())
    assert [t["id"] for t in rt.tickets(rt.queue)] == [ticket_id]
    assert ticket_row(app, berlin_case).external_id == ticket_id


def test_a_help_desk_that_refuses_the_token_fails_the_message_for_good(app, client, people, berlin_case, rt):
    app.config["HELPDESK_TOKEN"] = "1-1-00000000000000000000000000000000"
    hand_over_on_the_page(client, people, berlin_case)
    run = deliver(app)
    [message] = ticket_messages(app)
    assert message.id in run.failed and message.state == "failed"
    assert "401" in message.last_error or "403" in message.last_error
    assert rt.tickets(rt.queue) == []


# --- who may hand over ---------------------------------------------------------------------------


@pytest.fixture
def configured(app):
    """A help desk configured but never asked (handing over only queues)."""
    app.config.update(HELPDESK_SYSTEM="rt", HELPDESK_URL="http://127.0.0.1:9", HELPDESK_TOKEN="x", HELPDESK_QUEUE="q")


def test_another_stores_case_cannot_be_handed_over(app, client, people, berlin_case, configured):
    token = sign_in_as(client, people["hans"])
    assert client.post(f"/cases/{berlin_case}/helpdesk", data={"csrf_token": token}).status_code == 404
    assert ticket_row(app, berlin_case) is None


def test_handing_over_needs_the_csrf_token(app, client, people, berlin_case, configured):
    sign_in_as(client, people["mia"])
    assert client.post(f"/cases/{berlin_case}/helpdesk").status_code == 403
    assert ticket_row(app, berlin_case) is None


def test_an_analyst_sees_no_button_and_cannot_hand_over(app, client, people, berlin_case, configured):
    token = sign_in_as(client, people["ana"])
    assert 'id="hand-to-helpdesk"' not in client.get(f"/cases/{berlin_case}").get_data(as_text=True)
    client.post(f"/cases/{berlin_case}/helpdesk", data={"csrf_token": token})
    assert ticket_row(app, berlin_case) is None


def test_a_case_is_handed_over_once(app, people, berlin_case, configured, clock):
    settings = settings_of(app)
    mia = people["mia"]
    with connected(app):
        hand_over(scope_for(mia), mia, berlin_case, settings=settings, now=clock())
        with pytest.raises(CaseStateError, match="with the help desk already"):
            hand_over(scope_for(mia), mia, berlin_case, settings=settings, now=clock())
    assert len(ticket_messages(app)) == 1


def test_a_resolved_case_is_not_handed_over(app, people, berlin_case, configured, clock):
    mia = people["mia"]
    with connected(app):
        cases.resolve(scope_for(mia), mia, berlin_case, category="other", note="erledigt", now=clock())
        with pytest.raises(CaseStateError, match="is resolved"):
            hand_over(scope_for(mia), mia, berlin_case, settings=settings_of(app), now=clock())
    assert ticket_messages(app) == [] and ticket_row(app, berlin_case) is None


def test_without_a_help_desk_the_page_shows_no_section(client, people, berlin_case):
    sign_in_as(client, people["mia"])
    assert 'id="helpdesk"' not in client.get(f"/cases/{berlin_case}").get_data(as_text=True)


def test_connectors_are_found_by_name_and_keep_the_token_out_of_sight():
    assert "rt" in systems()
    desk = connector("rt", base_url="http://127.0.0.1:9", token="secret-token-1", queue="q")
    assert "secret-token-1" not in repr(desk)
    assert "secret-token-1" not in repr(HelpDeskSettings(system="rt", base_url="http://x", token="secret-token-1"))
    with pytest.raises(KeyError, match="no help desk connector"):
        connector("zendesk")
    with pytest.raises(HelpDeskRefused):
        connector("rt", base_url="file:///etc/passwd", token="t", queue="q")


# --- the help desk's signed events ----------------------------------------------------------------

INBOUND_SECRET = "whsec_" + base64.b64encode(b"voxloop inbound test key 32bytes").decode()
EVENTS = "/api/v1/helpdesk/rt/events"


def signed_event(clock, body: object, *, webhook_id: str = "msg_1", secret: str = INBOUND_SECRET, at=None):
    """A body and its Standard Webhooks headers, signed by the ``standardwebhooks`` package at the
    hub's time (or ``at``)."""
    data = json.dumps(body)
    signature = Webhook(secret).sign(webhook_id, at or clock(), data)
    stamp = int((at or clock()).timestamp())
    return data, {"webhook-id": webhook_id, "webhook-timestamp": str(stamp), "webhook-signature": signature}


def post_event(client, clock, body: object, **signing):
    data, headers = signed_event(clock, body, **signing)
    return client.post(EVENTS, data=data, headers=headers, content_type="application/json")


@pytest.fixture
def events(app):
    app.config["HELPDESK_INBOUND_SECRET"] = INBOUND_SECRET


def case_state(app, case_id: int) -> str:
    with connected(app):
        return Case.get_by_id(case_id).state


def test_a_signed_event_after_a_change_in_rt_moves_the_case_without_a_poll(
    app, client, people, berlin_case, rt, events, clock
):
    ticket_id = made_ticket(app, client, people, berlin_case)
    rt.take(ticket_id)

    answer = post_event(client, clock, {"ticket": ticket_id}, webhook_id="msg_take")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {
        "ticket": ticket_id,
        "duplicate": False,
        "applied": True,
        "case_id": berlin_case,
        "state": "open",
        "changed": True,
    }
    assert case_state(app, berlin_case) == "acknowledged"
    assert ("acknowledged_in_helpdesk", None) in trail(app, berlin_case)
    with connected(app):
        assert HelpdeskCursor.select().count() == 0  # no poll ran

    rt.comment(ticket_id, "Filialleitung hat die Kundin angerufen.")
    rt.resolve(ticket_id)
    clock.advance(seconds=30)
    answer = post_event(client, clock, {"ticket": int(ticket_id)}, webhook_id="msg_resolve")
    assert answer.get_json()["state"] == "resolved"
    with connected(app):
        case = Case.get_by_id(berlin_case)
    assert case.state == "resolved" and case.resolution_note == "Filialleitung hat die Kundin angerufen."
    again = run_sync(app, clock)  # the poll after it finds nothing left to do
    assert (again.changed, again.acknowledged, again.resolved, again.pushed) == ([], [], [], [])


def test_an_event_is_never_trusted_for_the_state_itself(app, client, people, berlin_case, rt, events, clock):
    ticket_id = made_ticket(app, client, people, berlin_case)
    answer = post_event(client, clock, {"ticket": ticket_id, "status": "resolved"})
    assert answer.status_code == 200
    assert answer.get_json()["state"] == "new" and answer.get_json()["changed"] is False
    assert case_state(app, berlin_case) == "open"  # RT says new: nothing happens


def test_a_replayed_event_is_acknowledged_and_does_nothing(app, client, people, berlin_case, rt, events, clock):
    ticket_id = made_ticket(app, client, people, berlin_case)
    data, headers = signed_event(clock, {"ticket": ticket_id}, webhook_id="msg_once")
    first = client.post(EVENTS, data=data, headers=headers, content_type="application/json")
    assert first.get_json()["duplicate"] is False
    rt.take(ticket_id)
    clock.advance(seconds=60)
    again = client.post(EVENTS, data=data, headers=headers, content_type="application/json")
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert case_state(app, berlin_case) == "open"  # the replay read nothing from RT
    assert ticket_row(app, berlin_case).state == "new"


def test_an_event_for_a_ticket_no_case_has_changes_nothing(app, client, berlin_case, configured, events, clock):
    answer = post_event(client, clock, {"ticket": "4711"})
    assert answer.status_code == 200
    assert answer.get_json() == {
        "ticket": "4711",
        "duplicate": False,
        "applied": True,
        "case_id": None,
        "state": None,
        "changed": False,
    }


def test_an_event_while_the_help_desk_cannot_be_read_is_left_to_the_poll(
    app, client, people, berlin_case, configured, events, clock
):
    with connected(app):
        mia = people["mia"]
        hand_over(scope_for(mia), mia, berlin_case, settings=settings_of(app), now=clock())
        HelpdeskTicket.update(external_id="17").where(HelpdeskTicket.case == berlin_case).execute()
    answer = post_event(client, clock, {"ticket": "17"})  # the configured help desk listens nowhere
    assert answer.status_code == 200
    assert answer.get_json()["applied"] is False
    assert case_state(app, berlin_case) == "open"


def problem_code(answer) -> str:
    assert answer.mimetype == "application/problem+json"
    return answer.get_json()["code"]


def test_a_bad_signature_is_refused_and_changes_nothing(app, client, berlin_case, configured, events, clock):
    data, headers = signed_event(clock, {"ticket": "17"}, secret="whsec_" + base64.b64encode(b"another key").decode())
    answer = client.post(EVENTS, data=data, headers=headers, content_type="application/json")
    assert answer.status_code == 401 and problem_code(answer) == "bad_signature"
    data, headers = signed_event(clock, {"ticket": "17"})
    forged = data.replace("17", "18")
    answer = client.post(EVENTS, data=forged, headers=headers, content_type="application/json")
    assert answer.status_code == 401 and problem_code(answer) == "bad_signature"
    with connected(app):
        assert HelpdeskEvent.select().count() == 0


def test_an_unsigned_event_is_refused(client, configured, events):
    answer = client.post(EVENTS, json={"ticket": "17"})
    assert answer.status_code == 401 and problem_code(answer) == "missing_signature"


@pytest.mark.parametrize("stamp", ["", "12a", "\u00b2", "1" * 13])
def test_an_event_whose_timestamp_cannot_be_read_is_refused(client, configured, events, clock, stamp):
    data, headers = signed_event(clock, {"ticket": "17"})
    headers["webhook-timestamp"] = stamp
    answer = client.post(EVENTS, data=data.encode(), headers=headers, content_type="application/json")
    assert answer.status_code == 401
    assert problem_code(answer) == ("missing_signature" if stamp == "" else "malformed_signature")


def test_an_event_signed_more_than_five_minutes_ago_is_refused(client, configured, events, clock):
    old = clock() - timedelta(minutes=5, seconds=1)
    answer = post_event(client, clock, {"ticket": "17"}, at=old)
    assert answer.status_code == 401 and problem_code(answer) == "stale_created"
    recent = clock() - timedelta(minutes=5)
    assert post_event(client, clock, {"ticket": "17"}, at=recent, webhook_id="msg_2").status_code == 200


def test_events_for_another_system_or_without_a_secret_are_not_found(app, client, configured, events, clock):
    data, headers = signed_event(clock, {"ticket": "17"})
    answer = client.post("/api/v1/helpdesk/zendesk/events", data=data, headers=headers, content_type="application/json")
    assert answer.status_code == 404 and problem_code(answer) == "not_found"
    app.config["HELPDESK_INBOUND_SECRET"] = ""
    answer = client.post(EVENTS, data=data, headers=headers, content_type="application/json")
    assert answer.status_code == 404 and problem_code(answer) == "not_found"


def test_an_event_must_name_a_ticket(client, configured, events, clock):
    assert problem_code(post_event(client, clock, {"id": 17})) == "malformed_request"
    assert problem_code(post_event(client, clock, {"ticket": True}, webhook_id="msg_2")) == "malformed_request"


def test_a_plain_text_secret_signs_with_its_bytes(app, client, configured, clock):
    app.config["HELPDESK_INBOUND_SECRET"] = "plain-secret-of-the-hub"
    secret = "whsec_" + base64.b64encode(b"plain-secret-of-the-hub").decode()
    assert post_event(client, clock, {"ticket": "17"}, secret=secret).status_code == 200


def test_replayed_ids_are_kept_for_twice_the_window_only(app, client, configured, events, clock):
    assert post_event(client, clock, {"ticket": "17"}, webhook_id="msg_old").status_code == 200
    clock.advance(minutes=11)
    assert post_event(client, clock, {"ticket": "17"}, webhook_id="msg_new").status_code == 200
    with connected(app):
        assert [e.webhook_id for e in HelpdeskEvent.select()] == ["msg_new"]


# --- the ticket in the cases API, the ticket channel's figures ---------------------------------------


def test_the_cases_api_shows_the_ticket(app, client, people, berlin_case, rt):
    token = sign_in_as(client, people["mia"])
    assert client.get(f"/api/v1/cases/{berlin_case}").get_json()["ticket"] is None
    assert client.post(f"/cases/{berlin_case}/helpdesk", data={"csrf_token": token}).status_code == 302
    queued = client.get(f"/api/v1/cases/{berlin_case}").get_json()["ticket"]
    assert (queued["system"], queued["number"], queued["state"], queued["url"]) == ("rt", None, "queued", None)
    deliver(app)
    [ticket] = rt.tickets(rt.queue)
    shown = client.get(f"/api/v1/cases/{berlin_case}").get_json()["ticket"]
    assert shown == {
        "system": "rt",
        "number": ticket["id"],
        "state": "new",
        "url": f"{rt.url}/Ticket/Display.html?id={ticket['id']}",
        "handed_at": "2026-11-23T09:00:00Z",
    }
    listed = {c["id"]: c["ticket"] for c in client.get("/api/v1/cases?state=all").get_json()["cases"]}
    assert listed[berlin_case] == shown
    assert all(ticket is None for case, ticket in listed.items() if case != berlin_case)


def test_the_ticket_channel_has_its_outbox_figures_before_its_first_message(app):
    app.config["METRICS_TOKEN"] = "scrape-token"
    text = app.test_client().get("/metrics", headers={"Authorization": "Bearer scrape-token"}).get_data(as_text=True)
    for name in ("waiting_messages", "oldest_due_age_seconds", "failed_messages", "delivery_failures_total"):
        assert f'voxloop_outbox_{name}{{channel="ticket"}} 0.0' in text


# --- RT itself calls the hub: the scrip of docs/helpdesk.md ----------------------------------------

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "helpdesk.md"

ADD_SCRIP = """
use strict; use warnings;
use lib '{lib}';
use RT; RT::LoadConfig(); RT::Init();
my $queue = RT::Queue->new(RT->SystemUser);
$queue->Load('{queue}') or die "no queue {queue}";
my $scrip = RT::Scrip->new(RT->SystemUser);
my ($ok, $msg) = $scrip->Create(
    Queue => $queue->Id, Description => 'voxloop event', ScripCondition => 'On Transaction',
    ScripAction => 'User Defined', Template => 'Blank', Stage => 'TransactionBatch',
    CustomPrepareCode => 'return 1;', CustomCommitCode => $ENV{{VOXLOOP_SCRIP}},
);
die "scrip: $msg" unless $ok;
"""


def guide_scrip(url: str, secret: str, timestamp: int) -> str:
    """The guide's scrip code, its two settings written in, and signing at the hub's time (RT's
    own clock is the machine's; the hub's in the tests is the test's)."""
    [code] = [block for block in re.findall(r"```perl\n(.*?)```", GUIDE.read_text(), re.S) if "hmac_sha256" in block]
    code = code.replace("RT->Config->Get('VoxloopEventURL')", repr(url))
    code = code.replace("RT->Config->Get('VoxloopEventSecret')", repr(secret))
    assert "my $timestamp = time;" in code
    return code.replace("my $timestamp = time;", f"my $timestamp = {timestamp};")


def test_rt_calls_the_hub_through_the_guides_scrip_and_the_case_follows(
    app, client, people, berlin_case, rt, events, clock, served
):
    ticket_id = made_ticket(app, client, people, berlin_case)
    code = guide_scrip(served + EVENTS, INBOUND_SECRET, int(clock().timestamp()))
    script = ADD_SCRIP.format(lib=RT_LIB, queue=rt.queue)
    done = subprocess.run(
        ["perl", "-e", script], env={**rt.env, "VOXLOOP_SCRIP": code}, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")

    rt.take(ticket_id)  # RT runs the scrip, which posts the signed event; the hub reads RT back
    deadline = time.monotonic() + 20
    while case_state(app, berlin_case) == "open" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert case_state(app, berlin_case) == "acknowledged", rt.log_tail()
    assert ticket_row(app, berlin_case).state == "open"
    with connected(app):
        assert HelpdeskCursor.select().count() == 0  # no poll ran
        assert HelpdeskEvent.select().count() >= 1
