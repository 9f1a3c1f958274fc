"""The start page's recommendation in a real headless Chromium on a phone (390x844): the store
manager reads the checkout team's recommendation (the queue, its comments, its figures) without
scrolling sideways and dismisses it with a word why. Screenshots land in
test-artifacts/recommendations/<db>-390-<step>.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.models import Recommendation, Store, Touchpoint
from hub.services import teams
from hub.services.access import scope_for
from hub.services.recommendations import make_recommendations
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import connected
from tests.hub.recommendation_data import week
from tests.support.browser import chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "recommendations"
MORNING = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 07:30 in Berlin


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _shot(page: Any, database_url: str, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db = "sqlite" if database_url.startswith("sqlite") else "postgres"
    page.screenshot(path=str(ARTIFACTS / f"{db}-390-{name}.png"), full_page=True)


def test_a_store_manager_reads_the_recommendation_and_dismisses_it_on_a_phone(
    browser, app, clock, served, people, terminal, database_url
):
    planted = week(terminal, queue_problem=True, seed=17)
    clock.at = MORNING
    with connected(app):
        store = Store.get(Store.code == "B001")
        exit_ = Touchpoint.get((Touchpoint.store == store) & (Touchpoint.code == "exit"))
        teams.save_team(
            scope_for(people["mia"]),
            {"store": store.id, "name": "Checkout", "reasons": ["queue"], "touchpoints": [exit_.id],
             "members": [people["mia"].id]},
            now=MORNING,
        )  # fmt: skip
        make_recommendations(MORNING)
        made = Recommendation.get(Recommendation.team_name == "Checkout")
    client = app.test_client()
    sign_in_as(client, people["mia"])
    cookie = client.get_cookie("voxloop_session")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": served}])
    page = context.new_page()

    page.goto(served + "/")
    card = page.locator(f"#recommendation-{made.id}")
    assert "Work on: Waiting at the till" in card.locator(".rec-reason").inner_text()
    assert card.locator(".rec-comments li").all_inner_texts() == [
        f"“{text}”" for text in planted.newest_queue_comments(3)
    ]
    assert "unhappy customers asked" in card.locator(".rec-evidence").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, database_url, "shown")

    card.get_by_label("Not today, because").fill("Second till opens from Monday")
    card.get_by_role("button", name="Dismiss").click()

    page.locator(".flash.ok").wait_for()
    dismissed = page.locator(f"#recommendation-{made.id} .rec-dismissed")
    assert dismissed.inner_text() == "Dismissed by Mia Manager: Second till opens from Monday"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, database_url, "dismissed")
    with connected(app):
        assert Recommendation.get_by_id(made.id).dismissed_note == "Second till opens from Monday"
    context.close()
