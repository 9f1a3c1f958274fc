"""When alerts go out and to whom as time passes: escalation at the SLA, quiet hours in the
store's own time zone, windowed rules and the daily digest. The clock is stepped by the test
(START is Monday 2026-11-23 09:00 UTC: 10:00 in Berlin, 04:00 in New York)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.models import Case, OutboxMessage, Store, User
from hub.services import cases
from hub.services.access import scope_for
from hub.services.alerts.opening_hours import next_open_moment
from hub.services.alerts.rule_book import forget_book
from hub.services.alerts.rules import update_rule
from hub.services.alerts.windows import check_windows
from hub.services.digests import queue_digests
from tests.hub.alerting import add_person, deliver, escalate, outbox, rating, send
from tests.hub.conftest import _add_store, connected, enroll_terminal
from tests.support.mail import text_of

PASSWORD = "a long enough password"


@pytest.fixture
def new_york(app, client, clock, people, password_hash):
    """Store N003 in New York (opening hours Mon-Sat 08:00-20:00 local) with manager Nora."""
    store = _add_store(app, clock, "N003", "New York 5th Avenue", "America/New_York")
    with connected(app):
        add_person("nora@example.org", "Nora NY", "store_manager", password_hash, clock, stores=[store])
        forget_book()
    return enroll_terminal(app, client, clock, "N003")


def case_of(app, store_code: str = "B001") -> Case:
    with connected(app):
        return Case.select().join(Store, on=(Case.store == Store.id)).where(Store.code == store_code).get()


# --- opening hours ------------------------------------------------------------------------------


HOURS = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}


@pytest.mark.parametrize(
    ("utc", "zone", "expected"),
    [
        ("2026-11-23T09:00", "Europe/Berlin", "2026-11-23T09:00"),  # Monday 10:00 in Berlin: open
        ("2026-11-23T09:00", "America/New_York", "2026-11-23T13:00"),  # 04:00 in New York: opens 08:00 EST
        ("2026-11-28T19:30", "Europe/Berlin", "2026-11-30T07:00"),  # Saturday 20:30: closed until Monday
        ("2026-03-29T05:00", "Europe/Berlin", "2026-03-30T06:00"),  # Sunday of the DST change: Monday 08:00 CEST
    ],
)
def test_the_next_opening_is_found_in_the_stores_own_time_zone(utc, zone, expected):
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert next_open_moment(HOURS, zone, now) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_a_store_without_opening_hours_is_always_open():
    now = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    assert next_open_moment({}, "Europe/Berlin", now) == now


def test_quiet_hours_hold_an_alert_until_the_store_opens_in_its_own_time_zone(
    app, clock, people, terminal, new_york, inbox
):
    send(terminal, rating(terminal, 1, comment="Berlin"))
    send(new_york, rating(new_york, 1, comment="New York"))

    deliver(app)
    assert [m["To"] for m in inbox.messages] == ["mia@example.org"]  # Berlin is open at 10:00

    clock.at = datetime(2026, 11, 23, 12, 59, tzinfo=UTC)  # 07:59 in New York
    deliver(app)
    assert len(inbox.messages) == 1

    clock.at = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 08:00 in New York: opening
    deliver(app)
    assert [m["To"] for m in inbox.messages] == ["mia@example.org", "nora@example.org"]
    assert "New York" in text_of(inbox.messages[1])


def test_a_rule_without_quiet_hours_alerts_at_night(app, clock, people, new_york, inbox):
    with connected(app):
        update_rule(rule_id(app), {"quiet_hours": False}, now=clock())
    send(new_york, rating(new_york, 1))
    deliver(app)
    assert [m["To"] for m in inbox.messages] == ["nora@example.org"]


def rule_id(app, key: str = "very_unhappy") -> int:
    from hub.models import AlertRule

    with connected(app):
        return AlertRule.get(AlertRule.key == key).id


# --- escalation ---------------------------------------------------------------------------------


def test_an_unacknowledged_case_escalates_at_the_sla_and_not_before(app, clock, people, terminal, inbox):
    send(terminal, rating(terminal, 1))
    deliver(app)

    clock.advance(minutes=29, seconds=59)
    assert escalate(app) == 0
    clock.advance(seconds=1)  # the SLA of "very unhappy" is 30 minutes
    assert escalate(app) == 1
    deliver(app)

    (mail,) = inbox.to("rolf@example.org")
    assert mail["Subject"].startswith("Escalated: B001 Berlin Mitte: Very unhappy customer")
    assert "not acknowledged within 30 min" in text_of(mail)
    assert case_of(app).escalation_level == 1
    assert escalate(app) == 0  # once per level

    clock.advance(minutes=30)
    assert escalate(app) == 1
    deliver(app)
    assert len(inbox.to("admin@example.org")) == 1
    clock.advance(hours=5)
    assert escalate(app) == 0  # HQ is the top


def test_an_acknowledged_case_does_not_escalate(app, clock, people, terminal, inbox):
    send(terminal, rating(terminal, 1))
    clock.advance(minutes=10)
    with connected(app):
        mia = User.get(User.email == "mia@example.org")
        cases.acknowledge(scope_for(mia), mia, case_of(app).id, now=clock())
    clock.advance(hours=3)
    assert escalate(app) == 0
    deliver(app)
    assert inbox.to("rolf@example.org") == []


def test_the_sla_of_a_store_that_is_closed_starts_at_its_opening(app, clock, people, new_york, inbox):
    send(new_york, rating(new_york, 1))
    clock.at = datetime(2026, 11, 23, 13, 29, tzinfo=UTC)  # 08:29 in New York
    assert escalate(app) == 0
    clock.at = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    assert escalate(app) == 1


def test_two_escalation_runs_at_once_escalate_once(app, clock, people, terminal):
    import threading

    send(terminal, rating(terminal, 1))
    clock.advance(minutes=31)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(escalate(app))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    with connected(app):
        assert OutboxMessage.select().where(OutboxMessage.kind == "escalation").count() == 1


# --- windowed rules -----------------------------------------------------------------------------


def windows(app, clock) -> int:
    with connected(app):
        return check_windows(clock())


def test_half_negative_in_fifteen_minutes_with_four_responses_raises_one_alert(app, clock, people, terminal, inbox):
    send(terminal, *[rating(terminal, v) for v in (2, 2, 3, 4)])  # 2 of 4 faces is negative, no single alert

    assert windows(app, clock) == 1
    assert windows(app, clock) == 0  # not again within the window

    case = case_of(app)
    assert case.rule.key == "negative_share"
    assert case.summary["n"] == 4 and case.summary["negative_share"] == 50.0
    deliver(app)
    (mail,) = inbox.to("mia@example.org")
    assert "Many unhappy customers" in mail["Subject"]
    assert "4 responses, 50.0 % negative" in text_of(mail)


def test_three_responses_are_too_few_for_the_window_rule(app, clock, people, terminal):
    send(terminal, *[rating(terminal, 2) for _ in range(3)])
    assert windows(app, clock) == 0
    assert outbox(app) == []


def test_responses_outside_the_window_do_not_count(app, clock, people, terminal):
    send(terminal, *[rating(terminal, 2) for _ in range(4)])
    clock.advance(minutes=16)
    assert windows(app, clock) == 0


def test_an_index_rule_fires_below_its_threshold(app, clock, people, terminal):
    from hub.services.alerts.rules import create_rule

    with connected(app):
        create_rule(
            {
                "name": "Index low",
                "kind": "window",
                "condition": {"index_below": 0, "window_minutes": 30, "min_responses": 3},
            },
            now=clock(),
        )
    send(terminal, *[rating(terminal, v) for v in (2, 3, 2)])  # index (-33 + 33 - 33) / 3 = -11
    assert windows(app, clock) == 1
    with connected(app):
        assert Case.get().rule.name == "Index low"


def test_a_volume_drop_against_the_days_before_fires_while_the_store_is_open(app, clock, people, terminal):
    from hub.services.alerts.rules import create_rule

    with connected(app):
        create_rule(
            {
                "name": "Quiet terminal",
                "kind": "window",
                "condition": {"volume_drop_percent": 80, "window_minutes": 60, "baseline_days": 2, "min_responses": 5},
            },
            now=clock(),
        )
    today = clock.at
    for days in (2, 1):  # ten responses in this hour on each of the two days before
        clock.at = today.replace(day=today.day - days)
        send(terminal, *[rating(terminal, 4) for _ in range(10)])
    clock.at = today
    send(terminal, rating(terminal, 4))  # one today: a 90 % drop
    assert windows(app, clock) == 1
    assert case_of(app).summary["baseline"] == 10.0


# --- the daily digest ---------------------------------------------------------------------------


def test_each_manager_gets_one_digest_a_day_with_the_open_cases(app, clock, people, terminal, inbox):
    send(terminal, rating(terminal, 1))
    with connected(app):
        assert queue_digests(clock(), hour=7, public_url="http://hub.example") == 2  # Mia and Rolf (B001's region)
        assert queue_digests(clock(), hour=7, public_url="http://hub.example") == 0
    deliver(app)
    (digest,) = [m for m in inbox.to("mia@example.org") if "digest" in m["Subject"]]
    assert "1 open case" in digest["Subject"]
    assert "http://hub.example/cases/" in text_of(digest)
    assert inbox.to("hans@example.org") == []  # nothing open in Hamburg: no digest


def test_the_digest_waits_for_the_digest_hour_in_the_stores_time_zone(app, clock, people, terminal):
    send(terminal, rating(terminal, 1))
    clock.at = datetime(2026, 11, 24, 5, 59, tzinfo=UTC)  # 06:59 in Berlin
    with connected(app):
        assert queue_digests(clock(), hour=7, public_url="http://hub.example") == 0
        clock.at = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
        assert queue_digests(clock(), hour=7, public_url="http://hub.example") == 2
