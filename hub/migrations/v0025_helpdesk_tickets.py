"""Cases handed to a help desk (hub/services/helpdesk/): the ticket of each, and how far the
hub has read the help desk's changes.

- ``helpdesk_ticket``: one row per case handed over (the case is the key: a case has at most
  one ticket). ``system`` names the connector (``rt``), ``external_id`` is the ticket's number
  once the help desk made it (empty while the outbox still tries), ``reference`` the tag in the
  ticket's subject that finds it again when a create's answer was lost, ``state`` the help
  desk's own state as last read. ``handed_by`` is empty when a setting handed it over.
- ``helpdesk_cursor``: per system, the help desk's own time of the newest change read
  (its clock, not the hub's), so the next poll asks only for what changed since.
"""

STATEMENTS = [
    """CREATE TABLE helpdesk_ticket (
        case_id INTEGER NOT NULL PRIMARY KEY REFERENCES alert_case (id),
        system TEXT NOT NULL,
        reference TEXT NOT NULL,
        external_id TEXT,
        state TEXT NOT NULL,
        url TEXT,
        handed_at {ts} NOT NULL,
        handed_by INTEGER REFERENCES app_user (id),
        updated_at {ts} NOT NULL,
        resolution_pushed_at {ts})""",
    "CREATE UNIQUE INDEX helpdesk_ticket_external ON helpdesk_ticket (system, external_id)",
    """CREATE TABLE helpdesk_cursor (
        system TEXT NOT NULL PRIMARY KEY,
        changed_since TEXT NOT NULL,
        polled_at {ts} NOT NULL)""",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
