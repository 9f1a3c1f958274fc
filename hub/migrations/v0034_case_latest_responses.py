"""Each case link holds its response's capture time, indexed with the case: routing classifies
a case from its latest responses in every batch that adds to it (hub/services/
case_classification.py), and that read now takes them from the index instead of sorting every
response the case ever held, so a long-open case costs a batch no more than a new one."""

STATEMENTS = [
    "ALTER TABLE case_response ADD COLUMN captured_at {ts}",
    "UPDATE case_response SET captured_at = "
    "(SELECT r.captured_at FROM response r WHERE r.id = case_response.response_id)",
    "CREATE INDEX case_response_latest ON case_response (case_id, captured_at, response_id)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
