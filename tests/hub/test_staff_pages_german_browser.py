"""Every staff page in German, in a real headless Chromium at 1440x900 and at 390x844, with
axe-core: each page answers 200, never scrolls sideways, shows no English text of the
catalog (tests/hub/test_german_pages.py) and has no serious or critical accessibility
violation. The pages are read from the URL map: every GET route of a staff blueprint that
draws HTML is walked or excluded here with its reason, so a new page cannot be forgotten.

The hub is the German page walk's (the demo seed and a case from a real bad rating) with an
action and a rule of signals on measures added, walked by the HQ admin, who chose German; a
store manager and a regional manager walk the pages they may open at 390x844. The pages
before sign-in are walked by a German browser. axe-core comes from npm (package.json) and is
loaded into each page as an init script, so the pages keep their Content-Security-Policy.
Screenshots land in test-artifacts/staff-pages/<size>/<page>.png (a manager's pages as
<person>-<page>.png)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hub.models import Measure, Region, User
from hub.services import actions
from hub.services.access import scope_for
from tests.conftest import missing_system_package
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import connected
from tests.hub.test_german_pages import english_in, visible_text
from tests.hub.test_german_pages import seeded_hub as _seeded_hub  # noqa: F401 (a fixture, asked for by name)
from tests.hub.test_measure_signals import add_rule, load_queue_minutes
from tests.support.browser import chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "staff-pages"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"1440x900": (1440, 900), "390x844": (390, 844)}
# the blueprints whose pages are for signed-in staff
STAFF_BLUEPRINTS = ("pages", "account", "dashboards", "cases", "actions", "admin", "contact_centre")
# the other blueprints with GET routes, each with why its pages are not staff pages
OTHER_BLUEPRINTS = {
    "auth": "the pages before sign-in (walked as BEFORE_SIGN_IN)",
    "phone": "the customers' phone page (tests/e2e/test_phone_messenger.py runs axe on it)",
    "invitations": "the customers' invitation links",
    "api": "JSON for machines",
    "health": "probes and metrics for machines",
    "static": "files",
}
# staff GET routes that draw no page to walk, each with its reason (downloads ending in .csv
# or .json are no pages either)
EXCLUDED = {
    "admin.poster_download": "a PNG/PDF download",
    "cases.acknowledge_link": "needs a signed link from an email; it leads to the case's page, which is walked",
}
# the hub's values of the routes' arguments (the fixture ``hub`` gives each)
ARGUMENTS = ("action_id", "case_id", "code", "key", "region_id", "rule_id", "terminal_id", "user_id")
# the pages before sign-in and what each answers
BEFORE_SIGN_IN = {"/login": 200, "/password-reset": 200, "/password-reset/not-a-token": 400}
# the serious and critical violations axe-core finds in the page as it is now
AXE_RUN = """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => ({id: v.id, text: `${v.id} (${v.impact}): ${v.help} at ${
    JSON.stringify(v.nodes.slice(0, 4).map(n => n.target))}`})))"""
# axe rules a page breaks on purpose, each with its reason
AXE_ACCEPTED: dict[str, dict[str, str]] = {}
WIDE = """() => { const out = [];
  for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1) out.push(`${el.tagName}.${el.className} ${Math.round(r.right)}`); }
  return out.slice(0, 6); }"""


def staff_routes(app: Any) -> dict[str, Any]:
    """The GET routes of the staff blueprints that may draw HTML: endpoint -> rule."""
    return {
        rule.endpoint: rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and rule.endpoint.split(".")[0] in STAFF_BLUEPRINTS
        and not rule.rule.endswith((".csv", ".json"))
    }


def walked_pages(app: Any, arguments: dict[str, Any]) -> dict[str, str]:
    """Every staff page that is not excluded: endpoint -> path, its arguments from the seeded
    hub (a route whose argument the hub does not name fails here: give it one or exclude it)."""
    own = {"admin.measure_signal_rule": {"rule_id": arguments["measure_rule_id"]}}
    pages = {}
    for endpoint, rule in sorted(staff_routes(app).items()):
        if endpoint in EXCLUDED:
            continue
        missing = rule.arguments - arguments.keys()
        assert not missing, f"{rule.rule}: walk it with {missing} or exclude it with a reason"
        values = {name: arguments[name] for name in rule.arguments} | own.get(endpoint, {})
        pages[endpoint] = rule.build(values, append_unknown=False)[1]
    return pages


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not AXE.exists():
        missing_system_package("axe-core is not installed (run `npm ci` in the repository; scripts/test does)")
    with chromium() as launched:
        yield launched


@pytest.fixture
def hub(app, clock, request) -> dict[str, Any]:
    """The German page walk's hub, with an action (its page) and a rule of signals on a
    measure (its form); the measure's name is data (the import names it in English)."""
    seeded = request.getfixturevalue("_seeded_hub")
    with connected(app):
        admin = User.get_by_id(seeded["people"]["admin"].id)
        scope = scope_for(admin)
        action = actions.create_action(
            scope,
            admin,
            {"title": "Zweite Kasse zur Stoßzeit", "kpi": "smiley_index", "scope": "all", "due_on": "2026-12-14"},
            now=clock(),
        )
        actions.add_task(scope, admin, action.id, {"title": "Dienstplan aushängen", "assignee": admin.id}, now=clock())
        region_id = Region.select().order_by(Region.id).first().id
    load_queue_minutes(app, clock, "B001", {date(2026, 11, 20): 4})
    rule = add_rule(app, clock, name="Index fällt, Wartezeit steigt")
    with connected(app):
        names = {*seeded["data"], *(m.name for m in Measure.select())}  # what the data names, taken out
    data = tuple(sorted(names, key=len, reverse=True))
    return {**seeded, "action_id": action.id, "measure_rule_id": rule.id, "region_id": region_id, "data": data}


def context_for(browser: Any, app: Any, served: str, clock: Any, size: str, user: User | None) -> Any:
    """A browser context at ``size`` with axe-core in every page, German, signed in as ``user``."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    context.clock.set_fixed_time(clock())
    context.add_init_script(path=str(AXE))
    if user is not None:
        client = app.test_client()
        sign_in_as(client, user)
        cookie = client.get_cookie("voxloop_session")
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": served}])
    return context


def walk(context: Any, served: str, size: str, pages: dict[str, str], data: tuple[str, ...]) -> dict[str, list[str]]:
    """Open each page; what is wrong with each (nothing: not listed). Screenshots each page."""
    width = SIZES[size][0]
    page = context.new_page()
    problems = {}
    for name, path in pages.items():
        answer = page.goto(served + path)
        status = answer.status if answer is not None else None
        found = [] if status == BEFORE_SIGN_IN.get(path, 200) else [f"answered {status}"]
        scrolled = page.evaluate("document.scrollingElement.scrollWidth")
        if scrolled > width:
            found.append(f"scrolls sideways: {scrolled} px wide, {page.evaluate(WIDE)}")
        found += [f"English: {text}" for text in english_in(visible_text(page.content(), data))]
        accepted = AXE_ACCEPTED.get(name.split("-")[-1], {})
        found += [v["text"] for v in page.evaluate(AXE_RUN) if v["id"] not in accepted]
        (ARTIFACTS / size).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / size / f"{name}.png"), full_page=True)
        if found:
            problems[f"{size} {path}"] = found
    page.close()
    return problems


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the pages are the same on either
def test_every_staff_route_is_walked_or_excluded_with_a_reason(app, database_url):
    routes = staff_routes(app)
    pages = walked_pages(app, {**{name: 1 for name in ARGUMENTS}, "measure_rule_id": 2})

    blueprints = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert blueprints == {*STAFF_BLUEPRINTS, *OTHER_BLUEPRINTS}, "a new blueprint: name it staff or other"
    assert set(EXCLUDED) <= set(routes), "an excluded route is gone: take it out of EXCLUDED"
    assert set(pages) | set(EXCLUDED) == set(routes)
    assert {"pages.index", "dashboards.overview", "cases.show", "actions.show", "admin.survey"} <= set(pages)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_staff_page_in_german_fits_both_screens_and_passes_axe(browser, app, served, clock, hub, database_url):
    pages = walked_pages(app, hub)
    before = {f"before-sign-in{path.replace('/', '-')}": path for path in BEFORE_SIGN_IN}
    problems = {}
    for size in SIZES:
        context = context_for(browser, app, served, clock, size, hub["people"]["admin"])
        problems |= walk(context, served, size, pages, hub["data"])
        context.close()
        context = context_for(browser, app, served, clock, size, None)
        problems |= walk(context, served, size, before, hub["data"])
        context.close()

    assert len(pages) >= 35
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("who", ["mia", "rolf"])  # a store manager, a regional manager
def test_a_managers_pages_fit_a_phone_and_pass_axe(browser, app, served, clock, hub, database_url, who):
    client = app.test_client()
    sign_in_as(client, hub["people"][who])
    pages = walked_pages(app, hub)
    answers = {name: client.get(path).status_code for name, path in pages.items()}
    theirs = {f"{who}-{name}": path for name, path in pages.items() if answers[name] == 200}
    assert {code for code in answers.values()} <= {200, 403, 404}
    assert {f"{who}-{name}" for name in ("pages.index", "dashboards.overview", "cases.show", "account.show")} <= set(
        theirs
    )

    context = context_for(browser, app, served, clock, "390x844", hub["people"][who])
    problems = walk(context, served, "390x844", theirs, hub["data"])
    context.close()

    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
