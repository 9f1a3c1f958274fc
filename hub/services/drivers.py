"""Driver analysis: which reasons and touchpoints move the smiley index, and what to work on.

For each driver (an option of a choice question, or a touchpoint) and a period:

- occurrence: the share of responses that name the reason (or came through the touchpoint);
- index with / without: the smiley index of the responses with it and of all the others;
- gain: the smiley index points the overall index would gain if the customers naming the
  reason were as happy as comparable customers without it, with a 95 % interval. For a
  reason it comes from a regression over the responses that were asked the question, the
  other reasons held equal (hub/services/reason_effects.py); for a touchpoint it is its
  share times the gap between the index without and with it;
- asked, share: for a reason, how many rated responses were asked the question and what share
  of them named it (Wilson interval).

Where only unhappy faces are asked the reasons (the terminal's design: faces 1-2 of 4), what a
reason costs the index cannot be estimated: there is no gain (``basis`` "named"), the page
says how often it is named among the unhappy customers asked, and the reasons are ordered by
what each adds to their unhappiness beyond the reasons it comes with (``order``; see
reason_effects). Warnings come with a reason named together with another most of the time,
or by almost every unhappy customer (venting).

Drivers with fewer than ``SMALL_SAMPLE`` rated responses are marked and not ranked (listed
after the ranked ones), as in the rankings. Counts come from the rollups only
(hub/queries/scores.py for reasons, their pairs and totals, hub/queries/analytics.py for
touchpoints).

What to work on is one rule, ``work_order``, wherever it is shown (the store page's "three
things to work on", the drivers page's top reason per store, the email report): reasons
only (a touchpoint or a channel is where feedback came from, not something to fix), those
whose ``order`` is above zero (a gain above zero, or unhappiness it adds), estimated gains
before mere counts, ranked ones by the largest first, too small samples only after them,
marked. ``top_reasons`` applies it; ``top_actions`` puts the store's last days in plain
sentences with its baseline (the weeks before) beside each.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from hub.models import Store, Touchpoint
from hub.queries import analytics as q
from hub.queries.scores import reason_counts, reason_pair_counts, score_channel_counts, score_counts
from hub.services.access import Scope
from hub.services.analytics import (
    SMALL_SAMPLE,
    Period,
    current_survey_text,
    numeric,
    parsed_definition,
    survey_scales,
)
from hub.services.reason_effects import QuestionEffects, asked_faces, effects
from shared.protocol import Question, SurveyDefinition
from shared.scoring import EMPTY, Z95, Score, smiley_index, smiley_weight

BASELINE_DAYS = 56
KINDS = ("reason", "touchpoint")
TERMINAL_CHANNEL = "kiosk"  # asks the reasons after the unhappy faces only; the phone asks all


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
    gain: float | None = None  # index points; None: cannot be estimated
    gain_low: float | None = None
    gain_high: float | None = None
    asked: int | None = None  # reasons: rated responses asked the question
    share: float | None = None  # reasons: % of those asked naming it
    share_low: float | None = None
    share_high: float | None = None
    basis: str = "gain"  # gain | named (only unhappy faces asked: no gain)
    order: float | None = None  # what ranks it: the gain, or (named) the unhappiness it adds
    warnings: tuple[str, ...] = ()
    rank: int | None = None
    question: str = ""

    @property
    def small_sample(self) -> bool:
        return self.rated < SMALL_SAMPLE


def _faces_only(counts: Mapping[object, int]) -> dict[int, int]:
    return {face: c for face, c in counts.items() if isinstance(face, int) and c > 0}


def _weights(counts: Mapping[int, int], faces: int) -> tuple[int, float, float]:
    """n, the sum and the sum of squares of the face weights."""
    n = sum(counts.values())
    total = sum(smiley_weight(f, faces) * c for f, c in counts.items())
    return n, total, sum(smiley_weight(f, faces) ** 2 * c for f, c in counts.items())


def contrast_gain(
    with_: Mapping[int, int], total: Mapping[int, int], faces: int
) -> tuple[float | None, float | None, float | None]:
    """A touchpoint's gain: its share x (index without - index with), with a 95 % interval
    (the two groups' means as independent, their variances from the faces)."""
    n1, s1, q1 = _weights(with_, faces)
    n, s, qq = _weights(total, faces)
    n0, s0, q0 = n - n1, s - s1, qq - q1
    if n1 < 2 or n0 < 2:
        return None, None, None
    m1, m0 = s1 / n1, s0 / n0
    v1, v0 = max(q1 - n1 * m1 * m1, 0.0) / (n1 - 1), max(q0 - n0 * m0 * m0, 0.0) / (n0 - 1)
    portion = n1 / n
    gain = portion * (m0 - m1)
    half = Z95 * portion * math.sqrt(v1 / n1 + v0 / n0)
    return gain, gain - half, gain + half


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
    """One driver's plain figures from face counts: ``faces_with`` of the responses naming it,
    ``total`` of all responses; ``named``: how many named it, rated or not (default: rated).
    The gain is the contrast with all the others (``contrast_gain``); reasons get theirs from
    the regression instead (``with_effect``)."""
    with_ = _faces_only(faces_with)
    without = {face: total.get(face, 0) - with_.get(face, 0) for face in total}
    without = {face: c for face, c in without.items() if c > 0}
    rated = sum(with_.values())
    everyone = sum(total.values())
    n = rated if named is None else max(named, rated)
    occurrence = 100.0 * n / max(everyone, n) if n else (0.0 if everyone else None)
    gain, low, high = contrast_gain(with_, total, faces)
    return Driver(
        kind, key, label, n, rated, occurrence, smiley_index(with_, faces), smiley_index(without, faces),
        gain, low, high, order=gain, question=question,
    )  # fmt: skip


WARNINGS = {
    "en": {
        "together": "Mostly named together with “{other}” (correlation {phi:.2f}): "
        "their effects are hard to tell apart.",
        "venting": "Named by {share:.0f} % of the unhappy customers asked: it may voice their mood rather than "
        "name a cause.",
        "unreliable": "Its gain is unreliable then.",
    },
    "de": {
        "together": "Meist zusammen mit „{other}“ genannt (Korrelation {phi:.2f}): "
        "ihre Wirkungen sind kaum zu trennen.",
        "venting": "Von {share:.0f} % der befragten Unzufriedenen genannt: womöglich Ausdruck der Stimmung statt "
        "einer Ursache.",
        "unreliable": "Der Gewinn ist dann unsicher.",
    },
}


def with_effect(driver: Driver, found: QuestionEffects, labels: Mapping[str, str], language: str = "en") -> Driver:
    """A reason's driver with its regression figures and warnings (``found``: its question's)."""
    effect = found.effects.get(driver.key)
    texts = WARNINGS.get(language, WARNINGS["en"])
    warnings = [
        texts["together"].format(other=labels.get(b if a == driver.key else a, b), phi=phi)
        for a, b, phi in found.together
        if driver.key in (a, b)
    ]
    for key, share in found.venting:
        if key == driver.key:
            warnings.append(
                texts["venting"].format(share=share) + (" " + texts["unreliable"] if found.estimable else "")
            )
    if effect is None:
        return replace(driver, gain=None, gain_low=None, gain_high=None, order=None, asked=found.asked,
                       basis="gain" if found.estimable else "named", warnings=tuple(warnings))  # fmt: skip
    return replace(
        driver, gain=effect.gain, gain_low=effect.gain_low, gain_high=effect.gain_high, asked=found.asked,
        share=effect.share, share_low=effect.share_low, share_high=effect.share_high,
        basis="gain" if found.estimable else "named", order=effect.order, warnings=tuple(warnings),
    )  # fmt: skip


def work_order(d: Driver) -> tuple:
    """Which driver to work on first: ranked ones before too small samples, estimated gains
    before mere counts, then the largest ``order``, then more responses."""
    return (d.small_sample, d.basis != "gain", -(d.order or 0.0), -d.n, d.key)


def rank(drivers: Collection[Driver]) -> list[Driver]:
    """By ``work_order``; small samples and drivers without an order after, by how many
    named them, without a rank."""
    big = [d for d in drivers if not d.small_sample and d.order is not None]
    rest = [d for d in drivers if d.small_sample or d.order is None]
    big.sort(key=work_order)
    rest.sort(key=lambda d: (-d.n, d.key))
    return [replace(d, rank=i) for i, d in enumerate(big, 1)] + rest


# --- reading the rollups -------------------------------------------------------------------


def survey_definition(survey_key: str = "exit") -> SurveyDefinition:
    """The current version of the survey (its reason options and their texts)."""
    return parsed_definition(current_survey_text(survey_key))


def terminal_asks(survey_key: str, question: Question, faces: int) -> frozenset[int]:
    """The faces after which the terminal asks ``question``: its ``for_ratings`` in the
    survey, else every face but the best two (kiosk/visit.py)."""
    questions = json.loads(current_survey_text(survey_key)).get("questions", ())
    raw = next((x for x in questions if x.get("id") == question.id), {})
    return asked_faces(faces, raw.get("for_ratings"))


def asked_counts(by_channel: Mapping[str, Mapping[int, int]], terminal_faces: Collection[int]) -> dict[int, int]:
    """The faces of the responses asked the reasons: all on the phone page, the terminal's
    ``terminal_faces`` on a terminal."""
    asked: dict[int, int] = defaultdict(int)
    for channel, counts in by_channel.items():
        for face, c in counts.items():
            if channel != TERMINAL_CHANNEL or face in terminal_faces:
                asked[face] += c
    return dict(asked)


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

    @property
    def basis(self) -> str:
        """'named' when no reason's gain could be estimated (only unhappy faces asked)."""
        return "named" if self.reasons and all(d.basis == "named" for d in self.reasons) else "gain"


@dataclass(frozen=True)
class _Rollups:
    """What the reasons of one question are measured from, per group (None or a store id)."""

    totals: dict[Any, dict[int, int]]
    channels: dict[Any, dict[str, dict[int, int]]]
    chosen: dict[Any, dict[str, dict[Any, int]]]
    pairs: dict[Any, dict[tuple[str, str], dict[Any, int]]]


def _question_drivers(
    question: Question, counts: _Rollups, key: Any, faces: int, terminal_faces: Collection[int], language: str
) -> list[Driver]:
    """Every option of ``question`` in group ``key``, measured, with its regression figures."""
    total = counts.totals.get(key, {})
    chosen = counts.chosen.get(key, {})
    pairs = {pair: _faces_only(c) for pair, c in counts.pairs.get(key, {}).items()}
    labels = {o.id: label(o.text, language, o.id) for o in question.options}
    found = effects(
        faces, total, asked_counts(counts.channels.get(key, {}), terminal_faces),
        {o.id: _faces_only(chosen.get(o.id, {})) for o in question.options},
        {pair: c for pair, c in pairs.items() if pair != ("", "")}, pairs.get(("", "")),
    )  # fmt: skip
    plain = [
        measure("reason", o.id, labels[o.id], chosen.get(o.id, {}), total, faces,
                named=chosen.get(o.id, {}).get("n", 0), question=question.id)
        for o in question.options
    ]  # fmt: skip
    return [with_effect(d, found, labels, language) for d in plain]


def _reasons_by(
    store_ids: Collection[int] | None, period: Period, language: str, by: str, survey_key: str
) -> dict[Any, tuple[Score, list[Driver]]]:
    """Per group (None: the total, or each store with answers): the overall smiley index and
    every option of the survey's choice questions, measured and ranked."""
    scales = survey_scales(survey_key)
    if scales.smiley is None:
        return {}
    totals = score_counts(scales.smiley, period.start, period.end, store_ids, by)  # type: ignore[arg-type]
    channels = score_channel_counts(scales.smiley, period.start, period.end, store_ids, by)
    questions = choice_questions(survey_definition(survey_key))
    per_question = {
        x.id: (
            _Rollups(
                totals, channels, reason_counts(x.id, period.start, period.end, store_ids, by),
                reason_pair_counts(x.id, period.start, period.end, store_ids, by),
            ),
            terminal_asks(survey_key, x, scales.faces),
        )
        for x in questions
    }  # fmt: skip
    found = {}
    for key in totals or ([None] if by == "total" else []):
        measured = [
            d
            for x in questions
            for d in _question_drivers(x, per_question[x.id][0], key, scales.faces, per_question[x.id][1], language)
        ]
        found[key] = (smiley_index(totals.get(key, {}), scales.faces), rank(measured))
    return found


def top_reasons(drivers: Collection[Driver], n: int) -> list[Driver]:
    """The ``n`` reasons to work on first among ``drivers`` (``work_order``): those whose
    order is above zero."""
    found = [d for d in drivers if d.kind == "reason" and d.order is not None and d.order > 0]
    found.sort(key=work_order)
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
    """A store and the reason to work on first there."""

    code: str
    name: str
    overall: Score
    top: Driver | None  # the reason to work on first (top_reasons); None: none has an order above zero

    @property
    def order(self) -> float:
        return self.top.order if self.top and self.top.order else 0.0


def store_potentials(scope: Scope, period: Period, language: str = "en") -> list[StorePotential]:
    """Every store in scope with its top reason (``top_reasons``): where the biggest potential
    sits (read per store in one query per question and table). Stores with an estimated gain
    come first, by it; then those where only unhappy faces were asked; stores without one last."""
    per_store = _reasons_by(scope.store_ids, period, language, "store", "exit")
    stores = scope.restrict(Store.select(Store.id, Store.code, Store.name), Store.id).order_by(Store.code)
    found = []
    for shop in stores:
        overall, reasons = per_store.get(shop.id, (EMPTY, []))
        top = next(iter(top_reasons(reasons, 1)), None)
        found.append(StorePotential(shop.code, shop.name, overall, top))
    return sorted(found, key=lambda s: (s.top is None, s.top is not None and work_order(s.top)[:2], -s.order, s.code))


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


def _sentence_en(driver: Driver, was: str | None, days: int) -> str:
    if driver.basis == "named":
        text = f"“{driver.label}”: named by {_percent(driver.share)} of the {driver.asked} unhappy customers asked"
        text += f" in the last {days} days" + (f" (baseline {was})" if was else "") + ". "
        text += "Only unhappy customers are asked the reasons, so what it costs the index cannot be estimated."
        return text
    text = f"“{driver.label}”: {_percent(driver.occurrence)} of responses named it in the last {days} days"
    text += f" (baseline {was})" if was else ""
    text += ". If they were as happy as comparable customers without it, the smiley index would be about "
    text += f"{_points(driver.gain)} points higher (95 % interval {_points(driver.gain_low)} to "
    text += f"{_points(driver.gain_high)}; {driver.asked} asked)."
    return text


def _sentence_de(driver: Driver, was: str | None, days: int) -> str:
    def number(value: float | None) -> str:
        return _points(value).replace(".", ",")

    if driver.basis == "named":
        text = f"„{driver.label}“: von {_percent(driver.share)} der {driver.asked} befragten unzufriedenen Kunden"
        text += f" der letzten {days} Tage genannt" + (f" (sonst {was})" if was else "") + ". "
        text += (
            "Nur Unzufriedene werden nach Gründen gefragt, was der Grund den Index kostet, ist daher nicht zu schätzen."
        )
        return text
    text = f"„{driver.label}“: {_percent(driver.occurrence)} der Antworten der letzten {days} Tage nannten diesen Grund"
    text += f" (sonst {was})" if was else ""
    text += ". Wären diese Kunden so zufrieden wie vergleichbare ohne ihn, läge der Smiley-Index um etwa "
    text += f"{number(driver.gain)} Punkte höher (95-%-Intervall {number(driver.gain_low)} bis "
    text += f"{number(driver.gain_high)}; {driver.asked} befragt)."
    return text


def sentence(driver: Driver, baseline: Driver | None, language: str = "en", days: int = 7) -> str:
    """What to work on, in plain words, with the last ``days``' share against the baseline:
    the estimated gain, or (only unhappy faces asked) the share of them naming it."""
    if driver.basis == "named":
        was = _percent(baseline.share) if baseline and baseline.share is not None and baseline.asked else None
    else:
        was = _percent(baseline.occurrence) if baseline and baseline.n else None
    text = _sentence_de(driver, was, days) if language == "de" else _sentence_en(driver, was, days)
    for warning in driver.warnings:
        text += " " + warning
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
