"""Changing one's own password on /account: the current one required, the form's CSRF token
checked, every other session ended, this one kept."""

from __future__ import annotations

from hub.models import User
from hub.services import passwords
from tests.hub import test_sign_in
from tests.hub.conftest import PASSWORD, connected
from tests.hub.test_sign_in import csrf_of, sign_in

people = test_sign_in.people  # the store manager and others of the sign-in specification
NEW = "a new and longer password"


def signed_in_browser(app):
    browser = app.test_client()
    assert sign_in(browser, "manager@example.org").status_code == 302
    return browser


def change(browser, current: str = PASSWORD, new: str = NEW, repeat: str | None = None, csrf: bool = True):
    data = {"current_password": current, "new_password": new, "repeat_password": new if repeat is None else repeat}
    if csrf:
        data["csrf_token"] = csrf_of(browser.get("/account").get_data(as_text=True))
    return browser.post("/account/password", data=data, follow_redirects=True)


def stored_hash(app) -> str:
    with connected(app):
        return User.get(User.email == "manager@example.org").password_hash


def test_the_account_page_offers_the_password_form(app, people):
    page = signed_in_browser(app).get("/account").get_data(as_text=True)

    assert 'name="current_password"' in page
    assert 'action="/account/password"' in page


def test_a_new_password_with_the_current_one_is_stored(app, people):
    answer = change(signed_in_browser(app))

    assert "Your password is changed" in answer.get_data(as_text=True)
    assert passwords.verify_password(NEW, stored_hash(app))
    assert sign_in(app.test_client(), "manager@example.org", NEW).status_code == 302


def test_this_device_stays_signed_in_and_every_other_is_signed_out(app, people):
    laptop, phone = signed_in_browser(app), signed_in_browser(app)

    change(laptop)

    assert "Mia Manager" in laptop.get("/").get_data(as_text=True)
    assert "Mia Manager" not in phone.get("/").get_data(as_text=True)


def test_a_wrong_current_password_changes_nothing(app, people):
    browser = signed_in_browser(app)
    before = stored_hash(app)

    answer = change(browser, current="not the password")

    assert "Your current password is not right." in answer.get_data(as_text=True)
    assert stored_hash(app) == before


def test_guessing_the_current_password_is_throttled_like_a_sign_in(app, people):
    browser = signed_in_browser(app)
    for _ in range(5):
        change(browser, current="guess")

    answer = change(browser)

    assert "Too many failed sign-ins" in answer.get_data(as_text=True)
    assert not passwords.verify_password(NEW, stored_hash(app))


def test_two_different_new_passwords_or_a_short_one_change_nothing(app, people):
    browser, before = signed_in_browser(app), stored_hash(app)

    assert "differ" in change(browser, repeat="something else entirely").get_data(as_text=True)
    assert "12 characters" in change(browser, new="short").get_data(as_text=True)
    assert stored_hash(app) == before


def test_the_form_without_its_csrf_token_is_refused(app, people):
    browser, before = signed_in_browser(app), stored_hash(app)

    assert change(browser, csrf=False).status_code == 403
    assert stored_hash(app) == before


def test_strangers_are_sent_to_sign_in(client, people):
    answer = client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW})

    assert answer.status_code in (302, 403)
