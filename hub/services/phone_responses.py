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
receipt, its own later versions still pass, any other id gets ``token_used``. So does a
served page (its signed ticket, mobile_web/tickets.py): the first response id sent with a
ticket claims it, any other gets ``ticket_used``; a person who wants to answer again loads
the page again and gets a new ticket.

Stuffing is flagged, not counted: a response finished faster than a person reads (or sent
without a ticket), and every response of a burst (more than ``burst_responses`` new
responses from one client address within ``burst_seconds``, the earlier ones of the burst
included) is flagged ``suspect``; the figures leave suspect responses out unless asked
(hub/services/rollups.py, hub/services/suspect.py). Rate limits per token and per client
address are counted in the database inside the same transaction, so every hub process
agrees on them.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peewee import IntegrityError

from hub.db import db_time, stored_time, write_transaction
from hub.models import Store, Survey, Touchpoint
from hub.queries import phone_responses as pq
from hub.queries import responses as q
from hub.services import comment_search
from hub.services.alerts import route_alerts
from hub.services.catalog import SurveyCache, current_survey, store_by_code, touchpoint_by_code
from hub.services.personal_data import open_contact, seal_contact
from hub.services.qr_tokens import PhoneClaims
from hub.services.response_records import answer_rows, conflict_row, local_time, response_row
from hub.services.rollups import Rollups, local_hour, smiley_faces
from hub.services.suspect import mark_suspect
from shared.crypto import derive_key
from shared.errors import Problem, RateLimited, RequestError, TokenError
from shared.protocol import AnswerRow, ValidResponse, validate_response

_BUCKET_LABEL = "voxloop phone address bucket"
# a page's ticket is read for 7 days after the page was served (mobile_web/tickets.py): its
# claim is kept a day longer
TICKETS_KEPT = timedelta(days=8)


@dataclass(frozen=True)
class PhoneTouchpoint:
    """The store and touchpoint a valid token opens, and the survey it asks."""

    store: Store
    touchpoint: Touchpoint
    survey: Survey
    claims: PhoneClaims

    def current_survey(self) -> dict[str, Any]:
        """The definition the page asks now (the survey's current version)."""
        return current_survey(self.survey).definition


@dataclass(frozen=True)
class RateLimits:
    window_seconds: int
    per_token: int
    per_address: int
    burst_responses: int = 5  # more new responses than this from one address ...
    burst_seconds: int = 60  # ... within this: a burst, every response of it suspect


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
    return PhoneTouchpoint(store, touchpoint, touchpoint.survey, claims)


def receipt_answered(place: PhoneTouchpoint) -> bool:
    """True when the token's receipt already has a finished response (the link is used up).
    A receipt claimed by an unfinished response still opens, so its owner can resume."""
    if place.claims.receipt is None:
        return False
    flags = pq.receipt_flags(place.store.id, place.claims.receipt)
    return flags is not None and "partial" not in flags.split()


def address_bucket(address: str, secret_key: str) -> str:
    """The rate-limit bucket of a client address: a keyed hash, never the address itself, under
    a key derived for this purpose alone (shared/crypto.py)."""
    digest = hmac.new(_bucket_key(secret_key), address.encode(), hashlib.sha256).hexdigest()
    return "a:" + digest[:32]


@functools.lru_cache(maxsize=4)
def _bucket_key(secret_key: str) -> bytes:
    # derived once per secret: every phone answer names its bucket
    return derive_key(secret_key, _BUCKET_LABEL)


def record_phone_response(
    place: PhoneTouchpoint,
    item: object,
    *,
    served_at: datetime | None,
    ticket: str | None = None,
    address_key: str,
    limits: RateLimits,
    surveys: SurveyCache,
    contact_key: bytes,
    content_key: bytes,
    min_ms_per_answer: int,
    now: datetime,
) -> PhoneResult:
    """Store or complete one phone response. ``served_at`` and ``ticket`` (a digest naming
    the served page) come from the page's signed ticket; None without one. Raises
    RequestError (invalid, 422), TokenError (token_used, 410; ticket_used, 409) or
    RateLimited (429); a conflict is returned, not raised, because it is kept aside in the
    same transaction."""
    response = _validate(place, item, surveys, content_key)
    server_flags = set()
    if "partial" not in response.flags and _too_fast(response, served_at, now, min_ms_per_answer):
        server_flags.add("suspect")
    buckets = [("t:" + place.claims.fingerprint[:32], limits.per_token), (address_key, limits.per_address)]
    for attempt in (1, 2):
        try:
            with write_transaction():
                retry_after = take_rate_limits(buckets, limits.window_seconds, now)
                if retry_after is None:
                    sender = _Sender(ticket, address_key, limits)
                    result = _store(place, response, item, server_flags, sender, contact_key, surveys, now)
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


def _validate(place: PhoneTouchpoint, item: object, surveys: SurveyCache, content_key: bytes) -> ValidResponse:
    response, problems = validate_response(item, surveys.lookup, content_key)
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


def take_rate_limits(buckets: list[tuple[str, int]], window: int, now: datetime) -> int | None:
    """Count one request in each bucket's current window; seconds to wait when any is over."""
    at = int(now.timestamp())
    start = at - at % window
    over, fresh = False, False
    for bucket, limit in buckets:
        hits = pq.count_hit(bucket, start)
        over |= hits > limit
        fresh |= hits == 1
    if fresh:  # a new window began for some bucket: forget the windows that have passed
        pq.forget_windows_before(start)
        pq.forget_tickets_before(now - TICKETS_KEPT)
    return max(1, start + window - at) if over else None


# --- one response per page, bursts ---------------------------------------------------------


@dataclass(frozen=True)
class _Sender:
    """Who sent a version: the served page's ticket (None: none) and the address bucket."""

    ticket: str | None
    bucket: str
    limits: RateLimits


def _check_ticket(ticket: str, response_id: str) -> None:
    owner = pq.ticket_owner(ticket)
    if owner is not None and owner != response_id:
        raise TokenError("ticket_used", "this page has sent its response already; open the link again to answer again")


def _claim_ticket(ticket: str, response_id: str, now: datetime) -> None:
    pq.claim_ticket(ticket, response_id, now)
    _check_ticket(ticket, response_id)  # another id may have won a race


def _in_burst(sender: _Sender, response_id: str, now: datetime) -> bool:
    """Count a new response of the sender's address; True when it makes a burst, whose
    earlier responses are then flagged suspect too."""
    limits = sender.limits
    since = now - timedelta(seconds=limits.burst_seconds)
    pq.forget_bursts_before(since)
    pq.remember_burst(sender.bucket, response_id, now)
    members = pq.burst_members(sender.bucket, since)
    if len(members) <= limits.burst_responses:
        return False
    mark_suspect(m for m in members if m != response_id)
    return True


# --- storing --------------------------------------------------------------------------------


def _store(
    place: PhoneTouchpoint,
    response: ValidResponse,
    raw: Any,
    server_flags: set[str],
    sender: _Sender,
    contact_key: bytes,
    surveys: SurveyCache,
    now: datetime,
) -> PhoneResult:
    receipt = place.claims.receipt
    if receipt is not None:
        _check_receipt(place.store.id, receipt, response.id)
    if sender.ticket is not None:
        _check_ticket(sender.ticket, response.id)
    stored = pq.stored_response(response.id)
    if stored is None:
        if sender.ticket is not None:
            _claim_ticket(sender.ticket, response.id, now)
        if _in_burst(sender, response.id, now):
            server_flags = server_flags | {"suspect"}
        result = _insert(place, response, server_flags, contact_key, surveys, now)
    else:
        result = _update(place, stored, response, raw, server_flags, contact_key, surveys, now)
    if receipt is not None and stored is None:
        pq.claim_receipt(place.store.id, receipt, response.id, now)
        _check_receipt(place.store.id, receipt, response.id)  # another id may have won a race
    route_alerts([response] if result.status in ("accepted", "updated") else [], now=now)  # skips "partial"
    return result


def _check_receipt(store_id: int, receipt: str, response_id: str) -> None:
    owner = pq.receipt_owner(store_id, receipt)
    if owner is not None and owner != response_id:
        raise TokenError("token_used", "feedback for this receipt was already given; thank you")


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
        received_at=db_time(received),
        contact_key=contact_key,
    )
    q.insert_responses([row])
    q.insert_answers(answer_rows(r.id, r.answers))
    comment_search.index_comments(answer_rows(r.id, r.answers), {r.id: r.locale})
    faces = smiley_faces(definition)
    suspect = "suspect" in flags
    _count(r.answers, place, day=day, hour=moment.hour, locale=r.locale, face=None, faces=faces, suspect=suspect)
    return _result(r.id, "accepted", flags)


def _count(
    answers: tuple[AnswerRow, ...],
    place: PhoneTouchpoint,
    *,
    day: Any,
    hour: int,
    locale: str,
    face: int | None,
    faces: int,
    suspect: bool,
) -> None:
    """Add the answers to the rollups (the suspect ones' table for a ``suspect`` response);
    ``face``: the smiley stored before these answers."""
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
        suspect=suspect,
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
    """Another version of a stored response: a duplicate, a conflict, or what it adds."""
    stored_flags = set(stored["flags"].split())
    if stored["content_hash"] == r.content_hash:
        return _result(r.id, "duplicate", stored_flags)
    answers = pq.stored_answers(r.id)
    have = _answers_by_question(row[:3] for row in answers)
    stored_contact = _stored_contact(stored, r.id, contact_key)
    if _conflicts(place, stored, r, have, stored_contact):
        _keep_conflict(r, raw, contact_key, now)
        return _result(r.id, "conflict", stored_flags)

    added = tuple(a for a in r.answers if a.question not in have)
    new_contact = r.contact if r.contact and not stored_contact else None
    flags = _merged_flags(stored_flags, server_flags, set(r.flags))
    if not added and new_contact is None and flags == stored_flags and r.locale == stored["locale"]:
        # an older, less complete version arriving late: everything it holds is stored
        return _result(r.id, "duplicate", stored_flags)
    suspect = "suspect" in flags
    if suspect and "suspect" not in stored_flags:
        mark_suspect([r.id])  # finished too fast: what was counted of it moves to the suspect ones
    if added:
        q.insert_answers(answer_rows(r.id, added))
        comment_search.index_comments(answer_rows(r.id, added), {r.id: stored["locale"]})
        face = next((number for _, number, _, kind in answers if kind == "smiley"), None)
        _count_added(place, stored, r, added, face, surveys, suspect)
    pq.complete_response(
        r.id,
        flags=" ".join(sorted(flags)),
        content_hash=r.content_hash,
        locale=r.locale,
        contact_sealed=seal_contact(contact_key, new_contact, r.id) if new_contact is not None else None,
    )
    return _result(r.id, "updated", flags)


def _stored_contact(stored: dict[str, Any], response_id: str, contact_key: bytes) -> dict[str, Any] | None:
    sealed = stored["contact_sealed"]
    return open_contact(contact_key, bytes(sealed), response_id) if sealed else None


def _result(response_id: str, status: str, flags: set[str]) -> PhoneResult:
    return PhoneResult(response_id, status, "partial" not in flags, tuple(sorted(flags)))


def _conflicts(
    place: PhoneTouchpoint,
    stored: dict[str, Any],
    r: ValidResponse,
    have: dict[str, tuple],
    stored_contact: dict[str, Any] | None,
) -> bool:
    """Whether ``r`` contradicts the stored response: other facts, another answer to a
    question already answered, or another contact."""
    new = _answers_by_question((a.question, a.number, a.text) for a in r.answers)
    changed = any(question in have and have[question] != values for question, values in new.items())
    other_contact = bool(stored_contact and r.contact and dict(r.contact) != stored_contact)
    return changed or other_contact or not _same_facts(place, stored, r)


def _same_facts(place: PhoneTouchpoint, stored: dict[str, Any], r: ValidResponse) -> bool:
    """Channel, store, touchpoint, survey version and capture time as stored."""
    return (
        stored["channel"] == r.channel
        and stored["store_id"] == place.store.id
        and stored["touchpoint_id"] == place.touchpoint.id
        and stored["survey_version"] == r.survey_version
        and str(stored["captured_at"]) == str(db_time(r.captured_at))
    )


def _merged_flags(stored: set[str], server: set[str], sent: set[str]) -> set[str]:
    """The stored flags with the new ones; ``partial`` goes once the conversation is finished,
    and a late partial version never reopens a finished response."""
    flags = stored | server | (sent - {"partial"})
    if "partial" not in sent:
        flags.discard("partial")
    return flags


def _count_added(
    place: PhoneTouchpoint,
    stored: dict[str, Any],
    r: ValidResponse,
    added: tuple[AnswerRow, ...],
    face: int | None,
    surveys: SurveyCache,
    suspect: bool,
) -> None:
    """Count the added answers on the stored response's day and hour; ``face``: its stored
    smiley answer, so a reason given after the smiley is counted by it."""
    hour = local_hour(
        stored_time(stored["captured_at"]),
        stored_time(stored["received_at"]),
        stored["flags"],
        ZoneInfo(place.store.time_zone),
    )
    faces = smiley_faces(surveys.get(r.survey, r.survey_version)[1])
    _count(added, place, day=stored["local_day"], hour=hour, locale=r.locale, face=face, faces=faces, suspect=suspect)


def _keep_conflict(r: ValidResponse, raw: Any, contact_key: bytes, now: datetime) -> None:
    """The conflicting version, kept for inspection; its contact sealed, never in clear."""
    q.insert_conflicts([conflict_row(r, raw, terminal_id=None, contact_key=contact_key, received=now)])
