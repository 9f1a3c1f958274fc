"""A response belongs to at most one case (docs/cases.md): a unique index on the link, and the
time each response joined its case, so an alert for an acknowledged case reports only what
came after the acknowledgement.

Links that break the rule (the same response in several cases) are cut down to the oldest
case, the one that alerted on it first.
"""

STATEMENTS = [
    "DELETE FROM case_response WHERE EXISTS (SELECT 1 FROM case_response older "
    "WHERE older.response_id = case_response.response_id AND older.case_id < case_response.case_id)",
    "DROP INDEX case_response_response",
    "CREATE UNIQUE INDEX case_response_one_case ON case_response (response_id)",
    "ALTER TABLE case_response ADD COLUMN joined_at {ts}",
    "UPDATE case_response SET joined_at = (SELECT c.opened_at FROM alert_case c WHERE c.id = case_response.case_id)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
