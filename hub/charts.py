"""Charts as inline SVG, drawn on the server: no script, nothing from a CDN, readable without
JavaScript. Every label is escaped here; the result is ``Markup`` for the templates.

- ``line_chart``: one series over time, the 95 % interval as a shaded band (a whisker for a
  lone point), gaps where a bucket had no answers.
- ``bar_chart``: one horizontal bar per row on a -100..100 scale, the interval as a whisker;
  muted rows (small samples) are drawn pale.
- ``heatmap``: a grid of cells (hour of day x weekday), each coloured by its value: diverging
  red - grey - green around the middle of the scale, or one blue ramp from the lowest for
  counts; empty cells are hatched, muted ones (small samples) pale. Every cell carries its
  number in a tooltip; the page shows the same numbers in a table under the chart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from hub.i18n import gettext

WIDTH = 720
LINE_HEIGHT = 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 12, 28
BAR_ROW = 26
BAR_LABEL = 220


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    muted: bool = False


def _y(value: float, lowest: float, highest: float) -> float:
    inner = LINE_HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + inner * (highest - value) / (highest - lowest)


def _num(value: float) -> str:
    return f"{value:.1f}"


def line_chart(title: str, points: Sequence[Point], lowest: float = -100.0, highest: float = 100.0) -> Markup:
    """A line with its interval band; runs of empty points break the line and the band."""
    x = _line_x(len(points))
    parts = [
        f'<svg class="chart line" viewBox="0 0 {WIDTH} {LINE_HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        *_line_grid(lowest, highest),
    ]
    for run in _runs(points):
        parts += _line_run(points, run, x, lowest, highest)
    parts += _line_labels(points, x)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in parts went through escape())


def _line_x(count: int) -> Callable[[int], float]:
    """Where the i-th of ``count`` points stands: spread across the width, a lone one in the middle."""
    inner = WIDTH - PAD_LEFT - PAD_RIGHT
    step = inner / max(count - 1, 1)
    return lambda i: PAD_LEFT + (step * i if count > 1 else inner / 2)


def _line_grid(lowest: float, highest: float) -> list[str]:
    """Grid lines and ticks at the top, the middle and the bottom of the scale."""
    parts = []
    for tick in (highest, (highest + lowest) / 2, lowest):
        y = _y(tick, lowest, highest)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{_num(y)}" y2="{_num(y)}" class="grid"/>'
            f'<text x="{PAD_LEFT - 6}" y="{_num(y + 4)}" text-anchor="end" class="tick">{tick:.0f}</text>'
        )
    return parts


def _runs(points: Sequence[Point]) -> list[list[int]]:
    """The indexes of the points with a value, in runs broken by empty points."""
    runs: list[list[int]] = [[]]
    for i, p in enumerate(points):
        if p.value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(i)
    return [run for run in runs if run]


def _line_run(
    points: Sequence[Point], run: list[int], x: Callable[[int], float], lowest: float, highest: float
) -> list[str]:
    """One unbroken run: its interval band (a whisker for a lone point), the line and its dots."""

    def y(value: float) -> str:
        return _num(_y(value, lowest, highest))

    parts = []
    banded = [i for i in run if points[i].low is not None and points[i].high is not None]
    if len(banded) > 1:
        upper = [f"{_num(x(i))},{y(points[i].high)}" for i in banded]
        lower = [f"{_num(x(i))},{y(points[i].low)}" for i in reversed(banded)]
        parts.append(f'<polygon class="band" points="{" ".join(upper + lower)}"/>')
    if len(run) == 1 and banded:  # a lone point: its interval as a whisker, no band
        i = run[0]
        parts.append(
            f'<line class="whisker" x1="{_num(x(i))}" x2="{_num(x(i))}" '
            f'y1="{y(points[i].high)}" y2="{y(points[i].low)}"/>'
        )
    line = " ".join(f"{_num(x(i))},{y(points[i].value)}" for i in run)
    parts.append(f'<polyline class="series" points="{line}"/>')
    for i in run:
        parts.append(
            f'<circle class="dot" cx="{_num(x(i))}" cy="{y(points[i].value)}" r="3">'
            f"<title>{escape(points[i].label)}: {_num(points[i].value)}</title></circle>"
        )
    return parts


def _line_labels(points: Sequence[Point], x: Callable[[int], float]) -> list[str]:
    """The labels of the first, the middle and the last point under the axis."""
    if not points:
        return []
    parts = []
    last = len(points) - 1
    for i in sorted({0, last // 2, last}):
        anchor = "start" if i == 0 and last else "end" if i == last and last else "middle"
        parts.append(
            f'<text x="{_num(x(i))}" y="{LINE_HEIGHT - 8}" text-anchor="{anchor}" class="tick">'
            f"{escape(points[i].label)}</text>"
        )
    return parts


LABEL_CHARS = 24  # what fits left of the bars at the label's font size; longer ones are cut


def _fitted(label: str) -> str:
    """The label as it fits beside the bars: cut with an ellipsis (the full one is in a title)."""
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def bar_chart(title: str, points: Sequence[Point], lowest: float = -100.0, highest: float = 100.0) -> Markup:
    """Horizontal bars from the zero line, one row per point, with the interval as a whisker."""
    height = PAD_TOP + BAR_ROW * max(len(points), 1) + PAD_BOTTOM
    inner = WIDTH - BAR_LABEL - PAD_RIGHT

    def x(value: float) -> float:
        return BAR_LABEL + inner * (value - lowest) / (highest - lowest)

    zero = x(max(lowest, min(0.0, highest)))
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<line x1="{_num(zero)}" x2="{_num(zero)}" y1="{PAD_TOP}" y2="{height - PAD_BOTTOM}" class="grid"/>'
    ]
    for tick in (lowest, 0.0, highest):
        parts.append(f'<text x="{_num(x(tick))}" y="{height - 8}" text-anchor="middle" class="tick">{tick:.0f}</text>')
    for row, p in enumerate(points):
        top = PAD_TOP + BAR_ROW * row
        middle = top + BAR_ROW / 2
        label = escape(p.label)
        css = "bar muted" if p.muted else "bar"
        parts.append(
            f'<text x="{BAR_LABEL - 8}" y="{_num(middle + 4)}" text-anchor="end" class="label">'
            f"<title>{label}</title>{escape(_fitted(p.label))}</text>"
        )
        if p.value is None:
            continue
        left, right = sorted((zero, x(p.value)))
        parts.append(
            f'<rect class="{css}" x="{_num(left)}" y="{_num(top + 5)}" width="{_num(max(right - left, 1.0))}" '
            f'height="{BAR_ROW - 10}"><title>{label}: {_num(p.value)}</title></rect>'
        )
        if p.low is not None and p.high is not None:
            parts.append(
                f'<line class="whisker" x1="{_num(x(p.low))}" x2="{_num(x(p.high))}" '
                f'y1="{_num(middle)}" y2="{_num(middle)}"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in parts went through escape())


HEAT_CELL_W, HEAT_CELL_H = 26, 26
HEAT_LABEL = 44
_BAD, _MIDDLE, _GOOD = (180, 35, 24), (234, 238, 242), (26, 127, 55)
_FEW, _MANY = (234, 241, 251), (10, 91, 211)


@dataclass(frozen=True)
class Cell:
    value: float | None
    text: str = ""  # the tooltip after the cell's name, e.g. "index 35.0, n = 12"
    muted: bool = False


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], share: float) -> str:
    share = max(0.0, min(1.0, share))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def heat_colour(value: float, lowest: float, highest: float, diverging: bool = True) -> str:
    """The fill of a value: red - grey - green around the middle, or a light-to-blue ramp."""
    if not diverging:
        return _mix(_FEW, _MANY, (value - lowest) / ((highest - lowest) or 1.0))
    middle = (lowest + highest) / 2
    if value >= middle:
        return _mix(_MIDDLE, _GOOD, (value - middle) / ((highest - middle) or 1.0))
    return _mix(_MIDDLE, _BAD, (middle - value) / ((middle - lowest) or 1.0))


def heatmap(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Mapping[tuple[int, int], Cell],
    lowest: float = -100.0,
    highest: float = 100.0,
    diverging: bool = True,
    empty: str | None = None,
) -> Markup:
    """One rect per (row, column) position; ``cells`` keyed by those indexes, missing = empty
    (``empty``: what an empty cell's tooltip says after its name; "no answers" unless given)."""
    width = HEAT_LABEL + HEAT_CELL_W * len(columns) + PAD_RIGHT
    height = PAD_TOP + HEAT_CELL_H * len(rows) + PAD_BOTTOM
    parts = [
        f'<svg class="chart heatmap" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        '<defs><pattern id="heat-empty" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<path d="M0,6 L6,0" stroke="#d0d7de" stroke-width="1"/></pattern></defs>'
    ]
    for r, row in enumerate(rows):
        y = PAD_TOP + HEAT_CELL_H * r
        parts.append(
            f'<text x="{HEAT_LABEL - 6}" y="{_num(y + HEAT_CELL_H / 2 + 4)}" text-anchor="end" class="label">'
            f"{escape(row)}</text>"
        )
        for c, column in enumerate(columns):
            x = HEAT_LABEL + HEAT_CELL_W * c
            cell = cells.get((r, c))
            name = f"{row} {column}"
            if cell is None or cell.value is None:
                fill, css = "url(#heat-empty)", "cell empty"
                tip = f"{name}: {empty}" if empty else gettext("%(name)s: no answers", name=name)
            else:
                fill = heat_colour(cell.value, lowest, highest, diverging)
                css = "cell muted" if cell.muted else "cell"
                tip = f"{name}: {cell.text or _num(cell.value)}"
            parts.append(
                f'<rect class="{css}" x="{x + 1}" y="{y + 1}" width="{HEAT_CELL_W - 2}" height="{HEAT_CELL_H - 2}" '
                f'fill="{fill}"><title>{escape(tip)}</title></rect>'
            )
    for c, column in enumerate(columns):
        if c % 3 == 0:
            x = HEAT_LABEL + HEAT_CELL_W * c + HEAT_CELL_W / 2
            parts.append(
                f'<text x="{_num(x)}" y="{height - 8}" text-anchor="middle" class="tick">{escape(column)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in parts went through escape())


def comparison_chart(
    title: str,
    labels: Sequence[str],
    ours: Sequence[float | None],
    theirs: Sequence[float | None],
    marker: int | None,
    lowest: float = -100.0,
    highest: float = 100.0,
) -> Markup:
    """Two lines over the same buckets, ours solid, the comparison dashed, and a vertical
    marker before bucket ``marker`` (an action's start); gaps where a bucket had no answers."""
    x = _line_x(len(labels))
    parts = [
        f'<svg class="chart line comparison" viewBox="0 0 {WIDTH} {LINE_HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        *_line_grid(lowest, highest),
    ]
    if marker is not None and 0 <= marker < len(labels):
        at = x(marker) - (x(1) - x(0)) / 2 if marker > 0 and len(labels) > 1 else x(marker)
        parts.append(
            f'<line class="marker" x1="{_num(at)}" x2="{_num(at)}" y1="{PAD_TOP}" y2="{LINE_HEIGHT - PAD_BOTTOM}"/>'
        )
    for values, kind in ((theirs, "series other"), (ours, "series")):
        points = [Point(label, value) for label, value in zip(labels, values, strict=True)]
        for run in _runs(points):
            line = " ".join(f"{_num(x(i))},{_num(_y(points[i].value, lowest, highest))}" for i in run)  # type: ignore[arg-type]
            parts.append(f'<polyline class="{kind}" points="{line}"/>')
            for i in run:
                parts.append(
                    f'<circle class="dot {kind}" cx="{_num(x(i))}" cy="{_num(_y(points[i].value, lowest, highest))}" '  # type: ignore[arg-type]
                    f'r="3"><title>{escape(points[i].label)}: {_num(points[i].value)}</title></circle>'  # type: ignore[arg-type]
                )
    parts += _line_labels([Point(label, None) for label in labels], x)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in parts went through escape())


OVERLAY_RIGHT = 52  # room for the measure's axis on the right
MEASURE_COLOUR = "#b35900"  # the measure's line: orange, dashed (presentation attributes, no style)
MEASURE_STROKE = f'fill="none" stroke="{MEASURE_COLOUR}" stroke-width="2" stroke-dasharray="6 4"'


def _overlay_ticks(highest: float, x_right: float) -> list[str]:
    """The measure's axis on the right: 0, the middle and the top of its scale."""
    parts = []
    for tick in (highest, highest / 2, 0.0):
        y = _y(tick, 0.0, highest)
        text = f"{tick:.0f}" if highest >= 10 else f"{tick:.1f}"
        parts.append(f'<text x="{_num(x_right + 6)}" y="{_num(y + 4)}" class="tick measure-tick">{text}</text>')
    return parts


def overlay_chart(
    title: str,
    points: Sequence[Point],
    measure_label: str,
    measure_values: Sequence[float | None],
    lowest: float = -100.0,
    highest: float = 100.0,
) -> Markup:
    """A line with its interval band (the left axis) and a measure's line over the same
    buckets on a second axis on the right, from 0 to a little above its largest value, dashed
    and named in a legend (``measure_label``: its name and unit)."""
    inner = WIDTH - PAD_LEFT - OVERLAY_RIGHT
    step = inner / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return PAD_LEFT + (step * i if len(points) > 1 else inner / 2)

    right = WIDTH - OVERLAY_RIGHT
    top = max([v for v in measure_values if v is not None], default=0.0) * 1.1 or 1.0
    parts = [
        f'<svg class="chart line overlay" viewBox="0 0 {WIDTH} {LINE_HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
    ]
    for tick in (highest, (highest + lowest) / 2, lowest):
        y = _y(tick, lowest, highest)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{right}" y1="{_num(y)}" y2="{_num(y)}" class="grid"/>'
            f'<text x="{PAD_LEFT - 6}" y="{_num(y + 4)}" text-anchor="end" class="tick">{tick:.0f}</text>'
        )
    parts += _overlay_ticks(top, right)
    for run in _runs(points):
        parts += _line_run(points, run, x, lowest, highest)
    measured = [Point(p.label, v) for p, v in zip(points, measure_values, strict=True)]
    for run in _runs(measured):
        at = [(i, measured[i].value or 0.0) for i in run]
        line = " ".join(f"{_num(x(i))},{_num(_y(v, 0.0, top))}" for i, v in at)
        parts.append(f'<polyline class="measure-series" points="{line}" {MEASURE_STROKE}/>')
        for i, v in at:
            tip = f"{escape(measured[i].label)}: {escape(measure_label)} {_num(v)}"
            parts.append(
                f'<circle class="measure-dot" cx="{_num(x(i))}" cy="{_num(_y(v, 0.0, top))}" r="2.5" '
                f'fill="{MEASURE_COLOUR}">'
                f"<title>{tip}</title></circle>"
            )
    left = PAD_LEFT + 8
    parts.append(
        f'<line class="measure-legend" x1="{left}" x2="{left + 20}" y1="{PAD_TOP + 4}" y2="{PAD_TOP + 4}" '
        f'{MEASURE_STROKE}/><text class="tick measure-label" x="{left + 26}" y="{PAD_TOP + 8}">'
        f"{escape(measure_label)}</text>"
    )
    parts += _line_labels(points, x)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in parts went through escape())
