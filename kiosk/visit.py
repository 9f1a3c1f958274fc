"""A shopper's visit at the terminal, without the UI: which questions the survey asks after which
face (``KioskSurvey``, ``read_survey``), the answers given so far (``Visit``) and the protocol's
answers they become. No Kivy in here: the UI (kiosk/app.py) holds a ``Visit`` and shows its
steps; tests/kiosk/test_visit.py checks it without a window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def localized(texts: Mapping[str, str] | str | None, language: str, fallbacks: tuple[str, ...] = ("en", "de")) -> str:
    """The text in ``language``, else in a fallback language, else any text there is."""
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    for code in (language, *fallbacks):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), "")


@dataclass(frozen=True)
class KioskSurvey:
    """The questions a terminal asks, read from the survey in its config."""

    rating: Mapping[str, Any]
    reasons: Mapping[str, Any] | None = None
    nps: Mapping[str, Any] | None = None
    languages: tuple[str, ...] = ("de", "en")

    @property
    def faces(self) -> int:
        return int(self.rating.get("faces", 5))

    def reasons_for(self, rating: int) -> list[Mapping[str, Any]]:
        """The reason options offered after face ``rating``; empty when that face has no follow-up."""
        if not self.reasons:
            return []
        for_ratings = self.reasons.get("for_ratings")
        if for_ratings is None:
            for_ratings = range(1, self.faces - 1)  # all but the best two faces
        if rating not in for_ratings:
            return []
        return [o for o in self.reasons.get("options", ()) if rating in o.get("for_ratings", (rating,))]

    def steps_after(self, rating: int) -> list[str]:
        """The screens that follow face ``rating`` before the response is captured."""
        steps = ["follow_up"] if self.reasons_for(rating) else []
        if self.nps is not None:
            steps.append("nps")
        return steps


def read_survey(config: Mapping[str, Any]) -> KioskSurvey:
    survey = config.get("survey") or {}
    questions = survey.get("questions") or []

    def first(kind: str) -> Mapping[str, Any] | None:
        return next((q for q in questions if q.get("kind") == kind), None)

    rating = first("smiley") or {"id": "rating", "kind": "smiley", "faces": 4, "text": {}}
    ask_nps = bool((config.get("kiosk") or {}).get("ask_nps", False))
    languages = tuple((config.get("store") or {}).get("languages") or survey.get("languages") or ("de", "en"))
    return KioskSurvey(
        rating=rating, reasons=first("choice"), nps=first("nps") if ask_nps else None, languages=languages
    )


@dataclass
class Visit:
    """One shopper's answers while they are being given; captured as one response."""

    rating: int
    steps: list[str]
    reasons: list[str] = field(default_factory=list)
    nps: int | None = None

    def answers(self, survey: KioskSurvey) -> list[dict[str, Any]]:
        answers: list[dict[str, Any]] = [{"question": survey.rating["id"], "kind": "smiley", "value": self.rating}]
        if self.reasons and survey.reasons:
            answers.append({"question": survey.reasons["id"], "kind": "choice", "value": list(self.reasons)})
        if self.nps is not None and survey.nps:
            answers.append({"question": survey.nps["id"], "kind": "nps", "value": self.nps})
        return answers
