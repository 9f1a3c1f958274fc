"""How the smiley index and each reason's share move with an operational measure: for each
hourly measure, per store or across the stores in a scope.

The one entry point other services call::

    links_for(scope: Scope, store_id: int | None, start: date, end: date,
              *, measure_code: str | None = None, language: str = "en") -> list[MeasureLink]

``store_id`` None: across every store of ``scope`` (store fixed effects added); a store
outside the scope raises NotFound. ``start``/``end``: store-local days, inclusive. One
``MeasureLink`` per hourly measure with values in the stores and per figure (the smiley
index first, then each reason of the survey's first choice question), each with its
estimate or None where the hours cannot tell (no hour in the band or none outside it, fewer
than two store-days). ``sentence(link)`` says it in words in the current language (outside a
request the hub's LANGUAGE; a job choosing one wraps it in ``hub.i18n.in_language``), and
``link.as_dict()`` gives it as the API does; ``language`` names the reasons (the survey's texts).

Hour-level pairing: the responses of a store-local hour (hour_daily for the faces, the raw
responses for the reasons named) are paired with the measure's value for that store and
hour; hours without a value or without responses are left out. The band is the lowest third
of the paired hours' values: hours with a value at most the tercile's value (for open tills
uniform over 1-5: at most 2, "fewer than 3"), compared with all the other hours. The
difference comes from hub/services/hour_model.py: least squares over the responses with
hour-of-day and weekday fixed effects (and store), a cluster-robust 95 % interval by
store-day and n. It is an association in the data, not proof of a cause; every sentence
says so.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from zoneinfo import ZoneInfo

from hub.i18n import gettext, number
from hub.models import Measure, Store
from hub.queries import measure_links as q
from hub.services import measures
from hub.services.access import Scope
from hub.services.analytics import survey_scales
from hub.services.drivers import choice_questions, label, survey_definition
from hub.services.hour_model import Cell, Estimate, fit_all
from shared.errors import NotFound
from shared.scoring import smiley_weight

INDEX = "smiley_index"
MIN_HOURS = 10  # fewer paired hours on either side: the link is not estimated


@dataclass(frozen=True)
class MeasureLink:
    """How ``figure`` (INDEX, or "reason:<option>") differs in the hours with ``measure`` at
    most ``cut`` from the other hours: ``estimate.value`` in index points (reasons:
    percentage points of the responses naming it), hour of day and weekday held equal."""

    measure: str  # the measure's code
    measure_name: str
    unit: str
    store: str | None  # the store's code; None: across the stores in scope
    figure: str
    figure_label: str
    cut: float | None  # the band: values at most this
    estimate: Estimate | None

    @property
    def clear(self) -> bool:
        """The interval lies wholly on one side of zero."""
        return self.estimate is not None and (self.estimate.low > 0 or self.estimate.high < 0)

    def as_dict(self) -> dict[str, object]:
        e = self.estimate
        return {
            "measure": self.measure,
            "measure_name": self.measure_name,
            "unit": self.unit,
            "store": self.store,
            "figure": self.figure,
            "figure_label": self.figure_label,
            "band_at_most": self.cut,
            "difference": None if e is None else round(e.value, 2),
            "low": None if e is None else round(e.low, 2),
            "high": None if e is None else round(e.high, 2),
            "responses": 0 if e is None else e.responses,
            "hours": 0 if e is None else e.hours,
            "band_hours": 0 if e is None else e.band_hours,
            "store_days": 0 if e is None else e.clusters,
            "clear": self.clear,
            "words": sentence(self),
        }


def tercile_cut(values: list[float]) -> float | None:
    """The value at the lowest third of ``values``; None when every value is at most it (no
    hour above the band) or there are none."""
    if not values:
        return None
    ordered = sorted(values)
    cut = ordered[max(math.ceil(len(ordered) / 3) - 1, 0)]
    return cut if ordered[-1] > cut else None


def _stores(scope: Scope, store_id: int | None) -> tuple[list[Store], str | None]:
    if store_id is not None:
        scope.require_store(store_id)
        shop = Store.get_or_none(Store.id == store_id)
        if shop is None:
            raise NotFound("not_found", "no such store")
        return [shop], shop.code
    query = Store.select().order_by(Store.code)
    return list(scope.restrict(query, Store.id)), None


def _reason_counts(
    question: str, stores: list[Store], store_ids: list[int] | None, start: date, end: date
) -> dict[str, dict[tuple[int, date, int], int]]:
    """Per option: how many responses named it per (store, local day, local hour)."""
    zones = {s.id: ZoneInfo(s.time_zone) for s in stores}
    found: dict[str, dict[tuple[int, date, int], int]] = defaultdict(lambda: defaultdict(int))
    for store_id, captured, received, flags, option in q.named_reasons(question, store_ids, start, end):
        zone = zones.get(store_id)
        if zone is None:
            continue
        moment = received if "clock_skew" in flags.split() else captured
        local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
        found[option][(store_id, local.date(), local.hour)] += 1
    return found


def _cells(
    paired: Mapping[tuple[int, date, int], tuple[float, list[int]]], cut: float, across: bool
) -> tuple[list[tuple[int, date, int]], list[Cell]]:
    keys, cells = [], []
    for key, (value, faces) in paired.items():
        store_id, day, hour = key
        effects = (hour, day.weekday(), store_id) if across else (hour, day.weekday())
        keys.append(key)
        cells.append(Cell(value <= cut, sum(faces), effects, (store_id, day)))
    return keys, cells


def band_estimates(
    paired: Mapping[tuple[int, date, int], tuple[float, list[int]]],
    cut: float | None,
    outcomes: Sequence[Mapping[tuple[int, date, int], float]],
    across: bool,
) -> list[Estimate | None]:
    """The band's hours (value at most ``cut``) against the others for each outcome:
    ``paired`` holds each store-hour's value and face counts, an outcome the sum of y of its
    responses per store-hour; ``across`` adds the store's fixed effect. None where the hours
    cannot tell (fewer than MIN_HOURS in the band or outside it)."""
    if cut is None:
        return [None] * len(outcomes)
    keys, cells = _cells(paired, cut, across)
    band = sum(1 for c in cells if c.band)
    if band < MIN_HOURS or len(cells) - band < MIN_HOURS:
        return [None] * len(outcomes)
    return fit_all(cells, [[totals[k] for k in keys] for totals in outcomes])


def band_estimate(
    paired: Mapping[tuple[int, date, int], tuple[float, list[int]]],
    cut: float | None,
    totals: Mapping[tuple[int, date, int], float],
    across: bool,
) -> Estimate | None:
    """``band_estimates`` of one outcome."""
    return band_estimates(paired, cut, [totals], across)[0]


def links_for(
    scope: Scope,
    store_id: int | None,
    start: date,
    end: date,
    *,
    measure_code: str | None = None,
    language: str = "en",
) -> list[MeasureLink]:
    """The links of every hourly measure (or ``measure_code``'s) with the index and each reason
    (see the module's docstring)."""
    stores, store_code = _stores(scope, store_id)
    if not stores:
        return []
    ids = [s.id for s in stores] if store_id is not None or scope.store_ids is not None else None
    hourly = _hourly_measures(ids, measure_code)
    if not hourly:
        return []
    faces_of = q.hour_faces(ids, start, end)
    faces = survey_scales().faces
    index_totals = {
        key: sum(c * smiley_weight(f, faces) for f, c in enumerate(counts[:faces], start=1) if c)
        for key, counts in faces_of.items()
    }
    questions = choice_questions(survey_definition())
    question = questions[0] if questions else None
    reasons = _reason_counts(question.id, stores, ids, start, end) if question else {}
    links = []
    across = store_id is None
    options = list(question.options) if question else []
    for measure in hourly:
        values = q.hour_values(measure.id, ids, start, end)
        paired = {k: (v, faces_of[k]) for k, v in values.items() if k in faces_of and sum(faces_of[k])}
        cut = tercile_cut([v for v, _ in paired.values()])
        outcomes = [index_totals]
        for option in options:
            named = reasons.get(option.id, {})
            outcomes.append({k: 100.0 * min(named.get(k, 0), sum(f)) for k, (_, f) in paired.items()})
        found = band_estimates(paired, cut, outcomes, across)
        base = (measure.code, measure.name, measure.unit, store_code)
        links.append(MeasureLink(*base, INDEX, gettext("Smiley index"), cut, found[0]))
        for option, estimate in zip(options, found[1:], strict=True):
            links.append(
                MeasureLink(*base, f"reason:{option.id}", label(option.text, language, option.id), cut, estimate)
            )
    return links


def _hourly_measures(store_ids: list[int] | None, code: str | None) -> list[Measure]:
    held = q.measures_with_values(store_ids)
    found = [m for m in measures.measures() if m.grain == "hour" and m.id in held]
    if code is not None:
        found = [m for m in found if m.code == code]
        if not found:
            raise NotFound("unknown_measure", f"there is no hourly measure {code!r} with values here")
    return found


def _cut_text(link: MeasureLink) -> str:
    return number(link.cut, 0 if link.cut is not None and link.cut == int(link.cut) else 1)


def sentence(link: MeasureLink) -> str:
    """The link in words, in the current language, with its caveat."""
    e = link.estimate
    if e is None:
        return gettext(
            "%(measure)s: too few hours in and outside the lowest third of its values to compare.",
            measure=link.measure_name,
        )
    points = gettext("points") if link.figure == INDEX else gettext("percentage points")
    values = {
        "measure": link.measure_name,
        "cut": _cut_text(link),
        "unit": link.unit,
        "figure": link.figure_label,
        "size": number(abs(e.value)),
        "points": points,
        "low": number(e.low),
        "high": number(e.high),
        "responses": number(e.responses, 0),
        "hours": number(e.hours, 0),
    }
    if link.figure == INDEX and e.value < 0:
        text = gettext(
            "In hours with %(measure)s at most %(cut)s %(unit)s, the smiley index is %(size)s %(points)s "
            "lower than in the other hours",
            **values,
        )
    elif link.figure == INDEX:
        text = gettext(
            "In hours with %(measure)s at most %(cut)s %(unit)s, the smiley index is %(size)s %(points)s "
            "higher than in the other hours",
            **values,
        )
    elif e.value < 0:
        text = gettext(
            "In hours with %(measure)s at most %(cut)s %(unit)s, %(size)s %(points)s fewer of the responses "
            "name %(figure)s than in the other hours",
            **values,
        )
    else:
        text = gettext(
            "In hours with %(measure)s at most %(cut)s %(unit)s, %(size)s %(points)s more of the responses "
            "name %(figure)s than in the other hours",
            **values,
        )
    rest = gettext(
        ", 95 %% interval %(low)s to %(high)s, n = %(responses)s responses in %(hours)s hours "
        "(hour of day and weekday held equal; an association, not proof of a cause).",
        **values,
    )
    return text + rest
