"""Signing in to the hub: sessions, CSRF, throttling, and what each role sees."""

from __future__ import annotations

import re

import pytest

from hub.models import Region, Store, User, UserRegion, UserStore
from hub.services import catalog
from tests.hub.conftest import PASSWORD, connected


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, email: str, password: str = PASSWORD, next_page: str | None = None):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    data = {"email": email, "password": password, "csrf_token": token}
    if next_page is not None:
        data["next"] = next_page
    return client.post("/login", data=data)


def person(email: str, name: str, role: str, password_hash: str, clock, active: bool = True) -> User:
    return User.create(
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
        active=active,
        created_at=clock().replace(tzinfo=None),
    )


@pytest.fixture
def people(app, clock, store, other_store, password_hash):
    """A store manager of B001, a regional manager of region North (B001 only), an analyst."""
    with connected(app):
        region = Region.create(name="North")
        Store.update(region=region).where(Store.code == "B001").execute()
        manager = person("manager@example.org", "Mia Manager", "store_manager", password_hash, clock)
        UserStore.create(user=manager, store=store)
        regional = person("regional@example.org", "Rolf Regional", "regional_manager", password_hash, clock)
        UserRegion.create(user=regional, region=region)
        person("analyst@example.org", "Ana Analyst", "hq_analyst", password_hash, clock)
        catalog.add_store("M003", "München", time_zone="Europe/Berlin", now=clock())
        inactive = person("gone@example.org", "Gone", "store_manager", password_hash, clock, active=False)
        UserStore.create(user=inactive, store=store)
    return {"manager": manager, "regional": regional}


def test_the_sign_in_page_carries_a_csrf_token(client):
    page = client.get("/login").get_data(as_text=True)
    assert len(csrf_of(page)) >= 32


def test_a_form_post_without_the_csrf_token_is_refused(client, people):
    answer = client.post("/login", data={"email": "manager@example.org", "password": PASSWORD})
    assert answer.status_code == 403
    assert "could not be verified" in answer.get_data(as_text=True)


def test_right_credentials_start_a_session_with_safe_cookie_flags(client, people):
    answer = sign_in(client, "manager@example.org")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sign_in_starts_a_fresh_session(client, people):
    before = csrf_of(client.get("/login").get_data(as_text=True))
    sign_in(client, "manager@example.org")
    after = csrf_of(client.get("/").get_data(as_text=True))
    assert before != after


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, people):
    wrong = sign_in(client, "manager@example.org", "not the password")
    unknown = sign_in(client, "nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    message = "The email address or the password is not right."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_a_deactivated_user_cannot_sign_in(client, people):
    assert sign_in(client, "gone@example.org").status_code == 401


def test_after_five_failures_even_the_right_password_waits(client, people):
    for _ in range(5):
        assert sign_in(client, "manager@example.org", "guess").status_code == 401
    answer = sign_in(client, "manager@example.org")
    assert answer.status_code == 429
    assert "too many failed sign-ins" in answer.get_data(as_text=True)


def test_failures_expire_after_the_window(client, clock, people):
    for _ in range(5):
        sign_in(client, "manager@example.org", "guess")
    clock.advance(minutes=16)
    assert sign_in(client, "manager@example.org").status_code == 302


def test_next_goes_back_to_a_page_of_this_hub_but_never_to_another_site(client, people):
    assert sign_in(client, "manager@example.org", next_page="/healthz").headers["Location"] == "/healthz"
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").get_data(as_text=True))})
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        location = sign_in(client, "manager@example.org", next_page=evil).headers["Location"]
        assert location == "/"
        client.post("/logout", data={"csrf_token": csrf_of(client.get("/").get_data(as_text=True))})


def test_sign_out_needs_the_csrf_token_and_ends_the_session(client, people):
    sign_in(client, "manager@example.org")
    assert client.post("/logout").status_code == 403
    assert "Mia Manager" in client.get("/").get_data(as_text=True)
    token = csrf_of(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "Mia Manager" not in client.get("/").get_data(as_text=True)


def stores_listed(client) -> set[str]:
    """The stores of the start page's "my stores today" table."""
    page = client.get("/").get_data(as_text=True)
    return set(re.findall(r'<tr data-code="([A-Z0-9]+)">', page))


def test_a_store_manager_sees_only_their_store(client, people):
    sign_in(client, "manager@example.org")
    assert stores_listed(client) == {"B001"}


def test_a_regional_manager_sees_the_stores_of_their_region(client, people):
    sign_in(client, "regional@example.org")
    assert stores_listed(client) == {"B001"}


def test_hq_sees_every_store(client, people):
    sign_in(client, "analyst@example.org")
    assert stores_listed(client) == {"B001", "H002", "M003"}


def test_a_store_manager_without_stores_sees_none(app, client, clock, people):
    with connected(app):
        UserStore.delete().where(UserStore.user == people["manager"].id).execute()
    sign_in(client, "manager@example.org")
    assert stores_listed(client) == set()
    assert "No store is assigned to you yet" in client.get("/").get_data(as_text=True)
