"""Comments (text answers) read from the raw responses, newest first, a page at a time.

The comment browser is the one page that reads raw responses (the rollups hold no text), so it
pages by keyset, never by OFFSET: a page starts after the (capture time, answer id) of the last
comment of the page before, and every filter is a plain condition beside it. Deep pages cost
as much as the first, and a comment that arrives while someone pages never shifts the others.
The order walks ``response_captured`` / ``response_store_captured`` (migration v0006).

Text search is a case-insensitive substring: ILIKE on PostgreSQL, LIKE on SQLite (which folds
ASCII letters only: "Ü" does not find "ü" there). ``%`` and ``_`` in the search are literal.

Rows that SQL cannot judge (a theme term, matched by hub/services/comment_text.py) are passed
to a ``keep`` test in Python; the scan then reads on in batches until the page is full or a
budget of rows is spent, and the cursor names the last row read, so nothing is skipped or
shown twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hub.db import database, is_sqlite, placeholders


@dataclass(frozen=True)
class Criteria:
    """Which comments: every field None (or empty) means no condition on it."""

    store_ids: Collection[int] | None  # the scope (None: every store; empty: none)
    smiley_question: str | None = None  # the question whose answer is the comment's face
    touchpoint: str | None = None  # a touchpoint code (in any store in scope)
    channel: str | None = None
    face: int | None = None
    start: date | None = None  # store-local days, inclusive
    end: date | None = None
    language: str | None = None  # two letters: the locale's first two
    search: str | None = None
    words: Sequence[str] = ()  # each must occur (a term's words: a cheap first sieve)


@dataclass(frozen=True)
class Comment:
    answer_id: int
    captured_at: datetime
    cursor: str
    response_id: str
    store_code: str
    store_name: str
    time_zone: str
    touchpoint_code: str
    touchpoint_name: str
    channel: str
    locale: str
    text: str
    face: int | None
    reasons: list[str] = field(default_factory=list)  # option ids, in answer order
    case_ids: list[int] = field(default_factory=list)

    @property
    def language(self) -> str:
        return self.locale[:2].lower()


@dataclass(frozen=True)
class Page:
    comments: list[Comment]
    after: str | None  # the cursor of the next page; None: this was the last


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _day(value: date) -> date | str:
    return value.isoformat() if is_sqlite() else value


def _where(criteria: Criteria) -> tuple[list[str], list[Any]]:
    where: list[str] = ["a.kind = 'text'", "a.text IS NOT NULL", "a.text <> ''"]
    params: list[Any] = []
    if criteria.store_ids is not None:
        ids = sorted(criteria.store_ids) or [-1]
        where.append(f"r.store_id IN ({placeholders(len(ids))})")
        params += ids
    if criteria.start is not None:
        where.append("r.local_day >= {p}")
        params.append(_day(criteria.start))
    if criteria.end is not None:
        where.append("r.local_day <= {p}")
        params.append(_day(criteria.end))
    if criteria.touchpoint:
        where.append("t.code = {p}")
        params.append(criteria.touchpoint)
    if criteria.channel:
        where.append("r.channel = {p}")
        params.append(criteria.channel)
    if criteria.face is not None:
        where.append("f.number = {p}")
        params.append(criteria.face)
    if criteria.language:
        where.append("LOWER(SUBSTR(r.locale, 1, 2)) = {p}")
        params.append(criteria.language.lower())
    like = "LIKE" if is_sqlite() else "ILIKE"
    for text in [criteria.search or "", *criteria.words]:
        if text:
            where.append(f"a.text {like} {{p}} ESCAPE '\\'")
            params.append(_like(text))
    return where, params


def encode_cursor(captured_at: Any, answer_id: int) -> str:
    text = captured_at if isinstance(captured_at, str) else captured_at.isoformat(sep=" ")
    return f"{text}~{answer_id}"


def decode_cursor(cursor: str | None) -> tuple[Any, int] | None:
    """(capture time as the engine compares it, answer id); None for a missing or bad cursor."""
    if not cursor or "~" not in cursor:
        return None
    text, _, number = cursor.rpartition("~")
    try:
        moment = datetime.fromisoformat(text)
        answer_id = int(number)
    except ValueError:
        return None
    # SQLite compares the stored text: keep the text as written (the form ingest stores)
    return (text if is_sqlite() else moment.replace(tzinfo=None)), answer_id


def _as_time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


_SELECT = (
    "SELECT a.id, r.captured_at, r.id, s.code, s.name, s.time_zone, t.code, t.name, r.channel, r.locale, "
    "a.text, f.number FROM answer a "
    "JOIN response r ON r.id = a.response_id "
    "JOIN store s ON s.id = r.store_id "
    "JOIN touchpoint t ON t.id = r.touchpoint_id "
    "LEFT JOIN answer f ON f.response_id = r.id AND f.question = {p} "
)


def _batch(criteria: Criteria, after: tuple[Any, int] | None, size: int) -> list[Comment]:
    where, params = _where(criteria)
    params = [criteria.smiley_question or "", *params]
    if after is not None:
        where.append("(r.captured_at < {p} OR (r.captured_at = {p} AND a.id < {p}))")
        params += [after[0], after[0], after[1]]
    sql = (_SELECT + "WHERE " + " AND ".join(where) + " ORDER BY r.captured_at DESC, a.id DESC LIMIT {p}").format(
        p=database.param
    )
    params.append(size)
    found = []
    for row in database.execute_sql(sql, tuple(params)).fetchall():
        answer_id, captured, response_id, *rest = row
        found.append(
            Comment(int(answer_id), _as_time(captured), encode_cursor(captured, answer_id), str(response_id), *rest)
        )
    return found


def _decorate(comments: list[Comment]) -> None:
    """Each comment's reasons (choice answers of its response) and the cases that hold it."""
    ids = sorted({c.response_id for c in comments})
    if not ids:
        return
    marks = placeholders(len(ids))
    reasons: dict[str, list[str]] = defaultdict(list)
    for response_id, option in database.execute_sql(
        f"SELECT response_id, text FROM answer WHERE kind = 'choice' AND response_id IN ({marks}) ORDER BY id",
        tuple(ids),
    ).fetchall():
        reasons[str(response_id)].append(option)
    cases: dict[str, list[int]] = defaultdict(list)
    for response_id, case_id in database.execute_sql(
        f"SELECT response_id, case_id FROM case_response WHERE response_id IN ({marks}) ORDER BY case_id",
        tuple(ids),
    ).fetchall():
        cases[str(response_id)].append(int(case_id))
    for c in comments:
        c.reasons.extend(reasons.get(c.response_id, []))
        c.case_ids.extend(cases.get(c.response_id, []))


def comment_page(
    criteria: Criteria,
    after: str | None = None,
    limit: int = 50,
    keep: Callable[[Comment], bool] | None = None,
    budget: int = 5000,
) -> Page:
    """Up to ``limit`` comments after the cursor ``after``, newest first, and the next cursor.

    With ``keep``, rows are read in batches and tested until the page is full or ``budget`` rows
    were read; the next cursor is then the last row read (the rows between failed the test)."""
    if criteria.store_ids is not None and not criteria.store_ids:
        return Page([], None)
    position = decode_cursor(after)
    shown: list[Comment] = []
    read = 0
    while True:
        size = limit + 1 if keep is None else min(max(limit * 4, 200), budget - read + 1)
        batch = _batch(criteria, position, size)
        if keep is None:
            shown = batch[:limit]
            more = len(batch) > limit
            _decorate(shown)
            return Page(shown, shown[-1].cursor if more and shown else None)
        for c in batch:
            read += 1
            if keep(c):
                shown.append(c)
            if len(shown) == limit or read >= budget:
                _decorate(shown)
                # more may follow unless this row was the very last one there is
                last = c is batch[-1] and len(batch) < size
                return Page(shown, None if last else c.cursor)
        if len(batch) < size:
            _decorate(shown)
            return Page(shown, None)
        position = decode_cursor(batch[-1].cursor)
