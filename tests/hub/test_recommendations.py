"""Each team's recommendation of the day (hub/services/recommendations.py), against a week of
feedback with a planted queue problem (tests/hub/recommendation_data.py): the checkout team is
told of the queue with its comments and figures, a team of another area of something else, a
store without teams as a whole; made once per store-local morning, whatever the time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.jobs import deliverer_for, job_functions
from hub.models import Recommendation, RecommendationEvent, Store, Touchpoint
from hub.services import teams
from hub.services.access import scope_for
from hub.services.analytics import Period
from hub.services.drivers import reason_drivers
from hub.services.recommendations import make_day, make_recommendations, today_for
from tests.hub.conftest import _add_store, connected
from tests.hub.recommendation_data import WEEK_END, week

MORNING = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 07:30 in Berlin


@pytest.fixture
def planted(app, terminal, other_terminal):
    """B001 with the queue problem, H002 without."""
    return {
        "B001": week(terminal, queue_problem=True, seed=17),
        "H002": week(other_terminal, queue_problem=False, seed=5),
    }


def _teams(app, people):
    """B001's checkout team (the queue, the exit touchpoint, Mia) and fresh counter (stock,
    cleanliness)."""
    with connected(app):
        admin = scope_for(people["admin"])
        store = Store.get(Store.code == "B001")
        exit_ = Touchpoint.get((Touchpoint.store == store) & (Touchpoint.code == "exit"))
        checkout = teams.save_team(
            admin,
            {"store": store.id, "name": "Checkout", "reasons": ["queue"], "touchpoints": [exit_.id],
             "members": [people["mia"].id]},
            now=MORNING,
        )  # fmt: skip
        fresh = teams.save_team(
            admin, {"store": store.id, "name": "Fresh counter", "reasons": ["stock", "cleanliness"]}, now=MORNING
        )
    return checkout, fresh


def _made(app, store_code):
    with connected(app):
        store = Store.get(Store.code == store_code)
        return {r.team_name: r for r in Recommendation.select().where(Recommendation.store == store.id)}


def test_the_checkout_team_is_told_of_the_planted_queue_with_its_comments_and_n(app, planted, people):
    _teams(app, people)
    with connected(app):
        made = make_recommendations(MORNING)
        _, drivers = reason_drivers([Store.get(Store.code == "B001").id], Period.ending(WEEK_END, 7))
        shown = {s.recommendation.team_name: s for s in today_for(scope_for(people["mia"]), MORNING)}

    found = _made(app, "B001")
    assert made == 3  # B001's two teams, H002's whole store
    checkout = found["Checkout"]
    assert (checkout.reason, str(checkout.day)) == ("queue", "2026-11-23")
    figures = checkout.data["figures"]
    assert figures["n"] == planted["B001"].named["queue"]  # every response that named it that week
    queue = next(d for d in drivers if d.key == "queue")  # the drivers page's numbers, one truth
    assert (figures["share"], figures["basis"]) == (round(queue.share, 2), queue.basis)
    assert checkout.data["label"]["en"] == "Waiting at the till"
    comments = shown["Checkout"].comments
    assert [c["text"] for c in comments] == planted["B001"].newest_queue_comments(3)  # newest first
    assert found["Fresh counter"].reason == "stock"  # another area: another recommendation
    assert all("Kasse" not in c["text"] and "till" not in c["text"] for c in shown["Fresh counter"].comments)


def test_a_store_without_teams_gets_one_whole_store_recommendation(app, planted, people):
    with connected(app):
        make_recommendations(MORNING)

    hamburg = _made(app, "H002")
    assert list(hamburg) == [""]  # the whole-store team
    assert hamburg[""].team_key == 0 and hamburg[""].reason == "stock"
    with connected(app):
        events = [
            e.kind for e in RecommendationEvent.select().where(RecommendationEvent.recommendation == hamburg[""].id)
        ]
    assert events == ["made"]


def test_the_job_makes_them_once_per_store_local_morning_in_every_time_zone(app, clock, store):
    _add_store(app, clock, "N003", "New York", "America/New_York")
    with connected(app):
        # 05:59 in Berlin: not yet; 23:59 of 22 Nov in New York: that day's, made late
        before = make_recommendations(datetime(2026, 11, 23, 4, 59, tzinfo=UTC))
        berlin = make_recommendations(MORNING)
        again = make_recommendations(MORNING + timedelta(hours=2))
        new_york = make_recommendations(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))  # 06:00 in New York
        late = make_recommendations(datetime(2026, 11, 24, 4, 0, tzinfo=UTC))  # Berlin 05:00, New York 23:00
        next_day = make_recommendations(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))  # Berlin 06:00
        rows = sorted((r.store.code, str(r.day)) for r in Recommendation.select())

    assert (before, berlin, again, new_york, late, next_day) == (1, 1, 0, 1, 0, 1)
    assert rows == [("B001", "2026-11-23"), ("B001", "2026-11-24"), ("N003", "2026-11-22"), ("N003", "2026-11-23")]


def test_a_second_job_process_making_the_same_day_makes_and_announces_nothing(app, clock, people, store):
    with connected(app):
        shop = Store.get_by_id(store.id)
        first = make_day(shop, MORNING.date(), teams.teams_of(shop.id), MORNING)
        second = make_day(shop, MORNING.date(), teams.teams_of(shop.id), MORNING)  # as if it raced the first
        rows = Recommendation.select().where(Recommendation.store == shop.id).count()
        trail = RecommendationEvent.select().count()

    assert (len(first), second, rows, trail) == (1, [], 1, 1)


def test_the_scheduled_job_runs_from_the_configured_hour(app, store):
    app.config["RECOMMENDATION_HOUR"] = 9
    job = job_functions(app, deliverer_for(app, worker="test"))["recommendations"]
    with connected(app):
        early = job(datetime(2026, 11, 23, 7, 59, tzinfo=UTC))  # 08:59 in Berlin
        due = job(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))

    assert (early, due) == (0, 1)
