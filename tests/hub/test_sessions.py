"""Sessions end: signing out, a new password, an admin's reset and switching a person off end
every session of that person at once; a session also ends when idle and when old."""

from __future__ import annotations

import pytest

from hub.models import User
from hub.services import users
from tests.hub import test_sign_in
from tests.hub.conftest import ADMIN_PASSWORD, connected
from tests.hub.test_sign_in import csrf_of, sign_in

people = test_sign_in.people  # the store manager and others of the sign-in specification


def signed_in_as_manager(app):
    browser = app.test_client()
    assert sign_in(browser, "manager@example.org").status_code == 302
    assert is_signed_in(browser)
    return browser


def is_signed_in(browser) -> bool:
    return "Mia Manager" in browser.get("/").get_data(as_text=True)


@pytest.fixture
def two_browsers(app, people):
    """The store manager signed in on two devices."""
    return signed_in_as_manager(app), signed_in_as_manager(app)


def manager(app) -> User:
    with connected(app):
        return User.get(User.email == "manager@example.org")


def test_signing_out_ends_the_sessions_on_every_device(two_browsers):
    laptop, phone = two_browsers

    laptop.post("/logout", data={"csrf_token": csrf_of(laptop.get("/").get_data(as_text=True))})

    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)


def test_a_copied_session_cookie_is_worthless_after_sign_out(app, people):
    laptop = signed_in_as_manager(app)
    stolen = app.test_client()
    cookie = laptop.get_cookie(app.config["SESSION_COOKIE_NAME"])
    stolen.set_cookie(cookie.key, cookie.value)
    assert is_signed_in(stolen)

    laptop.post("/logout", data={"csrf_token": csrf_of(laptop.get("/").get_data(as_text=True))})

    assert not is_signed_in(stolen)


def test_a_new_password_ends_every_session(app, two_browsers):
    with connected(app):
        users.set_password(manager(app), "a brand new password")

    assert not any(is_signed_in(browser) for browser in two_browsers)


def test_an_admins_reset_on_the_people_page_ends_every_session(app, two_browsers):
    admin = app.test_client()
    assert sign_in(admin, "admin@example.org", ADMIN_PASSWORD).status_code == 302
    token = csrf_of(admin.get("/").get_data(as_text=True))

    answer = admin.post(
        f"/admin/users/{manager(app).id}/password", data={"csrf_token": token, "password": "a brand new password"}
    )

    assert answer.status_code == 302
    assert not any(is_signed_in(browser) for browser in two_browsers)


def test_switching_a_person_off_ends_their_sessions_and_switching_on_does_not_revive_them(app, two_browsers):
    with connected(app):
        admin = User.get(User.email == "admin@example.org")
        person = manager(app)
        change = {"name": person.name, "role": person.role, "stores": [], "regions": [], "acting": admin}
        users.change_user(person, active=False, **change)
        users.change_user(person, active=True, **change)

    assert not any(is_signed_in(browser) for browser in two_browsers)


def test_other_peoples_sessions_stay(app, people, two_browsers):
    analyst = app.test_client()
    assert sign_in(analyst, "analyst@example.org").status_code == 302
    laptop, _ = two_browsers

    laptop.post("/logout", data={"csrf_token": csrf_of(laptop.get("/").get_data(as_text=True))})

    assert "Ana Analyst" in analyst.get("/").get_data(as_text=True)


def test_a_session_ends_after_an_hour_without_a_request(app, clock, people):
    browser = signed_in_as_manager(app)

    clock.advance(minutes=61)

    assert not is_signed_in(browser)


def test_each_request_moves_the_idle_time_on(app, clock, people):
    browser = signed_in_as_manager(app)

    for _ in range(3):
        clock.advance(minutes=50)
        assert is_signed_in(browser)


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(app, clock, people):
    browser = signed_in_as_manager(app)
    for _ in range(23):
        clock.advance(minutes=30)
        assert is_signed_in(browser)

    clock.advance(minutes=31)

    assert not is_signed_in(browser)


def test_signing_in_again_after_a_session_ended_works(app, clock, people):
    browser = signed_in_as_manager(app)
    clock.advance(minutes=61)

    assert sign_in(browser, "manager@example.org").status_code == 302
    assert is_signed_in(browser)
