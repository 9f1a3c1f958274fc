"""The wire protocol between capture points (terminal, phone page) and the hub.

A *response* is one person's feedback at one moment: an id made at capture (UUIDv7), the
store and touchpoint, the survey and its version, the answers, the capture time, and a few
facts about how it was captured. A *batch* carries responses from one terminal together with
a heartbeat. Both sides import this module, so what the terminal sends is checked by the
same code the hub trusts.

Shape of a response (protocol version 1)::

    {"id": "<uuid7>", "v": 1, "channel": "kiosk" | "qr",
     "store": "B001", "touchpoint": "exit", "survey": "exit", "survey_version": 3,
     "captured_at": "2026-11-23T09:15:02.120Z", "locale": "de", "seq": 42,
     "answers": [{"question": "rating", "kind": "smiley", "value": 1},
                 {"question": "reason", "kind": "choice", "value": ["queue"]},
                 {"question": "comment", "kind": "text", "value": "Zu lange gewartet"}],
     "contact": {"address": "...", "consent": true},       # optional
     "flags": ["suspect"]}                                  # optional

Validation never raises for a bad item: it returns every ``Problem`` it finds, so a batch
reports all of them at once and keeps its good items.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.crypto import keyed_content_hash
from shared.errors import Problem, RequestError
from shared.ids import is_uuid

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
CHANNELS = frozenset({"kiosk", "qr"})
KINDS = frozenset({"smiley", "nps", "csat", "choice", "text"})
FLAGS = frozenset({"suspect", "partial", "clock_skew"})
MAX_BATCH_ITEMS = 500
# a heartbeat names at most this many ranges of sequence numbers it will never send
MAX_UNAVAILABLE_RANGES = 1000
MAX_COMMENT_LENGTH = 2000
MAX_CONTACT_LENGTH = 200
MAX_CODE_LENGTH = 64
_RANGES = {"nps": (0, 10), "csat": (1, 5)}
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


# --- time ---------------------------------------------------------------------------------


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")


def parse_time(text: object) -> datetime | None:
    """An RFC 3339 timestamp with a zone, as an aware UTC datetime; None if it is not one."""
    if not isinstance(text, str) or not _RFC3339.fullmatch(text):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """UTC with milliseconds and a Z, the one form voxloop writes."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# --- canonical form -----------------------------------------------------------------------


# made once: json.dumps with these options would build an encoder for every response
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: equal content gives equal bytes on every side."""
    return _CANONICAL.encode(value).encode()


def content_hash(item: Mapping[str, Any]) -> str:
    """The fingerprint that tells a retry (same content) from a conflict (other content)."""
    return hashlib.sha256(canonical_json(item)).hexdigest()


# --- surveys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    id: str
    text: Mapping[str, str]


@dataclass(frozen=True)
class Question:
    """One question of a survey. ``faces`` for smileys (4 or 5), ``options`` for choices."""

    id: str
    kind: str
    text: Mapping[str, str]
    required: bool = False
    faces: int = 5
    options: tuple[Option, ...] = ()
    multiple: bool = False
    max_length: int = MAX_COMMENT_LENGTH
    option_ids: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "option_ids", frozenset(o.id for o in self.options))

    @property
    def value_range(self) -> tuple[int, int]:
        if self.kind == "smiley":
            return (1, self.faces)
        return _RANGES[self.kind]


@dataclass(frozen=True)
class SurveyDefinition:
    """A survey at one version: what a terminal shows and what the hub accepts for it."""

    key: str
    version: int
    questions: tuple[Question, ...]
    languages: tuple[str, ...] = ("de", "en")
    by_id: Mapping[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {q.id: q for q in self.questions})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SurveyDefinition:
        """Read a definition written by an admin; raises ValueError saying what is wrong."""
        try:
            key, version = str(data["key"]), int(data["version"])
            raw_questions = data["questions"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"survey needs key, version and questions ({exc})") from None
        try:
            return cls._read(key, version, raw_questions, data)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"each question needs an id, a kind and well-formed fields ({exc!r})") from None

    @classmethod
    def _read(cls, key: str, version: int, raw_questions: Any, data: Mapping[str, Any]) -> SurveyDefinition:
        questions = []
        for raw in raw_questions:
            kind = raw.get("kind")
            if kind not in KINDS:
                raise ValueError(f"question {raw.get('id')!r}: unknown kind {kind!r}")
            faces = int(raw.get("faces", 5))
            if kind == "smiley" and faces not in (4, 5):
                raise ValueError(f"question {raw['id']!r}: a smiley has 4 or 5 faces")
            options = tuple(Option(str(o["id"]), dict(o.get("text", {}))) for o in raw.get("options", ()))
            if kind == "choice" and not options:
                raise ValueError(f"question {raw['id']!r}: a choice needs options")
            questions.append(
                Question(
                    id=str(raw["id"]),
                    kind=kind,
                    text=dict(raw.get("text", {})),
                    required=bool(raw.get("required", False)),
                    faces=faces,
                    options=options,
                    multiple=bool(raw.get("multiple", False)),
                    max_length=min(int(raw.get("max_length", MAX_COMMENT_LENGTH)), MAX_COMMENT_LENGTH),
                )
            )
        ids = [q.id for q in questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique within a survey")
        languages = tuple(data.get("languages", ("de", "en")))
        return cls(key=key, version=version, questions=tuple(questions), languages=languages)


SurveyLookup = Callable[[str, int], "SurveyDefinition | None"]


# --- responses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    """One stored answer value; a multiple choice gives one row per chosen option."""

    question: str
    kind: str
    number: int | None
    text: str | None


@dataclass(frozen=True)
class ValidResponse:
    """A response that passed validation, normalised for storage."""

    id: str
    channel: str
    store: str
    touchpoint: str
    survey: str
    survey_version: int
    captured_at: datetime
    locale: str
    seq: int | None
    answers: tuple[AnswerRow, ...]
    contact: Mapping[str, Any] | None
    flags: tuple[str, ...]
    content_hash: str


def _code(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_CODE_LENGTH


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _one_of(value: object, allowed: frozenset[Any]) -> bool:
    """``value in allowed`` that is False (instead of raising) for unhashable JSON values, and
    that keeps JSON's types apart (``true`` and ``1.0`` are not the version ``1``)."""
    try:
        return value in allowed and type(value) is type(next(iter(allowed)))
    except TypeError:
        return False


def validate_response(
    item: object, surveys: SurveyLookup, content_key: bytes | None = None
) -> tuple[ValidResponse | None, list[Problem]]:
    """Check one response against the protocol and its survey.

    Returns the normalised response and no problems, or None and every problem found.
    ``surveys(key, version)`` returns the survey definition or None. With ``content_key`` the
    content hash is keyed (``keyed_content_hash``), as the hub stores and compares it: the plain
    SHA-256 of a body with a contact would let a copy of its database confirm a guessed one.
    """
    if not isinstance(item, dict):
        return None, [Problem("not_an_object", "each response must be a JSON object")]
    problems: list[Problem] = []
    add = problems.append
    _check_envelope(item, add)
    captured_at, locale = _check_capture(item, add)
    flags = _check_flags(item.get("flags", []), add)
    contact = item.get("contact")
    if contact is not None and not _contact_ok(contact):
        add(Problem("bad_contact", "contact needs an address of at most 200 characters and consent true", "contact"))
    rows = _check_survey_answers(item, surveys, "partial" in flags, add)
    if problems:
        return None, problems
    try:
        fingerprint = content_hash(item)
    except UnicodeEncodeError:  # a lone surrogate escape such as "\ud800" in some string
        return None, [Problem("bad_text", "a string holds an invalid Unicode escape (a lone surrogate)")]
    if content_key is not None:
        fingerprint = keyed_content_hash(content_key, fingerprint)
    return (
        ValidResponse(
            id=item["id"],
            channel=item["channel"],
            store=item["store"],
            touchpoint=item["touchpoint"],
            survey=item["survey"],
            survey_version=item["survey_version"],
            captured_at=captured_at,
            locale=locale,
            seq=item.get("seq"),
            answers=tuple(rows),
            contact=contact,
            flags=tuple(sorted(set(flags))),
            content_hash=fingerprint,
        ),
        [],
    )


def _check_envelope(item: Mapping[str, Any], add: Callable[[Problem], None]) -> None:
    """The id, the protocol version, the channel, the codes and the survey version."""
    if not is_uuid(item.get("id")):
        add(Problem("bad_id", "id must be a lower-case hyphenated UUID", "id"))
    version = item.get("v")
    if not _one_of(version, SUPPORTED_VERSIONS):
        add(_unsupported(version))
    if not _one_of(item.get("channel"), CHANNELS):
        add(Problem("unknown_channel", f"channel must be one of {sorted(CHANNELS)}", "channel"))
    for name in ("store", "touchpoint", "survey"):
        if not _code(item.get(name)):
            add(Problem("missing_field", f"{name} must be a non-empty string of at most {MAX_CODE_LENGTH}", name))
    if not _int(item.get("survey_version")):
        add(Problem("missing_field", "survey_version must be an integer", "survey_version"))


def _check_capture(item: Mapping[str, Any], add: Callable[[Problem], None]) -> tuple[datetime | None, Any]:
    """When, in which language and as which device sequence number it was captured."""
    captured_at = parse_time(item.get("captured_at"))
    if captured_at is None:
        add(Problem("bad_time", "captured_at must be an RFC 3339 timestamp with a zone", "captured_at"))
    locale = item.get("locale", "und")
    if not isinstance(locale, str) or (locale != "und" and not _LOCALE.fullmatch(locale)):
        add(Problem("bad_locale", "locale must be a language tag such as 'de' or 'en-GB'", "locale"))
    channel, seq = item.get("channel"), item.get("seq")
    if channel == "kiosk" and not (_int(seq) and seq > 0):
        add(Problem("bad_sequence", "a terminal response needs seq, a positive integer", "seq"))
    elif channel == "qr" and seq is not None:
        add(Problem("bad_sequence", "a phone response carries no seq", "seq"))
    return captured_at, locale


def _check_flags(flags: object, add: Callable[[Problem], None]) -> list[str]:
    """The flags; an empty list when they are not a list of strings."""
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        add(Problem("wrong_type", "flags must be a list of strings", "flags"))
        return []
    for flag in flags:
        if flag not in FLAGS:
            add(Problem("unknown_flag", f"flag {flag!r} is not one of {sorted(FLAGS)}", "flags"))
    return flags


def _check_survey_answers(
    item: Mapping[str, Any], surveys: SurveyLookup, partial: bool, add: Callable[[Problem], None]
) -> list[AnswerRow]:
    """The survey it names, and the answers checked against it."""
    survey = None
    survey_version = item.get("survey_version")
    if _code(item.get("survey")) and _int(survey_version):
        survey = surveys(item["survey"], survey_version)
        if survey is None:
            add(Problem("unknown_survey", f"survey {item['survey']!r} version {survey_version} is not known", "survey"))
    answers = item.get("answers")
    if not isinstance(answers, list):
        add(Problem("wrong_type", "answers must be a list", "answers"))
    elif not answers:
        add(Problem("no_answers", "a response needs at least one answer", "answers"))
    elif survey is not None:
        return _check_answers(answers, survey, partial, add)
    return []


def _unsupported(version: object) -> Problem:
    return Problem(
        "unsupported_protocol", f"protocol version {version!r} is not one of {sorted(SUPPORTED_VERSIONS)}", "v"
    )


def _contact_ok(contact: object) -> bool:
    if not isinstance(contact, dict) or contact.get("consent") is not True:
        return False
    address = contact.get("address")
    return isinstance(address, str) and 0 < len(address.strip()) <= MAX_CONTACT_LENGTH


def _check_answers(
    answers: list[Any], survey: SurveyDefinition, partial: bool, add: Callable[[Problem], None]
) -> list[AnswerRow]:
    rows: list[AnswerRow] = []
    seen: set[str] = set()
    for index, answer in enumerate(answers):
        path = f"answers[{index}]"
        if not isinstance(answer, dict):
            add(Problem("not_an_object", "each answer must be an object", path))
            continue
        name = answer.get("question")
        question = survey.by_id.get(name) if isinstance(name, str) else None
        if question is None:
            add(Problem("unknown_question", f"question {answer.get('question')!r} is not in the survey", path))
            continue
        if question.id in seen:
            add(Problem("duplicate_answer", f"question {question.id!r} is answered twice", path))
            continue
        seen.add(question.id)
        if answer.get("kind") != question.kind:
            add(Problem("wrong_kind", f"question {question.id!r} is of kind {question.kind!r}", path))
            continue
        rows.extend(_answer_rows(question, answer.get("value"), path, add))
    if not partial:
        for question in survey.questions:
            if question.required and question.id not in seen:
                add(Problem("missing_required", f"question {question.id!r} is required", "answers"))
    return rows


def _answer_rows(question: Question, value: Any, path: str, add: Callable[[Problem], None]) -> list[AnswerRow]:
    kind = question.kind
    if kind == "text":
        if not isinstance(value, str):
            add(Problem("wrong_type", "a text answer is a string", path))
        elif len(value) > question.max_length:
            add(
                Problem(
                    "comment_too_long",
                    f"the comment has {len(value)} characters, the limit is {question.max_length}",
                    path,
                )
            )
        else:
            return [AnswerRow(question.id, kind, None, value)]
        return []
    if kind == "choice":
        chosen = value if isinstance(value, list) else None
        if not chosen or not all(isinstance(v, str) for v in chosen):
            add(Problem("wrong_type", "a choice answer is a non-empty list of option ids", path))
            return []
        if len(chosen) > 1 and not question.multiple:
            add(Problem("too_many_options", f"question {question.id!r} takes one option", path))
            return []
        offered = question.option_ids
        unknown = [v for v in chosen if v not in offered]
        if unknown:
            add(Problem("unknown_option", f"options {unknown} are not offered by {question.id!r}", path))
            return []
        return [AnswerRow(question.id, kind, None, v) for v in dict.fromkeys(chosen)]
    low, high = question.value_range
    if not _int(value):
        add(Problem("wrong_type", f"a {kind} answer is an integer", path))
    elif not low <= value <= high:
        add(Problem("value_out_of_range", f"{value} is outside {low}..{high}", path))
    else:
        return [AnswerRow(question.id, kind, value, None)]
    return []


# --- batches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heartbeat:
    """What a terminal says about itself with every batch."""

    queue_depth: int | None = None
    app_version: str | None = None
    quarantined: int | None = None
    last_error: str | None = None
    last_seq: int | None = None
    # ranges of sequence numbers the hub asked for (``missing``) that this terminal will never
    # send: quarantined, or forgotten after its retention period; the hub stops asking for them
    unavailable: tuple[tuple[int, int], ...] | None = None

    @classmethod
    def from_dict(cls, data: object) -> Heartbeat:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise RequestError("malformed_batch", "heartbeat must be an object")

        def number(name: str) -> int | None:
            value = data.get(name)
            if value is None:
                return None
            if not _int(value) or value < 0:
                raise RequestError("malformed_batch", f"heartbeat.{name} must be a non-negative integer")
            return value

        def text(name: str, limit: int) -> str | None:
            value = data.get(name)
            if value is None:
                return None
            if not isinstance(value, str):
                raise RequestError("malformed_batch", f"heartbeat.{name} must be a string")
            return value[:limit]

        return cls(
            queue_depth=number("queue_depth"),
            app_version=text("app_version", 40),
            quarantined=number("quarantined"),
            last_error=text("last_error", 500),
            last_seq=number("last_seq"),
            unavailable=_unavailable(data.get("unavailable")),
        )

    def as_dict(self) -> dict[str, Any]:
        values = {k: v for k, v in self.__dict__.items() if v is not None}
        if "unavailable" in values:
            values["unavailable"] = [list(r) for r in values["unavailable"]]
        return values


def _unavailable(value: object) -> tuple[tuple[int, int], ...] | None:
    """A heartbeat's ``unavailable``: at most MAX_UNAVAILABLE_RANGES ``[first, last]`` pairs of
    positive integers with first <= last."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_UNAVAILABLE_RANGES:
        raise RequestError(
            "malformed_batch", f"heartbeat.unavailable must be a list of at most {MAX_UNAVAILABLE_RANGES} ranges"
        )
    ranges = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and all(_int(n) and n > 0 for n in pair)) or (
            pair[0] > pair[1]
        ):
            raise RequestError(
                "malformed_batch",
                "heartbeat.unavailable holds ranges [first, last] of positive integers, first <= last",
            )
        ranges.append((pair[0], pair[1]))
    return tuple(ranges)


@dataclass(frozen=True)
class Batch:
    """A terminal's sync request: its responses (still unvalidated) and its heartbeat."""

    version: int
    responses: list[Any]
    heartbeat: Heartbeat


def read_batch(body: object, max_items: int = MAX_BATCH_ITEMS) -> Batch:
    """Check the envelope of a batch; raises RequestError when the whole batch is unusable."""
    if not isinstance(body, dict):
        raise RequestError("malformed_batch", "the batch must be a JSON object")
    version = body.get("v")
    if not _one_of(version, SUPPORTED_VERSIONS):
        raise RequestError(
            "unsupported_protocol", f"protocol version {version!r} is not one of {sorted(SUPPORTED_VERSIONS)}"
        )
    responses = body.get("responses")
    if not isinstance(responses, list):
        raise RequestError("malformed_batch", "responses must be a list")
    if len(responses) > max_items:
        raise RequestError(
            "batch_too_large", f"the batch holds {len(responses)} responses, at most {max_items} are accepted"
        )
    return Batch(version=version, responses=responses, heartbeat=Heartbeat.from_dict(body.get("heartbeat")))


def make_batch(responses: list[Mapping[str, Any]], heartbeat: Heartbeat | None = None) -> dict[str, Any]:
    """The batch body a terminal sends."""
    return {"v": PROTOCOL_VERSION, "responses": list(responses), "heartbeat": (heartbeat or Heartbeat()).as_dict()}
