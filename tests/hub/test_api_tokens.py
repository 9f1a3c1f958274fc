"""API tokens for machines: made on /account or by the command line, shown once, kept as a
hash, scoped (analytics:read, cases:read, cases:write) and within the person's stores, sent as
``Authorization: Bearer`` without a CSRF token, revocable, with their last use recorded."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from hub.models import ApiToken, Case, User
from hub.services import api_tokens
from shared.errors import NotFound, VoxloopError
from tests.hub.alerting import newest_case_after_bad_rating, sign_in_as
from tests.hub.conftest import assert_problem, connected
from tests.hub.test_openapi import check_answer


def make(app, clock, person: User, *scopes: str, name: str = "Power BI") -> str:
    with connected(app):
        return api_tokens.make_token(person, name, list(scopes), now=clock())[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def stored(app, token_id: int | None = None) -> ApiToken:
    with connected(app):
        query = ApiToken.select().order_by(ApiToken.id.desc())
        return query.where(ApiToken.id == token_id).get() if token_id else query.get()


@pytest.fixture
def berlin_case(app, people, terminal) -> int:
    return newest_case_after_bad_rating(app, terminal, "Niemand an der Kasse")


@pytest.fixture
def hamburg_case(app, people, other_terminal) -> int:
    return newest_case_after_bad_rating(app, other_terminal, "Hamburg")


@pytest.fixture
def doc(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


# --- made, kept, shown ------------------------------------------------------------------------


def test_a_token_is_kept_only_as_its_sha256_with_its_prefix(app, clock, people):
    token = make(app, clock, people["ana"], "analytics:read")
    row = stored(app)

    assert re.fullmatch(r"vxl_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", token)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(row.prefix + "_")
    assert token not in {row.name, row.prefix, row.scopes, row.token_hash}


def test_a_token_needs_a_name_and_known_scopes(app, clock, people):
    with connected(app), pytest.raises(VoxloopError) as no_name:
        api_tokens.make_token(people["ana"], "  ", ["analytics:read"], now=clock())
    with connected(app), pytest.raises(VoxloopError) as unknown:
        api_tokens.make_token(people["ana"], "BI", ["everything"], now=clock())
    with connected(app), pytest.raises(VoxloopError) as none:
        api_tokens.make_token(people["ana"], "BI", [], now=clock())

    assert {no_name.value.code, unknown.value.code, none.value.code} == {"bad_token_request"}


def test_an_hq_analyst_cannot_make_a_token_that_works_cases(app, clock, people):
    with connected(app), pytest.raises(VoxloopError) as refused:
        api_tokens.make_token(people["ana"], "BI", ["cases:write"], now=clock())
    assert "cases:write" in refused.value.detail


# --- bearer requests ---------------------------------------------------------------------------


def test_a_token_with_analytics_read_loads_the_analytics_api_without_a_session(app, clock, client, people, doc):
    token = make(app, clock, people["ana"], "analytics:read")
    answer = client.get("/api/v1/analytics/overview", headers=bearer(token))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    check_answer(doc, "GET", "/api/v1/analytics/overview", answer)
    assert "Set-Cookie" not in answer.headers


def test_a_token_without_the_scope_of_a_route_is_refused(app, clock, client, people, berlin_case):
    token = make(app, clock, people["mia"], "cases:read")

    assert_problem(client.get("/api/v1/analytics/overview", headers=bearer(token)), 403, "insufficient_scope")
    assert_problem(client.get("/api/v1/analytics/signals", headers=bearer(token)), 403, "insufficient_scope")
    assert_problem(
        client.post(f"/api/v1/cases/{berlin_case}/acknowledge", headers=bearer(token)), 403, "insufficient_scope"
    )


def test_a_token_with_analytics_read_cannot_read_cases(app, clock, client, people, berlin_case):
    token = make(app, clock, people["mia"], "analytics:read")
    assert_problem(client.get("/api/v1/cases", headers=bearer(token)), 403, "insufficient_scope")


def test_a_token_with_cases_write_works_a_case_without_a_csrf_token(app, clock, client, people, berlin_case, doc):
    token = make(app, clock, people["mia"], "cases:read", "cases:write")
    answer = client.post(f"/api/v1/cases/{berlin_case}/acknowledge", headers=bearer(token))

    assert answer.status_code == 200, answer.get_data(as_text=True)
    check_answer(doc, "POST", "/api/v1/cases/{case_id}/acknowledge", answer)
    with connected(app):
        assert Case.get_by_id(berlin_case).state == "acknowledged"


def test_a_session_still_needs_its_csrf_token_to_write(client, people, berlin_case):
    sign_in_as(client, people["mia"])
    assert_problem(client.post(f"/api/v1/cases/{berlin_case}/acknowledge"), 403, "csrf_failed")


def test_a_token_sees_only_the_stores_of_its_person(app, clock, client, people, berlin_case, hamburg_case):
    token = make(app, clock, people["mia"], "cases:read", "analytics:read")

    listed = client.get("/api/v1/cases?state=all", headers=bearer(token)).get_json()["cases"]
    assert [c["id"] for c in listed] == [berlin_case]
    assert_problem(client.get(f"/api/v1/cases/{hamburg_case}", headers=bearer(token)), 404, "not_found")
    assert client.get("/api/v1/analytics/overview?store=H002", headers=bearer(token)).status_code == 404
    assert client.get("/api/v1/analytics/overview?store=B001", headers=bearer(token)).status_code == 200


def test_a_token_is_refused_on_routes_for_people_only(app, clock, client, people):
    token = make(app, clock, people["admin"], "analytics:read", "cases:read", "cases:write")
    assert_problem(client.get("/api/v1/alert-rules", headers=bearer(token)), 403, "insufficient_scope")


def test_me_names_the_token_and_gives_no_csrf_token(app, clock, client, people, doc):
    token = make(app, clock, people["mia"], "analytics:read", name="Nightly export")
    answer = client.get("/api/v1/me", headers=bearer(token))

    check_answer(doc, "GET", "/api/v1/me", answer)
    body = answer.get_json()
    assert body["email"] == "mia@example.org"
    assert body["csrf_token"] is None
    assert body["token"] == {"name": "Nightly export", "prefix": token[:12], "scopes": ["analytics:read"]}


@pytest.mark.parametrize("sent", ["vxl_00000000_" + "A" * 43, "not-a-token", ""])
def test_an_unknown_token_is_refused(client, people, sent):
    assert_problem(client.get("/api/v1/analytics/overview", headers=bearer(sent)), 401, "bad_api_token")


def test_a_revoked_token_is_refused(app, clock, client, people):
    token = make(app, clock, people["ana"], "analytics:read")
    with connected(app):
        api_tokens.revoke_token(stored(app).id, now=clock(), user=people["ana"])

    assert_problem(client.get("/api/v1/analytics/overview", headers=bearer(token)), 401, "bad_api_token")


def test_a_person_cannot_revoke_someone_elses_token(app, clock, people):
    make(app, clock, people["ana"], "analytics:read")
    with connected(app), pytest.raises(NotFound):
        api_tokens.revoke_token(stored(app).id, now=clock(), user=people["mia"])
    assert stored(app).revoked_at is None


def test_the_token_of_a_person_switched_off_is_refused(app, clock, client, people):
    token = make(app, clock, people["ana"], "analytics:read")
    with connected(app):
        User.update(active=False).where(User.id == people["ana"].id).execute()

    assert_problem(client.get("/api/v1/analytics/overview", headers=bearer(token)), 401, "bad_api_token")


def test_the_last_use_is_recorded_by_the_hub_clock_at_most_once_a_minute(app, clock, client, people):
    token = make(app, clock, people["ana"], "analytics:read")
    assert stored(app).last_used_at is None

    clock.advance(minutes=5)
    client.get("/api/v1/analytics/overview", headers=bearer(token))
    first = clock().replace(tzinfo=None)
    clock.advance(seconds=30)
    client.get("/api/v1/analytics/overview", headers=bearer(token))
    assert stored(app).last_used_at == first

    clock.advance(seconds=30)
    client.get("/api/v1/analytics/overview", headers=bearer(token))
    assert stored(app).last_used_at == clock().replace(tzinfo=None)


# --- /account ---------------------------------------------------------------------------------


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_person_makes_a_token_on_account_and_sees_it_once(app, client, people):
    sign_in_as(client, people["mia"])
    form = client.get("/account").get_data(as_text=True)
    made = client.post(
        "/account/api-tokens",
        data={"csrf_token": csrf_of(form), "name": "Excel", "scope": ["analytics:read", "cases:read"]},
    )

    assert made.status_code == 201
    assert made.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code id="api-token">([^<]+)</code>', made.get_data(as_text=True)).group(1)
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200
    listing = client.get("/account").get_data(as_text=True)
    assert "Excel" in listing and token[:12] in listing and token not in listing


def test_making_a_token_on_account_needs_the_csrf_token(app, client, people):
    sign_in_as(client, people["mia"])
    answer = client.post("/account/api-tokens", data={"name": "Excel", "scope": ["analytics:read"]})
    assert answer.status_code == 403
    assert count_tokens(app) == 0


def count_tokens(app) -> int:
    with connected(app):
        return ApiToken.select().count()


def test_a_person_revokes_their_token_on_account(app, clock, client, people):
    token = make(app, clock, people["mia"], "analytics:read")
    sign_in_as(client, people["mia"])
    form = client.get("/account").get_data(as_text=True)
    answer = client.post(f"/account/api-tokens/{stored(app).id}/revoke", data={"csrf_token": csrf_of(form)})

    assert answer.status_code == 302
    assert stored(app).revoked_at == clock().replace(tzinfo=None)
    assert client.get("/api/v1/analytics/overview", headers=bearer(token)).status_code == 401
    assert "revoked" in client.get("/account").get_data(as_text=True)
