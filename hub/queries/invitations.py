"""Raw statements of invitations (hub/services/invitation_rates.py,
hub/services/contact_centre.py): response rates per store and channel, and the contact
centre's contacts with the customer's answers and the agent's view beside them.

An invitation is answered when the phone page's receipt it binds (``inv:<public id>``) was
claimed by a response (``phone_receipt``); sent when its outbox message went out."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from hub.db import database, db_time, placeholders, stored_time

_ANSWERED = (
    "LEFT JOIN phone_receipt p ON p.store_id = i.store_id AND p.receipt = 'inv:' || i.public_id "
    "LEFT JOIN response r ON r.id = p.response_id "
)


def rates(
    store_ids: Collection[int] | None, start: datetime, end: datetime
) -> list[tuple[int, str, int, int, int, int]]:
    """(store id, channel, invited, sent, opened, answered) of the invitations made in
    [start, end); ``store_ids`` None: every store."""
    p = database.param
    where, params = f"i.created_at >= {p} AND i.created_at < {p}", [db_time(start), db_time(end)]
    if store_ids is not None:
        where += f" AND i.store_id IN ({placeholders(len(store_ids) or 1)})"
        params += sorted(store_ids) or [-1]
    rows = database.execute_sql(
        "SELECT i.store_id, i.channel, COUNT(*), "
        "SUM(CASE WHEN m.state = 'sent' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN i.opened_at IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN p.response_id IS NOT NULL THEN 1 ELSE 0 END) "
        "FROM invitation i LEFT JOIN outbox_message m ON m.id = i.message_id "
        "LEFT JOIN phone_receipt p ON p.store_id = i.store_id AND p.receipt = 'inv:' || i.public_id "
        f"WHERE {where} GROUP BY i.store_id, i.channel ORDER BY i.store_id, i.channel",
        params,
    ).fetchall()
    return [
        (s, c, int(n), int(sent or 0), int(opened or 0), int(answered or 0)) for s, c, n, sent, opened, answered in rows
    ]


def contacts(
    teams: Collection[str] | None, agent: str | None, start: datetime, end: datetime, limit: int = 2000
) -> list[dict[str, Any]]:
    """The contact centre's contacts invited in [start, end), newest first: who worked it, the
    customer's smiley and comment when answered, the agent's view when given. ``teams`` None:
    every team; ``agent``: that agent's only."""
    p = database.param
    where, params = (
        f"i.agent IS NOT NULL AND i.created_at >= {p} AND i.created_at < {p}",
        [db_time(start), db_time(end)],
    )
    if teams is not None:
        where += f" AND i.team IN ({placeholders(len(teams) or 1)})"
        params += sorted(teams) or [""]
    if agent is not None:
        where += f" AND i.agent = {p}"
        params.append(agent)
    rows = database.execute_sql(
        "SELECT i.id, i.source, i.reference, i.team, i.agent, i.created_at, r.captured_at, "
        "(SELECT MIN(a.number) FROM answer a WHERE a.response_id = r.id AND a.kind = 'smiley'), "
        "(SELECT MIN(a.text) FROM answer a WHERE a.response_id = r.id AND a.kind = 'text'), "
        "v.difficulty, v.resolved, v.note "
        f"FROM invitation i {_ANSWERED}LEFT JOIN agent_view v ON v.invitation_id = i.id "
        f"WHERE {where} ORDER BY i.created_at DESC, i.id DESC LIMIT {int(limit)}",
        params,
    ).fetchall()
    names = ("id", "source", "reference", "team", "agent", "invited_at", "answered_at", "smiley", "comment")
    found = []
    for row in rows:
        item = dict(zip(names, row[:9], strict=True))
        item["invited_at"] = stored_time(item["invited_at"])
        item["answered_at"] = stored_time(item["answered_at"]) if item["answered_at"] is not None else None
        item["difficulty"], resolved, item["note"] = row[9], row[10], row[11]
        item["resolved"] = None if resolved is None else bool(resolved)
        found.append(item)
    return found


def made_before(source: str, reference: str) -> str | None:
    """The public id of the invitation of this source and reference; None when none was made."""
    p = database.param
    row = database.execute_sql(
        f"SELECT public_id FROM invitation WHERE source = {p} AND reference = {p}", (source, reference)
    ).fetchone()
    return row[0] if row else None


def standing(address_hash: str, start: datetime, end: datetime, other_than: int | None) -> tuple[bool, bool]:
    """(the address unsubscribed, another invitation to it is sent or planned in (start, end))."""
    p = database.param
    row = database.execute_sql(
        f"SELECT EXISTS (SELECT 1 FROM invitation_suppression WHERE address_hash = {p}), "
        f"EXISTS (SELECT 1 FROM invitation WHERE address_hash = {p} AND state IN ('scheduled', 'sent') "
        f"AND COALESCE(sent_at, send_after) > {p} AND COALESCE(sent_at, send_after) < {p} AND id <> {p})",
        (address_hash, address_hash, db_time(start), db_time(end), -1 if other_than is None else other_than),
    ).fetchone()
    return bool(row[0]), bool(row[1])


_DONE = "('sent', 'failed', 'withdrawn')"


def addresses_done(reminders: bool) -> list[int]:
    """The invitations holding an address that nothing more will be sent to: held back
    (skipped, suppressed, unsubscribed), or sent and its message done, and then its reminder done
    too, or none to come (no reminders configured, or the customer answered)."""
    no_reminder = "1 = 0" if reminders else "1 = 1"
    rows = database.execute_sql(
        "SELECT i.id FROM invitation i "
        "LEFT JOIN outbox_message m ON m.id = i.message_id "
        "LEFT JOIN outbox_message rm ON rm.id = i.reminder_message_id "
        "LEFT JOIN phone_receipt p ON p.store_id = i.store_id AND p.receipt = 'inv:' || i.public_id "
        "WHERE i.address_sealed IS NOT NULL AND i.state <> 'scheduled' AND (i.state <> 'sent' OR ("
        f"(m.id IS NULL OR m.state IN {_DONE}) AND ("
        f"(i.reminded_at IS NOT NULL AND (rm.id IS NULL OR rm.state IN {_DONE})) "
        f"OR (i.reminded_at IS NULL AND ({no_reminder} OR p.response_id IS NOT NULL)))))"
    ).fetchall()
    return [row[0] for row in rows]
