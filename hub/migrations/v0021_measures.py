"""Operational measures per store and time (hub/services/measures.py): footfall, transactions,
open tills, staff on shift, queue minutes, stock-outs, loaded by the API and by CSV import.

- ``measure``: what is measured: a code (``open_tills``), a name, a unit, a kind (count, level
  or duration) and a grain (hour or day).
- ``measure_value``: one value of a measure for a store and a period. ``period_start`` is the
  period's first instant in UTC (the key: on the night the clocks go back, a store has two
  02:00 hours); ``day`` and ``hour`` are the store-local day and hour it stands for (no hour
  for a daily measure), so the dashboards read store-local hours like hour_daily's.
"""

STATEMENTS = [
    """CREATE TABLE measure (
        id {serial},
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        unit TEXT NOT NULL,
        kind TEXT NOT NULL,
        grain TEXT NOT NULL,
        created_at {ts} NOT NULL)""",
    """CREATE TABLE measure_value (
        measure_id INTEGER NOT NULL REFERENCES measure (id),
        store_id INTEGER NOT NULL REFERENCES store (id),
        period_start {ts} NOT NULL,
        day DATE NOT NULL,
        hour INTEGER,
        value {double} NOT NULL,
        updated_at {ts} NOT NULL,
        PRIMARY KEY (measure_id, store_id, period_start))""",
    "CREATE INDEX measure_value_day ON measure_value (measure_id, store_id, day)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
