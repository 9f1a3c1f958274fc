"""Every staff page and every staff email in German: no English text of the catalog is left.

A hub seeded with the demo data (hub/seed) and a case from a real bad rating; an HQ admin
and a store manager who chose German on /account walk every GET route of the URL map that
draws a page for people, and the emails (an alert, the digest, the report, a signal, the
password reset) are rendered in German. Each page's visible text is searched for the
catalog's English texts (hub/translations/de/LC_MESSAGES/messages.po): an English text found
there was not marked, not translated, or not rendered in the person's language.

What is not searched: texts whose German is the same word (a proper noun or a loan word such
as "Terminal" or "Hub", read from the catalog itself), the words listed in ``SAME_IN_GERMAN``,
and single lowercase words (customers' English comments hold them: "happy", "new"). What the
data says is taken out of a page before it is searched: the names of stores, touchpoints,
surveys, regions, rules and people (the demo seed names its touchpoints in English), the
languages named in themselves on the language choice, and JSON in a text area.
"""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import render_template

from hub.i18n import NAMES, in_language
from hub.models import AlertRule, Region, Store, Survey, Terminal, Touchpoint, User
from hub.seed.generator import Plan
from hub.seed.tills import load_tills
from hub.seed.writer import seed
from tests.hub.alerting import deliver, newest_case_after_bad_rating, sign_in_as
from tests.hub.conftest import connected
from tests.support.mail import html_of, text_of

CATALOG = Path(__file__).resolve().parents[2] / "hub" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
PLAN = Plan(stores=3, days=14, per_day=20, seed=7, end=date(2026, 11, 22))
# proper nouns and words German uses as they are, beyond those the catalog translates to themselves
SAME_IN_GERMAN = {"Dashboard", "Smiley", "voxloop", "Admin", "Code"}
# routes that draw no page for people, or need what the walk cannot make, each with its reason
NOT_PAGES = {
    "health.healthz": "JSON for load balancers",
    "health.livez": "JSON for load balancers",
    "health.readyz": "JSON for load balancers",
    "health.metrics": "Prometheus text",
    "admin.poster_download": "a PNG/PDF download",
    "cases.acknowledge_link": "needs a signed link from an email; its page is the case's",
    "actions.show": "the demo seed makes no action (the action pages have their own tests)",
}


def english_texts() -> list[str]:
    """The catalog's English texts that must not appear in a German page, as literal pieces:
    a text with placeholders gives its pieces between them (of two words or more)."""
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="de")
    found = set()
    for message in catalog:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        german = message.string if isinstance(message.string, str) else message.string[0]
        if english == german:
            continue
        for piece in re.split(r"%\(\w+\)s|<[^>]+>", english.replace("%%", "%")):
            piece = " ".join(piece.split()).strip(" .,:;()–-·")
            if not piece or piece in SAME_IN_GERMAN or piece in german:
                continue
            if " " in piece or (piece[:1].isupper() and len(piece) > 3):
                found.add(piece)
    return sorted(found, key=len, reverse=True)


ENGLISH = english_texts()
# each text as a whole word or phrase, compiled once: there are more texts than the re module
# keeps compiled, so searching with the strings would compile every pattern for every page
ENGLISH_WORDS = [(e, re.compile(r"(?<![\w-])" + re.escape(e) + r"(?![\w-])")) for e in ENGLISH]


def visible_text(page: str, data: tuple[str, ...] = ()) -> str:
    """What a reader sees: no styles, no tags; attributes people read (title, aria-label,
    placeholder) and SVG titles kept; the names in ``data`` taken out."""
    page = re.sub(r"(?is)<style.*?</style>|<textarea.*?</textarea>", " ", page)
    shown = re.findall(r'(?:title|aria-label|placeholder)="([^"]*)"', page)
    text = re.sub(r"(?s)<[^>]+>", " ", page)
    text = " ".join(html.unescape(" ".join([text, *shown])).split())
    for name in data:
        text = text.replace(name, " ")
    return re.sub(r"\S+(?: \S+){0,4}…", " ", text)  # a chart's label cut short (hub/charts.py)


def english_in(text: str) -> list[str]:
    return [e for e, word in ENGLISH_WORDS if e in text and word.search(text)]


@pytest.fixture
def seeded_hub(app, clock, people, terminal):
    """The demo seed, a case from a bad rating with a comment, and German for HQ and Mia."""
    with connected(app):
        seed(PLAN, now=clock())
        load_tills(PLAN, now=clock())  # the demo's open tills: the trend's select, the drivers' links
        User.update(language="de").where(User.id.in_([people["admin"].id, people["mia"].id])).execute()
    case_id = newest_case_after_bad_rating(app, terminal, "Die Kasse war zu lange geschlossen")
    with connected(app):
        return {
            "people": {k: User.get_by_id(v.id) for k, v in people.items()},
            "code": Store.select().order_by(Store.code.desc()).first().code,
            "region_id": Region.select().order_by(Region.name).first().id,
            "case_id": case_id,
            "rule_id": AlertRule.select().first().id,
            "key": Survey.select().first().key,
            "terminal_id": str(Terminal.select().first().id),
            "user_id": people["mia"].id,
            "token": "not-a-token",
            "data": data_names(),
        }


def data_names() -> tuple[str, ...]:
    """What the data names, longest first (a name holding another is taken out whole)."""
    names = [*NAMES.values()]
    for model in (Store, Touchpoint, Survey, Region, AlertRule, User):
        names += [row.name for row in model.select(model.name)]
    return tuple(sorted({n for n in names if n}, key=len, reverse=True))


def german_pages(app, client, seeded: dict[str, Any]) -> dict[str, str]:
    """Every GET page of the URL map, as the signed-in client sees it (the path -> the page)."""
    pages = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if rule.rule.startswith(("/api/", "/m/", "/static")) or rule.rule.endswith((".csv", ".json")):
            continue
        path = rule.build({name: seeded[name] for name in rule.arguments}, append_unknown=False)[1]
        answer = client.get(path)
        if answer.mimetype == "text/html" and answer.status_code in (200, 400, 404):
            pages[path] = answer.get_data(as_text=True)
    return pages


def test_the_catalog_gives_the_walk_english_to_look_for():
    assert len(ENGLISH) > 200
    assert "Three things to work on this week" in ENGLISH
    assert english_in("Keine Kommentare passen. The numbers") == ["The numbers"]


@pytest.mark.parametrize("who", ["admin", "mia"])
def test_every_staff_page_is_german_for_a_person_who_chose_german(app, seeded_hub, who):
    client = app.test_client()
    sign_in_as(client, seeded_hub["people"][who])

    pages = german_pages(app, client, seeded_hub)

    assert len(pages) >= (30 if who == "admin" else 17)
    assert {"/dashboard", "/account", f"/cases/{seeded_hub['case_id']}", "/cases"} <= set(pages)
    left = {path: english_in(visible_text(page, seeded_hub["data"])) for path, page in pages.items()}
    assert {path: found for path, found in left.items() if found} == {}
    assert all('<html lang="de">' in page for page in pages.values())


def test_the_pages_before_sign_in_are_german_for_a_german_browser(app, seeded_hub):
    client = app.test_client()
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    for path in ("/", "/login", "/password-reset", "/password-reset/not-a-token"):
        page = client.get(path, headers=german).get_data(as_text=True)
        assert english_in(visible_text(page)) == [], path


def test_every_staff_email_is_german_for_a_person_who_chose_german(app, clock, seeded_hub, inbox):
    """An alert (from the bad rating), the digest and the report, through the real SMTP server."""
    from hub.services.digests import queue_digests
    from hub.services.reports import queue_reports

    with connected(app):
        assert queue_digests(clock(), hour=7, public_url="http://hub.example") >= 1
        assert queue_reports(clock(), public_url="http://hub.example") >= 1
    deliver(app)

    mails = inbox.to("mia@example.org")
    kinds = {m["X-Voxloop-Message"] for m in mails}
    assert len(kinds) >= 3  # the alert, the digest and the report
    subjects = " | ".join(str(m["Subject"]) for m in mails)
    assert "voxloop-Tagesübersicht" in subjects and "voxloop-Wochenbericht" in subjects
    for mail in mails:
        for text in (visible_text(text_of(mail), seeded_hub["data"]), visible_text(html_of(mail), seeded_hub["data"])):
            assert english_in(text) == [], mail["Subject"]
        assert english_in(str(mail["Subject"])) == []


def test_the_signal_and_password_emails_are_german(app):
    event = {
        "store": {"code": "B001", "name": "Berlin Mitte"},
        "kpi_label": "Smiley-Index",
        "window": {"start": "16.11.2026", "end": "22.11.2026"},
        "baseline": {"start": "21.9.2026", "end": "15.11.2026"},
        "values": {"current": 16.67, "current_n": 140, "baseline": 46.5, "baseline_n": 560},
        "test": "t-Test",
        "p_value": 8.9e-06,
        "alpha": 0.0005,
        "url": "http://hub.example/dashboard/signals",
    }
    with app.test_request_context(), in_language("de"):
        signal = [render_template(f"email/signal.{form}", event=event) for form in ("txt", "html")]
        reset = [
            render_template(f"email/password_reset.{form}", link="http://x", minutes=30) for form in ("txt", "html")
        ]

    for text in (*signal, *reset):
        assert english_in(visible_text(text)) == []
    assert "16,67 aus 140 Antworten" in signal[0]  # the figure in German format
    assert "Guten Tag," in reset[0]


def test_a_german_page_and_email_write_numbers_and_dates_the_german_way(app, clock, seeded_hub, inbox):
    client = app.test_client()
    sign_in_as(client, seeded_hub["people"]["admin"])
    page = client.get("/dashboard?from=2026-11-09&to=2026-11-22").get_data(as_text=True)

    assert "9.11.2026 bis 22.11.2026, verglichen mit 26.10.2026 bis 8.11.2026" in page
    value = re.search(r'id="figure-smiley_index".*?class="figure-value"[^>]*>([^<]+)<', page, re.S).group(1)
    assert re.fullmatch(r"-?\d+,\d", value.strip()), value

    from hub.services.reports import queue_reports

    with connected(app):
        queue_reports(clock(), public_url="http://hub.example")
    deliver(app)
    (report,) = [m for m in inbox.to("admin@example.org") if "Wochenbericht" in str(m["Subject"])]
    assert "16.11.2026–22.11.2026" in str(report["Subject"])
    shown = re.search(r"Smiley-Index: (-?[\d.]+,\d)", text_of(report))
    assert shown is not None, text_of(report)
    assert "1. „Wartezeit an der Kasse“: " in text_of(report)  # what to work on: the German reason and sentence
