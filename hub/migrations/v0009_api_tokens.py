"""API tokens for machines (BI tools, scripts): a person's bearer tokens for /api/v1, kept as
the SHA-256 of the token with a short prefix to tell them apart, their scopes, and when each
was last used or revoked (hub/services/api_tokens.py)."""

STATEMENTS = [
    """CREATE TABLE api_token (
        id {serial},
        user_id INTEGER NOT NULL REFERENCES app_user (id),
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_at {ts} NOT NULL,
        last_used_at {ts},
        revoked_at {ts})""",
    "CREATE INDEX api_token_user ON api_token (user_id)",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
