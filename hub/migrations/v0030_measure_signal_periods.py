"""Signals on measures compare either the last 7 complete days with the 28 before (``week``,
as v0026's rules do) or today so far with the same hours of the same weekday in the 4 weeks
before (``today``: for an hourly measure, checked every hour)."""

STATEMENTS = ["ALTER TABLE measure_signal_rule ADD COLUMN period TEXT NOT NULL DEFAULT 'week'"]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
