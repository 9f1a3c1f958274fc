"""Phone responses: what the phone page sends becomes stored answers, exactly once.

The browser makes the response id at the first answer and sends the whole response so far
after every answer (flag ``partial``), and once more without the flag when the conversation
ends. Every request is idempotent, like a terminal's sync:

- an unknown id is stored: ``accepted``;
- the same content again changes nothing: ``duplicate``; so does an older, less complete
  version that arrives late (every answer it holds is stored already);
- a more complete version adds the answers to questions not yet stored and its contact, and
  drops ``partial`` once the conversation is finished: ``updated``. Rollups count only the
  added answers, so each answer is counted once however often it is sent;
- another answer to a question already stored, another contact, or other facts (store,
  touchpoint, survey, capture time) is a ``conflict``: kept aside in response_conflict (the
  contact sealed), the stored response unchanged.

A receipt-bound token takes one response: the first response id that arrives claims the
receipt, its own later versions still pass, any other id gets ``token_used``. Rate limits per
token and per client address are counted in the database inside the same transaction, so
every hub process agrees on them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peewee import IntegrityError

from hub.db import database, db_time, is_sqlite, placeholders, stored_time, write_transaction
from hub.models import Response, Store, Survey, SurveyVersion, Touchpoint
from hub.queries import responses as q
from hub.services.alerts import route_alerts
from hub.services.catalog import SurveyCache, store_by_code, touchpoint_by_code
from hub.services.personal_data import open_contact, seal_contact
from hub.services.qr_tokens import PhoneClaims
from hub.services.response_records import answer_rows, conflict_row, local_time, response_row
from hub.services.rollups import Rollups, local_hour, smiley_faces
from shared.errors import Problem, RateLimited, RequestError, TokenError
from shared.protocol import AnswerRow, ValidResponse, validate_response


@dataclass(frozen=True)
class PhoneTouchpoint:
    """The store and touchpoint a valid token opens, and the survey it asks."""

    store: Store
    touchpoint: Touchpoint
    survey: Survey
    claims: PhoneClaims

    def current_survey(self) -> dict[str, Any]:
        """The definition the page asks now (the survey's current version)."""
        row = SurveyVersion.get(
            (SurveyVersion.survey == self.survey) & (SurveyVersion.version == self.survey.current_version)
        )
        return row.definition


@dataclass(frozen=True)
class RateLimits:
    window_seconds: int
    per_token: int
    per_address: int


@dataclass(frozen=True)
class PhoneResult:
    id: str
    status: str  # accepted, updated, duplicate, conflict
    complete: bool
    flags: tuple[str, ...]


def open_touchpoint(claims: PhoneClaims) -> PhoneTouchpoint:
    """The store and touchpoint named by a verified token; NotFound when either is gone."""
    store = store_by_code(claims.store)
    touchpoint = touchpoint_by_code(store, claims.touchpoint)
    return PhoneTouchpoint(store, touchpoint, Survey.get_by_id(touchpoint.survey_id), claims)


def receipt_answered(place: PhoneTouchpoint) -> bool:
    """True when the token's receipt already has a finished response (the link is used up).
    A receipt claimed by an unfinished response still opens, so its owner can resume."""
    if place.claims.receipt is None:
        return False
    row = database.execute_sql(
        "SELECT r.flags FROM phone_receipt p JOIN response r ON r.id = p.response_id "
        f"WHERE p.store_id = {database.param} AND p.receipt = {database.param}",
        (place.store.id, place.claims.receipt),
    ).fetchone()
    return row is not None and "partial" not in row[0].split()


def address_bucket(address: str, secret_key: str) -> str:
    """The rate-limit bucket of a client address: a keyed hash, never the address itself."""
    digest = hmac.new(secret_key.encode(), b"phone address " + address.encode(), hashlib.sha256).hexdigest()
    return "a:" + digest[:32]


def record_phone_response(
    place: PhoneTouchpoint,
    item: object,
    *,
    served_at: datetime | None,
    address_key: str,
    limits: RateLimits,
    surveys: SurveyCache,
    contact_key: bytes,
    min_ms_per_answer: int,
    now: datetime,
) -> PhoneResult:
    """Store or complete one phone response. Raises RequestError (invalid, 422), TokenError
    (token_used, 410) or RateLimited (429); a conflict is returned, not raised, because it is
    kept aside in the same transaction."""
    response = _validate(place, item, surveys)
    server_flags = set()
    if "partial" not in response.flags and _too_fast(response, served_at, now, min_ms_per_answer):
        server_flags.add("suspect")
    buckets = [("t:" + place.claims.fingerprint[:32], limits.per_token), (address_key, limits.per_address)]
    for attempt in (1, 2):
        try:
            with write_transaction():
                retry_after = _take_rate_limits(buckets, limits.window_seconds, now)
                if retry_after is None:
                    result = _store(place, response, item, server_flags, contact_key, surveys, now)
            break
        except IntegrityError:
            # PostgreSQL: a retry raced its original to insert the same new id; the second
            # attempt sees the stored one. (SQLite writers are serialised: never here.)
            if attempt == 2:
                raise
    if retry_after is not None:
        raise RateLimited(retry_after, f"too many answers from here; try again in {retry_after} s")
    return result


# --- validation -----------------------------------------------------------------------------


def _validate(place: PhoneTouchpoint, item: object, surveys: SurveyCache) -> ValidResponse:
    response, problems = validate_response(item, surveys.lookup)
    if response is not None:
        problems = _belongs_to(response, place)
    if problems:
        raise RequestError(problems[0].code, problems[0].message, problems=[p.as_dict() for p in problems])
    return response


def _belongs_to(response: ValidResponse, place: PhoneTouchpoint) -> list[Problem]:
    """A token writes phone responses into its own store, touchpoint and survey."""
    if response.channel != "qr":
        return [Problem("unknown_channel", "the phone page sends responses of channel 'qr'", "channel")]
    if response.store != place.store.code:
        return [Problem("wrong_store", f"this code belongs to store {place.store.code!r}", "store")]
    if response.touchpoint != place.touchpoint.code:
        return [Problem("wrong_touchpoint", f"this code belongs to touchpoint {place.touchpoint.code!r}", "touchpoint")]
    if response.survey != place.survey.key:
        return [Problem("unknown_survey", f"this touchpoint asks survey {place.survey.key!r}", "survey")]
    return []


def _too_fast(response: ValidResponse, served_at: datetime | None, now: datetime, min_ms: int) -> bool:
    """Finished faster than a person could read and answer: no page ticket at all, or less
    than ``min_ms`` per answered question since the page was served."""
    if served_at is None:
        return True
    questions = len({a.question for a in response.answers})
    return (now - served_at) < timedelta(milliseconds=min_ms * questions)


# --- rate limits ----------------------------------------------------------------------------

_TAKE = (
    "INSERT INTO phone_rate_limit (bucket, window_start, hits) VALUES ({p}, {p}, 1) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "hits = CASE WHEN phone_rate_limit.window_start = excluded.window_start "
    "THEN phone_rate_limit.hits + 1 ELSE 1 END, window_start = excluded.window_start "
    "RETURNING hits"
)


def _take_rate_limits(buckets: list[tuple[str, int]], window: int, now: datetime) -> int | None:
    """Count one request in each bucket's current window; seconds to wait when any is over."""
    at = int(now.timestamp())
    start = at - at % window
    over, fresh = False, False
    for bucket, limit in buckets:
        hits = database.execute_sql(_TAKE.format(p=database.param), (bucket, start)).fetchall()[0][0]
        over |= hits > limit
        fresh |= hits == 1
    if fresh:  # a new window began for some bucket: forget the windows that have passed
        database.execute_sql(f"DELETE FROM phone_rate_limit WHERE window_start < {database.param}", (start,))
    return max(1, start + window - at) if over else None


# --- storing --------------------------------------------------------------------------------


def _store(
    place: PhoneTouchpoint,
    response: ValidResponse,
    raw: Any,
    server_flags: set[str],
    contact_key: bytes,
    surveys: SurveyCache,
    now: datetime,
) -> PhoneResult:
    receipt = place.claims.receipt
    if receipt is not None:
        _check_receipt(place.store.id, receipt, response.id)
    stored = _stored(response.id)
    if stored is None:
        result = _insert(place, response, server_flags, contact_key, surveys, now)
    else:
        result = _update(place, stored, response, raw, server_flags, contact_key, surveys, now)
    if receipt is not None and stored is None:
        database.execute_sql(
            f"INSERT INTO phone_receipt (store_id, receipt, response_id, claimed_at) VALUES ({placeholders(4)}) "
            "ON CONFLICT (store_id, receipt) DO NOTHING",
            (place.store.id, receipt, response.id, db_time(now)),
        )
        _check_receipt(place.store.id, receipt, response.id)  # another id may have won a race
    route_alerts([response] if result.status in ("accepted", "updated") else [], now=now)  # skips "partial"
    return result


def _check_receipt(store_id: int, receipt: str, response_id: str) -> None:
    row = database.execute_sql(
        f"SELECT response_id FROM phone_receipt WHERE store_id = {database.param} AND receipt = {database.param}",
        (store_id, receipt),
    ).fetchone()
    if row is not None and str(row[0]) != response_id:
        raise TokenError("token_used", "feedback for this receipt was already given; thank you")


_STORED_COLUMNS = (
    "channel",
    "store_id",
    "touchpoint_id",
    "survey_version",
    "captured_at",
    "received_at",
    "local_day",
    "flags",
    "content_hash",
    "contact_sealed",
    "locale",
)


def _stored(response_id: str) -> dict[str, Any] | None:
    lock = "" if is_sqlite() else " FOR UPDATE"
    row = database.execute_sql(
        f"SELECT {', '.join(_STORED_COLUMNS)} FROM response WHERE id = {database.param}{lock}", (response_id,)
    ).fetchone()
    return None if row is None else dict(zip(_STORED_COLUMNS, row, strict=True))


def _insert(
    place: PhoneTouchpoint,
    r: ValidResponse,
    server_flags: set[str],
    contact_key: bytes,
    surveys: SurveyCache,
    now: datetime,
) -> PhoneResult:
    received = now.astimezone(UTC)
    moment, dating_flags = local_time(r, received, ZoneInfo(place.store.time_zone))
    day = moment.date()
    flags = set(r.flags) | server_flags | dating_flags
    survey_id, definition = surveys.get(r.survey, r.survey_version)
    row = response_row(
        r,
        store_id=place.store.id,
        touchpoint_id=place.touchpoint.id,
        terminal_id=None,
        survey_id=survey_id,
        flags=flags,
        day=day,
        received=received,
        contact_key=contact_key,
    )
    q.insert_responses([row])
    q.insert_answers(answer_rows(r.id, r.answers))
    _count(r.answers, place, day=day, hour=moment.hour, locale=r.locale, face=None, faces=smiley_faces(definition))
    return PhoneResult(r.id, "accepted", "partial" not in flags, tuple(sorted(flags)))


def _count(
    answers: tuple[AnswerRow, ...],
    place: PhoneTouchpoint,
    *,
    day: Any,
    hour: int,
    locale: str,
    face: int | None,
    faces: int,
) -> None:
    """Add the answers to the rollups; ``face``: the smiley stored before these answers."""
    rollups = Rollups()
    rollups.add(
        store_id=place.store.id,
        touchpoint_id=place.touchpoint.id,
        channel="qr",
        day=str(day)[:10],
        hour=hour,
        locale=locale,
        answers=answers,
        face=face,
        faces=faces,
    )
    rollups.write()


def _answers_by_question(rows: Any) -> dict[str, tuple]:
    grouped: dict[str, list] = {}
    for question, number, text in rows:
        grouped.setdefault(question, []).append((number, text))
    return {question: tuple(sorted(values, key=repr)) for question, values in grouped.items()}


def _update(
    place: PhoneTouchpoint,
    stored: dict[str, Any],
    r: ValidResponse,
    raw: Any,
    server_flags: set[str],
    contact_key: bytes,
    surveys: SurveyCache,
    now: datetime,
) -> PhoneResult:
    stored_flags = set(stored["flags"].split())
    if stored["content_hash"] == r.content_hash:
        return PhoneResult(r.id, "duplicate", "partial" not in stored_flags, tuple(sorted(stored_flags)))
    stored_answers = database.execute_sql(
        f"SELECT question, number, text, kind FROM answer WHERE response_id = {database.param}", (r.id,)
    ).fetchall()
    have = _answers_by_question(row[:3] for row in stored_answers)
    new = _answers_by_question((a.question, a.number, a.text) for a in r.answers)
    sealed = stored["contact_sealed"]
    stored_contact = open_contact(contact_key, bytes(sealed), r.id) if sealed else None
    same_facts = (
        stored["channel"] == r.channel
        and stored["store_id"] == place.store.id
        and stored["touchpoint_id"] == place.touchpoint.id
        and stored["survey_version"] == r.survey_version
        and str(stored["captured_at"]) == str(db_time(r.captured_at))
    )
    changed = [question for question in new if question in have and have[question] != new[question]]
    if not same_facts or changed or (stored_contact and r.contact and dict(r.contact) != stored_contact):
        _keep_conflict(r, raw, contact_key, now)
        return PhoneResult(r.id, "conflict", "partial" not in stored_flags, tuple(sorted(stored_flags)))

    added = tuple(a for a in r.answers if a.question not in have)
    new_contact = r.contact if r.contact and not stored_contact else None
    flags = stored_flags | server_flags | (set(r.flags) - {"partial"})
    if "partial" not in r.flags:
        flags.discard("partial")  # finished; a late partial never reopens a finished response
    if not added and new_contact is None and flags == stored_flags and r.locale == stored["locale"]:
        # an older, less complete version arriving late: everything it holds is stored
        return PhoneResult(r.id, "duplicate", "partial" not in stored_flags, tuple(sorted(stored_flags)))
    if added:
        q.insert_answers(answer_rows(r.id, added))
        _count(
            added,
            place,
            day=stored["local_day"],
            hour=local_hour(
                stored_time(stored["captured_at"]),
                stored_time(stored["received_at"]),
                stored["flags"],
                ZoneInfo(place.store.time_zone),
            ),
            locale=r.locale,
            face=next((number for _, number, _, kind in stored_answers if kind == "smiley"), None),
            faces=smiley_faces(surveys.get(r.survey, r.survey_version)[1]),
        )
    changes: dict[Any, Any] = {
        Response.flags: " ".join(sorted(flags)),
        Response.content_hash: r.content_hash,
        Response.locale: r.locale,
    }
    if new_contact is not None:
        changes[Response.contact_sealed] = seal_contact(contact_key, new_contact, r.id)
    Response.update(changes).where(Response.id == r.id).execute()
    return PhoneResult(r.id, "updated", "partial" not in flags, tuple(sorted(flags)))


def _keep_conflict(r: ValidResponse, raw: Any, contact_key: bytes, now: datetime) -> None:
    """The conflicting version, kept for inspection; its contact sealed, never in clear."""
    q.insert_conflicts([conflict_row(r, raw, terminal_id=None, contact_key=contact_key, received=now)])
