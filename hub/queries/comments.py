"""Comments (text answers) read from the raw responses, newest first, a page at a time.

The comment browser is the one page that reads raw responses (the rollups hold no text), so it
pages by keyset, never by OFFSET, and bounds what one request reads:

- Order and cursor: (capture time, response id, answer id), newest first. A page starts after
  the cursor of the last comment of the page before, so deep pages cost as much as the first
  and a comment that arrives while someone pages never shifts the others.
- A request walks the responses in scope in that order through an index (migration v0006:
  ``response_walk (captured_at, id)``, ``response_store_walk (store_id, captured_at, id)``,
  and ``answer_text``, the text answers alone), a window at a time: FIRST_WINDOW responses,
  then as many as the comments found so far say the page needs (``next_window``; eight
  times more while none is found), at most WALK_BUDGET in all. Filters apply to the responses
  of the window; when the budget is spent before the page is full (a rare search over a large
  fleet), the page ends early and its cursor continues the walk where it stopped
  (``searched_to``).
  Without the bound, a search that matches nothing would read every response ever stored.
- A date range is store-local days (``local_day``); the walk starts and stops at capture
  times a day around them (no time zone is further off), so an old range costs no more than
  a recent one.

A text search does not walk: it goes through the full-text index over the whole history
(hub/queries/comment_search.py, with these filters and ``decorate``). ``Criteria.search``
below is the substring test the walk would apply (ILIKE on PostgreSQL, LIKE on SQLite), which
the browser no longer uses.
Rows that SQL cannot judge (a theme term, the language a comment is written in) go to a
``keep`` test the caller passes (hub/services/comment_browser.py), inside the same bounded
walk.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hub.db import database, db_day, db_time, is_sqlite, placeholders, stored_time

FIRST_WINDOW = 2_000
MIN_WINDOW = 500  # a window after the first, however few responses the page seems to need
WALK_BUDGET = 50_000
MAX_WINDOW = 16_000  # the longest window (a walk without budget, a common word's search, goes on in windows up to this)


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
    language: str | None = None  # two letters: the comment's language, tested by the caller's keep
    search: str | None = None
    # each must occur, "_" standing for any one letter (a theme term's sieve: a cheap first test;
    # hub/services/comment_text.py term_sieve)
    words: Sequence[str] = ()
    # a condition on the comment (``a``) in SQL, with its values: the full-text index's test of
    # each walked comment (hub/queries/comment_search.py held_in_walk)
    held: tuple[str, tuple[Any, ...]] | None = None


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
    language: str = ""  # the language it is written in (hub/services/comment_browser.py)
    parts: list[tuple[str, bool]] = field(default_factory=list)  # text split where a search matched


@dataclass(frozen=True)
class Page:
    comments: list[Comment]
    after: str | None  # the cursor of the next page; None: this was the last
    searched_to: datetime | None = None  # set when the walk budget ended the page early


@dataclass(frozen=True)
class Position:
    """Where a walk continues: strictly after answer ``answer_id`` of this response (0: after
    the whole response)."""

    captured_at: Any  # as the engine compares it: stored text on SQLite, a datetime on PostgreSQL
    response_id: str
    answer_id: int


def encode_cursor(captured_at: Any, response_id: str, answer_id: int) -> str:
    text = captured_at if isinstance(captured_at, str) else captured_at.isoformat(sep=" ")
    return f"{text}~{response_id}~{answer_id}"


def decode_cursor(cursor: str | None) -> Position | None:
    """The position a cursor names; None for a missing or malformed one (start at the newest)."""
    parts = (cursor or "").split("~")
    if len(parts) != 3:
        return None
    text, response_id, number = parts
    try:
        moment = datetime.fromisoformat(text)
        answer_id = int(number)
    except ValueError:
        return None
    if not response_id or len(response_id) > 64:
        return None
    # SQLite compares the stored text: keep the text as written (the form ingest stores)
    return Position(text if is_sqlite() else moment.replace(tzinfo=None), response_id, answer_id)


def _sieve(word: str) -> str:
    """A theme term's sieve word as a LIKE pattern: "_" stays a wildcard for one letter."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%") + "%"


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _walk(criteria: Criteria, position: Position | None) -> tuple[str, list[Any]]:
    """The conditions on the walked responses: scope, the capture times around the date
    range, and the position (this response included: its later answers may remain)."""
    where: list[str] = []
    params: list[Any] = []
    if criteria.store_ids is not None:
        ids = sorted(criteria.store_ids)
        where.append("store_id = {p}" if len(ids) == 1 else f"store_id IN ({placeholders(len(ids))})")
        params += ids
    if criteria.start is not None:
        where.append("captured_at >= {p}")
        params.append(db_time(datetime.combine(criteria.start - timedelta(days=1), datetime.min.time())))
    if criteria.end is not None:
        where.append("captured_at < {p}")
        params.append(db_time(datetime.combine(criteria.end + timedelta(days=2), datetime.min.time())))
    if position is not None:
        where.append("captured_at <= {p} AND (captured_at < {p} OR id <= {p})")
        params += [position.captured_at, position.captured_at, position.response_id]
    return " AND ".join(where) or "1 = 1", params


def _filters(criteria: Criteria, position: Position | None) -> tuple[list[str], list[Any]]:
    """The conditions on the comments of the walked responses."""
    where: list[str] = ["a.text IS NOT NULL", "a.text <> ''"]
    params: list[Any] = []
    if position is not None:
        where.append("NOT (r.captured_at = {p} AND r.id = {p} AND a.id >= {p})")
        params += [position.captured_at, position.response_id, position.answer_id]
    if criteria.start is not None:
        where.append("r.local_day >= {p}")
        params.append(db_day(criteria.start))
    if criteria.end is not None:
        where.append("r.local_day <= {p}")
        params.append(db_day(criteria.end))
    if criteria.touchpoint:
        where.append("t.code = {p}")
        params.append(criteria.touchpoint)
    if criteria.channel:
        where.append("r.channel = {p}")
        params.append(criteria.channel)
    if criteria.face is not None:
        where.append("f.number = {p}")
        params.append(criteria.face)
    like = "LIKE" if is_sqlite() else "ILIKE"
    patterns = [_like(criteria.search)] if criteria.search else []
    patterns += [_sieve(word) for word in criteria.words if word]
    for pattern in patterns:
        where.append(f"a.text {like} {{p}} ESCAPE '\\'")
        params.append(pattern)
    if criteria.held is not None:
        where.append(criteria.held[0])
        params += criteria.held[1]
    return where, params


_ORDER = " ORDER BY captured_at DESC, id DESC"


def _hint(criteria: Criteria) -> str:
    """SQLite, several stores: walk every store's responses in order and skip the others (it
    would read each store's whole history and sort it); one store has its own index."""
    several = criteria.store_ids is not None and len(criteria.store_ids) > 1
    return " INDEXED BY response_walk" if several and is_sqlite() else ""


def _window_end(criteria: Criteria, position: Position | None, size: int) -> Position | None:
    """The ``size``-th response of the walk from ``position`` (read from the index alone), where
    this window ends; None when fewer are left (the window runs to the oldest)."""
    walk, params = _walk(criteria, position)
    sql = f"SELECT captured_at, id FROM response{_hint(criteria)} WHERE {walk}{_ORDER} LIMIT 1 OFFSET {{p}}"
    row = database.execute_sql(sql.format(p=database.param), (*params, size - 1)).fetchone()
    return None if row is None else Position(row[0], str(row[1]), 0)


def _window(criteria: Criteria, position: Position | None, end: Position | None, limit: int | None) -> list[Comment]:
    """The comments of the responses from ``position`` down to ``end`` (inclusive; None: to
    the oldest) that pass the SQL filters, newest first, at most ``limit``."""
    walk, values = _walk(criteria, position)
    if end is not None:
        walk += " AND captured_at >= {p} AND (captured_at > {p} OR id >= {p})"
        values += [end.captured_at, end.captured_at, end.response_id]
    where, params = _filters(criteria, position)
    if is_sqlite():
        # a CROSS JOIN makes SQLite walk the responses in order through the index and stop
        # once the page is full (left to itself it reads every comment and sorts them)
        walk = re.sub(r"\b(captured_at|store_id|id)\b", r"r.\1", walk)
        source = f"response r{_hint(criteria)} CROSS JOIN answer a ON a.response_id = r.id"
        where.insert(0, walk)
    else:
        # PostgreSQL misjudges how many answers are comments and would start from every
        # comment ever written: the window's responses come first (from the index), and
        # each one's comments are looked up in turn (OFFSET 0 keeps both subqueries as written)
        source = (
            f"(SELECT id FROM response WHERE {walk} OFFSET 0) w CROSS JOIN LATERAL "
            "(SELECT id, text, kind FROM answer x WHERE x.response_id = w.id AND x.kind = 'text' OFFSET 0) a "
            "JOIN response r ON r.id = w.id"
        )
    sql = (
        "SELECT a.id, r.captured_at, r.id, s.code, s.name, s.time_zone, t.code, t.name, r.channel, r.locale, "
        f"a.text, f.number FROM {source} "
        "JOIN store s ON s.id = r.store_id "
        "JOIN touchpoint t ON t.id = r.touchpoint_id "
        "LEFT JOIN answer f ON f.response_id = r.id AND f.question = {p} "
        f"WHERE a.kind = 'text' AND {' AND '.join(where)} "
        "ORDER BY r.captured_at DESC, r.id DESC, a.id DESC"
    )
    values = (
        [*values, criteria.smiley_question or "", *params]
        if not is_sqlite()
        else [criteria.smiley_question or "", *values, *params]
    )
    if limit is not None:
        sql += " LIMIT {p}"
        values.append(limit)
    found = []
    for row in database.execute_sql(sql.format(p=database.param), tuple(values)).fetchall():
        answer_id, captured, response_id, *rest = row
        response_id = str(response_id)
        cursor = encode_cursor(captured, response_id, answer_id)
        found.append(Comment(int(answer_id), stored_time(captured), cursor, response_id, *rest))
    return found


def decorate(comments: list[Comment]) -> None:
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
    budget: int | None = None,
) -> Page:
    """Up to ``limit`` comments after the cursor ``after``, newest first, and the next cursor;
    at most ``budget`` (default WALK_BUDGET) responses are read."""
    if criteria.store_ids is not None and not criteria.store_ids:
        return Page([], None)
    budget = budget or WALK_BUDGET
    position = decode_cursor(after)
    shown: list[Comment] = []
    walked, size = 0, min(FIRST_WINDOW, budget)
    while True:
        end = _window_end(criteria, position, size)
        want = None if keep is not None else limit + 1 - len(shown)
        for c in _window(criteria, position, end, want):
            if keep is None or keep(c):
                shown.append(c)
            if len(shown) > limit:
                shown = shown[:limit]
                decorate(shown)
                return Page(shown, shown[-1].cursor)
        if end is None:
            decorate(shown)
            return Page(shown, None)
        walked += size
        position = end
        if walked >= budget:
            decorate(shown)
            cursor = encode_cursor(end.captured_at, end.response_id, 0)
            return Page(shown, cursor, searched_to=stored_time(end.captured_at))
        size = min(next_window(size, walked, len(shown), limit + 1), budget - walked, MAX_WINDOW)


def next_window(size: int, walked: int, found: int, wanted: int) -> int:
    """How many responses the next window walks: as many as the share of comments found in
    the ``walked`` responses so far says the ``wanted`` ones still need, and half as many again
    (at least MIN_WINDOW); eight times the last window while nothing has been found. A common
    word's first page then reads a few hundred responses more, not the next 16,000."""
    if found == 0:
        return size * 8
    return max(MIN_WINDOW, math.ceil(1.5 * (wanted - found) * walked / found))
