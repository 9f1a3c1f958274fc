"""Alerts and cases: alert rules, cases with the responses behind them and their audit trail,
and the outbox of messages (email, webhooks) with the responses each one reports.

The default rules are not made here but by ``hub init`` (hub/services/alerts/rules.py,
``ensure_default_rules``), so a database emptied by a test gets them back the same way."""

STATEMENTS = [
    """CREATE TABLE alert_rule (
        id {serial},
        key TEXT UNIQUE,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        scope TEXT NOT NULL,
        region_id INTEGER REFERENCES region (id),
        store_id INTEGER REFERENCES store (id),
        touchpoint_id INTEGER REFERENCES touchpoint (id),
        survey_id INTEGER REFERENCES survey (id),
        condition TEXT NOT NULL,
        email {bool} NOT NULL,
        webhook_url TEXT,
        webhook_format TEXT,
        webhook_secret TEXT,
        throttle_minutes INTEGER NOT NULL,
        sla_minutes INTEGER NOT NULL,
        quiet_hours {bool} NOT NULL,
        active {bool} NOT NULL,
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL)""",
    """CREATE TABLE alert_case (
        id {serial},
        store_id INTEGER NOT NULL REFERENCES store (id),
        rule_id INTEGER NOT NULL REFERENCES alert_rule (id),
        state TEXT NOT NULL,
        opened_at {ts} NOT NULL,
        last_alert_at {ts} NOT NULL,
        alert_count INTEGER NOT NULL,
        ack_due_at {ts},
        escalation_level INTEGER NOT NULL,
        misrouted {bool} NOT NULL,
        summary TEXT,
        assignee_id INTEGER REFERENCES app_user (id),
        acknowledged_at {ts},
        acknowledged_by_id INTEGER REFERENCES app_user (id),
        called_back_at {ts},
        called_back_by_id INTEGER REFERENCES app_user (id),
        resolved_at {ts},
        resolved_by_id INTEGER REFERENCES app_user (id),
        resolution_category TEXT,
        resolution_note TEXT)""",
    # one case per store and rule is worked at a time: new alerts join it (ON CONFLICT target)
    "CREATE UNIQUE INDEX alert_case_open ON alert_case (store_id, rule_id) WHERE state <> 'resolved'",
    "CREATE INDEX alert_case_due ON alert_case (state, ack_due_at)",
    "CREATE INDEX alert_case_store ON alert_case (store_id, state)",
    # a link means nothing without its response: deleting a response (retention, erasure) drops it
    """CREATE TABLE case_response (
        case_id INTEGER NOT NULL REFERENCES alert_case (id),
        response_id {uuid} NOT NULL REFERENCES response (id) ON DELETE CASCADE,
        PRIMARY KEY (case_id, response_id))""",
    "CREATE INDEX case_response_response ON case_response (response_id)",
    """CREATE TABLE case_event (
        id {serial},
        case_id INTEGER NOT NULL REFERENCES alert_case (id),
        at {ts} NOT NULL,
        user_id INTEGER REFERENCES app_user (id),
        action TEXT NOT NULL,
        text TEXT,
        data TEXT)""",
    "CREATE INDEX case_event_case ON case_event (case_id, at)",
    """CREATE TABLE outbox_message (
        id {serial},
        kind TEXT NOT NULL,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        user_id INTEGER REFERENCES app_user (id),
        case_id INTEGER REFERENCES alert_case (id),
        rule_id INTEGER REFERENCES alert_rule (id),
        store_id INTEGER REFERENCES store (id),
        group_key TEXT,
        dedupe_key TEXT UNIQUE,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        item_count INTEGER NOT NULL,
        deliver_after {ts} NOT NULL,
        due_at {ts} NOT NULL,
        attempts INTEGER NOT NULL,
        claimed_until {ts},
        claimed_by TEXT,
        last_error TEXT,
        created_at {ts} NOT NULL,
        sent_at {ts})""",
    # the one message of a group still gathering alerts (ON CONFLICT target)
    "CREATE UNIQUE INDEX outbox_gathering ON outbox_message (group_key) WHERE state = 'pending'",
    "CREATE INDEX outbox_group ON outbox_message (group_key, deliver_after)",
    "CREATE INDEX outbox_due ON outbox_message (state, due_at)",
    "CREATE INDEX outbox_case ON outbox_message (case_id)",
    """CREATE TABLE outbox_item (
        message_id INTEGER NOT NULL REFERENCES outbox_message (id),
        response_id {uuid} NOT NULL REFERENCES response (id) ON DELETE CASCADE,
        PRIMARY KEY (message_id, response_id))""",
    # windowed rules count the responses captured in the last minutes
    "CREATE INDEX response_captured ON response (captured_at)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
