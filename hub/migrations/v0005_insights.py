"""Insights: the rollups the dashboards read besides rollup_daily, targets, signals, report
settings and the silent-terminal flag.

Every rollup holds one row per key with a count column per answer value, so a year of a
store is 365 rows, not thousands, and ``store_id = 0`` rows hold the total over every store
(no foreign key: 0 is no store), so HQ reads a few hundred rows for a year of the fleet.
They are filled at ingest (hub/services/rollups.py). A database that already holds
responses gets them counted from the raw responses in this migration's transaction
(``COUNTS_ROLLUPS``): by the counter ``migrate`` is handed, the hub's counting of today, as
rollups must agree with what ingest counts now; a copy frozen here would drift from it."""

_COUNTS_11 = ", ".join(f"v{k} INTEGER NOT NULL DEFAULT 0" for k in range(11))
_FACES = ", ".join(f"v{k} INTEGER NOT NULL DEFAULT 0" for k in range(1, 6))

STATEMENTS = [
    f"""CREATE TABLE score_daily (
        question TEXT NOT NULL,
        day DATE NOT NULL,
        store_id INTEGER NOT NULL,
        channel TEXT NOT NULL,
        n INTEGER NOT NULL,
        {_COUNTS_11},
        PRIMARY KEY (question, day, store_id, channel)){{without_rowid}}""",
    "CREATE INDEX score_daily_store ON score_daily (store_id, question, day)",
    f"""CREATE TABLE hour_daily (
        day DATE NOT NULL,
        store_id INTEGER NOT NULL,
        hour INTEGER NOT NULL,
        n INTEGER NOT NULL,
        {_FACES},
        PRIMARY KEY (day, store_id, hour)){{without_rowid}}""",
    "CREATE INDEX hour_daily_store ON hour_daily (store_id, day)",
    f"""CREATE TABLE reason_daily (
        question TEXT NOT NULL,
        day DATE NOT NULL,
        store_id INTEGER NOT NULL,
        option TEXT NOT NULL,
        n INTEGER NOT NULL,
        {_FACES},
        PRIMARY KEY (question, day, store_id, option)){{without_rowid}}""",
    "CREATE INDEX reason_daily_store ON reason_daily (store_id, question, day)",
    """CREATE TABLE term_daily (
        day DATE NOT NULL,
        store_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        term TEXT NOT NULL,
        n INTEGER NOT NULL,
        negative INTEGER NOT NULL,
        positive INTEGER NOT NULL,
        sentiment {double} NOT NULL,
        PRIMARY KEY (day, store_id, language, term)){without_rowid}""",
    "CREATE INDEX term_daily_store ON term_daily (store_id, day)",
    """CREATE TABLE target (
        id {serial},
        kpi TEXT NOT NULL,
        scope_key TEXT NOT NULL,
        region_id INTEGER REFERENCES region (id),
        store_id INTEGER REFERENCES store (id),
        touchpoint_id INTEGER REFERENCES touchpoint (id),
        value {double} NOT NULL,
        updated_at {ts} NOT NULL,
        updated_by_id INTEGER REFERENCES app_user (id),
        UNIQUE (kpi, scope_key))""",
    """CREATE TABLE signal (
        id {serial},
        store_id INTEGER NOT NULL REFERENCES store (id),
        kpi TEXT NOT NULL,
        window_start DATE NOT NULL,
        window_end DATE NOT NULL,
        baseline_start DATE NOT NULL,
        baseline_end DATE NOT NULL,
        current_value {double} NOT NULL,
        current_n INTEGER NOT NULL,
        baseline_value {double} NOT NULL,
        baseline_n INTEGER NOT NULL,
        p_value {double} NOT NULL,
        test TEXT NOT NULL,
        detected_at {ts} NOT NULL,
        state TEXT NOT NULL,
        dismissed_by_id INTEGER REFERENCES app_user (id),
        dismissed_at {ts},
        UNIQUE (store_id, kpi, window_end))""",
    "CREATE INDEX signal_state ON signal (state, detected_at)",
    "ALTER TABLE app_user ADD COLUMN report_frequency TEXT NOT NULL DEFAULT 'weekly'",
    "ALTER TABLE terminal ADD COLUMN silent_since {ts}",
]


COUNTS_ROLLUPS = True


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
