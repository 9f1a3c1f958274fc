"""The first page after sign-in, my stores today: the cases still to work (oldest first, those
past their acknowledgement SLA marked), each store's smiley index today and the latest
comments, of the stores the person sees only (HQ: every store)."""

from __future__ import annotations

import re
from datetime import timedelta

from hub.models import AlertRule, Case, User
from tests.hub.alerting import newest_case_after_bad_rating, sign_in_as
from tests.hub.conftest import connected


def _section(page: str, name: str) -> str:
    return re.search(rf'<section class="card" id="{name}">(.*?)</section>', page, re.S).group(1)


def _cases(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-case="(\d+)"', _section(page, "open-cases"))]


def _index(page: str) -> dict[str, tuple[str, str]]:
    rows = re.findall(
        r'data-code="(\w+)">.*?<td class="num index">([^<]*)</td><td class="num">(\d+)</td>',
        _section(page, "today-index"),
        re.S,
    )
    return {code: (value, n) for code, value, n in rows}


def test_my_stores_today_shows_a_store_managers_open_cases_index_and_comments(
    app, clock, people, terminal, other_terminal
):
    first = newest_case_after_bad_rating(app, terminal, "Die Kasse war zu lange geschlossen")
    foreign = newest_case_after_bad_rating(app, other_terminal, "Hamburg wartet auch")
    clock.at += timedelta(hours=1)
    with connected(app):
        opened = Case.get_by_id(first)
        rule = AlertRule.get_by_id(opened.rule_id)
        other_rule = AlertRule.create(**{**rule.__data__, "id": None, "key": "second", "name": "Second rule"})
        copy = {**opened.__data__, "id": None, "rule": other_rule.id}
        later = Case.create(
            **{**copy, "state": "acknowledged", "opened_at": opened.opened_at + timedelta(minutes=30)}
        ).id
        resolved = Case.create(**{**copy, "state": "resolved"}).id
        assert opened.ack_due_at is not None and opened.ack_due_at < clock().replace(tzinfo=None)
    mia = app.test_client()
    sign_in_as(mia, people["mia"])

    page = mia.get("/").get_data(as_text=True)

    assert "My stores today" in page
    assert page.index('id="open-cases"') < page.index('id="today-index"') < page.index('id="latest-comments"')
    assert _cases(page) == [first, later]  # oldest first; not the resolved one, not Hamburg's
    assert resolved not in _cases(page) and foreign not in _cases(page)
    open_cases = _section(page, "open-cases")
    breached = re.findall(r'data-case="(\d+)">(?:(?!data-case).)*?sla-breached', open_cases, re.S)
    assert breached == [str(first)]  # past its SLA; the acknowledged one is not
    assert _index(page) == {"B001": ("-100.0", "1")}
    comments = _section(page, "latest-comments")
    assert "Die Kasse war zu lange geschlossen" in comments and "Hamburg" not in comments
    assert "Developer" not in page and "OpenAPI" not in page


def test_a_regional_manager_sees_the_region_and_hq_every_store(app, clock, people, terminal, other_terminal):
    first = newest_case_after_bad_rating(app, terminal, "Zu laut")
    foreign = newest_case_after_bad_rating(app, other_terminal, "Zu kalt")
    pages = {}
    for who in ("rolf", "admin"):
        client = app.test_client()
        sign_in_as(client, people[who])
        pages[who] = client.get("/").get_data(as_text=True)

    assert _cases(pages["rolf"]) == [first]
    assert set(_index(pages["rolf"])) == {"B001"}
    assert "Zu kalt" not in pages["rolf"]
    assert _cases(pages["admin"]) == [first, foreign]
    assert _index(pages["admin"]) == {"B001": ("-100.0", "1"), "H002": ("-100.0", "1")}
    assert "Zu laut" in pages["admin"] and "Zu kalt" in pages["admin"]


def test_before_sign_in_the_front_door_names_the_hub(app):
    page = app.test_client().get("/").get_data(as_text=True)
    assert "voxloop hub" in page and "My stores today" not in page


def test_a_case_past_its_sla_is_marked_on_the_case_list_and_page_in_german_too(app, clock, people, terminal):
    case_id = newest_case_after_bad_rating(app, terminal, "Niemand an der Kasse")
    clock.at += timedelta(hours=1)
    with connected(app):
        User.update(language="de").where(User.id == people["mia"].id).execute()
    mia = app.test_client()
    sign_in_as(mia, people["mia"])

    listed = mia.get("/cases").get_data(as_text=True)
    shown = mia.get(f"/cases/{case_id}").get_data(as_text=True)

    assert re.search(r'<div class="error">überfällig seit 30 min</div>', listed)  # not "overdue" in English
    assert '<p class="error">' in shown
