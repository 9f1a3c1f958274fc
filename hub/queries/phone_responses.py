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


# --- continuation codes (hub/services/continuations.py) ------------------------------------

CONTINUATION_COLUMNS = ("terminal_id", "ticket", "content_hash", "finished", "locale", "pending", "pending_contact")
CONTINUED_COLUMNS = (
    "terminal_id",
    "channel",
    "store_id",
    "touchpoint_id",
    "survey_key",
    "survey_version",
    "captured_at",
    "received_at",
    "local_day",
    "flags",
    "locale",
    "contact_sealed",
    "time_zone",
)


def continuation(response_id: str) -> dict[str, Any] | None:
    """The phone conversation that continues a tapped response (CONTINUATION_COLUMNS), its row
    locked on PostgreSQL; None when no phone has sent answers for it."""
    lock = "" if is_sqlite() else " FOR UPDATE"
    row = database.execute_sql(
        f"SELECT {', '.join(CONTINUATION_COLUMNS)} FROM phone_continuation WHERE response_id = {database.param}{lock}",
        (response_id,),
    ).fetchone()
    return None if row is None else dict(zip(CONTINUATION_COLUMNS, row, strict=True))


def claim_continuation(response_id: str, terminal_id: str, ticket: str, locale: str, now: datetime) -> None:
    """Claim a tapped response for a served page's conversation, unless another page claimed
    it first (the caller reads the claim back)."""
    database.execute_sql(
        "INSERT INTO phone_continuation (response_id, terminal_id, ticket, claimed_at, updated_at, content_hash, "
        f"finished, locale) VALUES ({placeholders(8)}) ON CONFLICT (response_id) DO NOTHING",
        (response_id, terminal_id, ticket, db_time(now), db_time(now), "", False, locale),
    )


def record_continuation(response_id: str, *, content_hash: str, finished: bool, locale: str, now: datetime) -> None:
    """The latest version a conversation sent: its keyed hash, whether it is finished."""
    database.execute_sql(
        f"UPDATE phone_continuation SET content_hash = {database.param}, finished = {database.param}, "
        f"locale = {database.param}, updated_at = {database.param} WHERE response_id = {database.param}",
        (content_hash, finished, locale, db_time(now), response_id),
    )


def keep_pending(response_id: str, pending: str | None, pending_contact: bytes | None) -> None:
    """The follow-up waiting for the terminal's response: answers (JSON) and the sealed contact."""
    database.execute_sql(
        f"UPDATE phone_continuation SET pending = {database.param}, pending_contact = {database.param} "
        f"WHERE response_id = {database.param}",
        (pending, pending_contact, response_id),
    )


def pending_follow_ups(terminal_id: str, response_ids: list[str]) -> dict[str, tuple[str | None, bytes | None]]:
    """Response id -> (pending answers, sealed contact) of the follow-ups a terminal's
    arriving responses have waiting, their rows locked on PostgreSQL."""
    if not response_ids:
        return {}
    lock = "" if is_sqlite() else " FOR UPDATE"
    rows = database.execute_sql(
        "SELECT response_id, pending, pending_contact FROM phone_continuation "
        f"WHERE terminal_id = {database.param} AND merged_at IS NULL "
        f"AND response_id IN ({placeholders(len(response_ids))}){lock}",
        (terminal_id, *response_ids),
    ).fetchall()
    return {str(row[0]): (row[1], row[2]) for row in rows if row[1] is not None or row[2] is not None}


def merged_follow_ups(merged: list[tuple[str, str | None]], now: datetime) -> None:
    """Mark follow-ups merged into their arrived responses; what could not be merged (an
    answer to a question the terminal answered otherwise) stays in ``pending``."""
    for response_id, leftover in merged:
        database.execute_sql(
            f"UPDATE phone_continuation SET pending = {database.param}, pending_contact = NULL, "
            f"merged_at = {database.param} WHERE response_id = {database.param}",
            (leftover, db_time(now), response_id),
        )


def continued_response(response_id: str) -> dict[str, Any] | None:
    """A stored response as a follow-up needs it (CONTINUED_COLUMNS: its terminal, place,
    survey, dating, flags, locale, sealed contact, store's time zone), locked on PostgreSQL."""
    lock = "" if is_sqlite() else " FOR UPDATE OF r"
    row = database.execute_sql(
        "SELECT r.terminal_id, r.channel, r.store_id, r.touchpoint_id, s.key, r.survey_version, r.captured_at, "
        "r.received_at, r.local_day, r.flags, r.locale, r.contact_sealed, st.time_zone "
        "FROM response r JOIN survey s ON s.id = r.survey_id JOIN store st ON st.id = r.store_id "
        f"WHERE r.id = {database.param}{lock}",
        (response_id,),
    ).fetchone()
    return None if row is None else dict(zip(CONTINUED_COLUMNS, row, strict=True))


def set_contact(response_id: str, contact_sealed: bytes) -> None:
    """Give a stored response without a contact the one its follow-up left (its content hash
    stays the terminal's: the terminal's retries remain duplicates)."""
    database.execute_sql(
        f"UPDATE response SET contact_sealed = {database.param} WHERE id = {database.param} AND contact_sealed IS NULL",
        (contact_sealed, response_id),
    )


def forget_continuations(settled_before: datetime, waiting_before: datetime) -> None:
    """Forget the conversations of taps claimed before ``settled_before`` that wait for nothing
    (their codes and pages can no longer send), and those claimed before ``waiting_before``
    whose tap never arrived, with what waited for it."""
    database.execute_sql(
        "DELETE FROM phone_continuation WHERE claimed_at < "
        f"(CASE WHEN pending IS NULL AND pending_contact IS NULL THEN {database.param} ELSE {database.param} END)",
        (db_time(settled_before), db_time(waiting_before)),
    )


def lock_terminal(terminal_id: str) -> None:
    """Lock a terminal's row on PostgreSQL, as its syncs do (hub/queries/terminals.py), so a
    follow-up and the sync that brings its tap run one after the other (SQLite's writers are
    serialised already)."""
    if not is_sqlite():
        database.execute_sql(f"SELECT id FROM terminal WHERE id = {database.param} FOR UPDATE", (terminal_id,))
