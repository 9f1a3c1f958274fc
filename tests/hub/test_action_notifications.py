"""Notices of actions through the outbox (hub/services/action_events.py,
hub/services/action_notifications.py): a task given to someone, due tomorrow, overdue, and an
action's effect measured; each once, in the person's language, with the action's link; due
and overdue tasks of digest readers in their digest instead of single emails."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.models import Action, ActionEvent, OutboxMessage, User
from hub.seed.action_history import history
from hub.services import actions
from hub.services.access import scope_for
from hub.services.action_notifications import queue_action_notices
from hub.services.alerts.rules import create_rule
from hub.services.catalog import add_store
from hub.services.digests import queue_digests
from tests.hub.action_data import write_fleet
from tests.hub.alerting import deliver
from tests.hub.conftest import START, connected
from tests.hub.test_action_exports import DOC
from tests.hub.test_openapi import validator

DUE = date(2026, 11, 25)
# Auckland is UTC+13 in November: its 07:00 on 24 Nov (the day before DUE) is 18:00 UTC on 23 Nov
AUCKLAND_MORNING_BEFORE = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
AUCKLAND_MORNING_AFTER = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # 07:00 on 26 Nov


@pytest.fixture
def far_store(app, clock):
    with connected(app):
        return add_store("A001", "Auckland Ponsonby", time_zone="Pacific/Auckland", now=clock())


def notices(app, kind=None):
    with connected(app):
        query = OutboxMessage.select().where(OutboxMessage.channel == "email").order_by(OutboxMessage.id)
        found = [m for m in query if m.kind in ("task_assigned", "task_due", "task_overdue", "effect_measured")]
        return [m for m in found if kind is None or m.kind == kind]


def run(app, at, digest_hour=7):
    with connected(app):
        return queue_action_notices(at, digest_hour=digest_hour)


def task_for(app, person, assignee, store, due=DUE, title="Order a second till"):
    with connected(app):
        scope = scope_for(person)
        action = actions.create_action(
            scope,
            person,
            {"title": "Queue at peak hours", "kpi": "smiley_index", "scope": f"store:{store.id}"},
            now=START,
        )
        task = actions.add_task(
            scope, person, action.id, {"title": title, "assignee": assignee.id, "due_on": due}, now=START
        )
        return action, task


def test_a_task_given_to_someone_tells_them_once_and_not_when_they_take_it_themselves(app, people, store):
    admin, mia = people["admin"], people["mia"]
    task_for(app, admin, admin, store, title="Own task")
    _action, task = task_for(app, admin, mia, store)

    (notice,) = notices(app, "task_assigned")
    assert (notice.user_id, notice.recipient, notice.payload["task"]) == (mia.id, "mia@example.org", task.id)
    assert notice.payload["by"] == admin.name


def test_a_task_given_to_someone_else_tells_the_new_assignee(app, people, store):
    admin, mia, rolf = people["admin"], people["mia"], people["rolf"]
    action, task = task_for(app, admin, mia, store)
    with connected(app):
        actions.update_task(scope_for(admin), admin, action.id, task.id, {"assignee": rolf.id}, now=START)

    assert [m.user_id for m in notices(app, "task_assigned")] == [mia.id, rolf.id]


def test_due_tomorrow_is_told_from_the_stores_local_morning_across_its_midnight(app, people, far_store):
    admin = people["admin"]  # HQ gets no digest: single emails
    task_for(app, admin, admin, far_store)

    assert run(app, AUCKLAND_MORNING_BEFORE - timedelta(hours=7, minutes=1)) == 0  # 23:59 on 23 Nov in Auckland
    assert run(app, AUCKLAND_MORNING_BEFORE - timedelta(minutes=1)) == 0  # 06:59 on 24 Nov
    assert run(app, AUCKLAND_MORNING_BEFORE) == 1
    assert run(app, AUCKLAND_MORNING_BEFORE + timedelta(hours=3)) == 0  # never twice
    (notice,) = notices(app, "task_due")
    assert (notice.user_id, notice.payload["due_on"]) == (admin.id, "2026-11-25")


def test_the_same_utc_hour_is_still_the_evening_before_in_berlin(app, people, store):
    admin = people["admin"]
    task_for(app, admin, admin, store)  # due 25 Nov in Berlin

    assert run(app, AUCKLAND_MORNING_BEFORE) == 0  # 19:00 on 23 Nov in Berlin: not yet the day before
    assert run(app, datetime(2026, 11, 24, 5, 59, tzinfo=UTC)) == 0  # 06:59 on 24 Nov
    assert run(app, datetime(2026, 11, 24, 6, 0, tzinfo=UTC)) == 1


def test_overdue_is_told_once_the_morning_after_the_due_date(app, people, far_store):
    admin = people["admin"]
    task_for(app, admin, admin, far_store)
    run(app, AUCKLAND_MORNING_BEFORE)

    assert run(app, AUCKLAND_MORNING_AFTER - timedelta(hours=7, minutes=1)) == 0  # 23:59 on the due date
    assert run(app, AUCKLAND_MORNING_AFTER - timedelta(minutes=1)) == 0
    assert run(app, AUCKLAND_MORNING_AFTER) == 1
    assert run(app, AUCKLAND_MORNING_AFTER + timedelta(hours=5)) == 0
    assert run(app, AUCKLAND_MORNING_AFTER + timedelta(days=1)) == 0  # the day after that: nothing more
    assert [m.kind for m in notices(app) if m.kind != "task_assigned"] == ["task_due", "task_overdue"]


def test_a_done_task_a_closed_action_and_a_deactivated_person_get_nothing(app, people, store, far_store):
    admin, mia = people["admin"], people["mia"]
    hq = people["ana"]  # an analyst cannot be given tasks: use a second HQ admin
    with connected(app):
        other = User.create(
            email="otto@example.org", name="Otto", role="hq_admin", password_hash=admin.password_hash,
            active=True, created_at=START.replace(tzinfo=None),
        )  # fmt: skip
    done_action, done = task_for(app, admin, admin, far_store, title="done")
    closed_action, _ = task_for(app, admin, admin, far_store, title="closed")
    task_for(app, admin, other, far_store, title="deactivated")
    with connected(app):
        actions.update_task(scope_for(admin), admin, done_action.id, done.id, {"done": True}, now=START)
        actions.update_action(scope_for(admin), admin, closed_action.id, {"state": "dropped"}, now=START)
        User.update(active=False).where(User.id == other.id).execute()

    assert run(app, AUCKLAND_MORNING_BEFORE) == 0
    assert notices(app, "task_due") == []
    assert hq.id not in [m.user_id for m in notices(app)]
    assert mia.id not in [m.user_id for m in notices(app)]


def test_a_digest_reader_finds_due_and_overdue_tasks_in_the_digest_and_no_single_email(app, people, store):
    admin, mia = people["admin"], people["mia"]
    task_for(app, admin, mia, store, due=date(2026, 11, 24), title="Due tomorrow")
    task_for(app, admin, mia, store, due=date(2026, 11, 20), title="Late one")
    task_for(app, admin, mia, store, due=date(2026, 12, 20), title="Not yet")
    morning = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin

    assert run(app, morning) == 0
    assert notices(app, "task_due") == []
    with connected(app):
        queue_digests(morning, hour=7, public_url="https://hub.example")
        digest = OutboxMessage.get((OutboxMessage.kind == "digest") & (OutboxMessage.user == mia.id))
    listed = [(t["title"], t["overdue"]) for t in digest.payload["tasks"]]
    assert listed == [("Late one", True), ("Due tomorrow", False)]
    assert digest.payload["tasks"][0]["url"].startswith("https://hub.example/actions/")


def test_with_digests_off_a_store_manager_gets_the_single_email(app, people, store):
    admin, mia = people["admin"], people["mia"]
    task_for(app, admin, mia, store, due=date(2026, 11, 24))

    assert run(app, datetime(2026, 11, 23, 6, 0, tzinfo=UTC), digest_hour=-1) == 1
    assert [m.user_id for m in notices(app, "task_due")] == [mia.id]


def test_a_due_notice_for_a_task_done_meanwhile_is_withdrawn_when_it_would_go_out(app, clock, people, far_store, inbox):
    admin = people["admin"]
    action, task = task_for(app, admin, admin, far_store)
    clock.at = AUCKLAND_MORNING_BEFORE
    run(app, clock())
    with connected(app):
        actions.update_task(scope_for(admin), admin, action.id, task.id, {"done": True}, now=AUCKLAND_MORNING_BEFORE)

    run_result = deliver(app)
    assert len(run_result.withdrawn) == 1
    assert inbox.messages == []


def test_a_due_notice_goes_out_through_real_smtp_in_the_persons_language_with_the_link(
    app, clock, people, far_store, inbox
):
    admin = people["admin"]
    with connected(app):
        User.update(language="de").where(User.id == admin.id).execute()
    action, _ = task_for(app, admin, admin, far_store, title="Zweite Kasse bestellen")
    clock.at = AUCKLAND_MORNING_BEFORE
    run(app, clock())

    assert deliver(app).sent
    (mail,) = inbox.messages
    assert mail["To"] == "admin@example.org"
    assert mail["Subject"] == "Morgen fällig: Zweite Kasse bestellen (Queue at peak hours)"
    text = mail.get_body(("plain",)).get_content()
    assert "fällig" in text and "Zweite Kasse bestellen" in text
    assert f"/actions/{action.id}" in text
    assert f'/actions/{action.id}">' in mail.get_body(("html",)).get_content()
    assert deliver(app).sent == []


# --- the effect measured ----------------------------------------------------------------------

EFFECT_START = date(2026, 9, 28)
MEASURED = datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def fleet(app):
    planted = history(
        seed=7, stores=24, improved=(1, 2, 3), lift=10.0, first=date(2026, 8, 3), start=EFFECT_START,
        last=date(2026, 10, 25),
    )  # fmt: skip
    return write_fleet(app, planted)


def test_the_measured_effect_is_told_once_to_owner_and_participants_with_verdict_interval_and_n(
    app, clock, people, fleet, inbox
):
    admin = people["admin"]
    with connected(app):
        other = User.create(
            email="pia@example.org", name="Pia", role="hq_admin", password_hash=admin.password_hash,
            active=True, created_at=START.replace(tzinfo=None), language="de",
        )  # fmt: skip
        action = actions.create_action(
            scope_for(admin),
            admin,
            {"title": "Second till", "kpi": "smiley_index", "scope": f"region:{fleet.region_id}",
             "effect_from": EFFECT_START, "participants": [other.id]},
            now=MEASURED - timedelta(days=20),
        )  # fmt: skip

    with connected(app):
        create_rule(
            {"name": "CRM", "kind": "action", "condition": {}, "email": False, "webhook_url": "https://crm.example/in"},
            now=MEASURED,
        )

    assert run(app, datetime(2026, 10, 5, 10, tzinfo=UTC)) == 0  # a week in: too early to tell
    assert run(app, MEASURED) == 3  # two emails and the webhook
    assert run(app, MEASURED + timedelta(hours=1)) == 0
    with connected(app):
        (event,) = ActionEvent.select().where(
            (ActionEvent.action == action.id) & (ActionEvent.kind == "effect_measured")
        )
        assert event.data["verdict"] == "clear" and event.data["low"] > 0
    sent = notices(app, "effect_measured")
    assert sorted(m.user_id for m in sent) == sorted([admin.id, other.id])
    effect = sent[0].payload["effect"]
    assert effect["verdict"] == "clear" and effect["low"] <= 10.0 <= effect["high"]
    with connected(app):
        (hook,) = OutboxMessage.select().where(OutboxMessage.kind == "action_event")
    assert hook.payload["event"] == "action.effect_measured" and hook.payload["effect"] == effect
    described = validator(DOC, DOC["components"]["schemas"]["ActionWebhookEvent"])
    assert [e.message for e in described.iter_errors({**hook.payload, "delivery": str(hook.id)})] == []

    clock.at = MEASURED
    assert len(deliver(app).sent) == 2
    by_person = {m["To"]: m for m in inbox.messages}
    english = by_person["admin@example.org"].get_body(("plain",)).get_content()
    german = by_person["pia@example.org"].get_body(("plain",)).get_content()
    assert "a clear improvement, +" in english
    assert "95 % interval" in english and "n = " in english and f"/actions/{action.id}" in english
    assert "eine klare Verbesserung" in german


def test_a_dropped_action_or_one_for_every_store_is_not_told(app, people, fleet):
    admin = people["admin"]
    with connected(app):
        action = actions.create_action(
            scope_for(admin),
            admin,
            {"title": "x", "kpi": "smiley_index", "scope": f"region:{fleet.region_id}", "effect_from": EFFECT_START},
            now=MEASURED,
        )
        Action.update(state="dropped").where(Action.id == action.id).execute()
        actions.create_action(
            scope_for(admin), admin, {"title": "y", "kpi": "smiley_index", "scope": "all", "effect_from": EFFECT_START},
            now=MEASURED,
        )  # fmt: skip

    assert run(app, MEASURED) == 0


def test_every_action_notice_is_german_for_a_person_who_chose_german(app, clock, people, far_store, inbox):
    from hub.db import write_transaction
    from hub.services.outbox import queue
    from tests.hub.test_german_pages import english_in, visible_text
    from tests.support.mail import html_of, text_of

    admin = people["admin"]
    with connected(app):
        User.update(language="de").where(User.id == admin.id).execute()
    action, task = task_for(app, admin, admin, far_store, title="Kasse")
    effect = {
        "verdict": "clear", "estimate": 5.25, "low": 1.5, "high": 9.0,
        "before": {"start": "2026-08-31", "end": "2026-09-27"}, "after": {"start": "2026-09-28", "end": "2026-10-25"},
        "treated": {"answers_before": 1200, "answers_after": 1300}, "comparison": {"stores": 8},
    }  # fmt: skip
    payloads = {
        "task_assigned": {"action": action.id, "task": task.id, "by": "Otto"},
        "task_due": {"action": action.id, "task": task.id, "due_on": "2026-11-25"},
        "task_overdue": {"action": action.id, "task": task.id, "due_on": "2026-11-25"},
        "effect_measured": {"action": action.id, "effect": effect},
    }
    with connected(app), write_transaction():
        for kind, payload in payloads.items():
            queue(kind=kind, channel="email", recipient=admin.email, user_id=admin.id, payload=payload, now=clock())

    assert len(deliver(app).sent) == 4
    for mail in inbox.messages:
        names = ("Queue at peak hours", "Kasse", "Otto", "Auckland Ponsonby")
        for text in (visible_text(text_of(mail), names), visible_text(html_of(mail), names)):
            assert english_in(text) == [], mail["Subject"]
    effect_mail = next(m for m in inbox.messages if str(m["Subject"]).startswith("Wirkung gemessen"))
    assert "+5,2 Indexpunkte" in text_of(effect_mail) and "1.200" in text_of(effect_mail)


def test_the_effect_is_told_from_the_store_local_midnight_that_completes_its_fourteenth_day(app, people, fleet):
    admin = people["admin"]
    with connected(app):
        actions.create_action(
            scope_for(admin),
            admin,
            {"title": "Till", "kpi": "smiley_index", "scope": f"region:{fleet.region_id}", "effect_from": EFFECT_START},
            now=datetime(2026, 10, 1, tzinfo=UTC),
        )
    berlin_midnight = datetime(2026, 10, 11, 22, 0, tzinfo=UTC)  # 00:00 on 12 Oct in Berlin: 14 days since 28 Sep

    assert run(app, berlin_midnight - timedelta(minutes=1)) == 0  # 13 whole days: too early
    assert run(app, berlin_midnight) == 1
    assert [m.payload["effect"]["after"] for m in notices(app, "effect_measured")] == [
        {"start": "2026-09-28", "end": "2026-10-11"}
    ]
