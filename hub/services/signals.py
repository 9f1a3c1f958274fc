"""Signals: a store whose customers became significantly unhappier than the store usually is.

What is compared. For each store, the last 7 complete store-local days (the *window*) with
the 56 days before them (the *baseline*, eight weeks of the same store: its own normal,
weekdays included in the same proportion), on the survey's first smiley question, as two
KPIs:

- ``smiley_index``: the mean face weight, -100..100 (shared/scoring). Tested with a one-sided
  Welch z-test on the means (each side's variance from its own counts); it uses every face.
- ``unhappy_share``: the % of faces in the lower half (1-2 of 5, 1-2 of 4). Tested with a
  one-sided two-proportion z-test (pooled, the score test). It is blunter than the index but
  says in words what happened ("18 % unhappy instead of 11 %").

Why z-tests and not exact tests: a signal needs at least ``MIN_WINDOW_N`` answers in the
window and ``MIN_BASELINE_N`` in the baseline, where the normal approximation of a share or
a mean of bounded values is close; the false-positive rate is then measured, not assumed
(bench/signals_false_positives.py, figures in docs/performance.md).

Good and bad days. Real stores have days that differ more than chance (weather, staffing,
events). Tests that count single answers as independent would take an ordinary bad week for
a signal. When a test fires, the baseline's 56 days say how much more than chance the days
of this store differ (shared/stats.overdispersion, the between/within-day variance ratio);
the variance is widened by that factor (quasi-likelihood) and the test is run again. On pure
binomial noise the factor is about 1 and costs almost no power.

False positives across a fleet and daily checks. The job runs hourly and checks each store
once per local day (the window ending yesterday). Per check a store is tested on 2 KPIs; a
signal needs, for one KPI:

- p < ``ALPHA`` (0.0005 per KPI: Bonferroni over the two KPIs, 0.001 per store and check,
  so 100 stores checked weekly expect at most one false signal in about ten weeks), and
- a drop of at least ``MIN_DROP`` (3 index points, 3 percentage points): with thousands of
  answers a trivial dip is significant but not worth anyone's morning.

One signal per store, KPI and window (table ``signal``, UNIQUE (store, kpi, window_end)), and
while a store has a signal of a KPI whose window ended less than 7 days ago no new one is
raised for it: daily checks of a lasting drop overlap, and one message says it.

Who hears of it. The signal is on /dashboard/signals at once. Alert rules of kind ``signal``
(hub/services/alerts/conditions.py) opt in: each active one that covers the store (and the
KPI, when the rule names KPIs) queues an outbox message of kind ``signal``: a webhook
(JSON event ``signal.detected``, signed like every webhook, or shaped for Slack/Teams) when
the rule has a webhook URL, and an email to the store's managers (the same people an alert
reaches first) when the rule has email on. Existing rules are not changed: a receiver that
only knows alerts never gets an event it did not ask for. Delivery is the outbox's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from shared.scoring import smiley_weight
from shared.stats import Comparison, mean_drop, overdispersion, proportion_rise

KPIS = ("smiley_index", "unhappy_share")
KPI_LABELS = {"smiley_index": "Smiley index", "unhappy_share": "Unhappy share (%)"}
WINDOW_DAYS = 7
BASELINE_DAYS = 56
MIN_WINDOW_N = 100
MIN_BASELINE_N = 400
ALPHA = 0.0005
MIN_DROP = {"smiley_index": 3.0, "unhappy_share": 3.0}


@dataclass(frozen=True)
class Window:
    """The window (the last ``WINDOW_DAYS`` days up to ``end``) and its baseline before it."""

    start: date
    end: date
    baseline_start: date
    baseline_end: date

    @classmethod
    def ending(cls, end: date) -> Window:
        start = end - timedelta(days=WINDOW_DAYS - 1)
        baseline_end = start - timedelta(days=1)
        return cls(start, end, baseline_end - timedelta(days=BASELINE_DAYS - 1), baseline_end)


def unhappy(face: int, faces: int) -> bool:
    """A face in the lower half of the scale (1-2 of 5, 1-2 of 4)."""
    return 2 * face <= faces


def kpi_values(kpi: str, counts: Mapping[int, int], faces: int) -> dict[float, int]:
    """Face counts as the values a KPI averages: face weights (index), or 1 for an unhappy
    face and 0 for the others (share)."""
    values: dict[float, int] = {}
    for face, count in counts.items():
        if not 1 <= face <= faces or count <= 0:
            continue
        value = smiley_weight(face, faces) if kpi == "smiley_index" else float(unhappy(face, faces))
        values[value] = values.get(value, 0) + count
    return values


@dataclass(frozen=True)
class Verdict:
    """One KPI of one store tested: the comparison (in the KPI's units: index points, or %),
    the day-to-day dispersion its variance was widened by, and whether it is a signal."""

    kpi: str
    comparison: Comparison
    dispersion: float = 1.0

    @property
    def fires(self) -> bool:
        return self.comparison.p_value < ALPHA and self.comparison.worse >= MIN_DROP[self.kpi]

    @property
    def test(self) -> str:
        if self.dispersion > 1.0:
            return f"{self.comparison.test}, variance x{self.dispersion:.2f} for day-to-day spread"
        return self.comparison.test


def assess(
    kpi: str, baseline: Mapping[int, int], window: Mapping[int, int], faces: int, dispersion: float = 1.0
) -> Verdict | None:
    """The verdict on one KPI from face counts of baseline and window; None when either side
    has too few answers to tell."""
    before, now = kpi_values(kpi, baseline, faces), kpi_values(kpi, window, faces)
    n0, n1 = sum(before.values()), sum(now.values())
    if n0 < MIN_BASELINE_N or n1 < MIN_WINDOW_N:
        return None
    if kpi == "smiley_index":
        comparison = mean_drop(before, now, dispersion=dispersion)
    else:
        c = proportion_rise(int(before.get(1.0, 0)), n0, int(now.get(1.0, 0)), n1, dispersion=dispersion)
        comparison = Comparison(
            c.test, 100 * c.baseline, n0, 100 * c.current, n1, c.z, c.p_value, 100 * c.worse
        )  # shares in %
    return Verdict(kpi, comparison, max(1.0, dispersion))


def day_dispersion(kpi: str, days: Sequence[Mapping[int, int]], faces: int) -> float:
    """How much more the baseline's days differ than chance explains, for this KPI (>= 1)."""
    return max(1.0, overdispersion([kpi_values(kpi, day, faces) for day in days]))


def judge(
    kpi: str,
    baseline: Mapping[int, int],
    window: Mapping[int, int],
    faces: int,
    baseline_days: Callable[[], Sequence[Mapping[int, int]]] | None = None,
) -> Verdict | None:
    """``assess``, and when it fires, again with the variance widened by the baseline's
    day-to-day dispersion (``baseline_days()``: face counts per baseline day). Only a firing
    verdict asks for the days, so the job reads them for few stores."""
    verdict = assess(kpi, baseline, window, faces)
    if verdict is None or not verdict.fires or baseline_days is None:
        return verdict
    return assess(kpi, baseline, window, faces, day_dispersion(kpi, baseline_days(), faces))
