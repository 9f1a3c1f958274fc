"""Comment themes: the topics customers write about most, per language and period, with how
they feel about them and how that changed against the period before. A topic is a word with
all its inflected forms (its Snowball stem, named by a word: "kasse" for Kasse and Kassen)
or a pair of neighbouring such words ("opening hour"); stop words are never part of one
(hub/services/comment_text.py). Each theme links to its comments in the comment browser.

Read from term_daily (hub/queries/scores.py ``term_counts``, and ``comment_counts`` for the
number of comments), which ingest fills with the terms of hub/services/comment_text.py, so
HQ's year of themes reads the every-store rows only. Per theme:

- n: comments holding the term; share: % of all the period's comments (every language);
- negative / positive: % of those comments that came with an unhappy / a happy face;
- sentiment: their mean lexicon sentiment, -1..1;
- previous n and the change: the same term's count in the period before (same length), read
  up to ``PREVIOUS_LIMIT`` terms; a term beyond them counts as new (0 before).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hub.queries.scores import TermCount, comment_counts, term_counts
from hub.services.analytics import Period
from hub.services.comment_text import LANGUAGES

LIMIT = 50
PREVIOUS_LIMIT = 5000


@dataclass(frozen=True)
class Theme:
    term: str
    language: str
    n: int
    share: float | None  # % of the period's comments
    negative: float  # % of its comments with an unhappy face
    positive: float  # % with a happy face
    sentiment: float  # mean, -1..1
    previous_n: int

    @property
    def change(self) -> int:
        return self.n - self.previous_n


def _percent(part: int | float, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def theme(count: TermCount, comments: int, previous: TermCount | None) -> Theme:
    """One theme's figures from its term counts in the period and the period before."""
    before = previous.n if previous else 0
    return Theme(
        term=count.term,
        language=count.language,
        n=count.n,
        share=_percent(count.n, comments),
        negative=_percent(count.negative, count.n) or 0.0,
        positive=_percent(count.positive, count.n) or 0.0,
        sentiment=count.sentiment / count.n if count.n else 0.0,
        previous_n=before,
    )


def comment_count(store_ids: Collection[int] | None, period: Period) -> int:
    """How many comments the period holds (every language)."""
    return sum(c.n for c in comment_counts(period.start, period.end, store_ids).values())


def themes(
    store_ids: Collection[int] | None, period: Period, language: str | None = None, limit: int = LIMIT
) -> dict[str, list[Theme]]:
    """The ``limit`` most frequent terms per language (``language``: just that one), each with
    its change against the period before; most frequent first."""
    languages = [language] if language else list(LANGUAGES)
    before = period.previous()
    comments = comment_count(store_ids, period)
    earlier = {
        (c.language, c.term): c for c in term_counts(before.start, before.end, store_ids, language, PREVIOUS_LIMIT)
    }
    found: dict[str, list[Theme]] = {}
    for lang in languages:
        now = term_counts(period.start, period.end, store_ids, lang, limit)
        found[lang] = [theme(c, comments, earlier.get((lang, c.term))) for c in now]
    return found
