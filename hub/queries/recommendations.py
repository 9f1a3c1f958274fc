"""The comments behind a recommendation (hub/services/recommendations.py): the newest comments
of one store's responses that name a reason, over store-local days, read from the raw
responses through the (store_id, local_day) index. Suspect responses are left out, as the
figures leave them out; an erased comment (blank text) is never shown."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from hub.db import database, db_day, placeholders, stored_time

_NAMING = (
    "SELECT a.id, r.captured_at, a.text, f.number, t.code "
    "FROM response r "
    "JOIN answer c ON c.response_id = r.id AND c.kind = 'choice' AND c.question = {p} AND c.text = {p} "
    "JOIN answer a ON a.response_id = r.id AND a.kind = 'text' "
    "JOIN touchpoint t ON t.id = r.touchpoint_id "
    "LEFT JOIN answer f ON f.response_id = r.id AND f.question = {p} "
    "WHERE r.store_id = {p} AND r.local_day >= {p} AND r.local_day <= {p} "
    "AND r.flags NOT LIKE {p} AND a.text IS NOT NULL AND a.text <> '' {touchpoints}"
    "ORDER BY r.captured_at DESC, a.id DESC LIMIT {p}"
)


def comments_naming(
    store_id: int,
    question: str,
    option: str,
    start: date,
    end: date,
    *,
    smiley_question: str | None,
    touchpoints: Collection[int] = (),
    limit: int = 3,
) -> list[tuple[int, Any, str, int | None, str]]:
    """Up to ``limit`` newest (answer id, captured at, text, face, touchpoint code) of the
    store's responses from ``start`` to ``end`` naming ``option``; only those that came
    through ``touchpoints`` when some are given."""
    where = f"AND r.touchpoint_id IN ({placeholders(len(touchpoints))}) " if touchpoints else ""
    sql = _NAMING.format(p=database.param, touchpoints=where)
    params: list[Any] = [question, option, smiley_question or "", store_id, db_day(start), db_day(end), "%suspect%"]
    params += sorted(touchpoints)
    params.append(limit)
    rows = database.execute_sql(sql, tuple(params)).fetchall()
    return [(int(a), stored_time(at), text, face, code) for a, at, text, face, code in rows]


def comment_texts(answer_ids: Sequence[int]) -> dict[int, str]:
    """The current text of these comment answers (an erased one is blank)."""
    if not answer_ids:
        return {}
    sql = f"SELECT id, text FROM answer WHERE id IN ({placeholders(len(answer_ids))})"
    return {int(i): text or "" for i, text in database.execute_sql(sql, tuple(answer_ids)).fetchall()}
