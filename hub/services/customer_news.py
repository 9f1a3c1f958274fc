"""The Customer News Screen's news beside the weather (hub/services/weather.py): why customers
come and what they praise, what annoys them, and whether they will come back, for every store
in scope, a region or a store, over the last ``NEWS_DAYS`` store-local days up to today.

- Praised reasons: the options of the survey's choice questions named with a happy face (the
  upper half of the faces: shared/scoring ``mood``), most named first, each with its share of
  the happy customers who named any reason of that question (reason_daily and its pair
  ('', ''): hub/queries/scores.py). Shown once at least ``MIN_HAPPY`` happy customers named a
  reason.
- Annoyances: the reasons to work on first, by the one rule the drivers page, the store page
  and the email report apply (hub/services/drivers.py ``top_reasons``); one with too few rated
  answers (``SMALL_SAMPLE``, marked there) is not shown here, and since that rule ranks such
  reasons last, what is shown is the start of the same list.
- Themes: the comment themes (hub/services/themes.py) held by at least ``MIN_THEME_COMMENTS``
  comments, praised when most of them came with a happy face, annoying when most came with an
  unhappy one; by how many comments of that mood hold them.
- Coming back: the NPS of the period and, per week (Monday to Sunday, this week so far) over
  the last ``TREND_WEEKS``, the NPS of analytics' trend; a week with fewer than
  ``MIN_WEEK_ANSWERS`` NPS answers is a gap, a period with fewer than ``SMALL_SAMPLE`` shows
  no NPS.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from hub.queries.analytics import week_start
from hub.queries.scores import reason_counts, reason_pair_counts
from hub.services import analytics, drivers, themes
from hub.services.analytics import SMALL_SAMPLE, Period, TrendPoint
from hub.services.drivers import Driver
from hub.services.themes import Theme
from shared.scoring import EMPTY, Score, mood

NEWS_DAYS = 28
TREND_WEEKS = 8
TOP = 3
MIN_HAPPY = SMALL_SAMPLE
MIN_THEME_COMMENTS = 5
MIN_WEEK_ANSWERS = 10


@dataclass(frozen=True)
class Praise:
    key: str  # the option id
    label: str
    named: int  # happy customers naming it
    happy: int  # happy customers naming any reason of its question

    @property
    def share(self) -> float:
        return 100.0 * self.named / self.happy if self.happy else 0.0


@dataclass(frozen=True)
class MoodTheme:
    theme: Theme
    share: float  # % of its comments with this mood (happy or unhappy face)


@dataclass(frozen=True)
class News:
    period: Period
    praised: list[Praise]
    happy: int  # happy customers who named a reason (the most of any question)
    annoyances: list[Driver]
    few_for_annoyances: bool  # reasons to work on exist, all over too few answers
    praised_themes: list[MoodTheme]
    annoying_themes: list[MoodTheme]
    weeks: list[TrendPoint]
    nps: Score

    @property
    def enough_praise(self) -> bool:
        return self.happy >= MIN_HAPPY

    @property
    def enough_nps(self) -> bool:
        return self.nps.n >= SMALL_SAMPLE


def praised_reasons(
    store_ids: Collection[int] | None, period: Period, language: str = "en"
) -> tuple[list[Praise], int]:
    """The reasons named with a happy face, most named first, and how many happy customers
    named a reason (of the question most named)."""
    scales = analytics.survey_scales()
    if scales.smiley is None:
        return [], 0
    happy_faces = [f for f in range(1, scales.faces + 1) if mood(f, scales.faces) == "positive"]
    found: list[Praise] = []
    happiest = 0
    for question in drivers.choice_questions(drivers.survey_definition()):
        chosen = reason_counts(question.id, period.start, period.end, store_ids).get(None, {})
        anyone = reason_pair_counts(question.id, period.start, period.end, store_ids).get(None, {}).get(("", ""), {})
        happy = sum(anyone.get(f, 0) for f in happy_faces)
        happiest = max(happiest, happy)
        for option in question.options:
            named = sum(chosen.get(option.id, {}).get(f, 0) for f in happy_faces)
            if named:
                found.append(Praise(option.id, drivers.label(option.text, language, option.id), named, happy))
    found.sort(key=lambda p: (-p.named, p.key))
    return found, happiest


def annoyances(store_ids: Collection[int] | None, period: Period, language: str = "en") -> tuple[list[Driver], bool]:
    """The first ``TOP`` reasons to work on (``drivers.top_reasons``) over enough answers, and
    whether some were left out for too few."""
    _, reasons = drivers.reason_drivers(store_ids, period, language)
    top = drivers.top_reasons(reasons, TOP)
    shown = [d for d in top if not d.small_sample]
    return shown, len(shown) < len(top)


def mood_themes(store_ids: Collection[int] | None, period: Period) -> tuple[list[MoodTheme], list[MoodTheme]]:
    """(praised, annoying): the themes of every language most of whose comments came with a
    happy (an unhappy) face, by how many such comments hold them."""
    every = [t for found in themes.themes(store_ids, period).values() for t in found if t.n >= MIN_THEME_COMMENTS]

    def of(share: str) -> list[MoodTheme]:
        found = [MoodTheme(t, getattr(t, share)) for t in every if getattr(t, share) > 50.0]
        found.sort(key=lambda m: (-m.theme.n * m.share, m.theme.term, m.theme.language))
        return found[:TOP]

    return of("positive"), of("negative")


def trend_period(today: date) -> Period:
    """The last ``TREND_WEEKS`` weeks, Monday to Sunday, this one up to ``today``."""
    return Period(week_start(today) - timedelta(weeks=TREND_WEEKS - 1), today)


def news(store_ids: Collection[int] | None, today: date, language: str = "en") -> News:
    """The news of ``store_ids`` (None: every store) up to ``today`` (store-local)."""
    period = Period.ending(today, NEWS_DAYS)
    scales = analytics.survey_scales()
    praised, happy = praised_reasons(store_ids, period, language)
    annoying, few = annoyances(store_ids, period, language)
    praised_themes, annoying_themes = mood_themes(store_ids, period)
    figure = analytics.overview(store_ids, period, scales).figure("nps")
    return News(
        period=period,
        praised=praised[:TOP],
        happy=happy,
        annoyances=annoying,
        few_for_annoyances=few,
        praised_themes=praised_themes,
        annoying_themes=annoying_themes,
        weeks=analytics.trend(store_ids, trend_period(today), scales, "week") if scales.nps else [],
        nps=figure.current if figure else EMPTY,
    )
