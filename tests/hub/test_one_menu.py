"""One menu on every staff page (hub/templates/_nav.html, included by base.html), on SQLite
and PostgreSQL: for a given person every page that draws the staff layout shows the same
entries in the same order, each entry opens for them, and store and regional managers see no
HQ entry (admin pages, deliveries) while HQ reaches every admin page. The pages are those of
the German page walk (tests/hub/test_german_pages.py): the demo seed and a case from a real
bad rating."""

from __future__ import annotations

import re

import pytest

from tests.hub.alerting import sign_in_as
from tests.hub.test_german_pages import german_pages
from tests.hub.test_german_pages import seeded_hub as _seeded_hub  # noqa: F401 (a fixture, asked for by name)

# pages that draw no staff layout, each with its reason
OWN_LAYOUT = ("/weather",)  # the big screen (all stores, a store): a full-screen display without a menu
HQ_ONLY = {"/admin", "/admin/stores", "/admin/surveys", "/admin/users", "/admin/alert-rules", "/admin/posters"}
ADMIN_ONLY = {"/admin/targets", "/admin/measures"}  # HQ admins set them; analysts do not open them
HQ_ONLY |= ADMIN_ONLY | {"/cases/deliveries"}
EVERYONE = {"/", "/dashboard", "/dashboard/drivers", "/dashboard/comments", "/cases", "/actions", "/admin/terminals"}


def menu(page: str) -> list[tuple[str, str]]:
    """The menu's entries, (href, label), in order; the page must have exactly one menu."""
    menus = re.findall(r'<details class="menu" id="menu">.*?<nav aria-label="[^"]+">(.*?)</nav>', page, re.S)
    assert len(menus) == 1
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', menus[0])


@pytest.mark.parametrize("who", ["mia", "rolf", "ana", "admin"])
def test_every_staff_page_shows_the_same_menu_of_what_the_person_may_open(app, request, who):
    seeded_hub = request.getfixturevalue("_seeded_hub")
    client = app.test_client()
    sign_in_as(client, seeded_hub["people"][who])
    walked = german_pages(app, client, seeded_hub)
    pages = {path: page for path, page in walked.items() if not path.startswith(OWN_LAYOUT)}
    assert len(pages) >= 15

    assert [path for path, page in pages.items() if page.count('<details class="menu" id="menu">') != 1] == []
    menus = {path: menu(page) for path, page in pages.items()}
    first = next(iter(menus.values()))
    assert {path: entries for path, entries in menus.items() if entries != first} == {}

    hrefs = [href for href, _label in first]
    assert len(hrefs) == len(set(hrefs))
    assert set(hrefs) >= EVERYONE
    if who in ("mia", "rolf"):
        assert set(hrefs) & HQ_ONLY == set()
    else:
        assert set(hrefs) >= HQ_ONLY - ADMIN_ONLY
        assert ADMIN_ONLY & set(hrefs) == (ADMIN_ONLY if who == "admin" else set())
    assert {href: client.get(href).status_code for href in hrefs} == {href: 200 for href in hrefs}


def test_the_menu_marks_the_page_shown(app, request):
    seeded_hub = request.getfixturevalue("_seeded_hub")
    client = app.test_client()
    sign_in_as(client, seeded_hub["people"]["admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', page) == ["/admin/users"]
