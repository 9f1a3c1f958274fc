"""Responses as people read them: in the store's local time, with labels, never the contact.

The case page, the cases API and alert messages show a case's responses the same way. The
time shown is when the customer answered (the capture time) in the store's time zone; where
the hub received it more than ``LATE_AFTER`` later, a short note says so and why ("sent 2 days
later: terminal was offline"). A capture time the hub did not believe (flag ``clock_skew``,
hub/services/response_records.py) is not shown: the receive time is, with a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.i18n import current_language, gettext, lazy_gettext, ngettext, strftime
from hub.models import Answer, CaseResponse, Response, SurveyVersion, Touchpoint

_VERY_UNHAPPY, _UNHAPPY, _NEUTRAL = lazy_gettext("very unhappy"), lazy_gettext("unhappy"), lazy_gettext("neutral")
_HAPPY, _VERY_HAPPY = lazy_gettext("happy"), lazy_gettext("very happy")
FACE_NAMES = {
    4: (_VERY_UNHAPPY, _UNHAPPY, _HAPPY, _VERY_HAPPY),
    5: (_VERY_UNHAPPY, _UNHAPPY, _NEUTRAL, _HAPPY, _VERY_HAPPY),
}


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


LATE_AFTER = timedelta(minutes=10)  # a terminal's normal sync delay stays below this
TIME_PATTERN = "%a %d %b %H:%M"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return gettext("%(n)s min", n=minutes)
    if minutes < 48 * 60:
        return gettext("%(n)s h", n=minutes // 60)
    return ngettext("%(num)s day", "%(num)s days", minutes // (24 * 60))


def time_note(captured: datetime, received: datetime, flags: str, channel: str) -> str | None:
    """Why a response's receive time matters, in a few words, or None when it does not."""
    kiosk = channel == "kiosk"
    if "clock_skew" in flags.split():
        return (
            gettext("time of receipt: the terminal's clock was wrong")
            if kiosk
            else gettext("time of receipt: the phone's clock was wrong")
        )
    if received - captured > LATE_AFTER:
        late = _span(received - captured)
        if kiosk:
            return gettext("sent %(late)s later: terminal was offline", late=late)
        return gettext("sent %(late)s later: phone was offline", late=late)
    return None


@dataclass(frozen=True)
class ResponseView:
    """One response as people read it: in the store's local time, with labels, never the contact."""

    id: str
    received_at: datetime  # UTC
    captured_at: datetime  # UTC; the receive time when the terminal's clock was wrong
    local_time: str  # the capture in the store's time zone
    time_note: str | None  # where the receive time differs: how and why
    received_local: str
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
    # the whole conversation, in the survey's order: every question answered (its English
    # wording) and the answer in words; a tap continued on a phone is one response, so the
    # terminal's answers and the phone's follow-up are both here
    conversation: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "captured_at": iso_utc(self.captured_at),
            "time_note": self.time_note,
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
        .order_by(Response.captured_at.desc(), Response.id.desc())
        .limit(limit)
        .tuples()
    )
    return [str(r[0]) for r in rows]


def case_response_count(case_id: int) -> int:
    return CaseResponse.select().where(CaseResponse.case == case_id).count()


def response_views(response_ids: Sequence[str], time_zone: str) -> list[ResponseView]:
    """The responses, newest first, as people read them (labels in English)."""
    if not response_ids:
        return []
    zone = ZoneInfo(time_zone)
    responses = list(
        Response.select(Response, Touchpoint)
        .join(Touchpoint, on=(Response.touchpoint == Touchpoint.id))
        .where(Response.id.in_(list(response_ids)))
        .order_by(Response.captured_at.desc(), Response.id.desc())
    )
    answers: dict[str, list[Answer]] = {}
    for a in Answer.select().where(Answer.response.in_(list(response_ids))).order_by(Answer.id):
        answers.setdefault(str(a.response_id), []).append(a)
    definitions = _definitions({(r.survey_id, r.survey_version) for r in responses})
    views = []
    for r in responses:
        questions = {q["id"]: q for q in definitions.get((r.survey_id, r.survey_version), {}).get("questions", [])}
        given = answers.get(str(r.id), [])
        views.append(_view(r, _read(given, questions), zone, _conversation(given, questions)))
    return views


@dataclass
class _Answered:
    """What a response's answers say: the first rating (smiley or CSAT), NPS, comment, reasons."""

    rating: int | None = None
    faces: int | None = None
    nps: int | None = None
    comment: str | None = None
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (option id, English label)


def _read(answers: Iterable[Answer], questions: dict[str, dict[str, Any]]) -> _Answered:
    found = _Answered()
    for a in answers:
        question = questions.get(a.question, {})
        if a.kind in ("smiley", "csat") and found.rating is None:
            found.rating = a.number
            found.faces = int(question.get("faces", 5)) if a.kind == "smiley" else 5
        elif a.kind == "nps":
            found.nps = a.number
        elif a.kind == "text":
            found.comment = a.text
        elif a.kind == "choice":
            labels = {o["id"]: o.get("text", {}) for o in question.get("options", [])}
            text = labels.get(a.text, {})
            found.reasons.append(
                (a.text, text.get(current_language()) or text.get("en") or next(iter(text.values()), a.text))
            )
    return found


def _conversation(answers: Iterable[Answer], questions: dict[str, dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """Every answered question in the survey's order (unknown ones last), with the answer in words."""
    order = {qid: i for i, qid in enumerate(questions)}
    said: dict[str, list[str]] = {}
    for a in answers:
        question = questions.get(a.question, {})
        if a.kind == "smiley":
            words = _rating_label(a.number, int(question.get("faces", 5)))
        elif a.kind == "csat":
            words = _rating_label(a.number, 5)
        elif a.kind == "choice":
            labels = {o["id"]: o.get("text", {}) for o in question.get("options", [])}
            text = labels.get(a.text, {})
            words = text.get(current_language()) or text.get("en") or next(iter(text.values()), a.text)
        else:
            words = a.text if a.number is None else str(a.number)
        said.setdefault(a.question, []).append(str(words))
    found = []
    for qid in sorted(said, key=lambda q: (order.get(q, len(order)), q)):
        wording = questions.get(qid, {}).get("text", {})
        found.append(
            (
                wording.get(current_language()) or wording.get("en") or next(iter(wording.values()), qid),
                ", ".join(said[qid]),
            )
        )
    return tuple(found)


def _rating_label(rating: int | None, faces: int | None) -> str | None:
    """ "2 of 4 (unhappy)"; without the face's name when the scale has none."""
    if rating is None:
        return None
    if faces in FACE_NAMES and 1 <= rating <= faces:
        return gettext(
            "%(rating)s of %(faces)s (%(name)s)", rating=rating, faces=faces, name=FACE_NAMES[faces][rating - 1]
        )
    return gettext("%(rating)s of %(faces)s", rating=rating, faces=faces)


def _view(
    r: Response, answered: _Answered, zone: ZoneInfo, conversation: tuple[tuple[str, str], ...] = ()
) -> ResponseView:
    received = r.received_at.replace(tzinfo=UTC)
    captured = r.captured_at.replace(tzinfo=UTC)
    flags = r.flags or ""
    shown = received if "clock_skew" in flags.split() else captured
    return ResponseView(
        id=str(r.id),
        received_at=received,
        captured_at=shown,
        local_time=strftime(shown.astimezone(zone), TIME_PATTERN),
        time_note=time_note(captured, received, flags, r.channel),
        received_local=strftime(received.astimezone(zone), TIME_PATTERN),
        touchpoint=r.touchpoint.name,
        channel=r.channel,
        rating=answered.rating,
        faces=answered.faces,
        rating_label=_rating_label(answered.rating, answered.faces),
        nps=answered.nps,
        reasons=tuple(label for _, label in answered.reasons),
        reason_ids=tuple(i for i, _ in answered.reasons),
        comment=answered.comment,
        contact_left=r.contact_sealed is not None,
        locale=r.locale,
        conversation=conversation,
    )


def _definitions(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], dict[str, Any]]:
    found = {}
    for survey_id, version in keys:
        row = SurveyVersion.get_or_none((SurveyVersion.survey == survey_id) & (SurveyVersion.version == version))
        found[(survey_id, version)] = row.definition if row else {}
    return found
