"""A recommendation in words, in the reader's language (the ``in_language`` around the call):
what the start page shows and the daily digest says, from the figures kept with it
(hub/services/recommendations.py), so both say the same."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from hub.i18n import current_language, day, gettext, lazy_gettext, number
from hub.models import Store
from hub.services.recommendations import Shown, for_store_day

VERDICTS = {
    "clear": lazy_gettext("a clear improvement"),
    "negative": lazy_gettext("a clear change for the worse"),
    "unclear": lazy_gettext("no clear change"),
    "pending": lazy_gettext("too early to measure"),
    "not_measurable": lazy_gettext("not measurable"),
}


def team_name(shown: Shown) -> str:
    return shown.recommendation.team_name or gettext("Whole store")


def sentence(figures: dict[str, Any], end: str) -> str:
    """The evidence in one sentence: how many named it and what it is worth."""
    last = day(date.fromisoformat(end))
    if figures.get("basis") == "named":
        text = gettext(
            "Named by %(share)s %% of the %(asked)s unhappy customers asked (%(n)s responses) in the 7 days "
            "to %(end)s.",
            share=number(figures.get("share"), 0),
            asked=figures.get("asked") or 0,
            n=figures.get("n"),
            end=last,
        )
    else:
        text = gettext(
            "Named in %(n)s responses (%(share)s %% of those asked) in the 7 days to %(end)s: the smiley index would "
            "be about %(gain)s points higher if they were as happy as comparable customers (95 %% interval %(low)s "
            "to %(high)s).",
            n=figures.get("n"),
            share=number(figures.get("share"), 0),
            end=last,
            gain=number(figures.get("gain"), 1),
            low=number(figures.get("gain_low"), 1),
            high=number(figures.get("gain_high"), 1),
        )
    if figures.get("small_sample"):
        text += " " + gettext("(Few responses.)")
    return text


def tried_words(action: dict[str, Any]) -> str:
    verdict = action.get("verdict")
    if verdict is None:
        return gettext("not in effect yet")
    words = str(VERDICTS.get(verdict, verdict))
    if action.get("estimate") is not None and verdict in ("clear", "negative", "unclear"):
        words += gettext(
            " (%(estimate)s %% points, 95 %% interval %(low)s to %(high)s)",
            estimate=number(action["estimate"], 1),
            low=number(action.get("low"), 1),
            high=number(action.get("high"), 1),
        )
    return words


def described(shown: Shown) -> dict[str, Any]:
    """Everything a reader sees of ``shown``, in words."""
    found = shown.recommendation
    data = shown.data
    period = data.get("period") or {}
    return {
        "id": found.id,
        "store": f"{shown.store.code} {shown.store.name}",
        "team": team_name(shown),
        "mine": shown.mine,
        "reason": found.reason,
        "label": shown.label(current_language()) if found.reason else None,
        "sentence": sentence(data["figures"], period["end"]) if found.reason and data.get("figures") else None,
        "comments": shown.comments,
        "tried": [{"id": a["id"], "title": a["title"], "words": tried_words(a)} for a in data.get("tried", ())],
        "dismissed": found.dismissed_at is not None,
        "dismissed_by": shown.dismissed_by,
        "dismissed_note": found.dismissed_note,
    }


def digest_recommendations(stores: list[Store], today: date, base: str, now: datetime) -> list[dict[str, Any]]:
    """The recommendations of today with a reason, not dismissed, of ``stores``, in words,
    each with its link on the start page (for the daily digest)."""
    found = []
    for store in stores:
        for shown in for_store_day(store, today, now):
            if shown.recommendation.reason and shown.recommendation.dismissed_at is None:
                found.append({**described(shown), "url": f"{base}/#recommendation-{shown.recommendation.id}"})
    return found
