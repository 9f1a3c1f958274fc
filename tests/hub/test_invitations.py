"""Invitations after a visit or contact: asked through POST /api/v1/invitations, sent by the
invitations job through the outbox to a real SMTP server (aiosmtpd) at their time, the link
answered once in a real browser (Debian's Chromium), one reminder at most and never after an
answer or an unsubscribe, the one-click unsubscribe of RFC 8058 and its page, the interval
rule, the address forgotten after sending; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.models import Invitation, InvitationSuppression, OutboxMessage
from tests.hub.conftest import assert_problem, connected, rows
from tests.hub.invitation_steps import ask, deliver, link_of, post, run_job, stored
from tests.hub.test_api_tokens import make
from tests.support.browser import chromium

ADDRESS = "eva@example.org"


@pytest.fixture
def token(app, clock, people):
    return make(app, clock, people["mia"], "invitations:write")


@pytest.fixture
def sent(app, client, clock, token, inbox):
    """An invitation asked for an hour ahead, sent at its time and delivered: (its id, the email)."""
    made = post(client, token, ask(clock, "R-1"))
    assert made.status_code == 201, made.get_json()
    clock.advance(hours=1)
    assert len(run_job(app).queued) == 1
    assert len(deliver(app).sent) == 1
    [email] = inbox.wait_for(1)
    return made.get_json()["id"], email


def _everything_kept(app) -> str:
    """Every value of every row the invitations left, as text."""
    found = rows(app, "SELECT * FROM invitation") + rows(app, "SELECT * FROM invitation_suppression")
    found += rows(app, "SELECT recipient, payload, last_error FROM outbox_message")
    return repr(found)


def test_an_invitation_waits_for_its_time_and_goes_out_once(app, client, clock, token, inbox):
    made = post(client, token, ask(clock, "R-1"))
    assert made.status_code == 201
    assert made.get_json()["state"] == "scheduled"
    assert run_job(app).queued == []  # not yet its time
    clock.advance(hours=1)
    assert len(run_job(app).queued) == 1
    assert run_job(app).queued == []  # once
    deliver(app)
    [email] = inbox.wait_for(1)
    assert email["To"] == ADDRESS
    assert email["Subject"] == "Your feedback to Berlin Mitte"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["List-Unsubscribe"].startswith("<") and "/unsubscribe/" in email["List-Unsubscribe"]
    assert "/invite/" in link_of(email)


def test_a_retried_request_invites_nobody_twice(app, client, clock, token, inbox):
    first = post(client, token, ask(clock, "R-7"))
    again = post(client, token, ask(clock, "R-7"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == {**first.get_json(), "created": False}
    clock.advance(hours=1)
    run_job(app)
    deliver(app)
    assert len(inbox.wait_for(1)) == 1
    with connected(app):
        assert Invitation.select().count() == 1


def test_the_email_is_in_the_customers_language(app, client, clock, token, inbox):
    post(client, token, ask(clock, "R-2", language="de"))
    clock.advance(hours=1)
    run_job(app)
    deliver(app)
    [email] = inbox.wait_for(1)
    assert email["Subject"] == "Ihr Feedback an Berlin Mitte"
    assert "Besuch" in email.get_body(preferencelist=("plain",)).get_content()


def test_the_link_is_answered_once_in_a_browser_and_no_reminder_follows(app, clock, sent, served, database_url):
    public_id, email = sent
    link = link_of(email).replace(app.config["PUBLIC_URL"].rstrip("/"), served)
    with chromium() as browser:
        page = browser.new_page()
        assert page.goto(link).status == 200  # the redirect followed to the phone page
        assert "/m/" in page.url
        button = lambda name: page.get_by_role("button", name=name, exact=True)  # noqa: E731
        button("Very good").click()
        button("Friendliness").click()
        button("Send").click()
        button("10").click()
        page.get_by_label("Your message").fill("Quick and friendly")
        button("Send").click()
        button("No, thanks").click()
        page.locator("#m-thanks").wait_for()
        page.get_by_text("Sent ✓").wait_for()
        again = page.goto(link)  # the second answer is refused like a used receipt
        assert again.status == 410
    answered = rows(app, "SELECT receipt FROM phone_receipt")
    assert answered == [(f"inv:{public_id}",)]
    assert stored(app, public_id).opened_at is not None

    clock.advance(hours=73)
    assert run_job(app).reminded == []
    assert deliver(app).sent == []
    assert stored(app, public_id).address_sealed is None  # forgotten: nothing more goes to it


def test_one_reminder_at_most_then_the_address_is_forgotten(app, client, clock, sent, inbox):
    public_id, _ = sent
    assert stored(app, public_id).address_sealed is not None  # the reminder still needs it
    clock.advance(hours=72)
    assert len(run_job(app).reminded) == 1
    deliver(app)
    reminder = inbox.wait_for(2)[1]
    assert reminder["Subject"] == "Reminder: your feedback to Berlin Mitte"
    clock.advance(hours=72)
    assert run_job(app).reminded == []
    assert stored(app, public_id).address_sealed is None
    assert ADDRESS not in _everything_kept(app)


def test_a_reminder_queued_before_the_answer_is_withdrawn(app, client, clock, sent, inbox):
    public_id, _ = sent
    clock.advance(hours=72)
    assert len(run_job(app).reminded) == 1
    with connected(app):  # the customer answers before the reminder goes out
        from hub.models import PhoneReceipt, Response

        invitation = Invitation.get(Invitation.public_id == public_id)
        response_id = _a_response(app, clock)
        PhoneReceipt.create(
            store=invitation.store_id, receipt=f"inv:{public_id}", response=response_id, claimed_at=clock()
        )
        assert Response.get_by_id(response_id)
    run = deliver(app)
    assert run.sent == [] and len(run.withdrawn) == 1
    assert len(inbox.messages) == 1


def _a_response(app, clock) -> str:
    from hub.models import Response, Store, Survey, Touchpoint
    from shared.ids import uuid7

    store = Store.get(Store.code == "B001")
    survey = Survey.select().first()
    response_id = uuid7(clock(), b"0123456789")
    Response.create(
        id=response_id,
        store=store,
        touchpoint=Touchpoint.get(Touchpoint.store == store),
        channel="qr",
        survey=survey,
        survey_version=survey.current_version,
        captured_at=clock(),
        received_at=clock(),
        local_day=clock().date(),
        locale="en",
        flags="",
        content_hash="x",
    )
    return response_id


def test_one_click_unsubscribe_stops_the_reminder_and_every_later_invitation(app, client, clock, token, sent, inbox):
    public_id, email = sent
    url = email["List-Unsubscribe"].strip("<>")
    path = url[url.index("/unsubscribe/") :]
    answer = client.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )  # as a mail provider sends it: no session, no CSRF token
    assert answer.status_code == 200
    assert client.post(path, data="List-Unsubscribe=One-Click").status_code == 200  # again: nothing changes
    with connected(app):
        [suppressed] = list(InvitationSuppression.select())
    assert suppressed.address_hash != ADDRESS and len(suppressed.address_hash) == 64
    assert stored(app, public_id).state == "unsubscribed"

    clock.advance(hours=72)
    assert run_job(app).reminded == []
    later = post(client, token, ask(clock, "R-99", address=" EVA@example.org "))
    assert later.get_json()["state"] == "suppressed"
    clock.advance(days=40)
    assert run_job(app).queued == []
    deliver(app)
    assert len(inbox.messages) == 1
    assert ADDRESS not in _everything_kept(app)


def test_the_unsubscribe_page_asks_first_and_then_unsubscribes(app, client, clock, token, sent, inbox):
    public_id, email = sent
    path = link_of(email, "unsubscribe")
    path = path[path.index("/unsubscribe/") :]
    page = client.get(path)
    assert page.status_code == 200 and 'id="unsubscribe"' in page.get_data(as_text=True)
    assert stored(app, public_id).state == "sent"  # a GET (a mail scanner's) changes nothing
    done = client.post(path)
    assert done.status_code == 200 and 'id="unsubscribed"' in done.get_data(as_text=True)
    assert stored(app, public_id).state == "unsubscribed"
    assert client.get(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code in (400, 404)


def test_nobody_is_invited_again_within_the_interval(app, client, clock, token, sent, inbox):
    within = post(client, token, ask(clock, "R-2"))
    assert within.get_json()["state"] == "skipped" and within.get_json()["reason"] == "interval"
    clock.advance(days=31)
    after = post(client, token, ask(clock, "R-3"))
    assert after.get_json()["state"] == "scheduled"
    clock.advance(hours=1)
    assert len(run_job(app).queued) == 1


def test_two_planned_invitations_to_one_person_send_one(app, client, clock, token, inbox):
    post(client, token, ask(clock, "R-1", send_after=None) | {"send_after": _in(clock, hours=1)})
    second = post(client, token, ask(clock, "R-2") | {"send_after": _in(clock, days=3)})
    assert second.get_json()["state"] == "skipped"


def _in(clock, **delta) -> str:
    from shared.protocol import format_time

    return format_time(clock() + timedelta(**delta))


def test_a_bad_request_makes_nothing_and_names_every_field(app, client, clock, token):
    answer = post(client, token, ask(clock, "R 1", address="not-an-address", language="fr", store="H002"))
    problem = assert_problem(answer, 422, "invalid_invitations")
    codes = sorted(e["code"] for e in problem["errors"])
    assert codes == ["bad_locale", "wrong_store", "wrong_type", "wrong_type"]
    assert assert_problem(post(client, token, {**ask(clock, "R-1"), "extra": "x"}), 400, "malformed_request")
    with connected(app):
        assert Invitation.select().count() == 0
        assert OutboxMessage.select().count() == 0


def test_an_invitation_needs_the_scope_and_a_writer(app, client, clock, people):
    reader = make(app, clock, people["mia"], "analytics:read")
    assert_problem(post(client, reader, ask(clock, "R-1")), 403, "insufficient_scope")


def test_response_rates_per_store_and_channel_are_scoped(app, client, clock, people, token, sent, inbox):
    from tests.hub.alerting import sign_in_as

    _public_id, email = sent
    other = make(app, clock, people["hans"], "invitations:write")
    post(client, other, ask(clock, "H-1", store="H002", address="otto@example.org"))
    client.get(link_of(email)[link_of(email).index("/invite/") :])  # opened
    sign_in_as(client, people["mia"])
    page = client.get("/dashboard/invitations?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert 'data-store="B001" data-channel="email"' in page and 'data-store="H002"' not in page
    row = page[page.index('data-store="B001"') :]
    for name, value in (("invited", 1), ("sent", 1), ("opened", 1), ("answered", 0)):
        assert f'<td class="{name}">{value}</td>' in row
    sign_in_as(client, people["admin"])
    table = client.get("/dashboard/invitations.csv?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert table.splitlines()[1:] == ["B001,email,1,1,1,0", "H002,email,1,0,0,0"]


def test_the_answers_are_the_ones_the_openapi_document_describes(app, client, clock, token):
    from tests.hub.test_openapi import check_answer

    doc = client.get("/api/v1/openapi.json").get_json()
    for body, status in ((ask(clock, "R-1"), 201), (ask(clock, "R-1"), 200), (ask(clock, "R 2"), 422)):
        answer = post(client, token, body)
        assert answer.status_code == status
        check_answer(doc, "POST", "/api/v1/invitations", answer)
    skipped = post(client, token, ask(clock, "R-3"))
    assert skipped.get_json()["state"] == "skipped"
    check_answer(doc, "POST", "/api/v1/invitations", skipped)


def test_retention_blanks_an_address_left_behind_and_later_its_hash(app, client, clock, token):
    from hub.services.retention import RetentionPeriods, apply_retention

    made = post(client, token, ask(clock, "R-1")).get_json()
    clock.advance(hours=1)
    run_job(app)  # queued, but never delivered (no SMTP server): the job keeps the address
    periods = RetentionPeriods.from_config(app.config)
    clock.advance(days=13)
    with connected(app):
        assert apply_retention(clock(), periods).counts["invitation_addresses"] == 0
    clock.advance(days=2)
    with connected(app):
        counts = apply_retention(clock(), periods).counts
    assert counts["invitation_addresses"] == 1 and counts["invitation_address_hashes"] == 0
    assert stored(app, made["id"]).address_sealed is None and stored(app, made["id"]).address_hash is not None
    clock.advance(days=16)
    with connected(app):
        assert apply_retention(clock(), periods).counts["invitation_address_hashes"] == 1
    assert stored(app, made["id"]).address_hash is None


def test_a_person_unsubscribes_on_the_page_in_a_browser_in_their_language(app, client, clock, token, inbox, served):
    post(client, token, ask(clock, "R-1", language="de"))
    clock.advance(hours=1)
    run_job(app)
    deliver(app)
    [email] = inbox.wait_for(1)
    link = link_of(email, "unsubscribe")
    with chromium() as browser:
        page = browser.new_page()
        assert page.goto(served + link[link.index("/unsubscribe/") :]).status == 200
        page.get_by_role("button", name="Schicken Sie mir keine Einladungen mehr").click()
        page.locator("#unsubscribed").wait_for()
        assert page.locator("#unsubscribed").inner_text() == "Sie erhalten keine Einladungen mehr"
    with connected(app):
        assert [i.state for i in Invitation.select()] == ["unsubscribed"]
        assert InvitationSuppression.select().count() == 1
