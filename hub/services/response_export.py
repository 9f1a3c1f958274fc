"""Raw responses with their answers for BI tools, a page at a time, never with the customer's
contact (that stays sealed; staff open it on a case).

The order is store, local day, response id: one store after the other, so each page is read
through the index (store_id, local_day) however many stores and days the range spans.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any

from hub.db import stored_day, stored_time
from hub.models import Store
from hub.queries import analytics_rows as q
from hub.services.analytics import Period

Key = tuple[int, str, str]  # (store id, local day ISO, response id)


def _utc(value: datetime | str) -> str:
    """A stored time (naive UTC: SQLite's text, PostgreSQL's datetime) in RFC 3339 with Z."""
    if isinstance(value, str) and len(value) >= 19 and "+" not in value[10:] and not value.endswith("Z"):
        return value.replace(" ", "T", 1) + "Z"  # the common case, without parsing (a page has thousands)
    moment = stored_time(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _answers(rows: list[tuple[str, str, int | None, str | None]]) -> list[dict[str, Any]]:
    """Answers as the terminal sent them: a number, a text, or the chosen options of a choice."""
    found: dict[str, dict[str, Any]] = {}
    for question, kind, number, text in rows:
        if kind == "choice":
            found.setdefault(question, {"question": question, "kind": kind, "value": []})["value"].append(text)
        else:
            found[question] = {"question": question, "kind": kind, "value": text if number is None else number}
    return list(found.values())


def responses(
    store_ids: Collection[int] | None, period: Period, *, after: Key | None, limit: int
) -> tuple[list[dict[str, Any]], Key | None]:
    """The next ``limit`` responses after ``after`` and the key to continue from (None: done)."""
    query = Store.select(Store.id).order_by(Store.id)
    if store_ids is not None:
        query = query.where(Store.id.in_(sorted(store_ids) or [-1]))
    stores = [s for (s,) in query.tuples() if after is None or s >= after[0]]
    rows: list[tuple[Any, ...]] = []
    for store in stores:
        since = (date.fromisoformat(after[1]), after[2]) if after is not None and store == after[0] else None
        rows += q.responses_of_store(store, period.start, period.end, after=since, limit=limit + 1 - len(rows))
        if len(rows) > limit:
            break
    more = len(rows) > limit
    rows = rows[:limit]
    answers = q.answers_of([str(r[0]) for r in rows])
    found = [
        {
            "id": str(rid),
            "store": store_code,
            "touchpoint": touchpoint,
            "channel": channel,
            "survey": survey,
            "survey_version": version,
            "captured_at": _utc(captured),
            "received_at": _utc(received),
            "local_day": stored_day(day).isoformat(),
            "locale": locale,
            "flags": flags.split() if flags else [],
            "answers": _answers(answers.get(str(rid), [])),
        }
        for rid, _, store_code, touchpoint, channel, survey, version, captured, received, day, locale, flags in rows
    ]
    last = rows[-1] if rows else None
    return found, (int(last[1]), stored_day(last[9]).isoformat(), str(last[0])) if more and last else None
