"""Scores by month: ``score_monthly``.

``score_daily`` summed per calendar month of the store-local day (``day`` holds the month's
first day), per question, store (``store_id = 0``: every store) and channel. A reader of a
long period takes its whole months from here and only the days at its edges from
score_daily (hub/queries/scores.py), so a year of the fleet's ranking reads 12 rows a store
instead of 365. Counted at ingest with the daily rows (hub/services/rollups.py); the
responses a hub holds are counted in this migration's transaction (``COUNTS_ROLLUPS``).
"""

_COUNTS_11 = ", ".join(f"v{k} INTEGER NOT NULL DEFAULT 0" for k in range(11))

STATEMENTS = [
    f"""CREATE TABLE score_monthly (
        question TEXT NOT NULL,
        day DATE NOT NULL,
        store_id INTEGER NOT NULL,
        channel TEXT NOT NULL,
        n INTEGER NOT NULL,
        {_COUNTS_11},
        PRIMARY KEY (question, day, store_id, channel)){{without_rowid}}""",
    "CREATE INDEX score_monthly_store ON score_monthly (store_id, question, day)",
]

COUNTS_ROLLUPS = True


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
