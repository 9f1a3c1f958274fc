"""Every page a store manager can open, in a real headless Chromium at 390x844 (and at 360
and 414 px wide; a regional manager's and HQ's pages at 390): the page never scrolls sideways
and no visible element reaches past the screen's edge unless a box that scrolls holds it
(tables scroll inside their card, charts scale), and the one menu of hub/templates/base.html
opens and reaches every section. The pages are those of the German page walk
(tests/hub/test_german_pages.py): the demo seed and a case from a real bad rating.
Screenshots land in test-artifacts/staff-phone/<db>-<person>-<width>-<page>.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.models import Store, UserStore
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import connected
from tests.hub.test_german_pages import NOT_PAGES
from tests.hub.test_german_pages import seeded_hub as _seeded_hub  # noqa: F401 (a fixture, asked for by name)
from tests.support.browser import chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "staff-phone"
WIDTH, HEIGHT = 390, 844
SECTIONS = {
    "/",
    "/dashboard",
    "/dashboard/drivers",
    "/dashboard/themes",
    "/dashboard/signals",
    "/dashboard/comments",
    "/weather",
    "/cases",
    "/actions",
    "/admin/terminals",
}
# elements reaching past the right edge that no scrolling box (a table's card) holds
SPILL = """() => { const out = [];
  const held = (el) => { for (let up = el.parentElement; up; up = up.parentElement) {
      const x = getComputedStyle(up).overflowX;
      const inside = up.getBoundingClientRect().right <= window.innerWidth + 1;
      if ((x === 'auto' || x === 'scroll' || x === 'hidden') && inside) return true; }
    return false; };
  for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > window.innerWidth + 1 && el.checkVisibility() && !held(el))
      out.push(`${el.tagName}.${el.className} ${Math.round(r.right)}`); }
  return out.slice(0, 8); }"""
WIDE = """() => { const out = [];
  for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1) out.push(`${el.tagName}.${el.className} ${Math.round(r.right)}`); }
  return out.slice(0, 8); }"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def hub(app, request) -> dict[str, Any]:
    """The German page walk's hub, with Mia managing the demo's stores besides her own (their
    weeks of history fill her dashboards as a store manager's are filled)."""
    seeded = request.getfixturevalue("_seeded_hub")
    with connected(app):
        mia = seeded["people"]["mia"]
        for store in Store.select().where(Store.code.startswith("S")):
            UserStore.create(user=mia, store=store)
    return seeded


def manager_paths(app: Any, client: Any, seeded: dict[str, Any]) -> list[str]:
    """Every GET page of the URL map that answers the signed-in store manager with a page."""
    paths = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if rule.rule.startswith(("/api/", "/m/", "/static")) or rule.rule.endswith((".csv", ".json")):
            continue
        path = rule.build({name: seeded[name] for name in rule.arguments}, append_unknown=False)[1]
        answer = client.get(path)
        if answer.mimetype == "text/html" and answer.status_code == 200:
            paths.append(path)
    return paths


def _phone(browser: Any, app: Any, served: str, user: Any, clock: Any, width: int = WIDTH) -> tuple[Any, Any]:
    client = app.test_client()
    sign_in_as(client, user)
    cookie = client.get_cookie("voxloop_session")
    context = browser.new_context(viewport={"width": width, "height": HEIGHT})
    context.clock.set_fixed_time(clock())
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": served}])
    return client, context.new_page()


def _shot(page: Any, database_url: str, size: str, path: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db = "sqlite" if database_url.startswith("sqlite") else "postgres"
    name = re.sub(r"[^\w-]+", "_", path.strip("/")) or "start"
    page.screenshot(path=str(ARTIFACTS / f"{db}-{size}-{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("who", "width"), [("mia", 360), ("mia", WIDTH), ("mia", 414), ("rolf", WIDTH), ("admin", WIDTH)]
)
def test_every_staff_page_fits_a_phone_without_scrolling_sideways(
    browser, app, served, clock, hub, database_url, who, width
):
    client, page = _phone(browser, app, served, hub["people"][who], clock, width)
    paths = manager_paths(app, client, hub)
    assert len(paths) >= 15, paths
    assert {"/", "/dashboard", "/cases", f"/cases/{hub['case_id']}", "/account"} <= set(paths)

    wide = {}
    for path in paths:
        answer = page.goto(served + path)
        assert answer is not None and answer.status == 200, path
        scrolled = page.evaluate("document.scrollingElement.scrollWidth")
        spilled = page.evaluate(SPILL)
        if scrolled > width or spilled:
            wide[path] = (scrolled, spilled or page.evaluate(WIDE))
        _shot(page, database_url, f"{who}-{width}", path)
    assert wide == {}
    page.context.close()


@pytest.mark.parametrize("where", ["/", "/dashboard", "/cases", "/admin/terminals", "/actions"])
def test_the_menu_opens_on_a_phone_and_reaches_every_section(browser, app, served, clock, hub, where):
    _, page = _phone(browser, app, served, hub["people"]["mia"], clock)
    page.goto(served + where)
    links = page.locator("#menu nav a")
    assert not links.first.is_visible()  # closed: the header fits one line

    page.locator("#menu summary").click()

    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert hrefs >= SECTIONS
    assert all(links.nth(i).is_visible() for i in range(links.count()))
    assert page.evaluate("document.scrollingElement.scrollWidth") <= WIDTH
    page.get_by_role("link", name=re.compile("^(Fälle|Cases)$")).first.click()
    page.wait_for_url("**/cases")
    page.context.close()


def test_on_a_wide_screen_the_sections_show_without_opening_the_menu(browser, app, served, clock, hub):
    _, page = _phone(browser, app, served, hub["people"]["mia"], clock)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(served + "/dashboard")
    assert page.locator("#menu nav a").first.is_visible()
    assert not page.locator("#menu summary").is_visible()
    page.context.close()
