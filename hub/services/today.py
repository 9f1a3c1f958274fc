"""My stores today, the first page after sign-in: the cases still to work (oldest first, those
past their acknowledgement SLA marked), each team's recommendation of the day
(hub/services/recommendations.py), each store's smiley index of its own today so far, and
the latest comments, all of the stores the person sees (HQ: every store). Days are store-local,
for the page those of the stores' most common time zone (hub/services/weather.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.models import Case, Store
from hub.queries.comments import Comment
from hub.queries.scores import score_counts
from hub.services import analytics, cases, comment_browser, weather
from hub.services.access import Scope
from hub.services.recommendation_words import described
from hub.services.recommendations import today_for
from shared.scoring import Score, smiley_index

OPEN_CASES = 20
LATEST_COMMENTS = 5


@dataclass(frozen=True)
class StoreToday:
    store: Store
    score: Score  # today's smiley index so far


@dataclass(frozen=True)
class Today:
    day: date
    cases: list[Case]  # not resolved, oldest first
    breached: set[int]  # ids of open cases past their acknowledgement SLA
    counts: dict[int, int]  # case id -> its responses
    stores: list[StoreToday]
    comments: list[Comment]
    # each team's recommendation of today in words (own teams first)
    recommendations: list[dict[str, Any]] = field(default_factory=list)


def my_stores_today(scope: Scope, at: datetime) -> Today:
    """What the person's stores look like at ``at``."""
    day = at.astimezone(ZoneInfo(weather.scope_zone(scope))).date()
    scales = analytics.survey_scales()
    stores = list(scope.restrict(Store.select().order_by(Store.code), Store.id))
    counts = score_counts(scales.smiley, day, day, scope.store_ids, "store") if scales.smiley else {}
    found = cases.list_cases(scope, state="unresolved", sort="oldest", limit=OPEN_CASES)
    return Today(
        day=day,
        cases=found,
        breached={c.id for c in found if cases.breached(c, at)},
        counts=cases.response_counts(found),
        stores=[StoreToday(s, smiley_index(counts.get(s.id, {}), scales.faces)) for s in stores],
        comments=comment_browser.latest(scope.store_ids, scales.smiley, LATEST_COMMENTS),
        recommendations=[described(s) for s in today_for(scope, at)],
    )
