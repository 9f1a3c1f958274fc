"""Where people meet the recommendation: the start page of everyone who sees the store (and
nobody else), its dismissal with a word why (kept, in the audit trail, shown to HQ), the teams
admin page scoped like everything else, and what was already tried with its measured effect."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from hub.models import Recommendation, RecommendationEvent, Store, Team, Touchpoint, User
from hub.seed.action_history import history
from hub.services import actions, catalog, teams
from hub.services.access import scope_for
from hub.services.action_effects import effect_of
from hub.services.recommendations import make_recommendations, tried
from tests.hub.action_data import write_fleet
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import connected
from tests.hub.recommendation_data import week

MORNING = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


@pytest.fixture
def made(app, clock, people, terminal, other_terminal):
    """B001 (queue problem) and H002 with their whole-store recommendations of 23 Nov."""
    week(terminal, queue_problem=True, seed=17)
    week(other_terminal, queue_problem=False, seed=5)
    with connected(app):
        make_recommendations(MORNING)
        return {r.store.code: r.id for r in Recommendation.select()}


def _page(app, who):
    client = app.test_client()
    token = sign_in_as(client, who)
    return client, token, client.get("/").get_data(as_text=True)


def _section(page):
    return re.search(r'<section class="card" id="recommendations">(.*?)</section>', page, re.S).group(1)


def test_the_store_manager_sees_the_queue_with_comments_and_nobody_else_sees_it(app, people, made):
    _, _, mia = _page(app, people["mia"])
    _, _, hans = _page(app, people["hans"])

    mine = _section(mia)
    assert f'id="recommendation-{made["B001"]}"' in mine and 'data-reason="queue"' in mine
    assert "Work on: Waiting at the till" in mine
    assert "unhappy customers asked" in mine and "Kasse" in mine  # the evidence and its comments
    assert f'id="recommendation-{made["H002"]}"' not in mine
    assert f'id="recommendation-{made["B001"]}"' not in _section(hans) and "Kasse" not in hans


def test_another_stores_manager_can_neither_dismiss_nor_learn_that_it_exists(app, people, made):
    client, token, _ = _page(app, people["hans"])

    answer = client.post(f"/admin/recommendations/{made['B001']}/dismiss", data={"csrf_token": token, "note": "no"})

    assert answer.status_code == 404
    with connected(app):
        assert Recommendation.get_by_id(made["B001"]).dismissed_at is None


def test_a_dismissal_keeps_the_word_why_in_the_audit_trail_and_hq_reads_it(app, clock, people, made):
    client, token, _ = _page(app, people["mia"])

    empty = client.post(f"/admin/recommendations/{made['B001']}/dismiss", data={"csrf_token": token, "note": " "})
    answer = client.post(
        f"/admin/recommendations/{made['B001']}/dismiss",
        data={"csrf_token": token, "note": "Second till opens from Monday"},
    )

    assert empty.status_code == 302 and answer.status_code == 302
    with connected(app):
        found = Recommendation.get_by_id(made["B001"])
        trail = [(e.kind, e.user_id, e.text) for e in RecommendationEvent.select().order_by(RecommendationEvent.id)
                 if e.recommendation_id == found.id]  # fmt: skip
    assert (found.dismissed_by_id, found.dismissed_note) == (people["mia"].id, "Second till opens from Monday")
    assert trail == [("made", None, None), ("dismissed", people["mia"].id, "Second till opens from Monday")]
    _, _, page = _page(app, people["mia"])
    assert "Dismissed by Mia Manager: Second till opens from Monday" in _section(page)
    admin = app.test_client()
    sign_in_as(admin, people["admin"])
    teams_page = admin.get("/admin/teams").get_data(as_text=True)
    row = rf'data-recommendation="{found.id}">.*?Mia Manager.*?Second till opens from Monday'
    assert re.search(row, teams_page, re.S)


def test_an_hq_analyst_reads_but_may_not_dismiss(app, people, made):
    client, token, page = _page(app, people["ana"])

    answer = client.post(f"/admin/recommendations/{made['B001']}/dismiss", data={"csrf_token": token, "note": "x"})

    assert f'id="recommendation-{made["B001"]}"' in page and 'name="note"' not in _section(page)
    assert answer.status_code == 403


def test_a_store_manager_makes_a_team_for_their_store_only(app, people, store, other_store):
    client, token, _ = _page(app, people["mia"])
    fields = {"csrf_token": token, "name": "Checkout", "reasons": ["queue"], "members": [str(people["mia"].id)]}

    own = client.post("/admin/teams", data={**fields, "store": str(store.id)})
    foreign = client.post("/admin/teams", data={**fields, "store": str(other_store.id)})
    page = client.get("/admin/teams").get_data(as_text=True)

    assert own.status_code == 302 and foreign.status_code == 404
    with connected(app):
        assert [(t.store_id, t.name) for t in Team.select()] == [(store.id, "Checkout")]
    assert "Checkout" in page and "H002" not in page
    members = set(re.findall(r'name="members" value="(\d+)"', page))
    assert members == {str(people["mia"].id)}  # the people of her store only, in each form
    with connected(app):
        exit_id = Touchpoint.get(Touchpoint.store == store.id).id
    assert set(re.findall(r'name="touchpoints" value="(\d+)"', page)) == {str(exit_id)}


def test_an_action_already_tried_shows_up_with_its_measured_effect(app):
    # stores 1-3 (region Berlin) named the queue less from 28 Sep (as tests/hub/test_action_effects.py)
    planted = history(
        seed=1, stores=24, improved=(1, 2, 3), lift=10.0, first=date(2026, 8, 3), start=date(2026, 9, 28),
        last=date(2026, 10, 25),
    )  # fmt: skip
    fleet = write_fleet(app, planted)
    now = datetime(2026, 10, 26, 6, 30, tzinfo=UTC)
    with connected(app):
        admin = User.get(User.email == "admin@example.org")
        fields = {"title": "Second till", "kpi": "reason_share", "reason": "queue", "effect_from": "2026-09-28"}
        action = actions.create_action(
            scope_for(admin), admin, {**fields, "scope": f"region:{fleet.region_id}"}, now=now
        )  # the region of stores 1-3
        measured = effect_of(action, now)
        make_recommendations(now)
        found = Recommendation.get(Recommendation.store == fleet.store_ids[1])
        elsewhere = tried(fleet.store_ids[5], "queue", now)
        day = found.day

    assert (found.reason, str(day)) == ("queue", str(date(2026, 10, 26)))
    assert [(a["id"], a["title"], a["verdict"]) for a in found.data["tried"]] == [(action.id, "Second till", "clear")]
    assert found.data["tried"][0]["high"] < 0  # fewer named the queue
    assert (found.data["tried"][0]["estimate"], found.data["tried"][0]["high"]) == (
        round(measured.estimate, 2),
        round(measured.high, 2),
    )  # the action page's figures
    assert elsewhere == []  # another store never tried it
    with connected(app):
        assert Store.get_by_id(fleet.store_ids[1]).code == "S001"


def test_in_german_the_start_page_says_what_to_work_on_in_german(app, people, made):
    with connected(app):
        User.update(language="de").where(User.id == people["mia"].id).execute()
        people["mia"] = User.get_by_id(people["mia"].id)
    _, _, page = _page(app, people["mia"])

    shown = _section(page)
    assert "Empfehlungen für heute" in shown and "Woran arbeiten: Wartezeit an der Kasse" in shown
    assert "befragten unzufriedenen Kunden" in shown and "Heute nicht, weil" in shown


def test_a_team_of_a_touchpoint_is_shown_the_comments_that_came_through_it_only(app, people, terminal):
    week(terminal, queue_problem=True, seed=17)  # every response through B001's exit
    with connected(app):
        store = Store.get(Store.code == "B001")
        desk = catalog.add_touchpoint("B001", "desk", "Service desk")
        admin = scope_for(people["admin"])
        teams.save_team(admin, {"store": store.id, "name": "Service desk", "reasons": ["queue"],
                                "touchpoints": [desk.id]}, now=MORNING)  # fmt: skip
        teams.save_team(admin, {"store": store.id, "name": "Checkout", "reasons": ["queue"]}, now=MORNING)
        make_recommendations(MORNING)
        found = {r.team_name: r for r in Recommendation.select().where(Recommendation.store == store.id)}

    assert found["Service desk"].reason == found["Checkout"].reason == "queue"  # the store's figures
    assert found["Service desk"].data["comments"] == []  # nobody commented through the desk
    assert [c["touchpoint"] for c in found["Checkout"].data["comments"]] == ["exit"] * 3
