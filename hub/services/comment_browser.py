"""The comment browser's logic: which comments a request asks for, a page of them, the latest
few for the weather screen, and the labels of the reasons shown beside them.

The SQL lives in hub/queries/comments.py. What it cannot know lives here: which languages
the themes analyse (a comment in any other is read as English, so the English filter finds
what the English themes counted) and how a theme term matches a comment
(hub/services/comment_text.py, the same test the themes count with).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

from hub.models import SurveyVersion
from hub.queries import comments as q
from hub.queries.comments import Comment, Criteria, Page
from hub.services.comment_text import LANGUAGES, comment_terms
from hub.services.rollups import FALLBACK_LANGUAGE, language_of

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
    is two letters, ``term`` a theme term whose words each comment must hold."""
    language = (language or "")[:2].lower() or None
    others: tuple[str, ...] = ()
    if language == FALLBACK_LANGUAGE:
        others = tuple(code for code in LANGUAGES if code != FALLBACK_LANGUAGE)
        language = None
    return Criteria(
        store_ids=store_ids,
        smiley_question=smiley_question,
        touchpoint=touchpoint,
        channel=channel,
        face=face,
        start=start,
        end=end,
        language=language,
        not_languages=others,
        search=search,
        words=tuple(term.lower().split()),
    )


def _holds_term(term: str) -> Callable[[Comment], bool]:
    """Whether a comment holds the theme term the way the themes count it."""
    term = term.lower()
    return lambda c: term in comment_terms(c.text, language_of(c.locale))


def comment_page(criteria: Criteria, term: str = "", after: str | None = None, limit: int = 50) -> Page:
    """A page of the comments that meet ``criteria`` and hold ``term`` (when given)."""
    return q.comment_page(criteria, after, limit, _holds_term(term) if term else None)


def export(criteria: Criteria, term: str, cap: int) -> list[Comment]:
    """Up to ``cap`` comments, newest first, for a CSV or JSON export."""
    keep = _holds_term(term) if term else None
    return q.comment_page(criteria, None, cap, keep, budget=q.WALK_BUDGET * EXPORT_BUDGET_FACTOR).comments


def latest(store_ids: Collection[int] | None, smiley_question: str | None, count: int) -> list[Comment]:
    """The newest ``count`` comments of the stores, with their faces."""
    return q.comment_page(Criteria(store_ids=store_ids, smiley_question=smiley_question), limit=count).comments


def reason_labels() -> dict[str, str]:
    """Option id -> its text (English where there is one) from every survey version."""
    labels: dict[str, str] = {}
    for (definition,) in SurveyVersion.select(SurveyVersion.definition).tuples():
        for question in definition.get("questions", []):
            for option in question.get("options", []) or []:
                text = option.get("text") or {}
                labels.setdefault(option["id"], text.get("en") or next(iter(text.values()), option["id"]))
    return labels
