"""Case semantics (docs/cases.md), on SQLite and PostgreSQL: which responses open a case and
which join one, what acknowledging and resolving change, that a response is in at most one
case, and that every alert email names the case its responses are in, with a count that
matches its list, and never goes out for a resolved case.

Every email is checked against the database when it arrives: the case in its header and
subject, that case's state, and the responses it lists (by their unique comments)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hub.models import Case, CaseResponse, OutboxMessage
from hub.services.alerts.windows import check_windows
from tests.hub.alerting import deliver, outbox, rating, send, sign_in_as, sql
from tests.hub.conftest import connected
from tests.support.mail import text_of


def comments_of_case(app, case_id: int) -> set[str]:
    return {
        text
        for (text,) in sql(
            app,
            "SELECT a.text FROM answer a JOIN case_response cr ON cr.response_id = a.response_id "
            "WHERE cr.case_id = ? AND a.kind = 'text'",
            (case_id,),
        )
    }


def checked_alerts(app, inbox, seen: int) -> list[dict[str, Any]]:
    """The alert emails that arrived after the first ``seen``, each checked against the
    database now (right after the delivery run that sent it): the case it names is not
    resolved, the responses it lists are in that case, and the subject's count is the list's."""
    found = []
    for mail in inbox.messages[seen:]:
        if "[case #" not in mail["Subject"]:
            continue
        case_id = int(mail["X-Voxloop-Case"])
        assert f"[case #{case_id}" in mail["Subject"]
        listed = re.findall(r'^  "(.+)"\r?$', text_of(mail), re.M)
        with connected(app):
            case = Case.get_by_id(case_id)
        assert case.state != "resolved", f"an alert went out for resolved case #{case_id}: {mail['Subject']}"
        assert set(listed) <= comments_of_case(app, case_id), (mail["Subject"], listed)
        counted = re.search(r"\((\d+) new responses\)", mail["Subject"])
        assert (int(counted.group(1)) if counted else 1) == len(listed), (mail["Subject"], listed)
        assert f"Case #{case_id} ({case.state})" in text_of(mail)
        found.append({"case": case_id, "state": case.state, "listed": listed, "to": mail["To"]})
    return found


def resolve(client, token: str, case_id: int, **extra: str) -> None:
    answer = client.post(
        f"/cases/{case_id}/resolve", data={"csrf_token": token, "category": "fixed_in_store", "note": "done", **extra}
    )
    assert answer.status_code == 302


def case_of(app, comment: str) -> int | None:
    rows = sql(
        app,
        "SELECT cr.case_id FROM case_response cr JOIN answer a ON a.response_id = cr.response_id WHERE a.text = ?",
        (comment,),
    )
    assert len(rows) <= 1
    return rows[0][0] if rows else None


def windows(app, clock) -> int:
    """One run of the windowed rules' job at the test's clock."""
    with connected(app):
        return check_windows(clock())


def every_response_in_at_most_one_case(app) -> bool:
    return not sql(app, "SELECT response_id FROM case_response GROUP BY response_id HAVING COUNT(*) > 1")


# --- the scenario ------------------------------------------------------------------------


def test_complaints_after_a_resolution_are_alerted_under_their_own_open_case(
    app, client, clock, people, terminal, inbox
):
    """A bad rating, a second one gathering for the throttle period, the case resolved, a
    third: the gathered email must not go out for the resolved case, and the third arrives
    under the new case that holds it."""
    token = sign_in_as(client, people["mia"])
    send(terminal, rating(terminal, 1, comment="first"))
    deliver(app)
    first = checked_alerts(app, inbox, 0)
    assert [(a["case"], a["listed"]) for a in first] == [(case_of(app, "first"), ["first"])]

    clock.advance(minutes=1)
    send(terminal, rating(terminal, 1, comment="second"))  # gathers: the throttle holds it 5 min
    clock.advance(minutes=1)
    resolve(client, token, case_of(app, "first"))
    clock.advance(minutes=1)
    send(terminal, rating(terminal, 1, comment="third"))
    deliver(app)
    clock.advance(minutes=5)
    deliver(app)

    later = checked_alerts(app, inbox, 1)
    assert case_of(app, "third") != case_of(app, "first")
    assert [(a["case"], a["listed"]) for a in later] == [(case_of(app, "third"), ["third"])]
    with connected(app):
        withdrawn = OutboxMessage.get((OutboxMessage.case == case_of(app, "first")) & (OutboxMessage.state != "sent"))
    assert withdrawn.state == "withdrawn"
    assert withdrawn.last_error == f"case #{case_of(app, 'first')} was resolved before this message went out"


def test_a_window_fires_again_after_a_resolution_only_on_new_complaints(app, client, clock, people, terminal, inbox):
    """Four unhappy ratings (2 of 4: no single-response rule) make a window case; resolved,
    its complaints stay in it. The window's next checks never take them again; four new
    complaints open a new case of their own."""
    token = sign_in_as(client, people["mia"])
    send(terminal, *[rating(terminal, 2, comment=f"old {i}") for i in range(4)])
    assert windows(app, clock) == 1
    deliver(app)
    old_case = case_of(app, "old 0")
    first = checked_alerts(app, inbox, 0)
    assert {case_of(app, f"old {i}") for i in range(4)} == {old_case}

    clock.advance(minutes=2)
    resolve(client, token, old_case)
    clock.advance(minutes=1)
    assert windows(app, clock) == 0  # the window still holds the old ones: dealt with
    send(terminal, *[rating(terminal, 2, comment=f"new {i}") for i in range(2)])
    assert windows(app, clock) == 0  # two new ones of two: too few for the rule
    send(terminal, *[rating(terminal, 2, comment=f"new {i}") for i in range(2, 4)])
    assert windows(app, clock) == 1
    deliver(app)

    new_case = case_of(app, "new 0")
    assert new_case != old_case
    assert comments_of_case(app, new_case) == {f"new {i}" for i in range(4)}
    assert comments_of_case(app, old_case) == {f"old {i}" for i in range(4)}
    assert every_response_in_at_most_one_case(app)
    later = checked_alerts(app, inbox, len(first))
    assert [(a["case"], sorted(a["listed"])) for a in first + later] == [
        (old_case, [f"old {i}" for i in range(4)]),
        (new_case, [f"new {i}" for i in range(4)]),
    ]


# --- which case a response is in -----------------------------------------------------------------


def test_a_response_that_matches_two_rules_is_in_one_case_the_older_rules(app, people, terminal, inbox):
    send(terminal, rating(terminal, 1, comment="call me", contact="kunde@example.com"))
    with connected(app):
        links = list(CaseResponse.select())
        case = Case.get_by_id(links[0].case_id)
    assert len(links) == 1
    assert case.rule.key == "very_unhappy"  # made before contact_requested
    deliver(app)
    (alert,) = checked_alerts(app, inbox, 0)
    assert alert["listed"] == ["call me"]


def test_a_second_matching_rule_hears_of_the_response_under_the_case_it_is_in(app, clock, people, terminal, inbox):
    """contact_requested gets a webhook: a rating 1 with a contact is in the very_unhappy case,
    the webhook hears of it naming that case, and Mia still gets one email, not two."""
    import json

    from hub.models import AlertRule
    from hub.services.alerts.rules import update_rule
    from tests.hub.alerting import outbox
    from tests.support.webhook_receiver import WebhookReceiver

    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1"
    receiver = WebhookReceiver().start()
    try:
        with connected(app):
            rule = AlertRule.get(AlertRule.key == "contact_requested")
            update_rule(rule.id, {"webhook_url": receiver.url, "webhook_format": "json"}, now=clock())
        send(terminal, rating(terminal, 1, comment="call me", contact="kunde@example.com"))
        deliver(app)
        (call,) = receiver.wait_for(1, timeout=10)
    finally:
        receiver.stop()
    case_id = case_of(app, "call me")
    body = json.loads(call.body)
    assert body["case"]["id"] == case_id and body["rule"]["key"] == "contact_requested"
    assert [r["comment"] for r in body["responses"]] == ["call me"]
    (alert,) = checked_alerts(app, inbox, 0)
    assert alert == {"case": case_id, "state": "open", "listed": ["call me"], "to": "mia@example.org"}
    assert sorted(m.channel for m in outbox(app)) == ["email", "webhook"]
    with connected(app):
        trail = [e.text for e in Case.get_by_id(case_id).events.order_by(Case.events.rel_model.id)]
    assert trail == ["Very unhappy customer", "Customer asks for a call back"]


def test_a_response_sent_again_joins_no_case_twice(app, people, terminal):
    item = rating(terminal, 1, comment="twice")
    send(terminal, item)
    send(terminal, item)
    assert len(sql(app, "SELECT case_id FROM case_response")) == 1
    with connected(app):
        assert Case.get().alert_count == 1


def test_the_database_refuses_a_response_in_a_second_case(app, people, terminal):
    import peewee

    send(terminal, rating(terminal, 1, comment="once"))
    with connected(app):
        link = CaseResponse.get()
        other = Case.create(**{**Case.get_by_id(link.case_id).__data__, "id": None, "state": "resolved"})
        with pytest.raises(peewee.IntegrityError):
            CaseResponse.insert(case=other.id, response=link.response_id).execute()


def test_an_open_case_takes_new_complaints_and_counts_them(app, clock, people, terminal):
    send(terminal, rating(terminal, 1, comment="a"))
    clock.advance(minutes=10)
    send(terminal, rating(terminal, 1, comment="b"), rating(terminal, 1, comment="c"))
    assert case_of(app, "a") == case_of(app, "b") == case_of(app, "c")
    with connected(app):
        assert Case.get_by_id(case_of(app, "a")).alert_count == 3


# --- acknowledged ------------------------------------------------------------------------------


def test_after_acknowledging_an_alert_lists_only_what_joined_since(app, client, clock, people, terminal, inbox):
    token = sign_in_as(client, people["mia"])
    send(terminal, rating(terminal, 1, comment="seen"))
    deliver(app)
    case_id = case_of(app, "seen")
    clock.advance(minutes=1)
    send(terminal, rating(terminal, 1, comment="seen on the page"))  # gathers for 5 min
    clock.advance(minutes=1)
    client.post(f"/cases/{case_id}/acknowledge", data={"csrf_token": token})
    clock.advance(minutes=1)
    send(terminal, rating(terminal, 1, comment="after the acknowledgement"))
    clock.advance(minutes=5)
    deliver(app)

    assert case_of(app, "after the acknowledgement") == case_id  # joins the case being worked
    (later,) = checked_alerts(app, inbox, 1)
    assert later == {
        "case": case_id,
        "state": "acknowledged",
        "listed": ["after the acknowledgement"],
        "to": "mia@example.org",
    }
    assert f"[case #{case_id}, acknowledged]" in inbox.messages[-1]["Subject"]
    assert "Acknowledged by Mia Manager" in text_of(inbox.messages[-1])


def test_after_acknowledging_nothing_new_means_no_email(app, client, clock, people, terminal, inbox):
    token = sign_in_as(client, people["mia"])
    send(terminal, rating(terminal, 1, comment="seen"))
    deliver(app)
    clock.advance(minutes=1)
    send(terminal, rating(terminal, 1, comment="seen on the page"))
    clock.advance(minutes=1)
    client.post(f"/cases/{case_of(app, 'seen')}/acknowledge", data={"csrf_token": token})
    clock.advance(minutes=5)
    run = deliver(app)
    assert len(run.withdrawn) == 1 and not run.sent
    assert len(inbox.messages) == 1


def test_an_escalation_queued_before_the_acknowledgement_is_withdrawn(app, client, clock, people, terminal, inbox):
    from tests.hub.alerting import escalate

    send(terminal, rating(terminal, 1, comment="slow"))
    deliver(app)
    clock.advance(minutes=31)
    assert escalate(app) == 1  # queued for Rolf, the regional manager
    token = sign_in_as(client, people["mia"])
    client.post(f"/cases/{case_of(app, 'slow')}/acknowledge", data={"csrf_token": token})
    run = deliver(app)
    assert not inbox.to("rolf@example.org")
    assert len(run.withdrawn) == 1


# --- close the loop ------------------------------------------------------------------------------


def test_one_close_the_loop_email_per_address_and_case(app, client, clock, people, terminal, inbox):
    token = sign_in_as(client, people["mia"])
    send(terminal, rating(terminal, 1, comment="one", contact="kunde@example.com"))
    clock.advance(minutes=2)
    send(terminal, rating(terminal, 1, comment="two", contact="Kunde@Example.com"))
    send(terminal, rating(terminal, 1, comment="three", contact="other@example.com"))
    resolve(client, token, case_of(app, "one"), notify_customer="on")
    deliver(app)
    customers = [m["To"] for m in inbox.messages if m["To"] not in ("mia@example.org",)]
    assert sorted(customers) == ["kunde@example.com", "other@example.com"]
    assert all("example.com" not in (m.dedupe_key or "") for m in outbox(app))


def test_capture_times_order_a_cases_responses(app, clock, people, terminal):
    """A terminal's backlog arrives late: the case lists by capture, newest first."""
    from datetime import timedelta

    from hub.services.response_views import case_response_ids
    from shared.protocol import format_time

    send(terminal, rating(terminal, 1, comment="today"))
    old = rating(terminal, 1, comment="yesterday")
    old["captured_at"] = format_time(clock() - timedelta(days=1))
    clock.advance(minutes=1)
    send(terminal, old)
    with connected(app):
        ids = case_response_ids(case_of(app, "today"))
    assert case_of(app, "yesterday") == case_of(app, "today")
    comments = [sql(app, "SELECT text FROM answer WHERE response_id = ? AND kind = 'text'", (i,))[0][0] for i in ids]
    assert comments == ["today", "yesterday"]


# --- the migration -------------------------------------------------------------------------------


def test_v0014_keeps_each_response_in_its_oldest_case_and_then_refuses_a_second(app, people, terminal):
    """A hub before v0014 could hold a response in several cases (a window case after a
    resolved one): the migration keeps the oldest link, dates it by its case's opening, and
    the unique index holds from then on."""
    import peewee

    from hub.db import database
    from hub.services.setup import migrate_schema

    send(terminal, rating(terminal, 1, comment="twice"), rating(terminal, 1, comment="once"))
    first = case_of(app, "twice")
    with connected(app), database.atomic():
        p = database.param
        database.execute_sql("DROP INDEX case_response_one_case")
        database.execute_sql("ALTER TABLE case_response DROP COLUMN joined_at")
        database.execute_sql("CREATE INDEX case_response_response ON case_response (response_id)")
        database.execute_sql("DELETE FROM schema_migration WHERE version = 14")
        later = Case.create(**{**Case.get_by_id(first).__data__, "id": None, "state": "resolved"})
        [(twice,)] = database.execute_sql(f"SELECT response_id FROM answer WHERE text = {p}", ("twice",)).fetchall()
        database.execute_sql(f"INSERT INTO case_response (case_id, response_id) VALUES ({p}, {p})", (later.id, twice))

    with connected(app):
        assert migrate_schema() == ["v0014_one_case_per_response"]
        joined = {c.joined_at for c in CaseResponse.select()}
        opened = Case.get_by_id(first).opened_at
        with pytest.raises(peewee.IntegrityError), database.atomic():
            CaseResponse.insert(case=later.id, response=twice).execute()
    assert case_of(app, "twice") == case_of(app, "once") == first
    assert joined == {opened}
