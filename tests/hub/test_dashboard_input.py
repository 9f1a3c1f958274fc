"""Bad input in a dashboard's address gets a visible message (a page) or a 400 problem (a
download), never a quiet substitution of another period or filter, on SQLite and PostgreSQL.
The period rules are stated in the forms."""

from __future__ import annotations

import pytest

from tests.hub.conftest import ADMIN_PASSWORD
from tests.hub.test_dashboards import sign_in

PAGES = [
    "/dashboard",
    "/dashboard/stores/B001",
    "/dashboard/hours",
    "/dashboard/drivers",
    "/dashboard/themes",
    "/dashboard/comments",
]
DOWNLOADS = [
    "/dashboard.csv",
    "/dashboard.json",
    "/dashboard/drivers.csv",
    "/dashboard/drivers.json",
    "/dashboard/themes.csv",
    "/dashboard/themes.json",
    "/dashboard/comments.csv",
    "/dashboard/comments.json",
]
BAD_PERIODS = {
    "from=yesterday": "from",
    "to=2026-13-45": "to",
    "from=2026-11-22&to=2026-11-01": "to",  # reversed
    "from=2020-01-01&to=2026-11-23": "from",  # longer than 400 days
    "from=2026-1-5": "from",  # not YYYY-MM-DD
}
# each page's own choices, and a value none of them takes
BAD_CHOICES = {
    "/dashboard?grain=hour": "grain",
    "/dashboard?suspect=yes": "suspect",
    "/dashboard.csv?view=everything": "view",
    "/dashboard/drivers.csv?view=weather": "view",
    "/dashboard/themes?language=xx": "language",
    "/dashboard/comments?rating=abc": "rating",
    "/dashboard/comments?rating=9": "rating",
    "/dashboard/comments.csv?rating=abc": "rating",
    "/dashboard/comments?channel=fax": "channel",
    "/dashboard/signals?state=maybe": "state",
}


@pytest.fixture
def hq(client, store):
    sign_in(client, "admin@example.org", ADMIN_PASSWORD)
    return client


@pytest.mark.parametrize("query", BAD_PERIODS)
def test_a_page_asked_for_a_period_it_cannot_show_says_so(hq, query):
    for path in PAGES:
        if path == "/dashboard/comments" and "2020-01-01" in query:
            continue  # the comment browser filters any range: a long one is no error there
        answer = hq.get(f"{path}?{query}")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400, (path, query)
        assert "This page cannot show what its address asks for" in html
        assert f"&#39;{BAD_PERIODS[query]}&#39;" in html or "ends (" in html or "at most 400 days" in html
        assert 'id="retry">' in html and f'href="{path}"' in html  # back to the page without the query


@pytest.mark.parametrize("query", BAD_PERIODS)
def test_a_download_asked_for_a_period_it_cannot_give_answers_400(hq, query):
    for path in DOWNLOADS:
        if path.startswith("/dashboard/comments") and "2020-01-01" in query:
            continue
        answer = hq.get(f"{path}?{query}")
        assert answer.status_code == 400, (path, query)
        assert answer.mimetype == "application/problem+json"
        body = answer.get_json()
        assert body["code"] == "bad_parameter" and body["parameter"] == BAD_PERIODS[query], (path, body)


@pytest.mark.parametrize("url", BAD_CHOICES)
def test_a_choice_a_page_does_not_offer_is_refused_by_name(hq, url):
    answer = hq.get(url)
    assert answer.status_code == 400
    if url.split("?")[0].endswith((".csv", ".json")):
        assert answer.get_json()["parameter"] == BAD_CHOICES[url]
    else:
        assert f"&#39;{BAD_CHOICES[url]}&#39; must be" in answer.get_data(as_text=True)


def test_every_good_address_still_answers(hq):
    for path in PAGES + DOWNLOADS:
        answer = hq.get(f"{path}?from=2026-11-01&to=2026-11-23")
        assert answer.status_code == 200, path
    assert hq.get("/dashboard?grain=week&suspect=include").status_code == 200
    assert hq.get("/dashboard/comments?rating=2&channel=qr").status_code == 200


def test_the_period_forms_state_the_rules(hq):
    for path in ("/dashboard", "/dashboard/hours", "/dashboard/drivers", "/dashboard/themes"):
        html = hq.get(path).get_data(as_text=True)
        assert "the end not before the start, at most 400 days" in html, path
