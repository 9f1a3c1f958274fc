"""Sequence numbers a terminal will never send (``seq_closed``: refused by the hub, quarantined
on the terminal, or forgotten after its retention period), so they are not asked for as
missing, and where the next page of missing ranges starts (``missing_from``), so every missing
range is asked for in turn (shared/sequence.py)."""

STATEMENTS = [
    "ALTER TABLE terminal ADD COLUMN seq_closed TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE terminal ADD COLUMN missing_from INTEGER NOT NULL DEFAULT 1",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
