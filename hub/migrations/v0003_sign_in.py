"""Sign-in: failed attempts (for throttling) and the regions a regional manager looks after."""

STATEMENTS = [
    """CREATE TABLE login_attempt (
        id {serial},
        email TEXT NOT NULL,
        address TEXT NOT NULL,
        attempted_at {ts} NOT NULL,
        succeeded {bool} NOT NULL)""",
    "CREATE INDEX login_attempt_email ON login_attempt (email, attempted_at)",
    "CREATE INDEX login_attempt_address ON login_attempt (address, attempted_at)",
    """CREATE TABLE user_region (
        user_id INTEGER NOT NULL REFERENCES app_user (id),
        region_id INTEGER NOT NULL REFERENCES region (id),
        PRIMARY KEY (user_id, region_id))""",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
