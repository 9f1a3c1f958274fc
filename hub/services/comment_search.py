"""Comment search: what a search text means, the comments that hold it (the whole history,
through the database's full-text index: hub/queries/comment_search.py), and where each shown
comment holds the searched words.

The syntax: words separated by spaces must all occur (in any order); "words in quotes" must
follow each other; a word ending in * is a prefix (at least two letters: ``Park*`` finds
Parkplatz and parken). Punctuation inside a word splits it the way the index does ("e-mail"
is the phrase "e mail"). Case never matters. On PostgreSQL a German comment is searched with
the german configuration, which stems ("Wartezeiten" finds "Wartezeit"), and every other
with the english one; SQLite matches words as written (umlauts are letters of their own).
Anything else is refused with a message that says what is wrong (``SearchSyntaxError``).

Highlighting splits the comment into (text, matched) parts, for the template to escape and
mark: a word of the comment is marked when the index holds it as it holds a searched word, or
when it starts with a searched prefix. The words of a phrase are marked wherever they stand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from hub.queries import comment_search as q
from hub.queries.comment_search import Item
from hub.queries.comments import Comment, Criteria, Page, Position, decode_cursor, decorate
from hub.queries.comments import comment_page as walk_comments
from hub.services.rollups import comment_language

WORD = re.compile(r"[^\W_]+")  # letters and digits: what unicode61 and the parsers keep as a word
_ITEM = re.compile(r'"([^"]*)"(\*?)|[^\s"]+')
MAX_ITEMS = 16
MIN_PREFIX = 2
WALK_FACTOR = 1.0  # see comment_page
SPAN = 20_000  # answer ids a walk reads the matches of at once, at first (then up to 64 times more)
UNBOUNDED = 10**12  # a walk that searches may read the whole history


class SearchSyntaxError(ValueError):
    """A search text that is not a search: the message says what is wrong."""


@dataclass(frozen=True)
class Search:
    items: tuple[Item, ...]

    @property
    def words(self) -> list[str]:
        return [w for words, _ in self.items for w in words]

    @property
    def prefixes(self) -> list[str]:
        return [words[-1].lower() for words, prefix in self.items if prefix]


def _item(token: str) -> Item | None:
    """An unquoted token: a word, a word with a prefix star, or punctuation (None)."""
    prefix = token.endswith("*")
    if token.count("*") > (1 if prefix else 0):
        raise SearchSyntaxError(f"* may only end a word ({token[:40]!r})")
    words = tuple(WORD.findall(token.rstrip("*")))
    if prefix and (not words or not token[-2:-1].isalnum()):
        raise SearchSyntaxError(f"* must follow a word ({token[:40]!r})")
    return (words, prefix) if words else None


def parse(text: str) -> Search:
    """The search a text asks for (see the module), or SearchSyntaxError."""
    if text.count('"') % 2:
        raise SearchSyntaxError('a quotation mark (") is not closed')
    items: list[Item] = []
    for found in _ITEM.finditer(text):
        if found.group(1) is not None:
            words = tuple(WORD.findall(found.group(1)))
            if not words:
                raise SearchSyntaxError("a phrase in quotation marks holds no word")
            item: Item | None = (words, bool(found.group(2)))
        else:
            item = _item(found.group(0))
        if item is not None:
            words, prefix = item
            if prefix and len(words[-1]) < MIN_PREFIX:
                raise SearchSyntaxError(f"a prefix needs at least {MIN_PREFIX} letters ({words[-1]}*)")
            items.append(item)
    if not items:
        raise SearchSyntaxError("the search holds no word (letters or digits)")
    if len(items) > MAX_ITEMS:
        raise SearchSyntaxError(f"a search holds at most {MAX_ITEMS} words or phrases")
    return Search(tuple(items))


def index_comments(rows: Sequence[Sequence], locales: Mapping[str, str]) -> None:
    """Index the comments among answer rows just inserted (insert_answers' rows of
    (response id, question, kind, number, text)), each under the language the themes count it
    in (its response's locale in ``locales``); in the writing transaction. Nothing to do where
    the index keeps itself (SQLite's triggers)."""
    if not q.indexed_at_ingest():
        return
    q.add_comments([(r[0], r[1], comment_language(r[4], locales[r[0]])) for r in rows if r[2] == "text" and r[4]])


def comment_page(
    criteria: Criteria, search: Search, after: str | None, limit: int, keep: Callable[[Comment], bool] | None
) -> Page:
    """A page of the comments after the cursor ``after`` that hold the search, meet
    ``criteria`` and pass ``keep``, newest first, over the whole history.

    Few matches (a rare word: at most sqrt(WALK_FACTOR x limit x comments held) of them) are
    joined to their responses and sorted. Many (a common word) are not read at all: the
    responses are walked newest first, as without a search, and each comment is tested in the
    index (PostgreSQL: by the walk's SQL; SQLite: against the matching ids of the stretch of
    answer ids around it, ``_Matches``), so the page fills after about limit x comments /
    matches comments read. Joining costs about the same per match as the walk per comment,
    hence the bound. Either way the whole history is searched."""
    bound = math.isqrt(int(WALK_FACTOR * limit * q.indexed_comments()))
    matches = q.matching_ids(search.items, criteria.language, at_most=bound + 1)
    if not matches:
        return Page([], None)
    held = q.held_in_walk(search.items, criteria.language) if len(matches) > bound else None
    if held is not None:
        return walk_comments(replace(criteria, search=None, held=held), after, limit, keep, budget=UNBOUNDED)
    if len(matches) > bound:
        around = _Matches(search, criteria.language)

        def test(c: Comment) -> bool:
            return around.holds(c.answer_id) and (keep is None or keep(c))

        return walk_comments(replace(criteria, search=None), after, limit, test, budget=UNBOUNDED)
    found = _from_index(criteria, search, decode_cursor(after), limit, keep)
    shown = found[:limit]
    decorate(shown)
    return Page(shown, shown[-1].cursor if len(found) > limit else None)


class _Matches:
    """Whether an answer holds the search, read from the index a stretch of answer ids at a
    time around the one asked (a walk asks ids that mostly fall, one stretch after another).
    SQLite's way (``q.held_in_walk`` says why). A stretch the walk passed is followed by one
    twice as long: one store's comments lie far apart among the fleet's answer ids, and its
    walk then takes a few reads instead of one per SPAN ids, each with a statement's cost."""

    def __init__(self, search: Search, language: str | None) -> None:
        self.search, self.language = search, language
        self.low, self.high, self.ids = 0, -1, set()
        self.span = SPAN

    def holds(self, answer_id: int) -> bool:
        if not self.low <= answer_id <= self.high:
            if answer_id < self.low:
                self.span = min(2 * self.span, 64 * SPAN)
            self.low, self.high = max(answer_id - self.span, 0), answer_id + SPAN // 8
            self.ids = q.matching_ids(self.search.items, self.language, between=(self.low, self.high))
        return answer_id in self.ids


def _from_index(
    criteria: Criteria, search: Search, position: Position | None, limit: int, keep: Callable[[Comment], bool] | None
) -> list[Comment]:
    """Up to ``limit`` + 1 comments after ``position``: every match joined and sorted."""
    shown: list[Comment] = []
    chunk = limit + 1 if keep is None else max(4 * limit, 200)
    while True:
        found = q.search_page(criteria, search.items, position, chunk)
        shown += [c for c in found if keep is None or keep(c)]
        if len(shown) > limit or len(found) < chunk:
            return shown[: limit + 1]
        position = decode_cursor(found[-1].cursor)


def highlighted(comments: Sequence[Comment], search: Search) -> list[Comment]:
    """The comments with their text split into (text, matched) parts."""
    by_language: dict[str, set[str]] = {}
    for c in comments:
        by_language.setdefault(c.language or "en", set()).update(WORD.findall(c.text))
    keys = {}
    for language, words in by_language.items():
        known = q.stems(language, sorted(words | set(search.words)))
        wanted = {known.get(w) for w in search.words} - {None, ""}
        keys[language] = (known, wanted)
    done = []
    for c in comments:
        known, wanted = keys[c.language or "en"]
        done.append(replace(c, parts=_parts(c.text, known, wanted, search.prefixes)))
    return done


def _parts(text: str, known: dict[str, str], wanted: set, prefixes: list[str]) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    at = 0
    for found in WORD.finditer(text):
        word = found.group(0)
        lower = word.lower()
        if known.get(word) in wanted or any(lower.startswith(p) for p in prefixes):
            if found.start() > at:
                parts.append((text[at : found.start()], False))
            parts.append((word, True))
            at = found.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts


def forget_erased() -> None:
    """After comments were blanked (erasure): their words leave the index's storage too, not
    only its answers (SQLite merges the FTS5 index; PostgreSQL's rows went with the text)."""
    q.purge()
