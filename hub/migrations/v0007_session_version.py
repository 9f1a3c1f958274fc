"""Sessions that end: every person's session version, which each signed-in request must name.
Signing out, a new password and switching the person off raise it, so every session of that
person ends at once, in every hub process."""

STATEMENTS = [
    "ALTER TABLE app_user ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
