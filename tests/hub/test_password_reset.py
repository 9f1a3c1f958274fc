"""Passwords reset by email: the same answer for every address, a link mailed through the
outbox to a real SMTP server that works once and only for a while, its token kept hashed,
requests rate-limited per person and per client."""

from __future__ import annotations

import hashlib
import re

from hub.models import OutboxMessage, PasswordReset
from tests.hub import test_sign_in
from tests.hub.alerting import deliver
from tests.hub.conftest import connected, rows
from tests.hub.test_sign_in import csrf_of, sign_in
from tests.support.mail import html_of, text_of

people = test_sign_in.people  # the store manager and others of the sign-in specification
NEW = "a brand new password"
SENT = "If an account has this email address, a link to set a new password is on its way to it."


def ask(client, email: str = "manager@example.org", address: str = "198.51.100.20", language: str = "en"):
    environ = {"REMOTE_ADDR": address}
    token = csrf_of(client.get("/password-reset", environ_base=environ).get_data(as_text=True))
    return client.post(
        "/password-reset",
        data={"email": email, "csrf_token": token},
        environ_base=environ,
        headers={"Accept-Language": language},
    )


def mailed_link(app, inbox, count: int = 1) -> str:
    deliver(app)
    message = inbox.wait_for(count)[-1]
    return re.search(r"http://\S+/password-reset/\S+", text_of(message))[0]


def set_new(client, link: str, password: str = NEW, repeat: str | None = None):
    path = link.split("://", 1)[1].partition("/")[2]
    token = csrf_of(client.get("/" + path).get_data(as_text=True))
    data = {"password": password, "repeat_password": password if repeat is None else repeat, "csrf_token": token}
    return client.post("/" + path, data=data)


def test_the_sign_in_page_offers_the_way_back(client):
    assert 'href="/password-reset"' in client.get("/login").get_data(as_text=True)


def test_a_known_and_an_unknown_address_get_the_same_answer(client, people):
    known, unknown = ask(client), ask(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 200
    assert SENT in known.get_data(as_text=True)
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)


def test_only_a_known_address_gets_an_email(app, client, inbox, people):
    ask(client, "nobody@example.org")
    ask(client, "gone@example.org")  # switched off
    ask(client)

    deliver(app)

    assert [m["To"] for m in inbox.wait_for(1)] == ["manager@example.org"]


def test_the_link_sets_a_new_password_and_ends_every_session(app, client, inbox, people):
    elsewhere = app.test_client()
    sign_in(elsewhere, "manager@example.org")
    ask(client)

    answer = set_new(client, mailed_link(app, inbox))

    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")
    assert sign_in(app.test_client(), "manager@example.org", NEW).status_code == 302
    assert "Mia Manager" not in elsewhere.get("/").get_data(as_text=True)


def test_a_link_works_once(app, client, inbox, people):
    ask(client)
    link = mailed_link(app, inbox)
    set_new(client, link)

    answer = set_new(client, link, "yet another password")

    assert answer.status_code == 400
    assert "does not work any more" in answer.get_data(as_text=True)
    assert sign_in(app.test_client(), "manager@example.org", NEW).status_code == 302


def test_a_link_expires_after_thirty_minutes(app, client, clock, inbox, people):
    ask(client)
    link = mailed_link(app, inbox)

    clock.advance(minutes=30, seconds=1)

    assert set_new(client, link).status_code == 400
    assert sign_in(app.test_client(), "manager@example.org", NEW).status_code == 401


def test_a_new_password_through_one_link_ends_the_others(app, client, inbox, people):
    ask(client)
    first = mailed_link(app, inbox)
    ask(client)
    second = mailed_link(app, inbox, count=2)

    set_new(client, second)

    assert set_new(client, first, "yet another password").status_code == 400


def test_a_short_or_mistyped_password_leaves_the_link_working(app, client, inbox, people):
    ask(client)
    link = mailed_link(app, inbox)

    assert set_new(client, link, "short").status_code == 400
    assert set_new(client, link, repeat="something else entirely").status_code == 400
    assert set_new(client, link).status_code == 302


def test_a_made_up_link_does_not_work(client, people):
    answer = client.get("/password-reset/" + "A" * 43)

    assert answer.status_code == 400
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_only_the_tokens_hash_is_stored_and_the_outbox_holds_it_sealed(app, client, inbox, people):
    ask(client)
    token = mailed_link(app, inbox).rsplit("/", 1)[1]

    with connected(app):
        assert [r.token_hash for r in PasswordReset.select().where(PasswordReset.user.is_null(False))] == [
            hashlib.sha256(token.encode()).hexdigest()
        ]
        assert all(token not in str(m.payload) for m in OutboxMessage.select())


def test_the_email_speaks_german_to_who_asked_in_german(app, client, inbox, people):
    ask(client, language="de-DE,de;q=0.9,en;q=0.5")
    deliver(app)

    message = inbox.wait_for(1)[0]
    assert message["Subject"] == "Ihr voxloop-Passwort"
    assert "Neues Passwort festlegen" in html_of(message)


def test_a_person_gets_three_links_an_hour_and_no_more(app, client, clock, inbox, people):
    for number in range(5):
        assert ask(client, address=f"198.51.100.{number}").status_code == 200
    deliver(app)
    clock.advance(minutes=61)
    ask(client)
    deliver(app)

    assert len(inbox.wait_for(4)) == 4
    assert rows(app, "SELECT COUNT(*) FROM password_reset WHERE user_id IS NOT NULL") == [(4,)]


def test_a_client_asking_too_often_waits(client, people):
    for number in range(10):
        assert ask(client, f"person{number}@example.org").status_code == 200

    assert ask(client).status_code == 429
    assert ask(client, address="198.51.100.99").status_code == 200
