"""The hour-of-day x weekday figures: the smiley index and the number of answers in every hour
of every weekday of a period (store-local hours, from hour_daily via hub/queries/scores.py),
for the dashboard's heatmaps and its CSV."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hub.queries.scores import hour_counts
from hub.services.analytics import Period, Scales
from shared.scoring import Score, smiley_index

# an hour with fewer answers than this says little: it is drawn pale
SMALL_CELL = 10


@dataclass(frozen=True)
class HourCell:
    weekday: int  # 0 = Monday
    hour: int
    score: Score

    @property
    def small(self) -> bool:
        return self.score.n < SMALL_CELL


def hour_cells(store_ids: Collection[int] | None, period: Period, scales: Scales) -> list[HourCell]:
    """The hours that have answers, Monday 00 first."""
    counts = hour_counts(period.start, period.end, store_ids)
    return [
        HourCell(weekday, hour, smiley_index(faces, scales.faces))
        for (weekday, hour), faces in sorted(counts.items())
        if sum(faces.values())
    ]
