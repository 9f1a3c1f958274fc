"""A week of feedback with a planted queue problem, sent through the real signed sync path,
for the recommendation specifications: in the planted store a third of the customers are very
unhappy and name "waiting at the till" with comments about the till; some unhappy ones name
the stock or the cleanliness. The other store's customers are happy and, now and then, find a
product missing. Seeded, so every run plants the same."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.protocol import format_time
from tests.hub.analytics_data import send

WEEK_END = date(2026, 11, 22)  # the last complete day before the tests' clock (23 Nov 2026)
QUEUE_COMMENTS = (
    "Ewig an der Kasse gewartet, nur eine Kasse offen.",
    "Lange Schlange an der Kasse, 20 Minuten!",
    "Waited ages at the till, one checkout open.",
    "Die Warteschlange an der Kasse war viel zu lang.",
)
STOCK_COMMENTS = ("Kein Brot mehr am Nachmittag.", "Out of milk again.")


@dataclass
class Planted:
    named: dict[str, int] = field(default_factory=dict)  # reason -> responses naming it
    rated: int = 0
    queue_comments: dict[str, datetime] = field(default_factory=dict)  # text -> when it was captured

    def newest_queue_comments(self, n: int) -> list[str]:
        return sorted(self.queue_comments, key=self.queue_comments.__getitem__, reverse=True)[:n]


def week(terminal: Any, *, queue_problem: bool, seed: int, per_day: int = 30, end: date = WEEK_END) -> Planted:
    """Seven days of ``per_day`` responses ending ``end``, sent through ``terminal``."""
    rnd = random.Random(seed)
    planted = Planted()
    items = []
    for back in range(7):
        day = end - timedelta(days=back)
        for i in range(per_day):
            captured = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) + timedelta(minutes=5 * i)
            answers = _answers(rnd, queue_problem, planted, f"{day} {i}", captured)
            items.append(terminal.response(captured_at=format_time(captured), answers=answers))
            planted.rated += 1
    send(terminal, items)
    return planted


def _answers(
    rnd: random.Random, queue_problem: bool, planted: Planted, tag: str, captured: datetime
) -> list[dict[str, Any]]:
    draw = rnd.random()
    if queue_problem and draw < 0.35:
        face, reasons, comment = 1, ["queue"], f"{rnd.choice(QUEUE_COMMENTS)} ({tag})"
        planted.queue_comments[comment] = captured
    elif draw < (0.47 if queue_problem else 0.08):
        face, reasons, comment = 2, ["stock"], f"{rnd.choice(STOCK_COMMENTS)} ({tag})"
    elif queue_problem and draw < 0.52:
        face, reasons, comment = 2, ["cleanliness"], None
    else:
        face, reasons, comment = rnd.choice((3, 4, 4)), [], None
    answers: list[dict[str, Any]] = [{"question": "rating", "kind": "smiley", "value": face}]
    if reasons:
        answers.append({"question": "reason", "kind": "choice", "value": reasons})
        for reason in reasons:
            planted.named[reason] = planted.named.get(reason, 0) + 1
    if comment:
        answers.append({"question": "comment", "kind": "text", "value": comment})
    return answers
