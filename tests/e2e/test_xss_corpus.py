"""The XSS corpus (tests/support/xss.py) never executes, in pages, emails or exports: a real
hub process with its jobs (SMTP to a real aiosmtpd inbox), on SQLite and on PostgreSQL.

The payloads go in the way people put them in: comments through the signed terminal sync API
and through the phone page in Chromium; store, touchpoint and person names through the catalog
and user services (what the admin pages call); reason option texts as a new survey version;
an alert rule's name through the JSON API. Then

* every page that shows them runs none (``window.__pwned`` stays undefined, no dialog, no
  javascript: link, no element only a payload makes) and shows each as the text it is;
* the alert and digest emails carry them escaped in their HTML parts;
* every CSV export neutralises formula starts, and the JSON exports are valid and keep the
  text intact.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import pytest
import requests

from kiosk.hub_client import HubClient
from shared.crypto import new_private_key, public_key_text
from shared.ids import uuid7
from shared.protocol import format_time, make_batch
from tests.e2e.dashboard_hub import DashboardHub, Viewer, chromium, cookie_session, new_context, serving, sign_in
from tests.e2e.processes import hub_app, wait_for
from tests.support import xss
from tests.support.mail import Inbox, html_of, text_of

pytestmark = pytest.mark.e2e

HQ = "hq@example.org"
MANAGER = "manager.x001@example.org"
ANALYST = "analyst@example.org"

STORE_NAME = f"Filiale {xss.SCRIPT} {xss.TITLE} {xss.TEMPLATE}"
FORMULA_STORE = xss.HYPERLINK
IMG_STORE = f"{xss.MINUS} {xss.IMG}"
REGION_A = f"{xss.AT} Nord"
REGION_B = f"Süd {xss.SCRIPT}"
EXIT_NAME = f"{xss.IMG} Kasse"
DOOR_NAME = f"{xss.AT} Eingang"
EVIL_REASON = f"{xss.ATTR} {xss.JS_URL} reason"
FORMULA_REASON = xss.HYPERLINK + " Grund"
MANAGER_NAME = f"Manager {xss.IMG} {xss.JS_URL}"
ANALYST_NAME = xss.PLUS
RULE_NAME = f"Sehr unzufrieden {xss.SCRIPT}"
SIGNAL_RULE = f"Signal {xss.IMG}"

ALERT_COMMENT = "Kasse zu! " + " ".join(xss.MARKUP)
LONG_COMMENT = xss.long_text(1000)
PHONE_COMMENT = f"{xss.TITLE} am Handy {xss.IMG}"
RANKED = 32  # plain ratings per store: more than a small sample
# one comment per payload, exactly as typed (the formula ones start the cell)
COMMENTS = [*xss.ALL, LONG_COMMENT]


def survey_with_payload_reasons() -> dict[str, Any]:
    from hub.services.catalog import DEFAULT_SURVEY

    survey = {**DEFAULT_SURVEY, "questions": [dict(q) for q in DEFAULT_SURVEY["questions"]]}
    reason = next(q for q in survey["questions"] if q["id"] == "reason")
    reason["options"] = [
        *reason["options"],
        {"id": "evil", "text": {"de": EVIL_REASON, "en": EVIL_REASON}},
        {"id": "formula", "text": {"de": FORMULA_REASON, "en": FORMULA_REASON}},
    ]
    return survey


def put_payloads_in(hub: DashboardHub) -> None:
    """Stores, touchpoints, a survey version and people whose texts are the corpus."""
    from hub.models import Store, User
    from hub.services import catalog
    from hub.services.reports import set_report_frequency
    from hub.services.users import add_user
    from tests.e2e.dashboard_hub import PASSWORD

    now = hub.clock()
    with hub_app(hub.env):
        catalog.add_survey(survey_with_payload_reasons(), now)
        for code, name, region in (
            ("X001", STORE_NAME, REGION_A),
            ("X002", FORMULA_STORE, REGION_B),
            ("X003", IMG_STORE, REGION_B),
        ):
            catalog.add_store(code, name, time_zone="Europe/Berlin", now=now, region=region)
            catalog.add_touchpoint(code, "exit", EXIT_NAME if code == "X001" else "Exit")
        catalog.add_touchpoint("X001", "door", DOOR_NAME, kind="poster")
        x001 = Store.get(Store.code == "X001")
        add_user(HQ, "Henrike HQ", "hq_admin", PASSWORD, now=now)
        add_user(MANAGER, MANAGER_NAME, "store_manager", PASSWORD, now=now, stores=[x001])
        add_user(ANALYST, ANALYST_NAME, "hq_analyst", PASSWORD, now=now)
        # no report before the corpus is in (the jobs queue due reports when they start)
        for user in User.select():
            set_report_frequency(user, "off")


@dataclass
class World:
    """The hub with the corpus in it, and where each piece went."""

    hub: DashboardHub
    inbox: Inbox
    case_id: int
    manager_id: int
    alert: EmailMessage
    signal: EmailMessage
    digest: EmailMessage
    reports: list[EmailMessage]  # the manager's, HQ's
    phone_response: str


def enrolled_terminal(hub: DashboardHub, store: str) -> HubClient:
    output = hub.voxloop("hub", "enroll-code", "--store", store, "--touchpoint", "exit", "--no-qr")
    code = re.search(r"([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", output).group(1)
    key = new_private_key()
    answer = requests.post(
        f"{hub.base}/api/v1/enroll", json={"code": code, "public_key": public_key_text(key)}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return HubClient(hub.base, requests.Session(), device_id=answer.json()["device_id"], key=key)


def yesterday_noon(hub: DashboardHub) -> datetime:
    """Noon yesterday in the stores' zone, by the hub's clock: inside the daily reports' period
    and the dashboards'."""
    zone = ZoneInfo("Europe/Berlin")
    day = hub.clock().astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day, time(12), zone).astimezone(UTC)


def terminal_response(
    seq: int,
    rating: int,
    comment: str | None,
    at: datetime,
    reasons: tuple[str, ...] = (),
    store: str = "X001",
) -> dict[str, Any]:
    now = at
    answers: list[dict[str, Any]] = [{"question": "rating", "kind": "smiley", "value": rating}]
    if reasons:
        answers.append({"question": "reason", "kind": "choice", "value": list(reasons)})
    answers.append({"question": "nps", "kind": "nps", "value": 2 * rating})
    if comment is not None:
        answers.append({"question": "comment", "kind": "text", "value": comment})
    return {
        "id": uuid7(now - timedelta(seconds=seq), secrets.token_bytes(10)),
        "v": 1,
        "channel": "kiosk",
        "store": store,
        "touchpoint": "exit",
        "survey": "exit",
        "survey_version": 2,
        "captured_at": format_time(now - timedelta(seconds=seq)),
        "locale": "de" if seq % 2 else "en",
        "seq": seq,
        "answers": answers,
    }


def send_comments(hub: DashboardHub) -> None:
    """Every payload as a comment from a terminal; the alerting one (rating 1) carries the markup
    payloads and both payload reasons."""
    terminal = enrolled_terminal(hub, "X001")
    yesterday = yesterday_noon(hub)
    batch = [terminal_response(1, 1, ALERT_COMMENT, hub.clock(), ("evil", "formula"))]
    batch += [
        terminal_response(i + 2, 2 + i % 3, text, yesterday, ("evil",) if i % 2 else ("formula",))
        for i, text in enumerate(COMMENTS)
    ]
    # enough plain ratings that X001 and X002 are ranked (HQ's report names the best and worst)
    batch += [terminal_response(100 + i, 3 + i % 2, None, yesterday) for i in range(RANKED)]
    other = enrolled_terminal(hub, "X002")
    for sender, sent in (
        (terminal, batch),
        (other, [terminal_response(i + 1, 3 + i % 2, None, yesterday, store="X002") for i in range(RANKED)]),
    ):
        result = sender.sync(make_batch(sent), now=hub.clock())
        assert [r["status"] for r in result.body["results"]] == ["accepted"] * len(sent), result.body


def send_a_drop(hub: DashboardHub) -> None:
    """X001's last week clearly worse than its 8 weeks before (the signal check's window and
    baseline), through the sync API; a signal rule by email; then the daily signal check."""
    from hub.services.signals import BASELINE_DAYS, WINDOW_DAYS, check_signals

    session, token = hub.session(HQ)
    rule = {"name": SIGNAL_RULE, "kind": "signal", "scope": "store", "store": "X001", "condition": {}, "email": True}
    answer = session.post(f"{hub.base}/api/v1/alert-rules", json=rule, headers={"X-CSRF-Token": token}, timeout=10)
    assert answer.status_code == 201, answer.text
    terminal = enrolled_terminal(hub, "X001")
    last = yesterday_noon(hub)
    history = []
    for back in range(WINDOW_DAYS + BASELINE_DAYS):
        per_day, faces = (16, (2,)) if back < WINDOW_DAYS else (8, (3, 4))
        history += [
            terminal_response(
                1000 + len(history) + i, faces[i % len(faces)], None, at=last - timedelta(days=back, minutes=i)
            )
            for i in range(per_day)
        ]
    for start in range(0, len(history), 500):
        batch = history[start : start + 500]
        result = terminal.sync(make_batch(batch), now=hub.clock())
        assert {r["status"] for r in result.body["results"]} == {"accepted"}, result.body
    with hub_app(hub.env):
        assert check_signals(hub.clock()), "no signal for X001's drop"


def answer_on_the_phone(browser: Any, hub: DashboardHub) -> str:
    """A customer at X001's door poster: unhappy, the payload reason, a payload comment."""
    from hub.services.qr_tokens import QrKeys, make_phone_token, phone_url

    keys = QrKeys.from_config({"SECRET_KEY": hub.env["VOXLOOP_SECRET_KEY"]})
    url = phone_url(hub.base, make_phone_token(keys, "X001", "door"))
    context = new_context(browser, hub, viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True)
    dialogs: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        assert page.goto(url).status == 200
        button = lambda name: page.get_by_role("button", name=name, exact=True)  # noqa: E731
        button("Bad").click()
        # the reason's text is a payload: the phone shows it as a button's words
        button(xss.squashed(EVIL_REASON)).click()
        button("Send").click()
        button("3").click()
        page.get_by_label("Your message").fill(PHONE_COMMENT)
        button("Send").click()
        button("No, thanks").click()
        page.locator("#m-thanks").wait_for()
        page.get_by_text("Sent ✓").wait_for()
        xss.assert_page_safe(page, dialogs, [EVIL_REASON, PHONE_COMMENT], url)
        page.screenshot(path=str(shot_path(hub, "phone")), full_page=True)
        return page.evaluate(
            """() => new Promise((resolve) => { indexedDB.open('voxloop').onsuccess = (e) => {
                const all = e.target.result.transaction('responses').objectStore('responses').getAll();
                all.onsuccess = () => resolve(all.result.map((r) => r.id)[0]); }; })"""
        )
    finally:
        context.close()


def shot_path(hub: DashboardHub, name: str) -> Any:
    from tests.e2e.dashboard_hub import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{hub.engine}-xss-{name}.png"


def rename_rule(hub: DashboardHub) -> None:
    """HQ names the very-unhappy rule with a payload, through the JSON API."""
    session, token = hub.session(HQ)
    rules = session.get(f"{hub.base}/api/v1/alert-rules", timeout=10).json()["rules"]
    rule_id = next(r["id"] for r in rules if r["key"] == "very_unhappy")
    answer = session.patch(
        f"{hub.base}/api/v1/alert-rules/{rule_id}", json={"name": RULE_NAME}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 200, answer.text


def queue_digest_and_reports(hub: DashboardHub) -> None:
    """Today's digest for the manager, and yesterday's daily report for HQ and the manager."""
    from hub.models import User
    from hub.services.digests import queue_digests
    from hub.services.reports import queue_reports, set_report_frequency

    with hub_app(hub.env):
        assert queue_digests(hub.clock(), hour=0, public_url=hub.base) >= 1
        for email in (HQ, MANAGER):
            set_report_frequency(User.get(User.email == email), "daily")
        assert queue_reports(hub.clock(), public_url=hub.base, hour=0) == 2


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    server = Inbox().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, inbox: Inbox, browser: Any
) -> Iterator[World]:
    inbox.messages.clear()
    smtp = {
        "VOXLOOP_SMTP_HOST": "127.0.0.1",
        "VOXLOOP_SMTP_PORT": str(inbox.port),
        "VOXLOOP_SMTP_FROM": "alerts@voxloop.example",
    }
    cwd = tmp_path_factory.mktemp("xss")
    with serving(request, cwd, put_payloads_in, extra_env=smtp, with_jobs=True) as hub:
        rename_rule(hub)
        send_comments(hub)
        phone_response = answer_on_the_phone(browser, hub)
        alert = wait_for_mail(inbox, MANAGER, "alert")
        send_a_drop(hub)
        signal = wait_for_mail(inbox, MANAGER, "signal")  # one per KPI that dropped: the first
        queue_digest_and_reports(hub)
        digest = wait_for_mail(inbox, MANAGER, "digest")
        reports = [wait_for_mail(inbox, to, "report") for to in (MANAGER, HQ)]
        case_id = int(alert["X-Voxloop-Case"])
        [(manager_id,)] = hub.query("SELECT id FROM app_user WHERE email = ?", (MANAGER,))
        yield World(hub, inbox, case_id, manager_id, alert, signal, digest, reports, phone_response)


def kind_of(mail: EmailMessage) -> str:
    subject = mail["Subject"] or ""
    if subject.startswith("voxloop daily digest"):
        return "digest"
    if re.match(r"voxloop (daily|weekly) report", subject):
        return "report"
    if mail["X-Voxloop-Case"] and RULE_NAME in subject:
        return "alert"
    if "X-Voxloop-Case" not in mail and STORE_NAME in subject and "report" not in subject:
        return "signal"
    return "other"


def wait_for_mail(inbox: Inbox, to: str, kind: str) -> EmailMessage:
    def found() -> list[EmailMessage]:
        return [m for m in inbox.to(to) if kind_of(m) == kind]

    wait_for(lambda: bool(found()), 20, f"the {kind} email to {to}")
    return found()[0]


@pytest.fixture(scope="module")
def hq(browser: Any, world: World) -> Iterator[Viewer]:
    viewer = sign_in(browser, world.hub, HQ, "hq")
    yield viewer
    viewer.context.close()


@pytest.fixture(scope="module")
def manager(browser: Any, world: World) -> Iterator[Viewer]:
    viewer = sign_in(browser, world.hub, MANAGER, "manager")
    yield viewer
    viewer.context.close()


# --- pages ----------------------------------------------------------------------------------

STORES_SHOWN = [STORE_NAME, FORMULA_STORE, IMG_STORE]
# what each page shows of the corpus: (name, path, texts that must read as text)
HQ_PAGES = [
    ("overview", "/dashboard", [*STORES_SHOWN, REGION_A, REGION_B]),
    ("store", "/dashboard/stores/X001", [STORE_NAME, EXIT_NAME, DOOR_NAME]),
    ("comments", "/dashboard/comments", [*COMMENTS, ALERT_COMMENT, PHONE_COMMENT, STORE_NAME, EXIT_NAME, DOOR_NAME]),
    ("comments-search", "/dashboard/comments?store=X001&q=__pwned", [ALERT_COMMENT, PHONE_COMMENT, EVIL_REASON]),
    ("drivers", "/dashboard/drivers?store=X001", [STORE_NAME, EVIL_REASON, FORMULA_REASON, EXIT_NAME, DOOR_NAME]),
    ("themes", "/dashboard/themes?store=X001", [STORE_NAME]),
    ("admin-stores", "/admin/stores", STORES_SHOWN),
    ("admin-store", "/admin/stores/X001", [STORE_NAME, EXIT_NAME, DOOR_NAME, MANAGER_NAME]),
    ("admin-survey", "/admin/surveys/exit", [EVIL_REASON, FORMULA_REASON]),
    ("admin-users", "/admin/users", [MANAGER_NAME, ANALYST_NAME]),
    ("admin-terminals", "/admin/terminals", [STORE_NAME]),
    ("admin-alert-rules", "/admin/alert-rules", [RULE_NAME]),
    ("admin-posters", "/admin/posters", [STORE_NAME, DOOR_NAME]),
    ("admin-targets", "/admin/targets", [STORE_NAME, EXIT_NAME]),
    ("hours", "/dashboard/hours?store=X001", [STORE_NAME]),
    ("signals", "/dashboard/signals", [STORE_NAME]),
    ("weather", "/weather", [ALERT_COMMENT, PHONE_COMMENT]),
    ("weather-store", "/weather/stores/X001", [STORE_NAME, ALERT_COMMENT]),
    ("cases", "/cases", [STORE_NAME]),
    ("deliveries", "/cases/deliveries", []),
]


def visit_safely(viewer: Viewer, path: str, shown: list[str], name: str) -> str:
    """Open ``path``: nothing of the corpus runs, ``shown`` reads as text; the page's title."""
    viewer.clear()
    with viewer.opened(path) as (page, status):
        assert status == 200, f"{path}: {status}"
        # open every <details> so hidden tables are laid out like the rest
        page.eval_on_selector_all("details", "ds => ds.forEach((d) => { d.open = true; })")
        xss.assert_page_safe(page, viewer.dialogs, shown, path)
        assert viewer.errors == [], viewer.errors
        assert viewer.foreign == [], viewer.foreign
        viewer.screenshot(page, f"xss-{name}")
        return page.title()


@pytest.mark.parametrize(("name", "path", "shown"), HQ_PAGES, ids=[p[0] for p in HQ_PAGES])
def test_no_payload_runs_in_an_hq_page_and_each_reads_as_text(
    name: str, path: str, shown: list[str], world: World, hq: Viewer
) -> None:
    visit_safely(hq, path, shown, name)


def test_no_payload_runs_in_the_case_page(world: World, hq: Viewer) -> None:
    visit_safely(hq, f"/cases/{world.case_id}", [ALERT_COMMENT, STORE_NAME, EVIL_REASON, FORMULA_REASON], "case")


def test_no_payload_runs_in_a_persons_page(world: World, hq: Viewer) -> None:
    visit_safely(hq, f"/admin/users/{world.manager_id}", [MANAGER_NAME, STORE_NAME], "user")


def test_the_page_title_keeps_the_store_name_as_text(world: World, hq: Viewer) -> None:
    """``</title>`` in a store name must not end the <title> early."""
    title = visit_safely(hq, "/dashboard/stores/X001", [STORE_NAME], "store-title")
    assert xss.TITLE in title and xss.SCRIPT in title


MANAGER_PAGES = [
    ("/dashboard", [STORE_NAME]),
    ("/dashboard/stores/X001", [STORE_NAME, EXIT_NAME, DOOR_NAME]),
    ("/dashboard/comments", [STORE_NAME, ALERT_COMMENT, PHONE_COMMENT]),
    ("/dashboard/drivers?store=X001", [STORE_NAME, EVIL_REASON]),
    ("/dashboard/signals", [STORE_NAME]),
    ("/weather", [ALERT_COMMENT, PHONE_COMMENT]),
    ("/cases", [STORE_NAME]),
    ("/account", [MANAGER_NAME, STORE_NAME]),
]


@pytest.mark.parametrize(("path", "shown"), MANAGER_PAGES, ids=[p for p, _ in MANAGER_PAGES])
def test_no_payload_runs_in_the_store_managers_pages(
    path: str, shown: list[str], world: World, manager: Viewer
) -> None:
    name = "manager-" + (path.strip("/").replace("/", "-").replace("?store=", "-") or "home")
    visit_safely(manager, path, shown, name)


def reflected(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}"


REFLECTED = f"{xss.IMG}{xss.SCRIPT}{xss.ATTR}"
# query parameters a page writes back into itself (a search box, a filter, a period)
REFLECTING = [
    reflected("/dashboard/comments", q=REFLECTED, term=REFLECTED, language=REFLECTED),
    reflected("/dashboard/comments", store="X001", touchpoint=REFLECTED, after=REFLECTED),
    reflected("/dashboard", **{"from": REFLECTED, "to": REFLECTED, "grain": REFLECTED}),
    reflected("/dashboard/stores/X001", grain=REFLECTED),
    reflected("/dashboard/themes", language=REFLECTED),
    reflected("/dashboard/drivers", view=REFLECTED),
    reflected("/dashboard/hours", store=REFLECTED),
    reflected("/dashboard/signals", state=REFLECTED),
    reflected("/admin/terminals", store=REFLECTED),
    reflected("/admin/posters", store=REFLECTED),
    reflected("/cases", state=REFLECTED),
    reflected("/dashboard/stores/" + quote(REFLECTED, safe="")),
]


@pytest.mark.parametrize("path", REFLECTING)
def test_a_payload_in_the_address_is_not_reflected_as_markup(path: str, world: World, hq: Viewer) -> None:
    hq.clear()
    with hq.opened(path) as (page, status):
        assert status in (200, 400, 404), f"{path}: {status}"
        xss.assert_page_safe(page, hq.dialogs, [], path)
        assert hq.foreign == []


def test_the_sign_in_page_does_not_reflect_a_payload(world: World, browser: Any) -> None:
    """``next`` and a wrong email come back in the sign-in form: as values, never markup."""
    context = browser.new_context()
    dialogs: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        url = world.hub.base + reflected("/login", next="/dashboard" + REFLECTED)
        page.goto(url)
        xss.assert_page_safe(page, dialogs, [], url)
        page.fill("input[name=email]", f"nobody{REFLECTED}@example.org")
        page.fill("input[name=password]", "wrong password 123")
        page.eval_on_selector("form", "f => { f.noValidate = true; }")  # an attacker's form needs no valid email
        with page.expect_navigation():
            page.click("button[type=submit]")
        xss.assert_page_safe(page, dialogs, [], "the sign-in page after a wrong password")
        assert page.input_value("input[name=email]") == f"nobody{REFLECTED}@example.org"
    finally:
        context.close()


FORM_STORE = f"Formular {xss.SCRIPT}{xss.IMG}"
FORM_REGION = f"Region {xss.TITLE}"
FORM_PERSON = f"Person {xss.ATTR}{xss.SCRIPT}"


def test_the_corpus_typed_into_the_admin_forms_stays_text(world: World, hq: Viewer) -> None:
    """An HQ admin types payloads into the new-store and new-person forms in the browser: the
    pages after the post, the store list, the dashboard and the people list show them as text."""
    hq.clear()
    with hq.opened("/admin/stores") as (page, _):
        page.fill("#code", "X009")
        page.fill("#name", FORM_STORE)
        page.fill("#region", FORM_REGION)
        with page.expect_navigation():
            page.get_by_role("button", name="Create store").click()
        xss.assert_page_safe(page, hq.dialogs, [FORM_STORE], page.url)
    with hq.opened("/admin/users") as (page, _):
        page.fill("#email", "form.person@example.org")
        page.fill("#name", FORM_PERSON)
        page.fill("#password", "a long enough password")
        with page.expect_navigation():
            page.get_by_role("button", name="Add person").click()
        xss.assert_page_safe(page, hq.dialogs, [FORM_PERSON], page.url)
    assert world.hub.query("SELECT name FROM store WHERE code = 'X009'") == [(FORM_STORE,)]
    for path, shown in (
        ("/admin/stores", [FORM_STORE, FORM_REGION]),
        ("/dashboard", [FORM_STORE]),
        ("/admin/targets", [FORM_STORE, FORM_REGION]),
        ("/admin/users", [FORM_PERSON]),
    ):
        visit_safely(hq, path, shown, "form-" + path.strip("/").replace("/", "-"))


# --- emails ---------------------------------------------------------------------------------


def test_the_alert_email_carries_the_payloads_escaped(world: World) -> None:
    mail = world.alert
    html = html_of(mail)
    for payload in (*xss.MARKUP, STORE_NAME, EVIL_REASON, RULE_NAME):
        xss.assert_escaped_in_html(html, payload, "alert email, HTML part")
    # the plain-text part has the words as they were
    assert ALERT_COMMENT in text_of(mail)
    assert STORE_NAME in mail["Subject"] and RULE_NAME in mail["Subject"]


def test_the_signal_email_carries_the_store_name_escaped(world: World) -> None:
    html = html_of(world.signal)
    xss.assert_escaped_in_html(html, STORE_NAME, "signal email, HTML part")
    assert STORE_NAME in text_of(world.signal)


def test_the_digest_email_carries_the_payloads_escaped(world: World) -> None:
    html = html_of(world.digest)
    xss.assert_escaped_in_html(html, STORE_NAME, "digest email, HTML part")
    assert "<script>window.__pwned" not in html and "<svg onload" not in html


def test_the_report_emails_carry_the_payloads_escaped(world: World) -> None:
    """Yesterday's daily report: the manager's names them and their store, HQ's ranks the
    stores by name; the reasons to work on are payload texts."""
    manager, hq = (html_of(mail) for mail in world.reports)
    for payload in (MANAGER_NAME, STORE_NAME):
        xss.assert_escaped_in_html(manager, payload, "the manager's report, HTML part")
    for payload in (STORE_NAME, FORMULA_STORE):
        xss.assert_escaped_in_html(hq, payload, "HQ's report, HTML part")
    for html in (manager, hq):
        assert any(str(xss.escape(reason)) in html for reason in (EVIL_REASON, FORMULA_REASON)), "no reason listed"
        for raw in ("<script>window.__pwned", "<img src=x", "<svg onload", "onmouseover='window"):
            assert raw not in html, raw
    assert MANAGER_NAME in text_of(world.reports[0])


# --- exports --------------------------------------------------------------------------------

CSV_EXPORTS = [
    ("/dashboard.csv?view=ranking", [FORMULA_STORE, IMG_STORE, STORE_NAME]),
    ("/dashboard.csv?view=ranking&store=X001", [EXIT_NAME, DOOR_NAME]),
    ("/dashboard.csv?view=trend&store=X001", []),
    ("/dashboard.csv?view=hours&store=X001", []),
    ("/dashboard.csv?view=regions", [REGION_A, REGION_B]),
    ("/dashboard/drivers.csv?view=stores", [STORE_NAME]),
    ("/dashboard.csv?view=channels&store=X001", []),
    ("/dashboard/signals.csv", [STORE_NAME]),
    ("/dashboard/comments.csv", [*COMMENTS, ALERT_COMMENT, PHONE_COMMENT, STORE_NAME]),
    ("/dashboard/comments.csv?store=X001&q=__pwned", [ALERT_COMMENT, PHONE_COMMENT]),
    ("/dashboard/drivers.csv?view=reasons&store=X001", [EVIL_REASON, FORMULA_REASON]),
    ("/dashboard/drivers.csv?view=touchpoints&store=X001", [EXIT_NAME, DOOR_NAME]),
    ("/dashboard/drivers.csv?view=touchpoints", [EXIT_NAME, DOOR_NAME]),
    ("/dashboard/themes.csv?store=X001", []),
]


@pytest.mark.parametrize(("path", "expected"), CSV_EXPORTS, ids=[p for p, _ in CSV_EXPORTS])
def test_every_csv_export_neutralises_formula_starts(path: str, expected: list[str], world: World, hq: Viewer) -> None:
    answer = cookie_session(hq).get(world.hub.base + path, timeout=20)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("text/csv")
    xss.assert_csv_safe(answer.text, expected, path)


def test_the_comment_csv_keeps_formula_comments_as_text(world: World, hq: Viewer) -> None:
    """The formula payloads are whole comments: their cells start with the apostrophe."""
    rows = xss.csv_rows(cookie_session(hq).get(world.hub.base + "/dashboard/comments.csv", timeout=20).text)
    comments = [row[rows[0].index("comment")] for row in rows[1:]]
    for payload in xss.FORMULAS:
        assert "'" + payload in comments, payload


JSON_EXPORTS = [
    ("/dashboard/comments.json", [*COMMENTS, ALERT_COMMENT, PHONE_COMMENT, STORE_NAME, EVIL_REASON, FORMULA_REASON]),
    ("/api/v1/analytics/stores", STORES_SHOWN),
    ("/api/v1/analytics/touchpoints?store=X001", [EXIT_NAME, DOOR_NAME]),
    ("/api/v1/analytics/responses?store=X001&limit=1000", [ALERT_COMMENT, PHONE_COMMENT]),
    ("/api/v1/alert-rules", [RULE_NAME, SIGNAL_RULE]),
    ("/dashboard/drivers.json?store=X001", [EVIL_REASON, FORMULA_REASON, EXIT_NAME, DOOR_NAME]),
    ("/dashboard/themes.json?store=X001", []),
    ("/dashboard.json?view=ranking", STORES_SHOWN),
    ("/dashboard.json?view=regions", [REGION_A, REGION_B]),
    ("/dashboard.json?view=channels&store=X001", []),
    ("/dashboard/drivers.json?view=stores", [STORE_NAME]),
    ("/dashboard/signals.json", [STORE_NAME]),
    ("/api/v1/analytics/signals", [STORE_NAME]),
]


@pytest.mark.parametrize(("path", "expected"), JSON_EXPORTS, ids=[p for p, _ in JSON_EXPORTS])
def test_json_exports_are_valid_and_keep_the_text_intact(
    path: str, expected: list[str], world: World, hq: Viewer
) -> None:
    answer = cookie_session(hq).get(world.hub.base + path, timeout=20)
    assert answer.status_code == 200, answer.text[:300]
    assert "json" in answer.headers["Content-Type"]
    assert "nosniff" in answer.headers.get("X-Content-Type-Options", "")
    xss.assert_json_intact(answer.text, expected, path)


# --- the checks themselves ------------------------------------------------------------------


@pytest.mark.parametrize("payload", [xss.SCRIPT, xss.IMG, xss.TITLE, f"<a href='{xss.JS_URL}'>x</a>"])
def test_the_page_check_catches_a_payload_put_in_raw(payload: str, browser: Any) -> None:
    """A control: the same payload written into a page unescaped is caught (it ran, or left a
    javascript: link or an element only a payload makes)."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content(f"<html><head><title>t</title></head><body><p>{payload}</p></body></html>")
        page.wait_for_timeout(100)
        with pytest.raises(AssertionError):
            xss.assert_page_safe(page, [], [], "a raw page")
    finally:
        context.close()


def test_the_export_checks_catch_a_formula_and_an_unescaped_payload() -> None:
    with pytest.raises(AssertionError, match="start a formula"):
        xss.assert_csv_safe('name,n\r\n"=HYPERLINK(""x"")",1\r\n', [], "a raw CSV")
    assert xss.assert_csv_safe("name,n\r\n'=1+1,-2.5\r\n", ["=1+1"], "a neutralised CSV")
    with pytest.raises(AssertionError, match="not shown escaped"):
        xss.assert_escaped_in_html(f"<p>{xss.SCRIPT}</p>", xss.SCRIPT, "a raw email")
