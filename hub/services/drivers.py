"""Driver analysis: which reasons and touchpoints move the smiley index, and what to work on.

For each driver (an option of a choice question, or a touchpoint) and a period:

- occurrence: the share of responses that name the reason (or came through the touchpoint);
- index with / without: the smiley index of the responses with it and of all the others;
- importance: the index points the overall index loses to it, ``share x (without - with)``.
  The overall index is exactly ``share x with + (1 - share) x without``, so importance is what
  the overall index would gain if those naming the reason felt like those who do not;
- unsatisfied: the share of unhappy faces (the lower half) among those naming it;
- potential: ``importance x unsatisfied`` (importance below zero counts as none): a reason
  that many name, that pulls the index down and whose people are still unhappy comes first.

Drivers with fewer than ``SMALL_SAMPLE`` rated responses are marked and not ranked (listed
after the ranked ones), as in the rankings. Counts come from the rollups only
(hub/queries/scores.py for reasons and totals, hub/queries/analytics.py for touchpoints).

What to work on is one rule, ``work_order``, wherever it is shown (the store page's "three
things to work on", the drivers page's top reason per store, the email report): reasons
only (a touchpoint or a channel is where feedback came from, not something to fix), those
with a potential above zero, ranked ones by the largest potential, too small samples only
after them, marked. ``top_reasons`` applies it; ``top_actions`` puts the store's last days
in plain sentences with its baseline (the weeks before) beside each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from hub.models import Store, Survey, SurveyVersion, Touchpoint
from hub.queries import analytics as q
from hub.queries.scores import reason_counts, score_counts
from hub.services.access import Scope
from hub.services.analytics import SMALL_SAMPLE, Period, numeric, survey_scales
from shared.protocol import Question, SurveyDefinition
from shared.scoring import EMPTY, Score, mood, smiley_index, smiley_weight

BASELINE_DAYS = 56
KINDS = ("reason", "touchpoint")


@dataclass(frozen=True)
class Driver:
    kind: str  # reason | touchpoint
    key: str  # the option id, or the touchpoint code
    label: str
    n: int  # responses naming it (reasons: also those without a face)
    rated: int  # ... of them with a face
    occurrence: float | None  # % of the responses
    index_with: Score
    index_without: Score
    importance: float | None  # index points
    unsatisfied: float | None  # % unhappy among those naming it
    potential: float | None  # index points
    rank: int | None = None
    question: str = ""

    @property
    def small_sample(self) -> bool:
        return self.rated < SMALL_SAMPLE


def _faces_only(counts: Mapping[object, int]) -> dict[int, int]:
    return {face: c for face, c in counts.items() if isinstance(face, int) and c > 0}


@dataclass(frozen=True)
class Effect:
    """A driver's effect in plain numbers (what ``measure`` reports, without intervals)."""

    rated: int
    importance: float | None
    unsatisfied: float | None

    @property
    def potential(self) -> float | None:
        if self.importance is None or self.unsatisfied is None:
            return None
        return max(self.importance, 0.0) * self.unsatisfied / 100.0


def effect(with_: Mapping[int, int], total: Mapping[int, int], faces: int) -> Effect:
    """Importance and the share still unhappy from face counts (with the driver, and of all).
    The index of a group is its mean face weight, so ``share x (without - with)`` is the gap
    between the sums of weights, divided by the number of all responses."""
    rated = sum(with_.values())
    everyone = sum(total.values())
    if not rated:
        return Effect(0, None, None)
    unhappy = sum(c for face, c in with_.items() if mood(face, faces) == "negative")
    if everyone <= rated:
        return Effect(rated, None, 100.0 * unhappy / rated)
    weight_with = sum(smiley_weight(face, faces) * c for face, c in with_.items())
    weight_all = sum(smiley_weight(face, faces) * c for face, c in total.items())
    without_mean = (weight_all - weight_with) / (everyone - rated)
    importance = rated / everyone * (without_mean - weight_with / rated)
    return Effect(rated, importance, 100.0 * unhappy / rated)


def measure(
    kind: str,
    key: str,
    label: str,
    faces_with: Mapping[object, int],
    total: Mapping[int, int],
    faces: int,
    named: int | None = None,
    question: str = "",
) -> Driver:
    """One driver's figures from face counts: ``faces_with`` of the responses naming it,
    ``total`` of all responses; ``named``: how many named it, rated or not (default: rated)."""
    with_ = _faces_only(faces_with)
    without = {face: total.get(face, 0) - with_.get(face, 0) for face in total}
    without = {face: c for face, c in without.items() if c > 0}
    found = effect(with_, total, faces)
    everyone = sum(total.values())
    n = found.rated if named is None else max(named, found.rated)
    occurrence = 100.0 * n / max(everyone, n) if n else (0.0 if everyone else None)
    return Driver(
        kind, key, label, n, found.rated, occurrence, smiley_index(with_, faces), smiley_index(without, faces),
        found.importance, found.unsatisfied, found.potential, None, question,
    )  # fmt: skip


def _order(potential: float, importance: float | None, n: int, key: str) -> tuple:
    return (-potential, -(importance or 0.0), -n, key)


def rank(drivers: Collection[Driver]) -> list[Driver]:
    """Largest potential first (then importance, then more responses); small samples after,
    by how many named them, without a rank."""
    big = [d for d in drivers if not d.small_sample and d.potential is not None]
    rest = [d for d in drivers if d.small_sample or d.potential is None]
    big.sort(key=lambda d: _order(d.potential, d.importance, d.n, d.key))
    rest.sort(key=lambda d: (-d.n, d.key))
    return [replace(d, rank=i) for i, d in enumerate(big, 1)] + rest


# --- reading the rollups -------------------------------------------------------------------


def survey_definition(survey_key: str = "exit") -> SurveyDefinition:
    """The current version of the survey (its reason options and their texts)."""
    survey = Survey.get(Survey.key == survey_key)
    version = SurveyVersion.get((SurveyVersion.survey == survey) & (SurveyVersion.version == survey.current_version))
    return SurveyDefinition.from_dict(version.definition)


def choice_questions(definition: SurveyDefinition) -> list[Question]:
    return [x for x in definition.questions if x.kind == "choice"]


def label(texts: Mapping[str, str], language: str, fallback: str) -> str:
    """A text in the viewer's language, else English, else any, else ``fallback``."""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "") or fallback


@dataclass
class Analysis:
    period: Period
    overall: Score
    reasons: list[Driver] = field(default_factory=list)
    touchpoints: list[Driver] = field(default_factory=list)

    def of(self, kind: str) -> list[Driver]:
        return self.reasons if kind == "reason" else self.touchpoints


def _reasons_by(
    store_ids: Collection[int] | None, period: Period, language: str, by: str, survey_key: str, top_only: bool = False
) -> dict[Any, tuple[Score, list[Driver]]]:
    """Per group (None: the total, or each store with answers): the overall smiley index and
    every option of the survey's choice questions, measured and ranked; ``top_only``: just the
    first ranked one (its rank found from the plain effects, the intervals worked out once)."""
    scales = survey_scales(survey_key)
    if scales.smiley is None:
        return {}
    totals = score_counts(scales.smiley, period.start, period.end, store_ids, by)
    questions = choice_questions(survey_definition(survey_key))
    chosen = {x.id: reason_counts(x.id, period.start, period.end, store_ids, by) for x in questions}
    found = {}
    for key in totals or ([None] if by == "total" else []):
        total = totals.get(key, {})
        options = [
            (question, option, chosen[question.id].get(key, {}).get(option.id, {}))
            for question in questions
            for option in question.options
        ]
        if top_only:
            options = _first_ranked(options, total, scales.faces)
        measured = [
            measure(
                "reason", option.id, label(option.text, language, option.id), counts, total, scales.faces,
                named=counts.get("n", 0), question=question.id,
            )
            for question, option, counts in options
        ]  # fmt: skip
        found[key] = (smiley_index(total, scales.faces), rank(measured))
    return found


def work_order(small_sample: bool, potential: float, importance: float | None, n: int, key: str) -> tuple:
    """Which reason to work on first: ranked ones before too small samples, then ``_order``."""
    return (small_sample, *_order(potential, importance, n, key))


def _first_ranked(options: list[tuple], total: Mapping[int, int], faces: int) -> list[tuple]:
    """The option ``top_reasons`` would put first, as a one-item list (empty: none has a
    potential above zero), found from the plain effects."""
    best, best_order = [], None
    for question, option, counts in options:
        found = effect(_faces_only(counts), total, faces)
        if not found.potential or found.potential <= 0:
            continue
        named = max(counts.get("n", 0), found.rated)
        order = work_order(found.rated < SMALL_SAMPLE, found.potential, found.importance, named, option.id)
        if best_order is None or order < best_order:
            best, best_order = [(question, option, counts)], order
    return best


def top_reasons(drivers: Collection[Driver], n: int) -> list[Driver]:
    """The ``n`` reasons to work on first among ``drivers`` (``work_order``)."""
    found = [d for d in drivers if d.kind == "reason" and d.potential and d.potential > 0]
    found.sort(key=lambda d: work_order(d.small_sample, d.potential, d.importance, d.n, d.key))
    return found[:n]


def reason_drivers(
    store_ids: Collection[int] | None, period: Period, language: str = "en", survey_key: str = "exit"
) -> tuple[Score, list[Driver]]:
    """Every option of the survey's choice questions, measured and ranked."""
    return _reasons_by(store_ids, period, language, "total", survey_key).get(None, (EMPTY, []))


def touchpoint_drivers(store_ids: Collection[int] | None, period: Period, survey_key: str = "exit") -> list[Driver]:
    """Every touchpoint (by code: the same code in several stores counts as one), ranked."""
    scales = survey_scales(survey_key)
    if scales.smiley is None:
        return []
    per_touchpoint = q.value_counts(scales.smiley, period.start, period.end, store_ids, "touchpoint")
    query = Touchpoint.select(Touchpoint.id, Touchpoint.code, Touchpoint.name)
    if store_ids is not None:
        query = query.where(Touchpoint.store.in_(sorted(store_ids) or [-1]))
    names: dict[str, str] = {}
    by_code: dict[str, dict[int, int]] = defaultdict(dict)
    for tp in query:
        names.setdefault(tp.code, tp.name)
        for face, c in numeric(per_touchpoint.get(tp.id, {})).items():
            by_code[tp.code][face] = by_code[tp.code].get(face, 0) + c
    total: dict[int, int] = {}
    for counts in by_code.values():
        for face, c in counts.items():
            total[face] = total.get(face, 0) + c
    return rank(
        [measure("touchpoint", code, names[code], by_code.get(code, {}), total, scales.faces) for code in names]
    )


def analyse(store_ids: Collection[int] | None, period: Period, language: str = "en") -> Analysis:
    """Reasons and touchpoints of ``store_ids`` (the caller's scope, or one store in it)."""
    overall, reasons = reason_drivers(store_ids, period, language)
    return Analysis(period, overall, reasons, touchpoint_drivers(store_ids, period))


@dataclass(frozen=True)
class StorePotential:
    """A store and the reason with the largest potential there."""

    code: str
    name: str
    overall: Score
    top: Driver | None  # the reason to work on first (top_reasons); None: none has a potential

    @property
    def potential(self) -> float:
        return self.top.potential if self.top and self.top.potential else 0.0


def store_potentials(scope: Scope, period: Period, language: str = "en") -> list[StorePotential]:
    """Every store in scope with its top reason (``top_reasons``): where the biggest potential
    sits (read per store in one query per question). Stores without one come last."""
    per_store = _reasons_by(scope.store_ids, period, language, "store", "exit", top_only=True)
    stores = scope.restrict(Store.select(Store.id, Store.code, Store.name), Store.id).order_by(Store.code)
    found = []
    for shop in stores:
        overall, reasons = per_store.get(shop.id, (EMPTY, []))
        top = next(iter(top_reasons(reasons, 1)), None)
        found.append(StorePotential(shop.code, shop.name, overall, top))
    return sorted(found, key=lambda s: (s.top is None, s.top is not None and s.top.small_sample, -s.potential, s.code))


# --- what to work on ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    driver: Driver
    baseline: Driver | None
    sentence: str


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} %"


def _points(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def sentence(driver: Driver, baseline: Driver | None, language: str = "en", days: int = 7) -> str:
    """What to work on, in plain words, with the last ``days``' share against the baseline."""
    was = _percent(baseline.occurrence) if baseline and baseline.n else None
    if language == "de":
        where = "nannten diesen Grund" if driver.kind == "reason" else "kamen über diesen Kontaktpunkt"
        text = f"„{driver.label}“: {_percent(driver.occurrence)} der Antworten der letzten {days} Tage {where}"
        text += f" (sonst {was})" if was else ""
        text += f", {_percent(driver.unsatisfied)} davon unzufrieden. "
        text += f"Möglicher Gewinn: etwa {_points(driver.potential).replace('.', ',')} Indexpunkte."
    else:
        where = "of responses named it" if driver.kind == "reason" else "of responses came through it"
        text = f"“{driver.label}”: {_percent(driver.occurrence)} {where} in the last {days} days"
        text += f" (baseline {was})" if was else ""
        text += f", {_percent(driver.unsatisfied)} of them unhappy. "
        text += f"Potential gain: about {_points(driver.potential)} index points."
    if driver.small_sample:
        text += " (Wenige Antworten.)" if language == "de" else " (Few responses.)"
    return text


def top_actions(scope: Scope, store: Store, period: Period, n: int = 3, language: str = "en") -> list[Action]:
    """The ``n`` reasons of ``store`` to work on first in ``period`` (normally its last seven
    days; ``top_reasons``), each against the store's baseline (the ``BASELINE_DAYS`` before)."""
    scope.require_store(store.id)
    baseline = Period.ending(period.start - timedelta(days=1), BASELINE_DAYS)
    _, now = reason_drivers([store.id], period, language)
    _, before = reason_drivers([store.id], baseline, language)
    earlier = {d.key: d for d in before}
    return [
        Action(d, earlier.get(d.key), sentence(d, earlier.get(d.key), language, period.days))
        for d in top_reasons(now, n)
    ]
