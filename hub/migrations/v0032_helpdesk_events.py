"""A help desk's signed events (POST /api/v1/helpdesk/<name>/events): ``helpdesk_event`` keeps
each event's webhook id, per system, for twice the signature's window of five minutes, so a
replayed or redelivered event is recognised and does nothing (hub/services/helpdesk/inbound.py
deletes the older rows as it writes).
"""

STATEMENTS = [
    """CREATE TABLE helpdesk_event (
        system TEXT NOT NULL,
        webhook_id TEXT NOT NULL,
        received_at {ts} NOT NULL,
        PRIMARY KEY (system, webhook_id))""",
    "CREATE INDEX helpdesk_event_received ON helpdesk_event (received_at)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
