"""The daily digest carries each team's recommendation of the day, the same one the start page
shows (made by the job, or when the digest comes first), in the person's language, delivered
over real SMTP."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.models import Recommendation, User
from hub.services.digests import queue_digests
from hub.services.recommendations import make_recommendations
from tests.hub.alerting import deliver
from tests.hub.conftest import connected
from tests.hub.recommendation_data import week
from tests.support.mail import text_of

MORNING = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 07:30 in Berlin


def test_the_digest_names_the_queue_with_its_comments_and_a_link(app, clock, people, terminal, inbox):
    planted = week(terminal, queue_problem=True, seed=17)
    clock.at = MORNING
    with connected(app):
        make_recommendations(MORNING)
        made = Recommendation.get(Recommendation.reason == "queue")
        queue_digests(MORNING, hour=7, public_url="http://hub.example")
    deliver(app)

    (digest,) = [m for m in inbox.to("mia@example.org") if "digest" in m["Subject"]]
    text = text_of(digest)
    assert "Work on: Waiting at the till" in text
    assert all(c in text for c in planted.newest_queue_comments(3))
    assert f"http://hub.example/#recommendation-{made.id}" in text


def test_in_german_and_made_by_the_digest_when_it_comes_before_the_job(app, clock, people, terminal, inbox):
    week(terminal, queue_problem=True, seed=17)
    clock.at = MORNING
    with connected(app):
        User.update(language="de").where(User.id == people["mia"].id).execute()
        queue_digests(MORNING, hour=7, public_url="http://hub.example")
        made = list(Recommendation.select().order_by(Recommendation.store))
        again = make_recommendations(MORNING)
    deliver(app)

    (digest,) = [m for m in inbox.to("mia@example.org") if "Tages" in m["Subject"] or "digest" in m["Subject"]]
    assert [r.reason for r in made] == ["queue", None] and again == 0  # made once, by the digest (H002: no data)
    assert "Woran arbeiten: Wartezeit an der Kasse" in text_of(digest)
