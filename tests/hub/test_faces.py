"""Faces are drawn as inline SVG, never as emoji (a screen without a colour-emoji font shows a
box): the comment browser, the start page, the weather screen and a case's page show each
comment's or response's face as an image named with its mood in the page's language, and no
emoji face character."""

from __future__ import annotations

import re

import pytest

from hub.models import Case
from tests.hub.alerting import rating, sign_in_as
from tests.hub.alerting import send as send_rating
from tests.hub.conftest import connected
from tests.hub.test_dashboard_weather import answers as _answers  # noqa: F401 (a fixture, asked for by name)
from tests.hub.test_dashboards import page

EMOJI_FACES = re.compile("[\U0001f600-\U0001f64f\U0001f910-\U0001f92f\u2639\u263a]")
FACE = re.compile(r'<svg class="face" [^>]*role="img" aria-label="([^"]+)" data-mood="([^"]+)"><title>([^<]+)</title>')
PAGES = ["/dashboard/comments", "/", "/weather/stores/B001"]


@pytest.fixture
def admin(client, people, request):
    request.getfixturevalue("_answers")
    sign_in_as(client, people["admin"])
    return client


def faces(html: str) -> list[tuple[str, str, str]]:
    return FACE.findall(html)


@pytest.mark.parametrize("path", PAGES)
def test_each_comment_has_its_face_as_an_svg_named_with_its_mood(admin, path):
    html = page(admin, path)
    found = faces(html)
    assert found, path
    assert all(label == title == mood for label, mood, title in found), found
    assert {"very unhappy", "very happy"} <= {mood for _, mood, _ in found}, found
    assert not EMOJI_FACES.search(html), EMOJI_FACES.findall(html)


@pytest.mark.parametrize("path", PAGES)
def test_in_german_the_face_is_named_in_german(admin, path):
    html = admin.get(path, headers={"Accept-Language": "de"}).get_data(as_text=True)
    moods = {mood: label for label, mood, _ in faces(html)}
    assert moods["very unhappy"] == "sehr unzufrieden"
    assert not EMOJI_FACES.search(html)


def test_every_mood_has_its_own_face(app):
    from hub.dashboards.faces import MOODS, face_svg

    with app.test_request_context("/"):
        drawn = {mood: str(face_svg(mood)) for mood in [*MOODS, "no rating"]}
    paths = {re.search(r'<path d="([^"]+)"', svg).group(1) for mood, svg in drawn.items() if mood in MOODS}
    assert len(paths) == len(MOODS)  # a mouth for every mood, none alike
    assert "<path" not in drawn["no rating"] and 'aria-label="no rating"' in drawn["no rating"]


def test_a_case_page_shows_the_customers_face(app, client, people, terminal):
    send_rating(terminal, rating(terminal, 1, comment="Kasse"))
    with connected(app):
        case_id = Case.select().order_by(Case.id.desc()).get().id
    sign_in_as(client, people["mia"])
    html = page(client, f"/cases/{case_id}")
    response = html[html.index('class="response"') :]
    assert faces(response)[0] == ("very unhappy", "very unhappy", "very unhappy")
    assert not EMOJI_FACES.search(html)
    german = client.get(f"/cases/{case_id}", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert 'aria-label="sehr unzufrieden" data-mood="very unhappy"' in german
