"""Sessions that end, and passwords reset by email.

Every person's session version, which each signed-in request must name: signing out, a new
password and switching the person off raise it, so every session of that person ends at once,
in every hub process. And the password reset requests: the SHA-256 of each link's token (the
token itself is never stored), when it expires and when it was used; the client address of
every request, so requests are rate-limited per person and per client (a request for an
email no one has is kept without a person)."""

STATEMENTS = [
    "ALTER TABLE app_user ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0",
    """CREATE TABLE password_reset (
        id {serial},
        user_id INTEGER REFERENCES app_user (id),
        token_hash TEXT UNIQUE,
        address TEXT NOT NULL,
        requested_at {ts} NOT NULL,
        expires_at {ts} NOT NULL,
        used_at {ts})""",
    "CREATE INDEX password_reset_user ON password_reset (user_id, requested_at)",
    "CREATE INDEX password_reset_address ON password_reset (address, requested_at)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
