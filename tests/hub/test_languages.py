"""Whose language a page speaks (hub/i18n.py): the person's choice on /account, else the
browser's Accept-Language, else the hub's LANGUAGE setting, German unless set; the sign-in and
password pages before sign-in follow the browser; dates and numbers are written in the
language's format."""

from __future__ import annotations

import html
import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from flask import render_template, render_template_string

from hub.i18n import case_state_name, day, english, gettext, in_language, lazy_gettext, number, when
from hub.models import User
from hub.problems import problem
from shared.errors import CODES
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import connected

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def language_of(page: str) -> str:
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.fixture
def german_hub(app):
    """The hub as installed: no LANGUAGE set, so German for whoever asks for nothing we speak."""
    app.config["LANGUAGE"] = "de"
    return app


def test_the_sign_in_page_speaks_the_browsers_language(client):
    german = client.get("/login", headers=GERMAN).get_data(as_text=True)
    english = client.get("/login", headers=ENGLISH).get_data(as_text=True)

    assert language_of(german) == "de" and "Passwort vergessen?" in german and "Forgot your password?" not in german
    assert language_of(english) == "en" and "Forgot your password?" in english


def test_a_browser_asking_for_neither_language_gets_german_on_an_installed_hub(german_hub):
    page = german_hub.test_client().get("/login", headers={"Accept-Language": "fr-FR,pl;q=0.8"})

    assert language_of(page.get_data(as_text=True)) == "de"
    assert "Anmelden" in page.get_data(as_text=True)


def test_a_browser_asking_for_nothing_gets_the_hubs_setting(german_hub):
    assert language_of(german_hub.test_client().get("/login").get_data(as_text=True)) == "de"
    german_hub.config["LANGUAGE"] = "en"
    assert language_of(german_hub.test_client().get("/login").get_data(as_text=True)) == "en"


def test_the_password_reset_pages_before_sign_in_follow_the_browser(client):
    asked = client.get("/password-reset", headers=GERMAN).get_data(as_text=True)
    broken = client.get("/password-reset/not-a-token", headers=GERMAN).get_data(as_text=True)

    assert "Link senden" in asked
    assert "Dieser Link funktioniert nicht mehr; fordern Sie einen neuen an." in broken


def test_a_wrong_password_is_refused_in_the_browsers_language(client, people):
    from tests.hub.test_sign_in import csrf_of

    token = csrf_of(client.get("/login", headers=GERMAN).get_data(as_text=True))
    answer = client.post(
        "/login", data={"email": "mia@example.org", "password": "wrong", "csrf_token": token}, headers=GERMAN
    )

    assert answer.status_code == 401
    assert "Die E-Mail-Adresse oder das Passwort stimmt nicht." in answer.get_data(as_text=True)


def test_the_persons_choice_beats_the_browser(app, client, people):
    csrf = sign_in_as(client, people["mia"])
    assert language_of(client.get("/account", headers=ENGLISH).get_data(as_text=True)) == "en"

    saved = client.post("/account/language", data={"language": "de", "csrf_token": csrf}, headers=ENGLISH)
    page = client.get("/account", headers=ENGLISH).get_data(as_text=True)

    assert saved.status_code == 302
    assert language_of(page) == "de"
    assert "Gespeichert: Ihre Sprache." in page  # the confirmation already in the new language
    assert "Ihr Konto" in page and "Your account" not in page
    with connected(app):
        assert User.get_by_id(people["mia"].id).language == "de"


def test_choosing_the_browsers_language_again_follows_the_browser(app, client, people):
    with connected(app):
        User.update(language="en").where(User.id == people["mia"].id).execute()
    csrf = sign_in_as(client, people["mia"])
    assert language_of(client.get("/account", headers=GERMAN).get_data(as_text=True)) == "en"

    client.post("/account/language", data={"language": "", "csrf_token": csrf})

    assert language_of(client.get("/account", headers=GERMAN).get_data(as_text=True)) == "de"
    assert language_of(client.get("/account", headers=ENGLISH).get_data(as_text=True)) == "en"
    with connected(app):
        assert User.get_by_id(people["mia"].id).language is None


def test_a_language_voxloop_does_not_speak_is_refused_and_nothing_changes(app, client, people):
    csrf = sign_in_as(client, people["mia"])

    client.post("/account/language", data={"language": "fr", "csrf_token": csrf})

    page = client.get("/account", headers=ENGLISH).get_data(as_text=True)
    assert "the language is one of de, en" in page
    with connected(app):
        assert User.get_by_id(people["mia"].id).language is None


def test_api_problem_documents_stay_english_for_a_german_browser(app):
    """A detail marked for people's pages (a LazyString) is read in English in a problem document
    (a download answers one too)."""
    with app.test_request_context("/dashboard.csv", headers=GERMAN):
        assert str(lazy_gettext("the two passwords differ")) == "die beiden Passwörter unterscheiden sich"
        body = problem("malformed_request", lazy_gettext("the two passwords differ")).get_json()

    assert body["detail"] == "the two passwords differ"
    assert body["title"] == CODES["malformed_request"][1]


def test_the_json_api_speaks_english_to_a_german_browser(app):
    with app.test_request_context("/api/v1/analytics/overview", headers=GERMAN):
        assert str(lazy_gettext("the two passwords differ")) == "the two passwords differ"


# --- dates and numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "moment", "figure"),
    [("de", "2.12.2026, 14:05", "73,4"), ("en", "12/2/2026, 2:05\u202fPM", "73.4")],
)
def test_dates_and_numbers_are_written_in_the_languages_format(app, lang, moment, figure):
    with app.test_request_context(), in_language(lang):
        assert when(datetime(2026, 12, 2, 14, 5, tzinfo=UTC)) == moment
        assert number(73.4) == figure
        assert number(1234.5) == ("1.234,5" if lang == "de" else "1,234.5")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_numbers_are_written_as_babels_format_decimal_writes_them(app, lang):
    """number() formats without Babel's pattern machinery; Babel is the truth it must equal,
    on halves (rounded to even on the shortest decimal form), signs, zero, big and small."""
    rng = random.Random(5)
    values = [0, 0.0, -0.0, 0.05, 0.15, 0.25, 0.35, -0.04, -0.05, 2.5, 3.5, 1e16, 123456789.125, -9999.95, 7]
    values += [rng.uniform(-100, 100) for _ in range(400)] + [round(rng.uniform(-1e6, 1e6), 3) for _ in range(200)]
    values += [rng.randint(-(10**9), 10**9) for _ in range(100)] + [k / 20 for k in range(-200, 200)]
    # PostgreSQL's numeric columns come back as Decimal
    values += [Decimal("0.125"), Decimal("-2.50"), Decimal("1234567.891"), Decimal("0E-10"), Decimal(7)]
    with app.test_request_context(), in_language(lang):
        for places in (0, 1, 2):
            pattern = "#,##0" + ("." + "0" * places if places else "")
            for value in values:
                assert number(value, places) == format_decimal(value, pattern, locale=lang), (value, places)
        assert number(float("nan")) == format_decimal(float("nan"), "#,##0.0", locale=lang)


def test_a_refused_form_says_why_in_the_persons_language(app, client, people):
    with connected(app):
        User.update(language="de").where(User.id == people["admin"].id).execute()
    csrf = sign_in_as(client, people["admin"])

    answer = client.post(
        "/admin/stores",
        data={"csrf_token": csrf, "code": "M003", "name": "München", "time_zone": "Mars/Olympus", "languages": "de"},
    )

    assert answer.status_code == 400
    assert "'Mars/Olympus' ist keine IANA-Zeitzone wie Europe/Berlin" in html.unescape(answer.get_data(as_text=True))


# --- the language a rendering looks up once ----------------------------------------------------

SIGNAL = {
    "store": {"code": "B001", "name": "Berlin Mitte"},
    "kpi_label": "Smiley index",
    "window": {"start": "16.11.2026", "end": "22.11.2026"},
    "baseline": {"start": "21.9.2026", "end": "15.11.2026"},
    "values": {"current": 16.67, "current_n": 1400, "baseline": 46.5, "baseline_n": 5600},
    "test": "t-test",
    "p_value": 8.9e-06,
    "alpha": 0.0005,
    "url": "http://hub.example/dashboard/signals",
}


def test_an_english_email_rendered_during_a_german_request_is_english_and_the_page_after_german(app):
    with app.test_request_context("/dashboard", headers=GERMAN):
        before = render_template("email/signal.txt", event=SIGNAL)
        with in_language("en"):
            email = render_template("email/signal.txt", event=SIGNAL)
        after = render_template("email/signal.txt", event=SIGNAL)

    assert "This week (16.11.2026 to 22.11.2026): 16.67 from 1400 answers" in email
    assert "Baseline (21.9.2026 to 15.11.2026): 46.5 from 5600 answers" in email
    for german in (before, after):
        assert "16,67 aus 1400 Antworten" in german and "46,5 aus 5600 Antworten" in german
        assert "This week" not in german


PAGE = (
    "{{ _('Rank') }} {{ 1234.5 | number }} {{ moment | when }} {{ case_state_name('open') }}"
    " | {{ in_english() }} | "
    "{{ _('Rank') }} {{ 1234.5 | number }} {{ moment | when }} {{ case_state_name('open') }}"
)


def test_a_text_asked_for_in_english_while_a_german_page_renders_is_english(app):
    """What a rendering looked up is its own language's: in_language inside it (an email written
    while a page is drawn) writes texts, figures and dates in the language it names."""
    moment = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)

    def in_english() -> str:
        with in_language("en"):
            return " ".join(
                (gettext("Rank"), number(1234.5), when(moment), day(moment.date()), case_state_name("open"))
            )

    with app.test_request_context("/dashboard", headers=GERMAN):
        page = render_template_string(PAGE, in_english=in_english, moment=moment)

    assert page == (
        "Rang 1.234,5 2.12.2026, 14:05 offen | Rank 1,234.5 12/2/2026, 2:05\u202fPM 12/2/2026 open"
        " | Rang 1.234,5 2.12.2026, 14:05 offen"
    )


def test_an_api_label_read_while_a_german_page_renders_is_english_and_the_page_stays_german(app):
    with app.test_request_context("/dashboard", headers=GERMAN):
        page = render_template_string(
            "{{ _('Rank') }} {{ label() }} {{ 0.5 | number }}", label=lambda: english(lazy_gettext("Rank"))
        )

    assert page == "Rang Rank 0,5"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (GERMAN, "95-%-Intervall: 1,5 bis &lt;b&gt; · 2 Antworten"),
        (ENGLISH, "95 % interval: 1.5 to &lt;b&gt; · 2 responses"),
    ],
)
def test_a_templates_texts_keep_jinjas_newstyle_gettext(app, headers, expected):
    """Escaped values, %% for a percent sign, a plural chosen by its number."""
    template = (
        "{{ _('95 %% interval') }}: {{ _('%(low)s to %(high)s', low=1.5 | number, high='<b>') }}"
        " · {{ ngettext('%(num)s response', '%(num)s responses', 2) }}"
    )
    with app.test_request_context("/dashboard", headers=headers):
        assert render_template_string(template) == expected
