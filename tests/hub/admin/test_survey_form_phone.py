"""On a 390 px phone, in a real headless Chromium, an HQ admin adds a question to a survey
with the question form (no JSON): the page fits the screen, the new question is saved as the
next version where it was placed. Screenshots land in test-artifacts/admin-phone/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hub.alerting import sign_in_as
from tests.hub.conftest import rows
from tests.support.browser import chromium

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "admin-phone"
WIDTH, HEIGHT = 390, 844


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_an_admin_adds_a_question_on_a_phone(browser, app, served, people, database_url):
    client = app.test_client()
    sign_in_as(client, people["admin"])
    cookie = client.get_cookie("voxloop_session")
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": served}])
    page = context.new_page()
    page.goto(served + "/admin/surveys/exit")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= WIDTH

    page.fill("#newq-id", "visit_again")
    page.select_option("#newq-kind", "choice")
    page.fill("#newq-position", "2")
    page.fill("#newq-text-de", "Kommen Sie wieder?")
    page.fill("#newq-text-en", "Will you come again?")
    page.fill("#newq-option", "yes")
    page.fill("#newq-option-de", "Ja")
    page.fill("#newq-option-en", "Yes")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db = "sqlite" if database_url.startswith("sqlite") else "postgres"
    page.screenshot(path=str(ARTIFACTS / f"{db}-survey-new-question.png"), full_page=True)
    page.get_by_role("button", name="Save as version 2").first.click()
    page.wait_for_selector("#question-visit_again")

    [(text,)] = rows(
        app,
        "SELECT v.definition FROM survey_version v JOIN survey s ON s.id = v.survey_id "
        "WHERE s.key = 'exit' AND v.version = 2",
    )
    questions = json.loads(text)["questions"]
    assert [q["id"] for q in questions][:2] == ["rating", "visit_again"]
    assert questions[1]["options"] == [{"id": "yes", "text": {"de": "Ja", "en": "Yes"}}]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= WIDTH
    page.screenshot(path=str(ARTIFACTS / f"{db}-survey-saved.png"), full_page=True)
    context.close()
