"""The comment browser's logic: which comments a request asks for, a page of them, the latest
few for the weather screen, and the labels of the reasons shown beside them.

The SQL lives in hub/queries/comments.py. What it cannot know lives here, tested on each
comment the walk reads: the language a comment is counted under by the themes (the one it is
written in, else its page's, and a language the themes do not analyse as English:
hub/services/rollups.py ``comment_language``), and how a theme term matches a comment
(hub/services/comment_text.py, the same test the themes count with).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import date

from hub.models import SurveyVersion
from hub.queries import comments as q
from hub.queries.comments import Comment, Criteria, Page
from hub.services import comment_search
from hub.services.comment_text import comment_terms, term_sieve
from hub.services.rollups import comment_language

# What views use: the functions, and the records they take and give (a comment, the
# criteria, a page), which are defined beside the statements that fill them.
__all__ = ["Comment", "Criteria", "Page", "comment_page", "criteria", "export", "latest", "reason_labels"]

# an export may read more responses than a page before it stops
EXPORT_BUDGET_FACTOR = 4


def criteria(
    store_ids: Collection[int] | None,
    *,
    smiley_question: str | None,
    touchpoint: str | None = None,
    channel: str | None = None,
    face: int | None = None,
    start: date | None = None,
    end: date | None = None,
    language: str | None = None,
    search: str | None = None,
    term: str = "",
) -> Criteria:
    """The criteria for comments in ``store_ids`` (already scoped by the caller); ``language``
    is two letters, ``term`` a theme term (a word stem or two) whose sieve each comment's text
    must hold before the exact test (hub/services/comment_text.py ``term_sieve``)."""
    language = (language or "")[:2].lower() or None
    return Criteria(
        store_ids=store_ids,
        smiley_question=smiley_question,
        touchpoint=touchpoint,
        channel=channel,
        face=face,
        start=start,
        end=end,
        language=language,
        search=search,
        words=term_sieve(term),
    )


def _keep(criteria: Criteria, term: str) -> Callable[[Comment], bool] | None:
    """Whether a comment is in the language asked for and holds the theme term, the way the
    themes count it; None when neither is asked."""
    term = term.lower()
    if not term and not criteria.language:
        return None

    def keep(c: Comment) -> bool:
        language = comment_language(c.text, c.locale)
        if criteria.language and language != criteria.language:
            return False
        return not term or term in comment_terms(c.text, language)

    return keep


def _with_languages(comments: list[Comment]) -> list[Comment]:
    return [replace(c, language=comment_language(c.text, c.locale)) for c in comments]


def _searched(criteria: Criteria, term: str, after: str | None, limit: int) -> Page:
    """A text search through the full-text index: the whole history, no walk budget."""
    search = comment_search.parse(criteria.search or "")
    page = comment_search.comment_page(criteria, search, after, limit, _keep(criteria, term))
    return replace(page, comments=comment_search.highlighted(_with_languages(page.comments), search))


def comment_page(criteria: Criteria, term: str = "", after: str | None = None, limit: int = 50) -> Page:
    """A page of the comments that meet ``criteria`` and hold ``term`` (when given); a search
    text that is not a search raises comment_search.SearchSyntaxError."""
    if criteria.search:
        return _searched(criteria, term, after, limit)
    page = q.comment_page(criteria, after, limit, _keep(criteria, term))
    return replace(page, comments=_with_languages(page.comments))


def export(criteria: Criteria, term: str, cap: int) -> list[Comment]:
    """Up to ``cap`` comments, newest first, for a CSV or JSON export."""
    if criteria.search:
        return _searched(criteria, term, None, cap).comments
    keep = _keep(criteria, term)
    found = q.comment_page(criteria, None, cap, keep, budget=q.WALK_BUDGET * EXPORT_BUDGET_FACTOR).comments
    return _with_languages(found)


def latest(store_ids: Collection[int] | None, smiley_question: str | None, count: int) -> list[Comment]:
    """The newest ``count`` comments of the stores, with their faces."""
    criteria = Criteria(store_ids=store_ids, smiley_question=smiley_question)
    return _with_languages(q.comment_page(criteria, limit=count).comments)


def reason_labels() -> dict[str, str]:
    """Option id -> its text (English where there is one) from every survey version."""
    labels: dict[str, str] = {}
    for (definition,) in SurveyVersion.select(SurveyVersion.definition).tuples():
        for question in definition.get("questions", []):
            for option in question.get("options", []) or []:
                text = option.get("text") or {}
                labels.setdefault(option["id"], text.get("en") or next(iter(text.values()), option["id"]))
    return labels
