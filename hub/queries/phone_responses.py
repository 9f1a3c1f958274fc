"""The statements of the phone page's path (hub/services/phone_responses.py): receipts, rate
limits, and a stored response read back and completed. Raw SQL like the ingest's
(hub/queries/responses.py, which also inserts the phone's responses and answers), the same
on SQLite and PostgreSQL, run inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.db import database, db_time, is_sqlite, placeholders

STORED_COLUMNS = (
    "channel",
    "store_id",
    "touchpoint_id",
    "survey_version",
    "captured_at",
    "received_at",
    "local_day",
    "flags",
    "content_hash",
    "contact_sealed",
    "locale",
)


# --- receipts -------------------------------------------------------------------------------


def receipt_flags(store_id: int, receipt: str) -> str | None:
    """The flags of the response that claimed a store's receipt; None when none did."""
    row = database.execute_sql(
        "SELECT r.flags FROM phone_receipt p JOIN response r ON r.id = p.response_id "
        f"WHERE p.store_id = {database.param} AND p.receipt = {database.param}",
        (store_id, receipt),
    ).fetchone()
    return None if row is None else row[0]


def receipt_owner(store_id: int, receipt: str) -> str | None:
    """The id of the response that claimed a store's receipt; None when none did."""
    row = database.execute_sql(
        f"SELECT response_id FROM phone_receipt WHERE store_id = {database.param} AND receipt = {database.param}",
        (store_id, receipt),
    ).fetchone()
    return None if row is None else str(row[0])


def claim_receipt(store_id: int, receipt: str, response_id: str, now: datetime) -> None:
    """Claim a receipt for a response, unless another response claimed it first."""
    database.execute_sql(
        f"INSERT INTO phone_receipt (store_id, receipt, response_id, claimed_at) VALUES ({placeholders(4)}) "
        "ON CONFLICT (store_id, receipt) DO NOTHING",
        (store_id, receipt, response_id, db_time(now)),
    )


# --- page tickets and bursts -----------------------------------------------------------------


def ticket_owner(ticket: str) -> str | None:
    """The id of the response a served page's ticket was used for; None when unused."""
    row = database.execute_sql(
        f"SELECT response_id FROM phone_ticket WHERE ticket = {database.param}", (ticket,)
    ).fetchone()
    return None if row is None else str(row[0])


def claim_ticket(ticket: str, response_id: str, now: datetime) -> None:
    """Claim a ticket for a response, unless another response claimed it first."""
    database.execute_sql(
        f"INSERT INTO phone_ticket (ticket, response_id, used_at) VALUES ({placeholders(3)}) "
        "ON CONFLICT (ticket) DO NOTHING",
        (ticket, response_id, db_time(now)),
    )


def forget_tickets_before(moment: datetime) -> None:
    database.execute_sql(f"DELETE FROM phone_ticket WHERE used_at < {database.param}", (db_time(moment),))


def remember_burst(bucket: str, response_id: str, now: datetime) -> None:
    database.execute_sql(
        f"INSERT INTO phone_burst (bucket, response_id, at) VALUES ({placeholders(3)}) "
        "ON CONFLICT (bucket, response_id) DO NOTHING",
        (bucket, response_id, db_time(now)),
    )


def burst_members(bucket: str, since: datetime) -> list[str]:
    """The new responses of an address bucket from ``since`` on."""
    rows = database.execute_sql(
        f"SELECT response_id FROM phone_burst WHERE bucket = {database.param} AND at >= {database.param}",
        (bucket, db_time(since)),
    ).fetchall()
    return [str(row[0]) for row in rows]


def forget_bursts_before(moment: datetime) -> None:
    database.execute_sql(f"DELETE FROM phone_burst WHERE at < {database.param}", (db_time(moment),))


# --- rate limits ----------------------------------------------------------------------------

_TAKE = (
    "INSERT INTO phone_rate_limit (bucket, window_start, hits) VALUES ({p}, {p}, 1) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "hits = CASE WHEN phone_rate_limit.window_start = excluded.window_start "
    "THEN phone_rate_limit.hits + 1 ELSE 1 END, window_start = excluded.window_start "
    "RETURNING hits"
)


def count_hit(bucket: str, window_start: int) -> int:
    """Count one request in the bucket's window starting at ``window_start`` (epoch seconds;
    a bucket still in an older window starts afresh); the hits of the window so far."""
    return database.execute_sql(_TAKE.format(p=database.param), (bucket, window_start)).fetchall()[0][0]


def forget_windows_before(window_start: int) -> None:
    database.execute_sql(f"DELETE FROM phone_rate_limit WHERE window_start < {database.param}", (window_start,))


# --- a stored response ----------------------------------------------------------------------


def stored_response(response_id: str) -> dict[str, Any] | None:
    """The STORED_COLUMNS of a response, its row locked on PostgreSQL (SQLite's writers are
    serialised already); None when it is not stored."""
    lock = "" if is_sqlite() else " FOR UPDATE"
    row = database.execute_sql(
        f"SELECT {', '.join(STORED_COLUMNS)} FROM response WHERE id = {database.param}{lock}", (response_id,)
    ).fetchone()
    return None if row is None else dict(zip(STORED_COLUMNS, row, strict=True))


def stored_answers(response_id: str) -> list[tuple[str, int | None, str | None, str]]:
    """(question, number, text, kind) of each answer of a stored response."""
    return database.execute_sql(
        f"SELECT question, number, text, kind FROM answer WHERE response_id = {database.param}", (response_id,)
    ).fetchall()


def complete_response(
    response_id: str, *, flags: str, content_hash: str, locale: str, contact_sealed: bytes | None
) -> None:
    """Record a more complete version: its flags, hash and locale, and its contact when one
    is given (a stored contact is never replaced)."""
    columns = {"flags": flags, "content_hash": content_hash, "locale": locale}
    if contact_sealed is not None:
        columns["contact_sealed"] = contact_sealed
    assignments = ", ".join(f"{column} = {database.param}" for column in columns)
    database.execute_sql(
        f"UPDATE response SET {assignments} WHERE id = {database.param}", (*columns.values(), response_id)
    )
