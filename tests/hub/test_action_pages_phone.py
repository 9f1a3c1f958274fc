"""The action pages in a real headless Chromium, on a phone (390 px wide) and a desktop: no
horizontal page scroll, and a store manager marks a task done with a tap. Screenshots land in
test-artifacts/actions/<db>-<width>-<page>.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.models import ActionTask, User
from hub.services import actions
from hub.services.access import scope_for
from tests.hub.action_data import planted_fleet
from tests.hub.alerting import add_person, sign_in_as
from tests.hub.conftest import START, connected
from tests.support.browser import chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "actions"
MEASURED = datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def measured(app, clock, password_hash):
    """A fleet with a planted improvement in region Berlin's stores, an action there in
    effect since the planted start with two tasks, and the manager of its first store."""
    fleet = planted_fleet(app)
    with connected(app):
        admin = User.get(User.email == "admin@example.org")
        first = fleet.store_ids[1]
        manager = add_person("sara@example.org", "Sara Store", "store_manager", password_hash, clock, stores=[first])
        scope = scope_for(admin)
        region = actions.create_action(
            scope,
            admin,
            {
                "title": "Second till at peak hours in every Berlin store",
                "kpi": "smiley_index",
                "scope": f"region:{fleet.region_id}",
                "effect_from": "2026-09-28",
            },
            now=START,
        )
        mine = actions.create_action(
            scope_for(manager),
            manager,
            {
                "title": "Open the second till at 17:00",
                "kpi": "smiley_index",
                "scope": f"store:{first}",
                "due_on": "2026-11-30",
            },
            now=START,
        )
        for title in ("Ask the area manager for a second cashier on Fridays", "Put up the roster"):
            actions.add_task(scope_for(manager), manager, mine.id, {"title": title, "assignee": manager.id}, now=START)
    clock.at = MEASURED
    return {"admin": admin, "manager": manager, "region": region, "mine": mine}


def _page(browser: Any, app: Any, served: str, user: User, width: int) -> Any:
    client = app.test_client()
    sign_in_as(client, user)
    cookie = client.get_cookie("voxloop_session")
    context = browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900})
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": served}])
    return context.new_page()


def _fits(page: Any) -> bool:
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if not fits:
        print(page.evaluate(WIDE))
    return fits


WIDE = """() => { const out = [];
  for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1) out.push(`${el.tagName}.${el.className}#${el.id} ${Math.round(r.right)}`); }
  return out.slice(0, 10); }"""


def _shot(page: Any, database_url: str, width: int, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db = "sqlite" if database_url.startswith("sqlite") else "postgres"
    page.screenshot(path=str(ARTIFACTS / f"{db}-{width}-{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_action_pages_fit_the_screen_without_scrolling_sideways(
    browser, app, served, measured, width, database_url
):
    page = _page(browser, app, served, measured["admin"], width)
    for name, path in (
        ("list", "/actions?state=all"),
        ("new", "/actions/new"),
        ("effect", f"/actions/{measured['region'].id}"),
    ):
        page.goto(served + path)
        assert page.locator("h1").first.is_visible()
        assert _fits(page), f"{path} scrolls sideways at {width} px"
        _shot(page, database_url, width, name)
    page.goto(f"{served}/actions/{measured['region'].id}")
    assert page.locator("#verdict").inner_text() == "clear improvement"
    assert page.locator("svg.comparison line.marker").count() == 1
    page.context.close()


def test_a_store_manager_marks_a_task_done_with_a_tap_on_a_phone(browser, app, served, measured, database_url):
    page = _page(browser, app, served, measured["manager"], 390)
    page.goto(f"{served}/actions/{measured['mine'].id}")
    task = page.locator(".task").first

    task.get_by_role("button", name="Done").click()

    page.locator(".flash.ok").wait_for()
    assert "done" in (page.locator(".task").first.get_attribute("class") or "")
    assert _fits(page)
    _shot(page, database_url, 390, "task-done")
    with connected(app):
        assert ActionTask.select().where(ActionTask.done_at.is_null(False)).count() == 1
    page.goto(f"{served}/actions/{measured['region'].id}")
    assert page.locator("h1").count() == 0 or "404" in page.content() or "Not found" in page.content()
    page.context.close()


def test_an_action_started_from_the_drivers_page_for_the_berlin_stores_is_measured_clear(
    browser, app, served, measured, database_url
):
    page = _page(browser, app, served, measured["admin"], 390)
    page.goto(f"{served}/dashboard/drivers?from=2026-08-03&to=2026-09-27")
    row = page.locator('tr[data-code="S001"]')
    assert row.locator("td.top").get_attribute("data-key") == "queue"

    page.locator("details", has=page.locator("#store-table")).locator("summary").click()  # "The numbers"
    row.get_by_role("link", name="Start an action").click()
    page.wait_for_url("**/actions/new?**")
    assert page.locator("#kpi").input_value() == "reason_share"
    assert page.locator("#reason").input_value() == "queue"
    page.locator("#title").fill("Second till at peak hours in every Berlin store")
    page.locator("#kpi").select_option("smiley_index")
    page.locator("#scope").select_option(label="region Berlin")
    page.locator("#effect_from").fill("2026-09-28")
    page.get_by_role("button", name="Create the action").click()

    page.locator("#verdict").wait_for()
    assert page.locator("#verdict").inner_text() == "clear improvement"
    assert "A clear improvement: +" in page.locator("#effect-words").inner_text()
    assert _fits(page)
    _shot(page, database_url, 390, "from-drivers")
    page.context.close()
