"""The phone page in German at every step, on SQLite and PostgreSQL: no English text of its
catalog (mobile_web/locale/de/LC_MESSAGES/phone.po) is left.

Every step a shopper can see is rendered for a German phone: the conversation (with the texts
its script shows, handed to it in the page's boot JSON), the plain form's refusals (a missing
rating, a contact without consent, a failed CSRF check, too many answers), the thank-you with
and without a contact, a tap's continuation (/m/c/<code>) and its thank-you, and the refusal
pages (a code that cannot be read, an expired one, one whose survey ended, a used receipt, a
continued tap, an expired continuation, an unknown address, a body too large). Each page's
visible text and its script's texts are searched for the catalog's English texts whose German
differs; the page must also say what the German catalog says for that step.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from hub.services.qr_tokens import QrKeys, make_phone_token
from mobile_web.texts import texts
from tests.hub import conftest as hub_fixtures
from tests.hub.test_german_pages import visible_text
from tests.mobile_web.conftest import NPS, SECRET, TestPhone, page_boot, phone_token
from tests.mobile_web.test_continuations import PERSON_PACE, REASON, code_for, tap
from tests.mobile_web.test_phone_page import form_fields

terminal = hub_fixtures.terminal

CATALOG = Path(__file__).resolve().parents[2] / "mobile_web" / "locale" / "de" / "LC_MESSAGES" / "phone.po"
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
WORDS = texts("de", "Berlin Mitte")


def english_texts() -> list[str]:
    """The catalog's English texts that a German page must not show, as literal pieces between
    their placeholders; single short words (Bad) and texts German says alike (Feedback) aside."""
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="de")
    found = set()
    for message in catalog:
        if not message.id or message.id == message.string:
            continue
        for piece in re.split(r"\{\w+\}", message.id):
            piece = " ".join(piece.split()).strip(" .,:;!?()–-…“”")
            if piece and piece not in message.string and (" " in piece or len(piece) > 3):
                found.add(piece)
    return sorted(found, key=len, reverse=True)


ENGLISH = english_texts()


def english_in(text: str) -> list[str]:
    return [e for e in ENGLISH if re.search(r"(?<![\w-])" + re.escape(e) + r"(?![\w-])", text)]


def assert_german(answer, status: int, *expected: str) -> str:
    """The page answered ``status`` in German, says each of ``expected`` and no English text."""
    html = answer.get_data(as_text=True)
    assert answer.status_code == status, html[:500]
    assert '<html lang="de">' in html
    page = re.sub(r"(?is)<script.*?</script>", " ", html)
    for words in expected:
        assert " ".join(words.split()) in visible_text(page)
    assert english_in(visible_text(page, ("Berlin Mitte",))) == []
    return html


def test_the_catalog_gives_the_walk_english_to_look_for():
    assert len(ENGLISH) > 50
    assert "Send feedback" in ENGLISH and "This code doesn't work" in ENGLISH
    assert english_in("Bitte Send feedback drücken") == ["Send feedback"]


def test_the_conversation_and_the_texts_of_its_script_are_german(client, store):
    html = assert_german(client.get(f"/m/{phone_token()}", headers=GERMAN), 200, WORDS["greeting"], WORDS["submit"])
    boot = page_boot(html)
    assert boot["lang"] == "de"
    assert boot["texts"]["contact_question"] == "Dürfen wir Sie zu Ihrem Feedback kontaktieren?"
    assert boot["texts"] == {k: v for k, v in WORDS.items() if k not in ("faces", "problems")}
    assert english_in(" ".join(boot["texts"].values())) == []
    faces = [f["label"] for q in boot["survey"]["questions"] if q["kind"] == "smiley" for f in q["faces"]]
    assert faces == WORDS["faces"][len(faces)]
    assert english_in(" ".join(faces)) == []


def test_the_switch_turns_an_english_phone_german(client, store):
    english = client.get(f"/m/{phone_token()}", headers={"Accept-Language": "en"})
    assert english_in(english.get_data(as_text=True))  # the walk would see English
    assert_german(client.get(f"/m/{phone_token()}?lang=de", headers={"Accept-Language": "en"}), 200, WORDS["submit"])


def _form(client, token: str) -> dict[str, str]:
    return form_fields(client.get(f"/m/{token}", headers=GERMAN).get_data(as_text=True))


def test_the_plain_forms_refusals_are_german(client, store):
    token = phone_token()
    fields = _form(client, token)
    missing = client.post(f"/m/{token}", data={**fields, "q.comment": "ohne Bewertung"}, headers=GERMAN)
    invalid = WORDS["problems"]["invalid_form"]
    assert_german(missing, 422, invalid[0], WORDS["rating_needed"])
    no_consent = {**fields, "q.rating": "2", "contact_address": "anna@example.org"}
    assert_german(client.post(f"/m/{token}", data=no_consent, headers=GERMAN), 422, WORDS["consent_needed"])
    forged = {**fields, "csrf": "x" * 43, "q.rating": "2"}
    assert_german(client.post(f"/m/{token}", data=forged, headers=GERMAN), 403, WORDS["problems"]["csrf_failed"][0])


def test_the_thank_you_is_german_with_and_without_a_contact(client, store):
    token = phone_token()
    plain = client.post(f"/m/{token}", data={**_form(client, token), "q.rating": "4"}, headers=GERMAN)  # of four faces
    html = assert_german(plain, 200, WORDS["thanks"], WORDS["status_sent"], WORDS["again"], WORDS["faces"][4][3])
    assert WORDS["thanks_contact"] not in html
    contact = {"q.rating": "1", "contact_address": "anna@example.org", "contact_consent": "yes"}
    answer = client.post(f"/m/{token}", data={**_form(client, token), **contact}, headers=GERMAN)
    assert_german(answer, 200, WORDS["thanks_contact"])


def test_too_many_answers_get_a_german_page(configured, store):
    client = configured(PHONE_RATE_PER_TOKEN=1, PHONE_RATE_WINDOW_SECONDS=60).test_client()
    token = phone_token()
    assert client.post(f"/m/{token}", data={**_form(client, token), "q.rating": "3"}).status_code == 200
    answer = client.post(f"/m/{token}", data={**_form(client, token), "q.rating": "3"}, headers=GERMAN)
    title, text = WORDS["problems"]["rate_limited"]
    assert_german(answer, 429, title, text.replace("{seconds}", "").split(" in ")[0])


def test_a_taps_continuation_and_its_thank_you_are_german(app, client, clock, terminal):
    item = tap(terminal, rating=2, answers=[{"question": "rating", "kind": "smiley", "value": 2}, REASON])
    assert terminal.post_batch([item]).status_code == 200
    code = code_for(terminal, item["id"])
    greeting = "Danke für Ihre Bewertung „Schlecht“ an unserem Terminal! Möchten Sie uns noch mehr sagen?"
    html = assert_german(client.get(f"/m/c/{code}", headers=GERMAN), 200, greeting)
    assert page_boot(html)["texts"]["status_used"] == WORDS["continue_used"]
    fields = form_fields(html)
    answer = client.post(f"/m/c/{code}", data={**fields, "q.nps": "9", "q.comment": "Gern wieder"}, headers=GERMAN)
    assert_german(answer, 200, WORDS["thanks"])
    assert_german(client.get(f"/m/c/{code}", headers=GERMAN), 410, *WORDS["problems"]["continuation_used"])


def test_the_continuation_of_a_tap_not_yet_arrived_is_german(client, terminal):
    code = code_for(terminal, tap(terminal)["id"])
    assert_german(client.get(f"/m/c/{code}", headers=GERMAN), 200, WORDS["continue_greeting_unknown"])


def test_an_expired_continuation_gets_a_german_page(client, clock, terminal):
    code = code_for(terminal, tap(terminal)["id"], expires=clock() - timedelta(seconds=1))
    assert_german(client.get(f"/m/c/{code}", headers=GERMAN), 410, *WORDS["problems"]["continuation_expired"])


def test_a_continued_tap_sent_by_script_no_longer_opens_in_german(client, clock, terminal):
    item = tap(terminal)
    terminal.post_batch([item])
    phone = TestPhone(client, clock, code_for(terminal, item["id"]), served_at=clock() - PERSON_PACE, id=item["id"])
    assert phone.put(phone.version(NPS, partial=False)).status_code == 200
    assert_german(client.get(f"/m/c/{phone.token}", headers=GERMAN), 410, *WORDS["problems"]["continuation_used"])


@pytest.mark.parametrize(
    ("path", "status", "page"),
    [
        (lambda clock: f"/m/{phone_token()[:-6]}", 400, "invalid"),
        (lambda clock: f"/m/{phone_token(expires=clock() - timedelta(seconds=1))}", 400, "expired"),
        (
            lambda clock: f"/m/{make_phone_token(QrKeys.from_config({'SECRET_KEY': SECRET}), 'B001', 'nowhere')}",
            404,
            "unknown",
        ),
        (lambda clock: "/m/static/nothing.js", 404, "invalid"),
    ],
    ids=["unreadable", "expired", "survey-ended", "unknown-address"],
)
def test_every_refusal_page_is_german(client, clock, store, path, status, page):
    assert_german(client.get(path(clock), headers=GERMAN), status, *WORDS["problems"][page])


def test_a_used_receipt_gets_a_german_page(client, store):
    token = phone_token(receipt=f"R-{secrets.token_hex(3)}")
    assert client.post(f"/m/{token}", data={**_form(client, token), "q.rating": "3"}).status_code == 200
    assert_german(client.get(f"/m/{token}", headers=GERMAN), 410, *WORDS["problems"]["used"])


def test_a_body_too_large_gets_the_german_error_page(configured, store):
    client = configured(MAX_CONTENT_LENGTH=4096).test_client()
    token = phone_token()
    answer = client.post(f"/m/{token}", data={"q.comment": "x" * 10_000}, headers=GERMAN)
    assert_german(answer, 413, *WORDS["problems"]["error"])
