"""The phone messenger end to end: a real hub process on 127.0.0.1 (set up with the voxloop
command), a real headless Chromium at a phone's viewport, real QR codes.

Screenshots land in test-artifacts/phone/. System pieces: Debian's chromium (never a
downloaded browser), libzbar0 for pyzbar, axe-core from npm (package.json, node_modules/).

The hub and the phones share one clock (tests/support/clock.py): the phone dates an answer in
the hour its hub believes in, so a run at any hour sees no clock skew.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import missing_system_package
from tests.e2e.processes import free_port, running, wait_for
from tests.support.browser import chromium
from tests.support.clock import ProcessClock

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "phone"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VOXLOOP = str(Path(sys.executable).with_name("voxloop"))
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SECRET = "e2e-phone-secret"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"><svg onload="window.__xss=3">'


# --- a real hub -----------------------------------------------------------------------------


@dataclass
class PhoneHub:
    base: str
    env: dict[str, str]
    cwd: Path
    database_url: str | None
    clock: ProcessClock

    def voxloop(self, *args: str) -> str:
        result = subprocess.run(
            [VOXLOOP, *args], env={**os.environ, **self.env}, cwd=self.cwd, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def url(self, receipt: str | None = None, expires: datetime | None = None, secret: str = SECRET) -> str:
        from hub.services.qr_tokens import QrKeys, make_phone_token, phone_url

        keys = QrKeys.from_config({"SECRET_KEY": secret})
        return phone_url(self.base, make_phone_token(keys, "B001", "exit", receipt=receipt, expires=expires))

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.database_url is None:
            with sqlite3.connect(Path(self.env["VOXLOOP_INSTANCE_PATH"]) / "voxloop.db") as db:
                return db.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(self.database_url) as db:
            return db.execute(sql.replace("?", "%s"), params).fetchall()

    def stored(self, response_id: str) -> dict[str, Any] | None:
        """The response as stored: its flags, its answers, whether a contact is sealed."""
        rows = self.query("SELECT flags, contact_sealed, locale FROM response WHERE id = ?", (response_id,))
        if not rows:
            return None
        answers = self.query("SELECT question, number, text FROM answer WHERE response_id = ?", (response_id,))
        flags, sealed, locale = rows[0]
        return {"flags": flags.split(), "answers": sorted(answers, key=repr), "sealed": sealed, "locale": locale}

    def count(self, response_id: str) -> int:
        return self.query("SELECT COUNT(*) FROM response WHERE id = ?", (response_id,))[0][0]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoneHub]:
    cwd = tmp_path_factory.mktemp("phone-hub")
    port = free_port()
    clock = ProcessClock.wall()
    env = {
        **clock.env,
        "VOXLOOP_INSTANCE_PATH": str(cwd / "instance"),
        "VOXLOOP_SECRET_KEY": SECRET,
        "VOXLOOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    database_url = None
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        if server is None:
            request.getfixturevalue("postgres_url")  # skips or fails with the reason
        database_url = env["VOXLOOP_DATABASE_URL"] = server.create_database(f"phone_{secrets.token_hex(4)}")
    phone_hub = PhoneHub(f"http://127.0.0.1:{port}", env, cwd, database_url, clock)
    phone_hub.voxloop("hub", "init")
    phone_hub.voxloop("hub", "add-store", "B001", "Berlin Mitte", "--time-zone", "Europe/Berlin")
    log = cwd / "hub.log"
    with running([VOXLOOP, "hub", "serve", "--port", str(port)], cwd=cwd, env=env, log=log):
        wait_for(lambda: requests.get(phone_hub.base + "/healthz", timeout=2).ok, 60, "the hub", log)
        yield phone_hub


# --- a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@dataclass
class Phone:
    """A browser context at a phone's size, and what its pages did that they must not."""

    context: Any
    page: Any
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # what the Content-Security-Policy refused

    def watch(self, page: Any, base: str) -> Any:
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda m: self.blocked.append(m.text) if "Content Security Policy" in m.text or "Trusted" in m.text else 0,
        )
        page.on("request", lambda r: None if r.url.startswith((base, "data:")) else self.foreign.append(r.url))
        return page

    def response_ids(self) -> list[str]:
        """The response ids kept in the phone's IndexedDB."""
        return self.page.evaluate(
            """() => new Promise((resolve) => {
                const open = indexedDB.open('voxloop');
                open.onsuccess = () => {
                    const all = open.result.transaction('responses').objectStore('responses').getAll();
                    all.onsuccess = () => resolve(all.result.map((r) => r.id));
                };
            })"""
        )


def new_phone(browser: Any, hub: PhoneHub, **options: Any) -> Phone:
    context = browser.new_context(**{**PHONE, "locale": "en-US", **options})
    context.set_default_timeout(10000)
    context.clock.set_system_time(hub.clock())
    phone = Phone(context, None)
    phone.page = phone.watch(context.new_page(), hub.base)
    return phone


@pytest.fixture
def phone(browser: Any, hub: PhoneHub) -> Iterator[Phone]:
    phone = new_phone(browser, hub)
    yield phone
    phone.context.close()
    assert phone.errors == [], "the page raised errors"
    assert phone.foreign == [], "the page asked another origin"
    assert phone.blocked == [], "the page did something its Content-Security-Policy refuses"


def shot(page: Any, hub: PhoneHub, name: str, full: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    database = "pg" if hub.database_url else "sqlite"
    if full:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"{name}-{database}.png"), full_page=full)


def button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def replies(page: Any) -> list[str]:
    """What the person said in the chat, without the screen reader's "You:"."""
    return page.eval_on_selector_all(".msg.out", "els => els.map((e) => e.lastChild.textContent)")


def wait_until(check: Any, what: str, timeout: float = 15) -> None:
    wait_for(check, timeout, what)


# --- the conversation -----------------------------------------------------------------------


def test_the_poster_opens_a_chat_whose_answers_arrive_once(hub: PhoneHub, phone: Phone, tmp_path: Path) -> None:
    from PIL import Image
    from pyzbar.pyzbar import decode

    hub.voxloop("qr", "poster", "--store", "B001", "--touchpoint", "exit", "-o", str(tmp_path / "poster.png"))
    url = decode(Image.open(tmp_path / "poster.png"))[0].data.decode()
    assert url.startswith(hub.base + "/m/v1.")

    page = phone.page
    assert page.goto(url).status == 200
    button(page, "Bad").wait_for()
    shot(page, hub, "01-first-question")
    button(page, "Bad").click()
    button(page, "Waiting at the till").click()
    button(page, "Cleanliness").click()
    shot(page, hub, "02-reasons")
    button(page, "Send").click()
    button(page, "3").click()
    page.get_by_label("Your message").fill("The queue was far too long. " + XSS)
    shot(page, hub, "03-comment")
    button(page, "Send").click()
    button(page, "Yes, please").click()
    page.get_by_label("Email or phone").fill("anna@example.org")
    page.get_by_role("checkbox").check()
    shot(page, hub, "04-contact")
    button(page, "Send").click()
    page.locator("#m-thanks").wait_for()
    page.get_by_text("Sent ✓").wait_for()
    shot(page, hub, "05-thanks")
    shot(page, hub, "06-conversation", full=True)

    # the comment is shown as the text it is, and nothing in it ran
    assert XSS in page.locator(".summary").inner_text()
    assert page.evaluate("window.__xss") is None
    assert page.locator(".summary img, .summary script, .summary svg").count() == 0
    assert phone.dialogs == []

    [response_id] = phone.response_ids()
    assert hub.count(response_id) == 1
    stored = hub.stored(response_id)
    assert "partial" not in stored["flags"]
    assert stored["answers"] == sorted(
        [
            ("rating", 2, None),
            ("reason", None, "queue"),
            ("reason", None, "cleanliness"),
            ("nps", 3, None),
            ("comment", None, "The queue was far too long. " + XSS),
        ],
        key=repr,
    )
    assert stored["sealed"] is not None and b"anna@example.org" not in bytes(stored["sealed"])
    # delivered: the address no longer stays on the phone
    kept = page.evaluate(
        """() => new Promise((resolve) => { indexedDB.open('voxloop').onsuccess = (e) => {
            const all = e.target.result.transaction('responses').objectStore('responses').getAll();
            all.onsuccess = () => resolve(JSON.stringify(all.result)); }; })"""
    )
    assert "anna@example.org" not in kept


def test_answers_given_offline_arrive_once_when_the_network_returns(hub: PhoneHub, phone: Phone) -> None:
    page = phone.page
    page.goto(hub.url())
    button(page, "Very good").click()
    button(page, "Skip").wait_for()
    [response_id] = phone.response_ids()
    wait_until(lambda: hub.stored(response_id) is not None, "the first answer to arrive")

    phone.context.set_offline(True)
    button(page, "Friendliness").click()
    button(page, "Send").click()
    button(page, "10").click()
    page.get_by_label("Your message").fill("Lovely staff")
    button(page, "Send").click()
    button(page, "No, thanks").click()
    page.locator("#m-thanks").wait_for()
    page.get_by_text("Saved on your phone").wait_for()
    shot(page, hub, "07-offline-thanks")
    assert hub.stored(response_id)["flags"] == ["partial"]
    assert hub.stored(response_id)["answers"] == [("rating", 4, None)]

    phone.context.set_offline(False)
    page.get_by_text("Sent ✓").wait_for(timeout=20000)
    stored = hub.stored(response_id)
    assert "partial" not in stored["flags"]
    assert stored["answers"] == sorted(
        [("rating", 4, None), ("reason", None, "staff"), ("nps", 10, None), ("comment", None, "Lovely staff")],
        key=repr,
    )
    assert hub.count(response_id) == 1
    assert hub.query("SELECT COUNT(*) FROM response_conflict WHERE response_id = ?", (response_id,))[0][0] == 0


@pytest.mark.parametrize("hub", ["sqlite"], indirect=True)  # a page-side behaviour
def test_a_tap_before_the_script_runs_is_the_first_answer(hub: PhoneHub, phone: Phone) -> None:
    """On a slow line the plain form's faces show before the inline script at the end of the
    page has arrived; a face tapped then is taken as the answer once the script runs."""
    page = phone.page
    cdp = phone.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 50, "downloadThroughput": 6000, "uploadThroughput": 6000},
    )
    page.goto(hub.url(), wait_until="commit")
    page.locator(".face-pick").nth(2).wait_for()
    assert page.locator(".facebtn").count() == 0  # the script has not run yet
    page.locator(".face-pick").nth(2).click()
    button(page, "Send").wait_for()  # the next question: the tap was the answer
    assert replies(page) == ["Good"]


def test_a_reload_mid_way_resumes_where_it_stopped_in_any_language(hub: PhoneHub, phone: Phone) -> None:
    page = phone.page
    page.goto(hub.url())
    button(page, "Good").click()
    button(page, "Prices").click()
    button(page, "Send").click()
    button(page, "7").wait_for()

    page.reload()
    button(page, "7").wait_for()  # straight back at the question it stopped at
    assert replies(page) == ["Good", "Prices"]

    page.get_by_role("link", name="Deutsch").click()  # the language switch: the same conversation, in German
    page.get_by_text("Wie wahrscheinlich empfehlen Sie uns weiter?").wait_for()
    assert replies(page) == ["Gut", "Preise"]
    button(page, "7").click()
    button(page, "Überspringen").click()
    button(page, "Nein, danke").click()
    page.get_by_text("Gesendet ✓").wait_for()
    [response_id] = phone.response_ids()
    assert hub.count(response_id) == 1
    stored = hub.stored(response_id)
    assert "partial" not in stored["flags"]
    assert stored["answers"] == sorted([("rating", 3, None), ("reason", None, "price"), ("nps", 7, None)], key=repr)
    assert stored["locale"] == "de"


def test_new_feedback_after_the_thanks_comes_from_a_newly_served_page(hub: PhoneHub, phone: Phone) -> None:
    """A served page takes one response: "Give new feedback" loads the page again (a new
    ticket), so the second conversation is stored as well, neither refused nor resumed."""
    page = phone.page
    page.goto(hub.url())
    for answer in ("Good", "Prices", "Send", "7", "Skip", "No, thanks"):
        button(page, answer).click()
    page.get_by_text("Sent ✓").wait_for()
    [first] = phone.response_ids()

    button(page, "Give new feedback").click()
    page.wait_for_load_state("load")
    button(page, "Bad").click()
    assert replies(page) == ["Bad"]  # a new conversation, not the finished one again
    for answer in ("Skip", "Skip", "Skip", "No, thanks"):
        button(page, answer).click()
    page.get_by_text("Sent ✓").wait_for()

    [second] = [i for i in phone.response_ids() if i != first]
    assert ("rating", 3, None) in hub.stored(first)["answers"]
    assert ("rating", 2, None) in hub.stored(second)["answers"]
    assert "partial" not in hub.stored(second)["flags"]
    tickets = hub.query("SELECT COUNT(DISTINCT ticket) FROM phone_ticket WHERE response_id IN (?, ?)", (first, second))
    assert tickets == [(2,)]


def test_a_reload_without_network_resumes_from_the_phone(hub: PhoneHub, phone: Phone) -> None:
    page = phone.page
    page.goto(hub.url())
    button(page, "Very bad").click()
    button(page, "Skip").wait_for()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10000)
    page.wait_for_function(
        """async () => { for (const name of await caches.keys()) {
            if (name.startsWith('voxloop-pages') && (await (await caches.open(name)).keys()).length) return true; }
            return false; }""",
        timeout=10000,
    )

    phone.context.set_offline(True)
    page.reload()
    button(page, "Skip").wait_for()
    assert replies(page) == ["Very bad"]
    button(page, "Skip").click()
    button(page, "0").click()
    button(page, "Skip").click()
    button(page, "No, thanks").click()
    page.locator("#m-thanks").wait_for()
    [response_id] = phone.response_ids()
    phone.context.set_offline(False)
    page.get_by_text("Sent ✓").wait_for(timeout=20000)
    assert hub.count(response_id) == 1
    assert hub.stored(response_id)["answers"] == [("nps", 0, None), ("rating", 1, None)]


def test_a_changed_survey_reaches_the_phone_at_once(hub: PhoneHub, phone: Phone) -> None:
    page = phone.page
    url = hub.url()
    page.goto(url)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10000)
    page.reload()  # now through the service worker
    page.get_by_text("How was your visit today?").wait_for()

    changed = json.loads(json.dumps(_default_survey()))
    changed["questions"][0]["text"]["en"] = "How did we do today?"
    _add_survey_version(hub, changed)
    page.reload()
    page.get_by_text("How did we do today?").wait_for()


def _default_survey() -> dict[str, Any]:
    from hub.services.catalog import DEFAULT_SURVEY

    return DEFAULT_SURVEY


def _add_survey_version(hub: PhoneHub, definition: dict[str, Any]) -> None:
    script = (
        "import json, sys\nfrom hub import create_app\nfrom hub.clock import now\n"
        "from hub.db import database\nfrom hub.services.catalog import add_survey\n"
        "app = create_app()\nwith app.app_context():\n    database.connect(reuse_if_open=True)\n"
        "    add_survey(json.loads(sys.argv[1]), now())\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, json.dumps(definition)],
        env={**os.environ, **hub.env},
        cwd=ROOT,
        check=True,
        timeout=60,
    )


# --- without JavaScript, and markup in answers ------------------------------------------------


def test_without_javascript_the_plain_form_posts_the_answers(browser: Any, hub: PhoneHub) -> None:
    phone = new_phone(browser, hub, java_script_enabled=False)
    page = phone.page
    page.goto(hub.url())
    page.get_by_text("Very good", exact=True).click()
    page.get_by_text("Cleanliness", exact=True).click()
    page.get_by_label("Your message").fill("Spotless " + XSS)
    shot(page, hub, "08-no-javascript-form", full=True)
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text("Thank you!").wait_for()
    shot(page, hub, "09-no-javascript-thanks", full=True)
    assert XSS in page.locator(".chat").inner_text()
    response_id = hub.query(
        "SELECT response_id FROM answer WHERE text = ?",
        ("Spotless " + XSS,),
    )[0][0]
    assert hub.count(str(response_id)) == 1
    assert "partial" not in hub.stored(str(response_id))["flags"]
    phone.context.close()


def test_markup_in_a_comment_never_runs_on_the_server_rendered_thanks(hub: PhoneHub, phone: Phone) -> None:
    """The plain form (kept, hidden, in the chat page) posts a comment full of markup; the
    thank-you page the hub renders shows it as text in a browser with JavaScript on, and
    nothing in it runs."""
    page = phone.page
    page.goto(hub.url())
    button(page, "Bad").wait_for()
    page.evaluate(
        """(comment) => {
            const form = document.getElementById('form');
            form.querySelector('input[name="q.rating"][value="1"]').checked = true;
            const field = document.createElement('textarea');
            field.name = 'q.comment';
            field.value = comment;
            form.append(field);
            form.submit();
        }""",
        XSS,
    )
    page.get_by_text("Thank you!").wait_for()
    assert XSS in page.locator(".chat").inner_text()
    assert page.evaluate("window.__xss") is None
    assert page.locator(".chat img, .chat script, .chat svg").count() == 0
    assert phone.dialogs == []


# --- refusals -------------------------------------------------------------------------------


def test_codes_that_cannot_be_used_get_a_friendly_page(hub: PhoneHub, phone: Phone) -> None:
    page = phone.page
    good = hub.url()
    prefix, claims, mac = good.rsplit("/", 1)[1].split(".")
    forged = f"{hub.base}/m/{prefix}.{claims}.{mac[:-4]}AAAA"
    expired = hub.url(expires=hub.clock() - timedelta(minutes=1))
    wrong_key = hub.url(secret="another hub's secret")
    for url, title in (
        (forged, "This code doesn't work"),
        (wrong_key, "This code doesn't work"),
        (hub.base + "/m/not-a-token", "This code doesn't work"),
        (expired, "This code has expired"),
    ):
        answer = page.goto(url)
        assert 400 <= answer.status < 500
        assert page.get_by_role("heading", name=title).is_visible()
        assert "Traceback" not in page.content()
    shot(page, hub, "10-expired-code")

    receipt = hub.url(receipt=f"R-{secrets.token_hex(4)}")
    page.goto(receipt)
    button(page, "Good").click()
    button(page, "Skip").click()
    button(page, "Skip").click()
    button(page, "Skip").click()
    button(page, "No, thanks").click()
    page.get_by_text("Sent ✓").wait_for()
    again = page.goto(receipt)
    assert again.status == 410
    assert page.get_by_role("heading", name="Already answered – thank you!").is_visible()
    shot(page, hub, "11-receipt-used")


# --- accessibility --------------------------------------------------------------------------


def axe_problems(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("hub", ["sqlite"], indirect=True)  # the page is the same on either database
def test_every_step_passes_axe_and_reflows_at_200_percent_zoom(browser: Any, hub: PhoneHub) -> None:
    if not AXE.exists():
        missing_system_package("axe-core is not installed (run `npm ci` in the repository; scripts/test does)")
    phone = new_phone(browser, hub, bypass_csp=True)  # axe is injected as an inline script
    page = phone.page
    page.goto(hub.url())
    steps = {"first question": axe_problems(page)}
    button(page, "Good").click()
    button(page, "Send").wait_for()
    steps["choice"] = axe_problems(page)
    button(page, "Skip").click()
    button(page, "5").wait_for()
    steps["scale"] = axe_problems(page)
    button(page, "5").click()
    page.get_by_label("Your message").wait_for()
    steps["comment"] = axe_problems(page)
    page.get_by_label("Your message").fill("Fine")
    button(page, "Send").click()
    button(page, "Yes, please").click()
    page.get_by_label("Email or phone").wait_for()
    steps["contact"] = axe_problems(page)
    button(page, "No, thanks").click()
    page.locator("#m-thanks").wait_for()
    steps["thanks"] = axe_problems(page)
    page.goto(hub.base + "/m/not-a-token")
    steps["refusal"] = axe_problems(page)
    found = {step: problems for step, problems in steps.items() if problems}
    assert found == {}, json.dumps(found, indent=1)

    phone.context.close()

    # 200 % zoom on a 390 px phone is a 195 px wide layout: everything reflows, nothing scrolls sideways
    phone = new_phone(browser, hub, viewport={"width": 195, "height": 422})
    page = phone.page
    page.goto(hub.url())
    button(page, "Very good").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, hub, "12-zoom-200")
    button(page, "Very good").click()
    button(page, "Send").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.context.close()
