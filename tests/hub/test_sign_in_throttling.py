"""Sign-in throttling that cannot be aimed at someone: failures count per email and client
address together and per client address alone, and slow the guesser down without locking
the person out."""

from __future__ import annotations

import re

from tests.hub import test_sign_in
from tests.hub.conftest import PASSWORD
from tests.hub.test_sign_in import csrf_of

GUESSER, OWNER = "203.0.113.66", "198.51.100.20"

people = test_sign_in.people  # the store manager and others of the sign-in specification


def attempt(client, address: str, email: str = "manager@example.org", password: str = PASSWORD):
    environ = {"REMOTE_ADDR": address}
    token = csrf_of(client.get("/login", environ_base=environ).get_data(as_text=True))
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", data=data, environ_base=environ)


def test_a_guesser_elsewhere_cannot_lock_the_person_out(app, people):
    guesser = app.test_client()
    for _ in range(30):
        attempt(guesser, GUESSER, password="guess")

    assert attempt(app.test_client(), OWNER).status_code == 302


def test_after_five_failures_the_same_client_waits_a_second_then_may_try_again(client, clock, people):
    for _ in range(5):
        assert attempt(client, GUESSER, password="guess").status_code == 401

    answer = attempt(client, GUESSER)
    assert answer.status_code == 429
    assert "try again in 1 seconds" in answer.get_data(as_text=True)

    clock.advance(seconds=1)
    assert attempt(client, GUESSER).status_code == 302


def test_each_further_failure_doubles_the_wait(client, clock, people):
    for _ in range(5):
        attempt(client, GUESSER, password="guess")
    waits = []
    for _ in range(4):
        clock.advance(seconds=2 ** len(waits))
        assert attempt(client, GUESSER, password="guess").status_code == 401
        waits.append(int(re.search(r"try again in (\d+) seconds", attempt(client, GUESSER).get_data(as_text=True))[1]))

    assert waits == [2, 4, 8, 16]


def test_the_wait_never_exceeds_the_window(client, clock, people):
    for _ in range(5):
        attempt(client, GUESSER, password="guess")
    for _ in range(15):
        clock.advance(minutes=15)
        attempt(client, GUESSER, password="guess")

    clock.advance(minutes=15, seconds=1)

    assert attempt(client, GUESSER).status_code == 302


def test_one_client_trying_many_people_waits_after_twenty_failures(app, client, people):
    for number in range(20):
        assert attempt(client, GUESSER, email=f"person{number}@example.org").status_code == 401

    assert attempt(client, GUESSER).status_code == 429
    assert attempt(app.test_client(), OWNER).status_code == 302
