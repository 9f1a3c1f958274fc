"""Comment search through the database's own full-text index (migration v0020): SQLite FTS5
``comment_fts``, PostgreSQL ``comment_search`` (a tsvector per comment, German or English by
the comment's language, GIN index). The whole history is searched: the index finds the
matching comments, the store scope and the filters join them, and pages go by the same keyset
as the comment browser (capture time, response id, answer id; newest first).

A search reaches here parsed (hub/services/comment_search.py): each item is a word, a phrase
(words that follow each other) or a prefix (the last word of the item is a prefix); every
item must occur. The words are letters and digits only, so the expressions built below need
no escaping of the user's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from hub.db import database, is_sqlite, placeholders, stored_time
from hub.queries.comments import Comment, Criteria, Position, _filters, encode_cursor

Item = tuple[tuple[str, ...], bool]  # (words, whether the last word is a prefix)

# the text search configuration of a language the comments are counted under
CONFIGS = {"de": "german"}
OTHER_CONFIG = "english"
# PostgreSQL indexes the words of the text as SQLite and the search's parser see them: its
# own parser would skip whatever looks like a markup tag and keep "a.__b" or "x.org/y" whole
WORDS_OF_TEXT = "regexp_replace(a.text, '[[:punct:]]+', ' ', 'g')"


def fts5_expression(items: Sequence[Item]) -> str:
    """SQLite FTS5: each item a quoted phrase, a prefix marked by * after it, all of them."""
    return " AND ".join(f'"{" ".join(words)}"' + ("*" if prefix else "") for words, prefix in items)


def tsquery_expression(items: Sequence[Item]) -> str:
    """PostgreSQL to_tsquery: words follow each other (<->), a prefix is :*, all of them (&)."""
    parts = []
    for words, prefix in items:
        quoted = [f"'{w}'" for w in words]
        if prefix:
            quoted[-1] += ":*"
        parts.append("(" + " <-> ".join(quoted) + ")")
    return " & ".join(parts)


def indexed_at_ingest() -> bool:
    """Whether ingest adds the comments (PostgreSQL) or triggers do (SQLite)."""
    return not is_sqlite()


def add_comments(rows: Sequence[tuple[str, str, str]]) -> None:
    """PostgreSQL: index the comments just inserted, rows of (response id, question, language),
    in one statement; SQLite's triggers did it already."""
    if is_sqlite() or not rows:
        return
    database.execute_sql(
        "INSERT INTO comment_search (answer_id, language, document) "
        "SELECT a.id, v.language, to_tsvector("
        f"CASE WHEN v.language = 'de' THEN '{CONFIGS['de']}' ELSE '{OTHER_CONFIG}' END::regconfig, {WORDS_OF_TEXT}) "
        "FROM unnest(%s::uuid[], %s::text[], %s::text[]) AS v (response_id, question, language) "
        "JOIN answer a ON a.response_id = v.response_id AND a.question = v.question AND a.kind = 'text' "
        "WHERE a.text IS NOT NULL AND a.text <> '' ON CONFLICT (answer_id) DO NOTHING",
        ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
    )


def purge() -> None:
    """SQLite: merge the index into one segment, so the words of deleted comments leave the
    file (a delete only records that they no longer count; secure_delete then zeroes the freed
    pages). PostgreSQL drops index rows with their comments."""
    if is_sqlite():
        database.execute_sql("INSERT INTO comment_fts (comment_fts) VALUES ('optimize')")


def _match(items: Sequence[Item], language: str | None) -> tuple[str, str, list[str], list[str]]:
    """The index to start from, its join to the answer and the match condition."""
    if is_sqlite():
        return "comment_fts m", "a.id = m.rowid", ["comment_fts MATCH {p}"], [fts5_expression(items)]
    expression = tsquery_expression(items)
    conditions, values = [], []
    for code, config in [*CONFIGS.items(), (None, OTHER_CONFIG)]:
        if language and code != (language if language in CONFIGS else None):
            continue  # the language asked for is searched in its own configuration only
        which = "m.language = {p}" if code else f"m.language NOT IN ({placeholders(len(CONFIGS))})"
        conditions.append(f"({which} AND m.document @@ to_tsquery('{config}', {{p}}))")
        values += [code] if code else list(CONFIGS)
        values.append(expression)
    return "comment_search m", "a.id = m.answer_id", ["(" + " OR ".join(conditions) + ")"], values


def matching_ids(
    items: Sequence[Item], language: str | None, *, at_most: int | None = None, between: tuple[int, int] | None = None
) -> set[int]:
    """The answer ids of the comments that hold the search (in the language, when asked), from
    the index alone: at most ``at_most`` of them, or those with ids in ``between`` (inclusive;
    both engines seek the range in the index)."""
    source, _join, where, values = _match(items, language)
    key = "m.rowid" if is_sqlite() else "m.answer_id"
    if between is not None:
        where.append(f"{key} BETWEEN {{p}} AND {{p}}")
        values += list(between)
    sql = f"SELECT {key} FROM {source} WHERE {' AND '.join(where)}"
    if at_most is not None:
        sql += f" LIMIT {int(at_most)}"
    return {row[0] for row in database.execute_sql(sql.format(p=database.param), tuple(values)).fetchall()}


def held_in_walk(items: Sequence[Item], language: str | None) -> tuple[str, tuple[Any, ...]] | None:
    """PostgreSQL: the condition a walk of the comments (hub/queries/comments.py) tests each
    comment with, its index row looked up by answer id (a subquery per comment, which the
    planner keeps as written: as a join it would read the GIN index's every match of a common
    word, which grows with the history). None on SQLite, where a walk reads the matches a
    stretch of answer ids at a time instead (``matching_ids`` with ``between``): FTS5 tests one
    given row of a common word in about 0.2 ms, a stretch of 20,000 ids in 0.4 ms."""
    if is_sqlite():
        return None
    _source, _join, where, values = _match(items, language)
    return f"(SELECT {' AND '.join(where)} FROM comment_search m WHERE m.answer_id = a.id)", tuple(values)


def indexed_comments() -> int:
    """How many comments the index holds (PostgreSQL: the planner's estimate once it has one)."""
    if not is_sqlite():
        (estimate,) = database.execute_sql(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'comment_search'"
        ).fetchone()
        if estimate > 0:
            return int(estimate)
    table = "comment_fts_docsize" if is_sqlite() else "comment_search"
    return int(database.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def search_page(criteria: Criteria, items: Sequence[Item], position: Position | None, limit: int) -> list[Comment]:
    """Up to ``limit`` comments after ``position`` that hold every item and meet ``criteria``
    (the search text itself aside), newest first."""
    source, join, where, values = _match(items, criteria.language)
    filters, params = _filters(replace(criteria, search=None), None)
    where += filters
    values += params
    if criteria.store_ids is not None:
        ids = sorted(criteria.store_ids)
        where.append(f"r.store_id IN ({placeholders(len(ids))})")
        values += ids
    if position is not None:
        where.append("(r.captured_at < {p} OR (r.captured_at = {p} AND (r.id < {p} OR (r.id = {p} AND a.id < {p}))))")
        values += [position.captured_at] * 2 + [position.response_id] * 2 + [position.answer_id]
    sql = (
        "SELECT a.id, r.captured_at, r.id, s.code, s.name, s.time_zone, t.code, t.name, r.channel, r.locale, "
        f"a.text, f.number FROM {source} JOIN answer a ON {join} "
        "JOIN response r ON r.id = a.response_id "
        "JOIN store s ON s.id = r.store_id "
        "JOIN touchpoint t ON t.id = r.touchpoint_id "
        "LEFT JOIN answer f ON f.response_id = r.id AND f.question = {p} "
        f"WHERE a.kind = 'text' AND {' AND '.join(where)} "
        "ORDER BY r.captured_at DESC, r.id DESC, a.id DESC LIMIT {p}"
    )
    values = [criteria.smiley_question or "", *values, limit]
    found = []
    for row in database.execute_sql(sql.format(p=database.param), tuple(values)).fetchall():
        answer_id, captured, response_id, *rest = row
        response_id = str(response_id)
        cursor = encode_cursor(captured, response_id, answer_id)
        found.append(Comment(int(answer_id), stored_time(captured), cursor, response_id, *rest))
    return found


def stems(language: str, words: Sequence[str]) -> dict[str, str]:
    """Each word as the index holds it: PostgreSQL's lexemes of the language's configuration
    (several for a compound, joined by spaces; empty for a stop word), SQLite's unicode61
    (lower case)."""
    if is_sqlite() or not words:
        return {w: w.lower() for w in words}
    config = CONFIGS.get(language, OTHER_CONFIG)
    rows = database.execute_sql(
        f"SELECT w, array_to_string(tsvector_to_array(to_tsvector('{config}', w)), ' ') FROM unnest(%s::text[]) w",
        (list(words),),
    ).fetchall()
    return {w: lexemes for w, lexemes in rows}
