"""What an alert rule asks for, checked once when the rule is saved and then applied cheaply.

A rule's condition is a small JSON object. Single-response conditions (every key given must
hold; they are checked as responses are ingested)::

    {"rating_at_most": 1}                      a smiley or CSAT answer of 1
    {"nps_at_most": 6, "with_comment": true}   a detractor who wrote something
    {"contact_requested": true}                the customer left a contact for a call back
    {"reason_in": ["queue", "staff"]}          one of these follow-up reasons was chosen

Windowed conditions (one measure, checked by a job over the responses received in the last
``window_minutes``; scores come from shared/scoring)::

    {"negative_share_at_least": 50, "window_minutes": 15, "min_responses": 4}
    {"index_below": -20, "window_minutes": 60, "min_responses": 10}      smiley index, -100..100
    {"volume_drop_percent": 70, "window_minutes": 60, "baseline_days": 7, "min_responses": 5}
    {"terminal_silent": true}    a terminal of the store flagged silent (TERMINAL_SILENT_MINUTES of
                                 opening time without contact; hub/services/terminal_health.py)

A volume drop compares the window with the same window on each of the ``baseline_days``
days before; it is checked only while the store is open, and only when the baseline averages
``min_responses`` or more.

Signal conditions (kind ``signal``: the rule opts in to signals, a significant drop of a
store's week against its own baseline, found by hub/services/signals.py)::

    {}                                   every signal of a store in scope
    {"kpi_in": ["smiley_index"]}         only these KPIs (smiley_index, unhappy_share)

Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared import scoring
from shared.errors import RuleError
from shared.protocol import AnswerRow

RESPONSE_KEYS = ("rating_at_most", "nps_at_most", "with_comment", "contact_requested", "reason_in")
WINDOW_MEASURES = ("negative_share_at_least", "index_below", "volume_drop_percent")
WINDOW_SETTINGS = ("window_minutes", "min_responses", "baseline_days")
TERMINAL_SILENT = "terminal_silent"  # raised by the silent-terminal job, not by the window check
SIGNAL_KPIS = ("smiley_index", "unhappy_share")  # hub/services/signals.py KPIS
# what an action rule's webhook can hear of (hub/services/action_webhooks.py)
ACTION_EVENTS = (
    "action.created",
    "action.state_changed",
    "action.task_created",
    "action.task_assigned",
    "action.task_done",
    "action.task_reopened",
    "action.effect_measured",
    "recommendation.made",  # a team's recommendation of the day (hub/services/recommendation_events.py)
)
MAX_RATING = 5  # the largest smiley scale has 5 faces, CSAT runs 1-5


@dataclass(frozen=True)
class ResponseCondition:
    rating_at_most: int | None = None
    nps_at_most: int | None = None
    with_comment: bool = False
    contact_requested: bool = False
    reason_in: frozenset[str] = frozenset()

    def matches(self, answers: Iterable[AnswerRow], has_contact: bool) -> bool:
        if self.contact_requested and not has_contact:
            return False
        rating = nps = comment = reason = False
        for a in answers:
            if a.kind in ("smiley", "csat") and a.number is not None:
                rating |= self.rating_at_most is not None and a.number <= self.rating_at_most
            elif a.kind == "nps" and a.number is not None:
                nps |= self.nps_at_most is not None and a.number <= self.nps_at_most
            elif a.kind == "text":
                comment |= bool(a.text and a.text.strip())
            elif a.kind == "choice":
                reason |= a.text in self.reason_in
        return (
            (self.rating_at_most is None or rating)
            and (self.nps_at_most is None or nps)
            and (not self.with_comment or comment)
            and (not self.reason_in or reason)
        )


@dataclass(frozen=True)
class WindowFigures:
    """What a window held, as the alert reports it."""

    n: int
    negative_share: float | None
    index: float | None
    baseline: float | None = None  # volume drop: the average count of the baseline windows

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {
            "n": self.n,
            "negative_share": rounded(self.negative_share),
            "index": rounded(self.index),
            "baseline": rounded(self.baseline),
        }


@dataclass(frozen=True)
class WindowCondition:
    measure: str
    threshold: float
    window_minutes: int
    min_responses: int
    baseline_days: int = 7

    def figures(self, counts_by_faces: Mapping[int, Mapping[int, int]]) -> WindowFigures:
        """Negative share and smiley index of the window; ``counts_by_faces`` maps a smiley
        scale (4 or 5 faces) to {face value: count}. Faces are compared by their weight, so
        windows holding two scales are scored on one footing."""
        weights: dict[float, int] = {}
        for faces, counts in counts_by_faces.items():
            for value, count in counts.items():
                weight = scoring.smiley_weight(value, faces)
                weights[weight] = weights.get(weight, 0) + count
        negative = {w for w in weights if w < 0}
        share = scoring.share(weights, negative)  # type: ignore[arg-type]
        index = scoring.mean(weights)  # type: ignore[arg-type]
        return WindowFigures(share.n, share.value, index.value)

    def holds(self, figures: WindowFigures) -> bool:
        if self.measure == "volume_drop_percent":
            if figures.baseline is None or figures.baseline < self.min_responses:
                return False
            return figures.n <= figures.baseline * (1 - self.threshold / 100)
        if figures.n < self.min_responses:
            return False
        if self.measure == "negative_share_at_least":
            return figures.negative_share is not None and figures.negative_share >= self.threshold
        return figures.index is not None and figures.index < self.threshold


@dataclass(frozen=True)
class SignalCondition:
    kpis: frozenset[str] = frozenset(SIGNAL_KPIS)

    def wants(self, kpi: str) -> bool:
        return kpi in self.kpis


@dataclass(frozen=True)
class ActionCondition:
    events: frozenset[str] = frozenset(ACTION_EVENTS)

    def wants(self, event: str) -> bool:
        return event in self.events


def _is_int(value: object) -> bool:
    """A whole number, also when JSON wrote it as 5.0 (JSON Schema's integer takes that too)."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_response_condition(data: object, known_reasons: Iterable[str] | None = None) -> ResponseCondition:
    """The condition of a single-response rule, or RuleError saying what cannot work."""
    data = _condition_object(data)
    rating, nps = data.get("rating_at_most"), data.get("nps_at_most")
    _check_thresholds(rating, nps)
    _check_flags(data)
    reasons = data.get("reason_in")
    if reasons is not None:
        _check_reasons(reasons, known_reasons)
    return ResponseCondition(
        rating_at_most=rating,
        nps_at_most=nps,
        with_comment=data.get("with_comment") is True,
        contact_requested=data.get("contact_requested") is True,
        reason_in=frozenset(reasons or ()),
    )


def _condition_object(data: object) -> dict[str, Any]:
    """``data`` when it is a non-empty object of known keys; a windowed measure gets a hint to the right kind."""
    if not isinstance(data, dict) or not data:
        raise RuleError(f"condition must be an object with one or more of {', '.join(RESPONSE_KEYS)}", "condition")
    unknown = sorted(set(data) - set(RESPONSE_KEYS))
    if unknown:
        hint = " (that is a windowed condition: use kind 'window')" if set(unknown) & set(WINDOW_MEASURES) else ""
        raise RuleError(f"unknown condition {unknown[0]!r}{hint}; use {', '.join(RESPONSE_KEYS)}", "condition")
    empty = sorted(key for key, value in data.items() if value is None)
    if empty:
        raise RuleError(f"{empty[0]} has no value (leave it out instead)", f"condition.{empty[0]}")
    return data


def _check_thresholds(rating: object, nps: object) -> None:
    """Thresholds that some answer can be at or below, and some not."""
    if rating is not None and not (_is_int(rating) and 1 <= rating <= MAX_RATING):
        raise RuleError(
            f"rating_at_most must be a whole number from 1 to {MAX_RATING} (ratings start at 1, so "
            f"{rating!r} never or always matches)",
            "condition.rating_at_most",
        )
    if nps is not None and not (_is_int(nps) and 0 <= nps <= 10):
        raise RuleError("nps_at_most must be a whole number from 0 to 10", "condition.nps_at_most")


def _check_flags(data: dict[str, Any]) -> None:
    for flag in ("with_comment", "contact_requested"):
        if flag in data and data[flag] is not True:
            raise RuleError(f"{flag} can only be true (leave it out otherwise)", f"condition.{flag}")


def _check_reasons(reasons: object, known_reasons: Iterable[str] | None) -> None:
    """A non-empty list of reason ids, each offered by some survey (when the caller knows them)."""
    if not isinstance(reasons, list) or not reasons or not all(isinstance(r, str) and r for r in reasons):
        raise RuleError("reason_in must be a non-empty list of reason ids", "condition.reason_in")
    if known_reasons is not None:
        strangers = sorted(set(reasons) - set(known_reasons))
        if strangers:
            raise RuleError(
                f"no survey offers the reason {strangers[0]!r}; known: {', '.join(sorted(known_reasons))}",
                "condition.reason_in",
            )


def parse_window_condition(data: object) -> WindowCondition:
    """The condition of a windowed rule, or RuleError saying what cannot work."""
    if not isinstance(data, dict):
        raise RuleError(f"condition must be an object with one of {', '.join(WINDOW_MEASURES)}", "condition")
    if TERMINAL_SILENT in data:
        if data != {TERMINAL_SILENT: True}:
            raise RuleError(
                'a silent-terminal rule has the condition {"terminal_silent": true} and nothing else '
                "(the hub's TERMINAL_SILENT_MINUTES says how long a silence is)",
                "condition.terminal_silent",
            )
        return WindowCondition(TERMINAL_SILENT, 1.0, 15, 1)
    unknown = sorted(set(data) - set(WINDOW_MEASURES) - set(WINDOW_SETTINGS))
    if unknown:
        hint = (
            " (that is a single-response condition: use kind 'response')" if set(unknown) & set(RESPONSE_KEYS) else ""
        )
        raise RuleError(f"unknown condition {unknown[0]!r}{hint}", "condition")
    measures = [m for m in WINDOW_MEASURES if m in data]
    if len(measures) != 1:
        raise RuleError(f"a windowed condition has exactly one of {', '.join(WINDOW_MEASURES)}", "condition")
    measure = measures[0]
    threshold = data[measure]
    if not _is_number(threshold):
        raise RuleError(f"{measure} must be a number", f"condition.{measure}")
    if measure == "index_below" and not -100 < threshold <= 100:
        raise RuleError(
            "index_below must be above -100 and at most 100: the smiley index runs from -100 to 100, "
            "nothing is below -100",
            "condition.index_below",
        )
    if measure != "index_below" and not 0 < threshold <= 100:
        raise RuleError(f"{measure} is a percentage above 0 and at most 100", f"condition.{measure}")
    window = data.get("window_minutes", 15)
    if not (_is_int(window) and 1 <= window <= 1440):
        raise RuleError("window_minutes must be a whole number from 1 to 1440 (a day)", "condition.window_minutes")
    least = data.get("min_responses", 4)
    if not (_is_int(least) and 1 <= least <= 100_000):
        raise RuleError("min_responses must be a whole number of 1 or more", "condition.min_responses")
    baseline = data.get("baseline_days", 7)
    if not (_is_int(baseline) and 1 <= baseline <= 28):
        raise RuleError("baseline_days must be a whole number from 1 to 28", "condition.baseline_days")
    return WindowCondition(measure, float(threshold), int(window), int(least), int(baseline))


def parse_signal_condition(data: object) -> SignalCondition:
    """The condition of a signal rule, or RuleError saying what cannot work."""
    if not isinstance(data, dict):
        raise RuleError('condition must be an object: {} for every signal, or {"kpi_in": [...]}', "condition")
    unknown = sorted(set(data) - {"kpi_in"})
    if unknown:
        raise RuleError(f"unknown condition {unknown[0]!r}; a signal rule takes only kpi_in", "condition")
    kpis = data.get("kpi_in", list(SIGNAL_KPIS))
    if not isinstance(kpis, list) or not kpis or not all(isinstance(k, str) and k in SIGNAL_KPIS for k in kpis):
        raise RuleError(f"kpi_in must be a non-empty list of {', '.join(SIGNAL_KPIS)}", "condition.kpi_in")
    return SignalCondition(frozenset(kpis))


def parse_action_condition(data: object) -> ActionCondition:
    """The condition of an action rule: {} for every action event, or {"events_in": [...]}."""
    if not isinstance(data, dict):
        raise RuleError('condition must be an object: {} for every action event, or {"events_in": [...]}', "condition")
    unknown = sorted(set(data) - {"events_in"})
    if unknown:
        raise RuleError(f"unknown condition {unknown[0]!r}; an action rule takes only events_in", "condition")
    events = data.get("events_in", list(ACTION_EVENTS))
    if not isinstance(events, list) or not events or not all(isinstance(e, str) and e in ACTION_EVENTS for e in events):
        raise RuleError(f"events_in must be a non-empty list of {', '.join(ACTION_EVENTS)}", "condition.events_in")
    return ActionCondition(frozenset(events))


def describe(kind: str, condition: Mapping[str, Any]) -> str:
    """The condition in words, for messages and pages."""
    if kind == "action":
        return "action events (" + ", ".join(condition.get("events_in") or ACTION_EVENTS) + ")"
    if kind == "signal":
        kpis = condition.get("kpi_in") or SIGNAL_KPIS
        return "a significant drop against the store's baseline (" + ", ".join(k.replace("_", " ") for k in kpis) + ")"
    if kind == "window" and TERMINAL_SILENT in condition:
        return "a terminal silent in opening hours"
    if kind == "window":
        window = condition.get("window_minutes", 15)
        if "negative_share_at_least" in condition:
            return (
                f"{condition['negative_share_at_least']:g} % or more negative in {window} min "
                f"(at least {condition.get('min_responses', 4)} responses)"
            )
        if "index_below" in condition:
            return f"smiley index below {condition['index_below']:g} in {window} min"
        return f"{condition.get('volume_drop_percent', 0):g} % fewer responses than usual in {window} min"
    parts = []
    if "rating_at_most" in condition:
        parts.append(f"rating {condition['rating_at_most']} or lower")
    if "nps_at_most" in condition:
        parts.append(f"NPS {condition['nps_at_most']} or lower")
    if condition.get("with_comment"):
        parts.append("with a comment")
    if condition.get("contact_requested"):
        parts.append("contact left for a call back")
    if condition.get("reason_in"):
        parts.append("reason " + " or ".join(condition["reason_in"]))
    return ", ".join(parts)
