"""The page at /m/<token>: who may open it, what it says and sends, and what it refuses."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from datetime import timedelta
from html import unescape

import pytest

from hub.db import database
from hub.services import catalog
from hub.services.qr_tokens import QrKeys, make_phone_token
from shared.crypto import make_token
from tests.hub.conftest import assert_problem, count, rows
from tests.mobile_web.conftest import RATING, SECRET, TestPhone, page_boot, phone_token, stored

XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


# --- opening the page -----------------------------------------------------------------------


def test_the_page_opens_with_its_first_question_rendered(client, store):
    page = client.get(f"/m/{phone_token()}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Berlin Mitte" in html
    assert "How was your visit today?" in html
    assert 'name="q.rating"' in html  # the plain form works without the script


def test_the_page_forbids_other_origins_inline_code_and_framing(client, store):
    page = client.get(f"/m/{phone_token()}")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    html = page.get_data(as_text=True)
    # the one script and the one style that run are allowed by their hashes, nothing else
    [script] = re.findall(r"<script>(.*?)</script>", html, re.S)
    [style] = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert f"script-src {_sha256(script)};" in policy
    assert f"style-src {_sha256(style)};" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["Referrer-Policy"] == "same-origin"
    markup = re.sub(r"<(script|style)>.*?</\1>", "", html, flags=re.S)
    assert not re.search(r"(src|href)=\"(https?:)?//", markup)  # nothing from another origin
    assert not re.search(r"\s(on\w+|style)=", markup)  # no inline handlers or styles to allow


def test_the_language_follows_accept_language_and_the_switch(client, store):
    token = phone_token()
    german = client.get(f"/m/{token}", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert "Wie war Ihr Einkauf heute?" in german.get_data(as_text=True)
    assert '<html lang="de">' in german.get_data(as_text=True)
    switched = client.get(f"/m/{token}?lang=en", headers={"Accept-Language": "de"})
    assert "How was your visit today?" in switched.get_data(as_text=True)
    unknown = client.get(f"/m/{token}", headers={"Accept-Language": "fr"})
    assert '<html lang="de">' in unknown.get_data(as_text=True)  # the store's first language


def test_a_changed_survey_is_served_at_once(app, client, clock, store):
    token = phone_token()
    before = client.get(f"/m/{token}", headers={"Accept-Language": "en"})
    definition = dict(catalog.DEFAULT_SURVEY)
    definition["questions"] = [
        {**catalog.DEFAULT_SURVEY["questions"][0], "text": {"de": "Wie war es?", "en": "How did we do?"}}
    ]
    with app.app_context():
        database.connect(reuse_if_open=True)
        catalog.add_survey(definition, clock())
        database.close()
    after = client.get(f"/m/{token}", headers={"Accept-Language": "en"})
    assert "How did we do?" in after.get_data(as_text=True)
    assert page_boot(after.get_data(as_text=True))["survey"]["version"] == 2
    assert after.headers["ETag"] != before.headers["ETag"]


def test_answers_to_the_previous_survey_version_are_still_taken(app, client, clock, store, phone):
    definition = {**catalog.DEFAULT_SURVEY, "questions": catalog.DEFAULT_SURVEY["questions"][:1]}
    with app.app_context():
        database.connect(reuse_if_open=True)
        catalog.add_survey(definition, clock())
        database.close()
    assert phone.put(phone.version(RATING, survey_version=1)).status_code == 200


def test_the_page_is_compressed_for_browsers_that_take_gzip(client, store):
    page = client.get(f"/m/{phone_token()}", headers={"Accept-Encoding": "gzip, br"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert page.headers["Vary"] == "Accept-Encoding"


def test_versioned_files_are_kept_for_a_year(client, store):
    html = client.get(f"/m/{phone_token()}").get_data(as_text=True)
    version = page_boot(html)["v"]
    script = f"/m/static/phone.js?v={version}"
    answer = client.get(script)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get(script, headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304
    assert client.get("/m/static/nothing.js").status_code == 404


def test_the_service_worker_carries_the_release_version(client, store):
    boot = page_boot(client.get(f"/m/{phone_token()}").get_data(as_text=True))
    worker = client.get("/m/sw.js")
    assert worker.headers["Cache-Control"] == "no-cache"
    assert f"var VERSION = '{boot['v']}'" in worker.get_data(as_text=True)


# --- tokens that cannot be used -------------------------------------------------------------


def forged(token: str) -> str:
    prefix, claims, mac = token.split(".")
    return f"{prefix}.{claims}.{'A' * len(mac)}"


@pytest.mark.parametrize(
    ("make", "status", "title"),
    [
        (lambda: forged(phone_token()), 400, "This code doesn't work"),
        (lambda: phone_token()[:-6], 400, "This code doesn't work"),
        (lambda: "v1.not-a-token", 400, "This code doesn't work"),
        (lambda: make_token({"s": "B001", "t": "exit"}, "k9", b"x" * 32), 400, "This code doesn't work"),
        (lambda: phone_token(SECRET_KEY="another hub's secret"), 400, "This code doesn't work"),
        (lambda: phone_token()[:0] + "nothing", 400, "This code doesn't work"),
    ],
    ids=["forged", "truncated", "malformed", "unknown-key", "wrong-key", "garbage"],
)
def test_a_code_that_cannot_be_read_gets_a_friendly_page(client, store, make, status, title):
    page = client.get(f"/m/{make()}", headers={"Accept-Language": "en"})
    assert page.status_code == status
    html = unescape(page.get_data(as_text=True))
    assert title in html
    assert "Traceback" not in html and "Error" not in html
    assert page.mimetype == "text/html"


def test_an_expired_code_gets_a_friendly_page(client, clock, store):
    token = phone_token(expires=clock() - timedelta(seconds=1))
    page = client.get(f"/m/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 400
    assert "This code has expired" in page.get_data(as_text=True)


def test_a_code_for_a_touchpoint_that_is_gone_gets_a_friendly_page(client, store):
    keys = QrKeys.from_config({"SECRET_KEY": SECRET})
    page = client.get(f"/m/{make_phone_token(keys, 'B001', 'nowhere')}", headers={"Accept-Language": "en"})
    assert page.status_code == 404
    assert "This survey has ended" in page.get_data(as_text=True)


def test_answers_to_an_unusable_code_get_a_problem_not_a_page(phone):
    phone.token = forged(phone.token)
    assert_problem(phone.put(phone.version(RATING)), 400, "bad_token_signature")


def test_a_code_that_expired_after_its_page_was_served_still_takes_its_answers(app, client, clock, store):
    token = phone_token(expires=clock() + timedelta(minutes=2))
    phone = TestPhone(client, clock, token, served_at=clock())
    clock.advance(minutes=10)
    assert phone.put(phone.version(RATING, partial=False)).status_code == 200
    late = TestPhone(client, clock, token, served_at=clock())  # a page served after the expiry
    assert_problem(late.put(late.version(RATING)), 400, "expired_token")


# --- keys rotate ----------------------------------------------------------------------------


def test_a_printed_code_keeps_working_after_the_keys_rotate(configured, store):
    printed = phone_token()  # signed with k1
    rotated = configured(QR_KEY_IDS="k2,k1")
    client = rotated.test_client()
    assert client.get(f"/m/{printed}").status_code == 200
    boot = page_boot(client.get(f"/m/{printed}").get_data(as_text=True))
    assert boot["store"] == "B001"
    with rotated.app_context():
        new = make_phone_token(QrKeys.from_config(rotated.config), "B001", "exit")
    assert '"k":"k2"' in _claims(new)
    assert client.get(f"/m/{new}").status_code == 200


def test_a_retired_key_is_refused(configured, store):
    printed = phone_token()
    retired = configured(QR_KEY_IDS="k2").test_client()
    assert retired.get(f"/m/{printed}", headers={"Accept-Language": "en"}).status_code == 400


def test_a_pinned_key_survives_a_new_secret_key(configured, store):
    printed = phone_token()  # k1 derived from the old SECRET_KEY
    moved = configured(SECRET_KEY="a brand new secret", QR_KEY_IDS="k2,k1", QR_SECRETS=f"k1={SECRET}")
    assert moved.test_client().get(f"/m/{printed}").status_code == 200


def _claims(token: str) -> str:
    from shared.crypto import unb64url

    return unb64url(token.split(".")[1]).decode()


# --- rate limits ----------------------------------------------------------------------------


def test_too_many_answers_for_one_code_get_429_with_retry_after(configured, clock, store):
    client = configured(PHONE_RATE_PER_TOKEN=3, PHONE_RATE_WINDOW_SECONDS=60).test_client()
    token = phone_token()
    answers = []
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"):
        phone = TestPhone(client, clock, token, address=address)
        answers.append(phone.put(phone.version(RATING)))
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert_problem(answers[-1], 429, "rate_limited")
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60


def test_too_many_answers_from_one_address_get_429(app, configured, clock, store):
    client = configured(PHONE_RATE_PER_ADDRESS=2).test_client()
    answers = []
    for receipt in ("R-1", "R-2", "R-3"):  # three codes, one phone address
        phone = TestPhone(client, clock, phone_token(receipt=receipt))
        answers.append(phone.put(phone.version(RATING)).status_code)
    assert answers == [200, 200, 429]
    assert count(app, "response") == 2


def test_the_limit_lifts_when_the_window_has_passed(configured, clock, store):
    client = configured(PHONE_RATE_PER_TOKEN=1, PHONE_RATE_WINDOW_SECONDS=60).test_client()
    phone = TestPhone(client, clock, phone_token())
    assert phone.put(phone.version(RATING)).status_code == 200
    assert phone.put(phone.version(RATING)).status_code == 429
    clock.advance(seconds=61)
    assert phone.put(phone.version(RATING)).status_code == 200


def test_hub_processes_share_the_count(configured, clock, store):
    """Two apps on one database stand for two hub processes: the count lives in the database."""
    token = phone_token()
    first = configured(PHONE_RATE_PER_TOKEN=2).test_client()
    second = configured(PHONE_RATE_PER_TOKEN=2).test_client()
    statuses = []
    for client in (first, second, first):
        phone = TestPhone(client, clock, token)
        statuses.append(phone.put(phone.version(RATING)).status_code)
    assert statuses == [200, 200, 429]


def test_the_count_keeps_neither_token_nor_address(app, phone):
    phone.put(phone.version(RATING))
    buckets = [bucket for (bucket,) in rows(app, "SELECT bucket FROM phone_rate_limit")]
    assert len(buckets) == 2
    assert not any(phone.token in b or phone.address in b for b in buckets)


def test_the_proxy_says_who_the_phone_is(configured, clock, store):
    client = configured(PHONE_RATE_PER_ADDRESS=1).test_client()
    statuses = []
    for forwarded in ("203.0.113.1", "203.0.113.2"):
        phone = TestPhone(client, clock, phone_token(receipt=forwarded), address="127.0.0.1")
        statuses.append(phone.put(phone.version(RATING), **{"X-Forwarded-For": forwarded}).status_code)
    assert statuses == [200, 200]  # two phones behind the local proxy, not one


def test_the_limit_counts_the_phone_behind_the_proxy(configured, clock, store):
    client = configured(PHONE_RATE_PER_ADDRESS=1).test_client()
    statuses = []
    for receipt in ("r-1", "r-2"):
        phone = TestPhone(client, clock, phone_token(receipt=receipt), address="127.0.0.1")
        statuses.append(phone.put(phone.version(RATING), **{"X-Forwarded-For": "203.0.113.1"}).status_code)
    assert statuses == [200, 429]


def test_a_phone_cannot_name_another_address_to_escape_the_limit(configured, clock, store):
    client = configured(PHONE_RATE_PER_ADDRESS=1).test_client()
    statuses = []
    for forwarded in ("203.0.113.1", "203.0.113.2"):
        phone = TestPhone(client, clock, phone_token(receipt=forwarded), address="198.51.100.7")
        statuses.append(phone.put(phone.version(RATING), **{"X-Forwarded-For": forwarded}).status_code)
    assert statuses == [200, 429]  # the phone is its own peer: no proxy of ours to believe


# --- the plain form (no JavaScript) ---------------------------------------------------------


def test_the_plain_form_stores_one_complete_response(app, client, clock, store):
    token = phone_token()
    page = client.get(f"/m/{token}", headers={"Accept-Language": "en"})
    fields = form_fields(page.get_data(as_text=True))
    clock.advance(seconds=40)
    form = {**fields, "q.rating": "4", "q.reason": ["staff", "price"], "q.nps": "9", "q.comment": "Great " + XSS}
    thanks = client.post(f"/m/{token}", data=form)
    assert thanks.status_code == 200
    html = thanks.get_data(as_text=True)
    assert "Thank you!" in html
    assert "Great &lt;img src=x onerror=&#34;alert(1)&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    again = client.post(f"/m/{token}", data=form)  # sent twice (a reload of the post)
    assert again.status_code == 200
    assert count(app, "response") == 1
    assert stored(app, fields["response_id"])["flags"] == []
    assert len(stored(app, fields["response_id"])["answers"]) == 5


def test_the_plain_form_takes_a_contact_only_with_consent(app, client, clock, store):
    token = phone_token()
    fields = form_fields(client.get(f"/m/{token}").get_data(as_text=True))
    form = {**fields, "lang": "en", "q.rating": "1", "contact_address": "anna@example.org"}
    refused = client.post(f"/m/{token}", data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Please tick the consent box" in html
    assert 'value="anna@example.org"' in html  # the answers stay in the form
    assert count(app, "response") == 0
    accepted = client.post(f"/m/{token}", data={**form, "contact_consent": "yes"})
    assert accepted.status_code == 200
    assert stored(app, fields["response_id"])["sealed"] is not None


def test_the_plain_form_without_its_csrf_value_is_refused_and_kept(app, client, store):
    token = phone_token()
    fields = form_fields(client.get(f"/m/{token}").get_data(as_text=True))
    forged_form = {**fields, "csrf": "x" * 43, "lang": "en", "q.rating": "2", "q.comment": "keep me"}
    refused = client.post(f"/m/{token}", data=forged_form)
    assert refused.status_code == 403
    assert "Please send it again" in refused.get_data(as_text=True)
    assert "keep me" in refused.get_data(as_text=True)
    assert count(app, "response") == 0


def test_the_plain_form_from_another_site_is_refused(app, client, store):
    token = phone_token()
    fields = form_fields(client.get(f"/m/{token}").get_data(as_text=True))
    answer = client.post(f"/m/{token}", data={**fields, "q.rating": "2"}, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    assert count(app, "response") == 0


def test_the_plain_form_needs_the_rating(app, client, store):
    token = phone_token()
    fields = form_fields(client.get(f"/m/{token}").get_data(as_text=True))
    answer = client.post(f"/m/{token}", data={**fields, "lang": "en", "q.comment": "no rating"})
    assert answer.status_code == 422
    assert "Please choose how it was first." in answer.get_data(as_text=True)


def test_each_response_gets_its_own_id_in_the_form(client, store):
    token = phone_token()
    ids = {form_fields(client.get(f"/m/{token}").get_data(as_text=True))["response_id"] for _ in range(3)}
    assert len(ids) == 3


def test_a_receipt_form_posted_twice_with_two_ids_keeps_the_first(app, client, store):
    token = phone_token(receipt=f"R-{secrets.token_hex(3)}")
    one = form_fields(client.get(f"/m/{token}").get_data(as_text=True))
    two = form_fields(client.get(f"/m/{token}").get_data(as_text=True))
    assert client.post(f"/m/{token}", data={**one, "q.rating": "3"}).status_code == 200
    second = client.post(f"/m/{token}", data={**two, "q.rating": "1"}, headers={"Accept-Language": "en"})
    assert second.status_code == 410
    assert "Already answered" in second.get_data(as_text=True)
    assert count(app, "response") == 1


def test_the_terminals_code_follows_a_rotation(configured, store):
    from hub.services.qr_tokens import touchpoint_token

    rotated = configured(QR_KEY_IDS="k2,k1")
    with rotated.app_context():
        token = touchpoint_token(rotated.config["SECRET_KEY"], "B001", "exit")
    assert '"k":"k2"' in _claims(token)
    assert rotated.test_client().get(f"/m/{token}").status_code == 200
