"""The hour-of-day x weekday view drawn: the cells of hub/services/hours.py as two server-side
SVG heatmaps (smiley index, answers), with the same numbers in a table under them."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from hub import charts
from hub.i18n import gettext, ngettext, number, weekday_name
from hub.models import Measure
from hub.services.hours import HourCell

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = tuple(f"{h:02d}" for h in range(24))


@dataclass(frozen=True)
class HourGrid:
    cells: list[HourCell]  # only hours with answers, Monday 00 first
    index_chart: Markup
    volume_chart: Markup


def hour_grid(cells: list[HourCell]) -> HourGrid:
    most = max((c.score.n for c in cells), default=0)
    index_cells = {
        (c.weekday, c.hour): charts.Cell(
            c.score.value, gettext("index %(value)s, n = %(n)s", value=number(c.score.value), n=c.score.n), c.small
        )
        for c in cells
    }
    volume_cells = {
        (c.weekday, c.hour): charts.Cell(float(c.score.n), ngettext("%(num)s answer", "%(num)s answers", c.score.n))
        for c in cells
    }
    weekdays = [weekday_name(d) for d in range(7)]
    return HourGrid(
        cells=cells,
        index_chart=charts.heatmap(gettext("Smiley index per weekday and hour"), weekdays, HOURS, index_cells),
        volume_chart=charts.heatmap(
            gettext("Answers per weekday and hour"), weekdays, HOURS, volume_cells, 0.0, float(most), diverging=False
        ),
    )


def measure_chart(measure: Measure, means: dict[tuple[int, int], tuple[float, int]]) -> Markup:
    """A measure's mean per weekday and hour on a ramp from 0 to its highest mean."""
    most = max((mean for mean, _ in means.values()), default=0.0)
    cells = {
        key: charts.Cell(
            mean,
            ngettext(
                "mean %(value)s %(unit)s of %(num)s value",
                "mean %(value)s %(unit)s of %(num)s values",
                n,
                value=number(mean),
                unit=measure.unit,
            ),
        )
        for key, (mean, n) in means.items()
    }
    weekdays = [weekday_name(d) for d in range(7)]
    return charts.heatmap(
        gettext("%(measure)s: mean per weekday and hour", measure=measure.name),
        weekdays,
        HOURS,
        cells,
        0.0,
        most,
        diverging=False,
        empty=gettext("no values"),
    )
