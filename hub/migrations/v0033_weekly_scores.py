"""Scores by week: ``score_weekly``.

``score_daily`` summed per ISO week (Monday to Sunday) of the store-local day (``day`` holds
the week's Monday), per question, store (``store_id = 0``: every store) and channel. A reader
takes a period's whole months from score_monthly, the whole weeks left at its edges from here
and only the remaining days from score_daily (hub/queries/scores.py), so the 28-day store
ranking reads about 9 rows a store instead of 28. Counted at ingest with the daily rows
(hub/services/rollups.py); the rows a hub holds are summed here from score_daily itself, in
this migration's transaction, which is exact (score_daily is what it sums) and reads no
response.
"""

from peewee import SqliteDatabase

_COUNTS_11 = ", ".join(f"v{k} INTEGER NOT NULL DEFAULT 0" for k in range(11))
_SUMS = ", ".join(["SUM(n)", *(f"SUM(v{k})" for k in range(11))])
_COLUMNS = ", ".join(["question", "day", "store_id", "channel", "n", *(f"v{k}" for k in range(11))])

STATEMENTS = [
    f"""CREATE TABLE score_weekly (
        question TEXT NOT NULL,
        day DATE NOT NULL,
        store_id INTEGER NOT NULL,
        channel TEXT NOT NULL,
        n INTEGER NOT NULL,
        {_COUNTS_11},
        PRIMARY KEY (question, day, store_id, channel)){{without_rowid}}""",
    "CREATE INDEX score_weekly_store ON score_weekly (store_id, question, day)",
]

# the Monday of a day's ISO week: SQLite moves to the week's Sunday (the day itself when it
# is one) and back six days; PostgreSQL truncates to the week, which starts on Monday
_MONDAY = {
    "sqlite": "date(day, 'weekday 0', '-6 days')",
    "postgres": "CAST(date_trunc('week', day) AS DATE)",
}

SUMS_ROLLUPS = True


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
    monday = _MONDAY["sqlite" if isinstance(db, SqliteDatabase) else "postgres"]
    sql(
        f"INSERT INTO score_weekly ({_COLUMNS}) "
        f"SELECT question, {monday}, store_id, channel, {_SUMS} FROM score_daily "
        f"GROUP BY question, {monday}, store_id, channel"
    )
