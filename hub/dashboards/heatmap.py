"""The hour-of-day x weekday view: the smiley index and the number of answers in every hour
of every weekday of the period (store-local hours, from hour_daily via hub/queries/scores.py),
drawn as two server-side SVG heatmaps with the same numbers in a table under them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from markupsafe import Markup

from hub import charts
from hub.queries.scores import hour_counts
from hub.services.analytics import Period, Scales
from shared.scoring import Score, smiley_index

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = tuple(f"{h:02d}" for h in range(24))
# an hour with fewer answers than this is drawn pale: its index says little
SMALL_CELL = 10


@dataclass(frozen=True)
class HourCell:
    weekday: int  # 0 = Monday
    hour: int
    score: Score

    @property
    def small(self) -> bool:
        return self.score.n < SMALL_CELL


@dataclass(frozen=True)
class HourGrid:
    cells: list[HourCell]  # only hours with answers, Monday 00 first
    index_chart: Markup
    volume_chart: Markup


def hour_grid(store_ids: Collection[int] | None, period: Period, scales: Scales) -> HourGrid:
    counts = hour_counts(period.start, period.end, store_ids)
    cells = [
        HourCell(weekday, hour, smiley_index(faces, scales.faces))
        for (weekday, hour), faces in sorted(counts.items())
        if sum(faces.values())
    ]
    most = max((c.score.n for c in cells), default=0)
    index_cells = {
        (c.weekday, c.hour): charts.Cell(c.score.value, f"index {c.score.value:.1f}, n = {c.score.n}", c.small)
        for c in cells
    }
    volume_cells = {(c.weekday, c.hour): charts.Cell(float(c.score.n), f"{c.score.n} answers") for c in cells}
    return HourGrid(
        cells=cells,
        index_chart=charts.heatmap("Smiley index per weekday and hour", WEEKDAYS, HOURS, index_cells),
        volume_chart=charts.heatmap(
            "Answers per weekday and hour", WEEKDAYS, HOURS, volume_cells, 0.0, float(most), diverging=False
        ),
    )
