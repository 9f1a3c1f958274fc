"""The open cases whose classification waits for the classify job (hub/jobs.py).

Routing classified a case in every batch that added responses to it, so a busy store's open
case was classified again for each batch: its latest responses read, its comments weighed,
its row written (6-8 % of a sync's CPU, measured in-process). A case is still classified in
the transaction that opens it; responses joining it now queue it here, and the job classifies
it once for however many batches joined meanwhile (hub/services/case_classification.py).
"""

STATEMENTS = [
    """CREATE TABLE case_to_classify (
        case_id INTEGER PRIMARY KEY REFERENCES alert_case (id),
        queued_at {ts} NOT NULL)""",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
