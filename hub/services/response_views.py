"""Responses as people read them: in the store's local time, with labels, never the contact.

The case page, the cases API and alert messages show a case's responses the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.models import Answer, CaseResponse, Response, SurveyVersion, Touchpoint

FACE_NAMES = {
    4: ("very unhappy", "unhappy", "happy", "very happy"),
    5: ("very unhappy", "unhappy", "neutral", "happy", "very happy"),
}


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class ResponseView:
    """One response as people read it: in the store's local time, with labels, never the contact."""

    id: str
    received_at: datetime  # UTC
    local_time: str
    touchpoint: str
    channel: str
    rating: int | None
    faces: int | None
    rating_label: str | None
    nps: int | None
    reasons: tuple[str, ...]
    reason_ids: tuple[str, ...]
    comment: str | None
    contact_left: bool
    locale: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": iso_utc(self.received_at),
            "touchpoint": self.touchpoint,
            "channel": self.channel,
            "rating": None if self.rating is None else {"value": self.rating, "faces": self.faces},
            "nps": self.nps,
            "reasons": list(self.reason_ids),
            "comment": self.comment,
            "contact_left": self.contact_left,
        }


def case_response_ids(case_id: int, limit: int = 500) -> list[str]:
    rows = (
        CaseResponse.select(CaseResponse.response)
        .join(Response, on=(CaseResponse.response == Response.id))
        .where(CaseResponse.case == case_id)
        .order_by(Response.received_at.desc())
        .limit(limit)
        .tuples()
    )
    return [str(r[0]) for r in rows]


def response_views(response_ids: Sequence[str], time_zone: str) -> list[ResponseView]:
    """The responses, newest first, as people read them (labels in English)."""
    if not response_ids:
        return []
    zone = ZoneInfo(time_zone)
    responses = list(
        Response.select(Response, Touchpoint)
        .join(Touchpoint, on=(Response.touchpoint == Touchpoint.id))
        .where(Response.id.in_(list(response_ids)))
        .order_by(Response.received_at.desc())
    )
    answers: dict[str, list[Answer]] = {}
    for a in Answer.select().where(Answer.response.in_(list(response_ids))).order_by(Answer.id):
        answers.setdefault(str(a.response_id), []).append(a)
    definitions = _definitions({(r.survey_id, r.survey_version) for r in responses})
    views = []
    for r in responses:
        questions = {q["id"]: q for q in definitions.get((r.survey_id, r.survey_version), {}).get("questions", [])}
        rating = faces = nps = None
        comment = None
        reasons: list[tuple[str, str]] = []
        for a in answers.get(str(r.id), []):
            question = questions.get(a.question, {})
            if a.kind in ("smiley", "csat") and rating is None:
                rating = a.number
                faces = int(question.get("faces", 5)) if a.kind == "smiley" else 5
            elif a.kind == "nps":
                nps = a.number
            elif a.kind == "text":
                comment = a.text
            elif a.kind == "choice":
                labels = {o["id"]: o.get("text", {}) for o in question.get("options", [])}
                text = labels.get(a.text, {})
                reasons.append((a.text, text.get("en") or next(iter(text.values()), a.text)))
        received = r.received_at.replace(tzinfo=UTC)
        label = None
        if rating is not None and faces in FACE_NAMES and 1 <= rating <= faces:
            label = f"{rating} of {faces} ({FACE_NAMES[faces][rating - 1]})"
        elif rating is not None:
            label = f"{rating} of {faces}"
        views.append(
            ResponseView(
                id=str(r.id),
                received_at=received,
                local_time=received.astimezone(zone).strftime("%a %d %b %H:%M"),
                touchpoint=r.touchpoint.name,
                channel=r.channel,
                rating=rating,
                faces=faces,
                rating_label=label,
                nps=nps,
                reasons=tuple(label for _, label in reasons),
                reason_ids=tuple(i for i, _ in reasons),
                comment=comment,
                contact_left=r.contact_sealed is not None,
                locale=r.locale,
            )
        )
    return views


def _definitions(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], dict[str, Any]]:
    found = {}
    for survey_id, version in keys:
        row = SurveyVersion.get_or_none((SurveyVersion.survey == survey_id) & (SurveyVersion.version == version))
        found[(survey_id, version)] = row.definition if row else {}
    return found
