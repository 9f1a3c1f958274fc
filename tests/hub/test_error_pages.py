"""Errors on pages are the hub's own pages in the person's language with a way back to the
start page, and never show a trace or a statement; the API keeps answering RFC 9457 problem
documents for the same errors. The 500s come from routes this test adds to its app, which fail
as a broken service would (with a statement and a secret in the exception)."""

from __future__ import annotations

import re

import pytest

from tests.hub.conftest import ADMIN_PASSWORD, assert_problem
from tests.hub.test_dashboards import sign_in

LEAK = "SELECT password_hash FROM app_user -- secret-value"


def _fail() -> str:
    raise RuntimeError(LEAK)


@pytest.fixture
def failing(app):
    """The app with a page and an API path that fail (added before its first request)."""
    app.add_url_rule("/broken-page", "broken_page", _fail)
    app.add_url_rule("/api/v1/broken", "broken_api", _fail)
    return app


def check_page(answer, status: int, title: str) -> str:
    html = answer.get_data(as_text=True)
    assert answer.status_code == status
    assert answer.mimetype == "text/html"
    assert re.search(rf'id="error" data-status="{status}"', html)
    assert title in html
    assert '<a href="/" id="back">' in html
    assert '<a class="brand" href="/">voxloop</a>' in html  # the hub's layout
    for leak in ("Traceback", "SELECT", "secret-value", "werkzeug", "Werkzeug"):
        assert leak not in html
    return html


def test_an_unknown_address_is_the_hubs_404_page(client):
    check_page(client.get("/no-such-page"), 404, "This page does not exist")


def test_a_signed_in_person_keeps_the_menu_on_the_404_page(client):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    html = check_page(client.get("/dashboard/no-such-part"), 404, "This page does not exist")
    assert 'id="menu"' in html


def test_the_404_page_speaks_german(client):
    answer = client.get("/no-such-page", headers={"Accept-Language": "de"})
    html = check_page(answer, 404, "Diese Seite gibt es nicht")
    assert '<html lang="de">' in html and "Zurück zur Startseite" in html


def test_a_wrong_method_is_the_hubs_405_page_naming_what_is_allowed(client):
    answer = client.delete("/login")
    check_page(answer, 405, "This page cannot be opened this way")
    assert "GET" in answer.headers["Allow"]


def test_a_failure_on_a_page_is_the_hubs_500_page_without_details(failing, caplog):
    client = failing.test_client()
    check_page(client.get("/broken-page"), 500, "Something went wrong on the hub")
    assert LEAK in caplog.text  # the operator's log keeps what happened


def test_the_500_page_speaks_german(failing):
    answer = failing.test_client().get("/broken-page", headers={"Accept-Language": "de"})
    check_page(answer, 500, "Auf dem Hub ist etwas schiefgegangen")


def test_the_api_keeps_answering_problem_documents(failing):
    client = failing.test_client()
    assert_problem(client.get("/api/v1/no-such-resource"), 404, "not_found")
    answer = client.get("/api/v1/broken")
    body = assert_problem(answer, 500, "internal_error")
    assert LEAK not in answer.get_data(as_text=True) and "SELECT" not in str(body)
    assert_problem(client.delete("/api/v1/broken"), 405, "method_not_allowed")
