"""Alerts from ingest to inbox: rules, routing, the outbox, delivery over a real SMTP server
(aiosmtpd), retries, throttling and grouping, on SQLite and PostgreSQL. The clock is the
app's test clock; delivery runs are called with it, never patched."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest

from hub.models import Case, CaseResponse, OutboxItem, OutboxMessage, User, UserStore
from hub.services.alerts.conditions import parse_response_condition, parse_window_condition
from hub.services.alerts.rules import create_rule, update_rule
from hub.services.outbox.delivery import RetryPolicy
from shared.errors import RuleError
from tests.hub.alerting import add_person, deliver, outbox, rating, send
from tests.hub.conftest import connected
from tests.support.mail import Inbox, html_of, text_of

PASSWORD = "a long enough password"


def subjects(inbox: Inbox, to: str) -> list[str]:
    return [m["Subject"] for m in inbox.to(to)]


# --- rules ----------------------------------------------------------------------------------


def test_hub_init_makes_the_default_rules(app):
    from hub.models import AlertRule

    with connected(app):
        rules = {r.key: r for r in AlertRule.select()}
    assert rules["very_unhappy"].condition == {"rating_at_most": 1}
    assert rules["contact_requested"].condition == {"contact_requested": True}
    assert rules["negative_share"].kind == "window"
    assert rules["negative_share"].condition == {
        "negative_share_at_least": 50,
        "window_minutes": 15,
        "min_responses": 4,
    }


@pytest.mark.parametrize(
    ("condition", "field", "words"),
    [
        ({"rating_at_most": 0}, "condition.rating_at_most", "never or always matches"),
        ({"nps_at_most": -1}, "condition.nps_at_most", "from 0 to 10"),
        ({"with_comment": False}, "condition.with_comment", "can only be true"),
        ({"reason_in": ["teleportation"]}, "condition.reason_in", "no survey offers the reason 'teleportation'"),
        ({"negative_share_at_least": 50}, "condition", "use kind 'window'"),
        ({}, "condition", "one or more of"),
    ],
)
def test_an_impossible_single_response_condition_is_refused_with_a_clear_error(app, clock, condition, field, words):
    with connected(app), pytest.raises(RuleError) as refused:
        create_rule({"name": "x", "kind": "response", "condition": condition}, now=clock())
    assert refused.value.field == field
    assert words in refused.value.detail


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ({"negative_share_at_least": 150}, "a percentage above 0 and at most 100"),
        ({"index_below": -100}, "nothing is below -100"),
        ({"negative_share_at_least": 50, "window_minutes": 0}, "window_minutes"),
        ({"negative_share_at_least": 50, "min_responses": 0}, "min_responses"),
        ({"negative_share_at_least": 50, "index_below": 0}, "exactly one"),
    ],
)
def test_an_impossible_window_condition_is_refused(condition, words):
    with pytest.raises(RuleError, match=words):
        parse_window_condition(condition)


def test_a_rule_needs_a_channel_and_a_real_scope(app, clock):
    with connected(app):
        with pytest.raises(RuleError, match="needs a channel"):
            create_rule(
                {"name": "x", "kind": "response", "condition": {"rating_at_most": 1}, "email": False}, now=clock()
            )
        with pytest.raises(RuleError, match="no store 'NOPE'"):
            create_rule(
                {
                    "name": "x",
                    "kind": "response",
                    "condition": {"rating_at_most": 1},
                    "scope": "store",
                    "store": "NOPE",
                },
                now=clock(),
            )


def test_conditions_combine_every_key_given():
    from shared.protocol import AnswerRow

    condition = parse_response_condition({"nps_at_most": 6, "with_comment": True})
    detractor = [AnswerRow("nps", "nps", 3, None)]
    assert not condition.matches(detractor, has_contact=False)
    assert condition.matches([*detractor, AnswerRow("comment", "text", None, "slow")], has_contact=False)
    assert not condition.matches([AnswerRow("nps", "nps", 9, None), AnswerRow("comment", "text", None, "ok")], False)


# --- routing in the ingest transaction ----------------------------------------------------------


def test_a_rating_of_one_opens_a_case_and_queues_one_email_per_store_manager(app, people, terminal):
    item = rating(terminal, 1, comment="Zu lange gewartet")
    send(terminal, item)

    with connected(app):
        case = Case.get()
        assert (case.state, case.store_id, case.alert_count, case.misrouted) == ("open", terminal_store(app), 1, False)
        assert [str(r.response_id) for r in CaseResponse.select()] == [item["id"]]
    messages = outbox(app)
    assert [(m.kind, m.channel, m.recipient, m.state, m.item_count) for m in messages] == [
        ("alert", "email", "mia@example.org", "pending", 1)
    ]


def terminal_store(app) -> int:
    from hub.models import Store

    with connected(app):
        return Store.get(Store.code == "B001").id


def test_a_rating_of_two_alerts_nobody(app, people, terminal):
    send(terminal, rating(terminal, 2, comment="meh"))
    assert outbox(app) == []


def test_a_bad_rating_with_a_contact_is_in_one_case_the_first_matching_rules(app, people, terminal):
    """A response is in at most one case (docs/cases.md): very_unhappy is older than
    contact_requested, so it takes it; a neutral rating with a contact goes to the other."""
    send(terminal, rating(terminal, 1, contact="kunde@example.com"), rating(terminal, 3, contact="other@example.com"))
    with connected(app):
        rules = sorted(
            (c.rule.key, CaseResponse.select().where(CaseResponse.case == c.id).count()) for c in Case.select()
        )
    assert rules == [("contact_requested", 1), ("very_unhappy", 1)]


def test_a_resent_batch_does_not_alert_twice(app, people, terminal):
    item = rating(terminal, 1)
    send(terminal, item)
    send(terminal, item)  # the terminal did not hear back and sends it again: a duplicate
    assert len(outbox(app)) == 1
    with connected(app):
        assert OutboxItem.select().count() == 1


def test_bad_ratings_in_one_batch_gather_in_one_case_and_one_message(app, people, terminal):
    send(terminal, *[rating(terminal, 1, comment=f"visit {i}") for i in range(3)])
    with connected(app):
        assert Case.select().count() == 1
        assert Case.get().alert_count == 3
    assert [m.item_count for m in outbox(app)] == [3]


def test_a_rule_scoped_to_another_store_does_not_fire(app, clock, people, terminal):
    with connected(app):
        update_rule(_rule_id(app, "very_unhappy"), {"scope": "store", "store": "H002"}, now=clock())
    send(terminal, rating(terminal, 1))
    assert outbox(app) == []


def _rule_id(app, key: str) -> int:
    from hub.models import AlertRule

    with connected(app):
        return AlertRule.get(AlertRule.key == key).id


# --- delivery over SMTP -------------------------------------------------------------------------


def test_the_manager_gets_one_email_with_the_store_the_words_and_a_link(app, people, terminal, inbox):
    send(terminal, rating(terminal, 1, comment="Nur eine Kasse offen", reasons=["queue"]))

    run = deliver(app)

    assert len(run.sent) == 1
    (mail,) = inbox.messages
    assert mail["To"] == "mia@example.org"
    assert "B001 Berlin Mitte: Very unhappy customer" in mail["Subject"]
    text = text_of(mail)
    assert "Nur eine Kasse offen" in text
    assert "Waiting at the till" in text
    case_id = int(mail["X-Voxloop-Case"])
    assert f"http://127.0.0.1:8000/cases/{case_id}" in text
    assert re.search(rf"http://127\.0\.0\.1:8000/cases/{case_id}/ack/\S+", text)
    assert "Nur eine Kasse offen" in html_of(mail)
    assert deliver(app).sent == []  # sent once, never again
    assert [m.state for m in outbox(app)] == ["sent"]


def test_the_customers_words_are_escaped_in_the_html_part(app, people, terminal, inbox):
    send(terminal, rating(terminal, 1, comment='<script>alert("x")</script><img src=x onerror=alert(1)>'))
    deliver(app)
    html = html_of(inbox.messages[0])
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_an_email_never_carries_the_customers_contact(app, people, terminal, inbox):
    send(terminal, rating(terminal, 1, contact="private.person@example.com"))
    deliver(app)
    assert len(inbox.messages) == 1  # one case: the first rule that matches takes the response
    for mail in inbox.messages:
        assert "private.person" not in mail.as_string()
        assert "left a contact" in text_of(mail)


def test_smtp_down_then_50_bad_ratings_then_up_delivers_every_alert_once_grouped(app, clock, people, terminal, inbox):
    inbox.stop()
    for i in range(50):
        send(terminal, rating(terminal, 1, comment=f"visit number {i:02d}"))
        deliver(app)  # the job keeps trying while SMTP is down
        clock.advance(seconds=2)
    assert all(m.state in ("pending", "retry") for m in outbox(app))
    assert {m.last_error is not None for m in outbox(app) if m.state == "retry"} == {True}

    clock.advance(hours=1)  # SMTP is down for an hour
    inbox.start()
    for _ in range(20):  # the job runs on; backoff is capped at 5 minutes
        deliver(app)
        clock.advance(seconds=30)

    mails = inbox.to("mia@example.org")
    assert [m["Subject"].endswith("[case #1]") for m in mails] == [True, True]
    assert "(49 new responses)" in mails[1]["Subject"] and "responses" not in mails[0]["Subject"]
    assert len({m["X-Voxloop-Message"] for m in mails}) == 2
    with connected(app):
        reported = [
            str(i.response_id) for i in OutboxItem.select().join(OutboxMessage).where(OutboxMessage.state == "sent")
        ]
        assert len(reported) == len(set(reported)) == 50
        assert Case.get().alert_count == 50
    assert [m.state for m in outbox(app)] == ["sent", "sent"]


def test_a_group_waits_the_throttle_period_after_its_last_message(app, clock, people, terminal, inbox):
    send(terminal, rating(terminal, 1))
    deliver(app)
    clock.advance(minutes=1)
    send(terminal, rating(terminal, 1))
    deliver(app)
    assert len(inbox.messages) == 1
    clock.advance(minutes=4)
    deliver(app)
    assert len(inbox.messages) == 2


def test_a_refused_recipient_fails_visibly_and_the_case_goes_to_the_next_level(app, people, terminal, inbox):
    inbox.refuse.add("mia@example.org")
    send(terminal, rating(terminal, 1))

    run = deliver(app)

    assert run.failed and not run.sent
    failed = outbox(app)[0]
    assert failed.state == "failed" and "550" in failed.last_error
    deliver(app)
    assert subjects(inbox, "rolf@example.org")[0].startswith("Escalated:")
    with connected(app):
        assert Case.get().escalation_level == 1


def test_a_slow_smtp_server_is_retried_and_the_alert_arrives_once(app, clock, people, terminal, inbox):
    app.config["SMTP_TIMEOUT_SECONDS"] = 0.3
    inbox.delay = 1.5  # answers the message's data after the hub gave up waiting
    send(terminal, rating(terminal, 1))
    assert deliver(app).retrying
    assert "timed out" in outbox(app)[0].last_error
    inbox.delay = 0
    app.config["SMTP_TIMEOUT_SECONDS"] = 5  # the retry is not racing a tight timeout on a busy machine
    clock.advance(seconds=6)
    assert deliver(app).sent
    assert len(inbox.wait_for(1)) == 1
    clock.advance(minutes=30)
    deliver(app)
    assert len(inbox.messages) == 1


def test_backoff_doubles_up_to_the_cap_and_gives_up_after_the_give_up_time(app, clock, people, terminal):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TIMEOUT_SECONDS=0.5)  # nothing listens on 9
    policy = RetryPolicy(base_seconds=5, cap_seconds=40, give_up=timedelta(minutes=10))
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 6)] == [5, 10, 20, 40, 40, 40]
    send(terminal, rating(terminal, 1))
    while outbox(app)[0].state != "failed":
        deliver(app, policy=policy)
        clock.advance(seconds=41)
    message = outbox(app)[0]
    assert "unreachable" in message.last_error
    assert 10 <= message.attempts <= 20


def test_two_workers_delivering_at_once_send_each_message_once(
    app, clock, people, store, other_store, terminal, other_terminal, inbox
):
    with connected(app):
        for i in range(3):  # more people to write to: 4 messages per store, one per manager
            add_person(f"extra{i}@example.org", f"Extra {i}", "store_manager", "x", clock, stores=[store, other_store])
    send(terminal, rating(terminal, 1))
    send(other_terminal, rating(other_terminal, 1))
    expected = len(outbox(app))
    assert expected == 8

    threads = [threading.Thread(target=deliver, args=(app,), kwargs={"worker": f"w{i}"}) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(inbox.messages) == expected
    assert len({m["X-Voxloop-Message"] for m in inbox.messages}) == expected


# --- routing without a manager ------------------------------------------------------------------


def test_a_store_without_a_manager_alerts_its_regional_manager_and_is_misrouted(app, people, terminal, inbox):
    with connected(app):
        UserStore.delete().where(UserStore.user == people["mia"].id).execute()
    send(terminal, rating(terminal, 1))
    deliver(app)
    assert len(inbox.to("rolf@example.org")) == 1
    assert "no active store manager" in text_of(inbox.to("rolf@example.org")[0])
    with connected(app):
        case = Case.get()
        assert (case.misrouted, case.escalation_level) == (True, 1)


def test_a_deactivated_manager_is_skipped_and_without_a_regional_manager_hq_hears_of_it(app, people, terminal, inbox):
    with connected(app):
        User.update(active=False).where(User.id.in_([people["mia"].id, people["rolf"].id])).execute()
    send(terminal, rating(terminal, 1))
    deliver(app)
    assert [m["To"] for m in inbox.messages] == ["admin@example.org"]
    with connected(app):
        assert Case.get().escalation_level == 2


def test_a_manager_deactivated_after_the_alert_was_queued_is_not_written_to_and_the_next_level_is(
    app, people, terminal, inbox
):
    send(terminal, rating(terminal, 1))
    with connected(app):
        User.update(active=False).where(User.id == people["mia"].id).execute()
    deliver(app)
    deliver(app)
    assert inbox.to("mia@example.org") == []
    assert len(inbox.to("rolf@example.org")) == 1
    assert outbox(app)[0].state == "failed"
    assert "deactivated" in outbox(app)[0].last_error


# --- the phone page's responses -----------------------------------------------------------------


def test_a_phone_response_alerts_once_when_it_is_finished(app, client, clock, people):
    from tests.mobile_web.conftest import TestPhone, phone_token

    phone = TestPhone(client, clock, phone_token(), served_at=clock() - timedelta(minutes=5))
    very_unhappy = {"question": "rating", "kind": "smiley", "value": 1}
    words = {"question": "comment", "kind": "text", "value": "Am Telefon gesagt"}

    assert phone.put(phone.version(very_unhappy)).get_json()["status"] == "accepted"
    assert outbox(app) == []  # still answering: no alert yet
    assert phone.put(phone.version(very_unhappy, words, partial=False)).get_json()["status"] == "updated"
    assert [(m.kind, m.recipient, m.item_count) for m in outbox(app)] == [("alert", "mia@example.org", 1)]
    assert phone.put(phone.version(very_unhappy, words, partial=False)).get_json()["status"] == "duplicate"
    assert len(outbox(app)) == 1
