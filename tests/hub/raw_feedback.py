"""The truth for dashboard tests: responses read back from the raw response and answer tables,
never from the rollups the pages read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tests.hub.conftest import rows


@dataclass
class RawResponse:
    store: str
    locale: str
    face: int | None = None
    reasons: set[str] = field(default_factory=set)
    comment: str | None = None


def raw_responses(app: Any, first: date, last: date, store_code: str | None = None) -> dict[str, RawResponse]:
    """Responses of the local days ``first`` to ``last`` (of one store or all), by id."""
    found: dict[str, RawResponse] = {}
    for rid, code, day, locale, kind, number, text in rows(
        app,
        "SELECT r.id, s.code, r.local_day, r.locale, a.kind, a.number, a.text FROM response r "
        "JOIN answer a ON a.response_id = r.id JOIN store s ON s.id = r.store_id",
    ):
        day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
        if not first <= day <= last or (store_code and code != store_code):
            continue
        response = found.setdefault(str(rid), RawResponse(code, locale))
        if kind == "smiley":
            response.face = number
        elif kind == "choice":
            response.reasons.add(text)
        elif kind == "text":
            response.comment = text
    return found
