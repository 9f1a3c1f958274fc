"""Feedback for the analytics and report specifications: responses over chosen days sent
through the real signed sync path, and the counts recomputed from the raw tables to check
figures against."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any

from shared.protocol import format_time
from tests.hub.conftest import rows


def feedback(terminal: Any, days: list[tuple[date, int, list[int]]], *, hour: int = 10) -> list[dict[str, Any]]:
    """Responses captured at ``hour`` UTC of each day, one per (face, nps) pair."""
    items = []
    for day, nps_value, faces in days:
        for i, face in enumerate(faces):
            captured = datetime(day.year, day.month, day.day, hour, i, tzinfo=UTC)
            answers = [
                {"question": "rating", "kind": "smiley", "value": face},
                {"question": "nps", "kind": "nps", "value": (nps_value + i) % 11},
            ]
            if face <= 2:
                answers.append({"question": "reason", "kind": "choice", "value": ["queue", "staff"][: 1 + i % 2]})
            if i == 0:
                answers.append({"question": "comment", "kind": "text", "value": f"comment {day} <b>{face}</b>"})
            item = terminal.response(captured_at=format_time(captured), answers=answers)
            if i == 1:
                item["contact"] = {"address": "customer@example.net", "consent": True}
            items.append(item)
    return items


def send(terminal: Any, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 200):
        answer = terminal.post_batch(items[start : start + 200])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert {r["status"] for r in answer.get_json()["results"]} == {"accepted"}, answer.get_json()


def raw_counts(app, question: str, first: str, last: str) -> dict[tuple[str, date], Counter]:
    """{(store code, local day): Counter(number)} of ``question`` from response and answer."""
    found: dict[tuple[str, date], Counter] = defaultdict(Counter)
    for code, day, number in rows(
        app,
        "SELECT s.code, r.local_day, a.number FROM response r JOIN answer a ON a.response_id = r.id "
        "JOIN store s ON s.id = r.store_id WHERE a.question = ?",
        (question,),
    ):
        day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
        if date.fromisoformat(first) <= day <= date.fromisoformat(last):
            found[(code, day)][number] += 1
    return found


def total(counts: dict[tuple[str, date], Counter], store: str | None = None) -> Counter:
    out: Counter = Counter()
    for (code, _), c in counts.items():
        if store is None or code == store:
            out.update(c)
    return out
