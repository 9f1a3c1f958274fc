"""Suspect answers by month: ``suspect_monthly``.

suspect_daily's counts summed per question, store and calendar month of the store-local day
(``day`` holds the month's first day), whatever the value, touchpoint or channel: what every
dashboard reads to say how many suspect responses its period holds. A reader takes a period's
whole months from here and only the days at its edges from suspect_daily (hub/queries/
scores.py), so a year's count reads 12 rows a store instead of every suspect day's rows (at
10 M responses 29,000 rows, 12 ms on PostgreSQL). Counted at ingest with the daily rows
(hub/services/rollups.py); the rows a hub holds are summed here from suspect_daily itself,
in this migration's transaction, which is exact and reads no response.
"""

from peewee import SqliteDatabase

STATEMENTS = [
    """CREATE TABLE suspect_monthly (
        question TEXT NOT NULL,
        day DATE NOT NULL,
        store_id INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (question, day, store_id)){without_rowid}""",
]

# the first day of a day's month
_MONTH = {
    "sqlite": "date(day, 'start of month')",
    "postgres": "CAST(date_trunc('month', day) AS DATE)",
}

SUMS_ROLLUPS = True


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
    month = _MONTH["sqlite" if isinstance(db, SqliteDatabase) else "postgres"]
    sql(
        "INSERT INTO suspect_monthly (question, day, store_id, count) "
        f"SELECT question, {month}, store_id, SUM(count) FROM suspect_daily "
        f"GROUP BY question, {month}, store_id"
    )
