"""Continuation codes: the thank-you screen's QR code continues the tapped response on the phone.

The terminal signs a code for each tap with its own key (shared/continuation.py): the response
id, store, touchpoint, its key id and an expiry two hours on. The phone page of such a code
skips the rating and asks the follow-up questions; what the phone answers attaches to the SAME
response, so one shopper is one response, one smiley, counted once.

- A code opens only while its terminal is enrolled and active, in the terminal's own store and
  touchpoint, signed by that terminal's key and not expired (a page served in time still takes
  its answers, as with phone tokens). Refusals: ``malformed_token``, ``bad_token_signature``
  (forged, changed, another terminal's place), ``continuation_expired``, ``revoked_device``.
- One conversation per tap: the first served page (its ticket) that sends answers claims the
  tap; that page's later versions pass, any other page gets ``continuation_used``, and a
  finished conversation's code no longer opens.
- Both orders. The terminal's response is stored already: the answers to questions it does
  not hold are added and counted alone (by the tap's face, on its day and hour), a contact is
  added when it has none; its content hash stays the terminal's, so the terminal's retries
  stay duplicates. It is not stored yet (the terminal is offline): the follow-up waits in
  phone_continuation, and ingest merges it into the arriving response in the same
  transaction (``merge_follow_ups``), so its answers are counted with the tap's, once.
- An answer to a question the tap answered otherwise (a reason chosen on the terminal and
  another on the phone) never overwrites: the phone's version is kept aside in
  response_conflict (stored order) or stays in ``pending`` (arrival order).
- Kept: a claim while a page of its code can still send (8 days), a follow-up waiting for a
  tap that never arrives 30 days; then both are forgotten, its sealed contact with it.
- Alerts: a finished follow-up routes the whole response (tap and follow-up) once more; a
  response in a case already is not alerted again (docs/cases.md), its case page reads the
  added answers, and a tap that opened no case can open one now (a contact left, say).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peewee import IntegrityError

from hub.db import stored_time, write_transaction
from hub.queries import phone_responses as pq
from hub.queries import responses as q
from hub.queries.terminals import load_terminal
from hub.services import comment_search
from hub.services.alerts import route_alerts
from hub.services.catalog import SurveyCache
from hub.services.personal_data import open_contact, seal_contact
from hub.services.phone_responses import PhoneResult, PhoneTouchpoint, RateLimits, open_touchpoint, take_rate_limits
from hub.services.qr_tokens import PhoneClaims
from hub.services.response_records import answer_rows, conflict_row
from hub.services.rollups import Rollups, local_hour, smiley_faces
from shared.continuation import read_continuation, verify_continuation
from shared.crypto import load_public_key
from shared.errors import Problem, RateLimited, RequestError, TokenError
from shared.protocol import AnswerRow, ValidResponse, validate_response

# A claim is kept while a page of its code can send (pages are read for 7 days after they
# were served, mobile_web/tickets.py; a code opens pages for 2 hours) ...
SETTLED_KEPT = timedelta(days=8)
# ... and a follow-up waits this long for its tap (a terminal offline longer loses it)
WAITING_KEPT = timedelta(days=30)


@dataclass(frozen=True)
class ContinuedTap:
    """A verified continuation code: the tapped response and the place its terminal serves."""

    response_id: str
    terminal_id: str
    place: PhoneTouchpoint


@dataclass(frozen=True)
class TapSoFar:
    """What the hub holds of a tap when its code is opened: the face tapped (None while the
    terminal's response has not arrived), the questions it answered, and whether a phone
    conversation for it is finished."""

    face: int | None
    answered: frozenset[str]
    finished: bool


def open_continuation(code: str, now: datetime, *, served_at: datetime | None = None) -> ContinuedTap:
    """The tap a continuation code continues, or TokenError (see the module's refusals).
    ``served_at``: when the page sending answers was served; a code that expired since still
    takes them."""
    claims = read_continuation(code)
    terminal = load_terminal(claims.key_id)
    if terminal is None:
        raise TokenError("bad_token_signature", "no terminal signs with this key")
    if terminal.status != "active":
        raise TokenError("revoked_device", "the terminal that made this code was revoked")
    phone_claims = PhoneClaims(
        store=claims.store,
        touchpoint=claims.touchpoint,
        receipt=None,
        expires=claims.expires,
        key_id=claims.key_id,
        fingerprint=hashlib.sha256(code.encode()).hexdigest(),
    )
    place = open_touchpoint(phone_claims)
    if (place.store.id, place.touchpoint.id) != (terminal.store_id, terminal.touchpoint_id):
        raise TokenError("bad_token_signature", "this code names a place its terminal does not serve")
    key = load_public_key(terminal.public_key)
    try:
        verify_continuation(claims, key, now.timestamp())
    except TokenError as error:
        if error.code != "expired_token":
            raise
        if served_at is None or served_at.timestamp() >= claims.expires:
            raise TokenError("continuation_expired", "this code continued its tap for two hours") from None
    return ContinuedTap(claims.response_id, terminal.id, place)


def tap_so_far(tap: ContinuedTap) -> TapSoFar:
    """What the page shows and skips: the tapped face and the questions answered on the terminal."""
    answers = pq.stored_answers(tap.response_id)
    face = next((number for _, number, _, kind in answers if kind == "smiley"), None)
    claim = pq.continuation(tap.response_id)
    return TapSoFar(face, frozenset(row[0] for row in answers), bool(claim and claim["finished"]))


# --- the phone's follow-up --------------------------------------------------------------------


def record_follow_up(
    tap: ContinuedTap,
    item: object,
    *,
    ticket: str | None,
    address_key: str,
    limits: RateLimits,
    surveys: SurveyCache,
    contact_key: bytes,
    content_key: bytes,
    now: datetime,
) -> PhoneResult:
    """Store one version of a tap's follow-up (the whole conversation so far, flag
    ``partial`` until it ends). Raises RequestError (invalid), TokenError
    (``continuation_used``) or RateLimited; a conflict is returned, kept aside."""
    if ticket is None:
        raise TokenError("continuation_used", "answers for a tap come from the page its code opened; open it again")
    finished = isinstance(item, dict) and "partial" not in (item.get("flags") or [])
    response = _validate(tap, item, surveys, content_key)
    version = response.content_hash + (":finished" if finished else ":partial")
    buckets = [("t:" + tap.place.claims.fingerprint[:32], limits.per_token), (address_key, limits.per_address)]
    for attempt in (1, 2):
        try:
            with write_transaction():
                retry_after = take_rate_limits(buckets, limits.window_seconds, now)
                if retry_after is None:
                    status = _take(tap, response, item, version, finished, ticket, contact_key, surveys, now)
            break
        except IntegrityError:
            if attempt == 2:  # PostgreSQL: two first versions raced to add the same answers
                raise
    if retry_after is not None:
        raise RateLimited(retry_after, f"too many answers from here; try again in {retry_after} s")
    return PhoneResult(tap.response_id, status, finished, ())


def _validate(tap: ContinuedTap, item: object, surveys: SurveyCache, content_key: bytes) -> ValidResponse:
    """The follow-up checked as a phone response of the tap's id and place; the rating is the
    terminal's, so the follow-up is read as unfinished (no required answer missing)."""
    if not isinstance(item, dict):
        raise RequestError("not_an_object", "the response is a JSON object")
    body = {**item, "flags": sorted(set(item.get("flags") or []) | {"partial"})}
    response, problems = validate_response(body, surveys.lookup, content_key)
    if response is not None:
        problems = _belongs_to(response, tap)
    if problems:
        raise RequestError(problems[0].code, problems[0].message, problems=[p.as_dict() for p in problems])
    return response


def _belongs_to(response: ValidResponse, tap: ContinuedTap) -> list[Problem]:
    place = tap.place
    if response.id != tap.response_id:
        return [Problem("bad_id", "a tap's follow-up carries the tap's response id", "id")]
    if response.channel != "qr":
        return [Problem("unknown_channel", "the phone page sends responses of channel 'qr'", "channel")]
    if response.store != place.store.code:
        return [Problem("wrong_store", f"this code belongs to store {place.store.code!r}", "store")]
    if response.touchpoint != place.touchpoint.code:
        return [Problem("wrong_touchpoint", f"this code belongs to touchpoint {place.touchpoint.code!r}", "touchpoint")]
    if response.survey != place.survey.key:
        return [Problem("unknown_survey", f"this touchpoint asks survey {place.survey.key!r}", "survey")]
    if any(a.kind == "smiley" for a in response.answers):
        return [
            Problem("malformed_request", "the tap's rating is the terminal's; a follow-up does not rate", "answers")
        ]
    return []


def _take(
    tap: ContinuedTap,
    response: ValidResponse,
    raw: Any,
    version: str,
    finished: bool,
    ticket: str,
    contact_key: bytes,
    surveys: SurveyCache,
    now: datetime,
) -> str:
    # Serialised with the terminal's syncs: either its sync that brings the tap sees this
    # follow-up waiting, or this follow-up sees the tap stored; never neither.
    pq.lock_terminal(tap.terminal_id)
    claim = pq.continuation(tap.response_id)
    if claim is None:
        pq.forget_continuations(now - SETTLED_KEPT, now - WAITING_KEPT)  # once per conversation
        pq.claim_continuation(tap.response_id, tap.terminal_id, ticket, response.locale, now)
        claim = pq.continuation(tap.response_id)  # another page may have won a race
    if claim["ticket"] != ticket or claim["terminal_id"] != tap.terminal_id:
        raise TokenError("continuation_used", "this tap was continued on another page already; thank you")
    if claim["content_hash"] == version or (claim["finished"] and not finished):
        return "duplicate"  # a retry, or an older version arriving after the end
    stored = pq.continued_response(tap.response_id)
    if stored is None:
        status = _keep_pending(tap, claim, response, raw, contact_key, now)
    else:
        if (stored["terminal_id"], stored["store_id"]) != (tap.terminal_id, tap.place.store.id):
            raise TokenError("bad_token_signature", "this response was not tapped on this code's terminal")
        status = _add_to_stored(tap, stored, response, raw, contact_key, surveys, now)
        if finished:
            route_alerts([_as_stored(tap, stored, contact_key)], now=now)  # a case it is in already: not again
    pq.record_continuation(tap.response_id, content_hash=version, finished=finished, locale=response.locale, now=now)
    return status


def _by_question(rows: Iterable[tuple[str, int | None, str | None]]) -> dict[str, tuple]:
    grouped: dict[str, list] = {}
    for question, number, text in rows:
        grouped.setdefault(question, []).append((number, text))
    return {question: tuple(sorted(values, key=repr)) for question, values in grouped.items()}


def _split(have: Mapping[str, tuple], answers: Iterable[AnswerRow]) -> tuple[tuple[AnswerRow, ...], bool]:
    """The answers to questions not held yet, and whether any other answer contradicts one held."""
    answers = tuple(answers)
    sent = _by_question((a.question, a.number, a.text) for a in answers)
    conflict = any(question in have and have[question] != values for question, values in sent.items())
    return tuple(a for a in answers if a.question not in have), conflict


def _add_to_stored(
    tap: ContinuedTap,
    stored: dict[str, Any],
    response: ValidResponse,
    raw: Any,
    contact_key: bytes,
    surveys: SurveyCache,
    now: datetime,
) -> str:
    """The terminal's response is stored: add what the follow-up adds, count only that."""
    answers = pq.stored_answers(tap.response_id)
    added, conflict = _split(_by_question(row[:3] for row in answers), response.answers)
    sealed = stored["contact_sealed"]
    held = open_contact(contact_key, bytes(sealed), tap.response_id) if sealed else None
    conflict |= bool(held and response.contact and dict(response.contact) != held)
    if conflict:
        q.insert_conflicts([conflict_row(response, raw, terminal_id=None, contact_key=contact_key, received=now)])
    if added:
        q.insert_answers(answer_rows(tap.response_id, added))
        comment_search.index_comments(answer_rows(tap.response_id, added), {tap.response_id: stored["locale"]})
        face = next((number for _, number, _, kind in answers if kind == "smiley"), None)
        definition = surveys.get(stored["survey_key"], stored["survey_version"])[1]
        hour = local_hour(
            stored_time(stored["captured_at"]),
            stored_time(stored["received_at"]),
            stored["flags"],
            ZoneInfo(stored["time_zone"]),
        )
        rollups = Rollups()
        rollups.add(
            store_id=stored["store_id"],
            touchpoint_id=stored["touchpoint_id"],
            channel=stored["channel"],
            day=str(stored["local_day"])[:10],
            hour=hour,
            locale=stored["locale"],
            answers=added,
            face=face,
            faces=smiley_faces(definition),
            suspect="suspect" in stored["flags"].split(),
        )
        rollups.write()
    contact_added = bool(response.contact and held is None)
    if contact_added:
        pq.set_contact(tap.response_id, seal_contact(contact_key, response.contact, tap.response_id))
    if added or contact_added:
        return "updated"
    return "conflict" if conflict else "duplicate"


def _as_stored(tap: ContinuedTap, stored: dict[str, Any], contact_key: bytes) -> ValidResponse:
    """The stored response whole (tap and follow-up), as alert routing reads a response."""
    rows = tuple(
        AnswerRow(question, kind, number, text) for question, number, text, kind in pq.stored_answers(tap.response_id)
    )
    sealed = pq.continued_response(tap.response_id)["contact_sealed"]
    return ValidResponse(
        id=tap.response_id,
        channel=stored["channel"],
        store=tap.place.store.code,
        touchpoint=tap.place.touchpoint.code,
        survey=stored["survey_key"],
        survey_version=stored["survey_version"],
        captured_at=stored_time(stored["captured_at"]),
        locale=stored["locale"],
        seq=None,
        answers=rows,
        contact=open_contact(contact_key, bytes(sealed), tap.response_id) if sealed else None,
        flags=tuple(f for f in stored["flags"].split() if f != "partial"),
        content_hash="",
    )


def _keep_pending(
    tap: ContinuedTap, claim: dict[str, Any], response: ValidResponse, raw: Any, contact_key: bytes, now: datetime
) -> str:
    """The terminal's response has not arrived: the follow-up waits for it."""
    kept = [tuple(row) for row in json.loads(claim["pending"] or "[]")]
    added, conflict = _split(_by_question((qn, number, text) for qn, _, number, text in kept), response.answers)
    sealed = claim["pending_contact"]
    held = open_contact(contact_key, bytes(sealed), tap.response_id) if sealed else None
    conflict |= bool(held and response.contact and dict(response.contact) != held)
    if conflict:
        q.insert_conflicts([conflict_row(response, raw, terminal_id=None, contact_key=contact_key, received=now)])
    contact_added = bool(response.contact and held is None)
    if not added and not contact_added:
        return "conflict" if conflict else "duplicate"
    kept += [(a.question, a.kind, a.number, a.text) for a in added]
    if contact_added:
        sealed = seal_contact(contact_key, response.contact, tap.response_id)
    pq.keep_pending(tap.response_id, json.dumps(kept), bytes(sealed) if sealed else None)
    return "updated"


# --- at ingest ----------------------------------------------------------------------------------


def merge_follow_ups(
    responses: list[ValidResponse], *, terminal_id: str, contact_key: bytes, now: datetime
) -> list[ValidResponse]:
    """The arriving responses of a terminal with the follow-ups that waited for them merged in
    (answers to questions the tap left open, a contact when the tap has none), to be stored,
    counted and routed as one response each; call inside ingest's transaction. The content
    hash stays the terminal's."""
    waiting = pq.pending_follow_ups(terminal_id, [r.id for r in responses])
    if not waiting:
        return responses
    merged, done = [], []
    for r in responses:
        if r.id not in waiting:
            merged.append(r)
            continue
        pending, sealed = waiting[r.id]
        kept = [tuple(row) for row in json.loads(pending or "[]")]
        have = _by_question((a.question, a.number, a.text) for a in r.answers)
        rows = [AnswerRow(question, kind, number, text) for question, kind, number, text in kept]
        added = tuple(a for a in rows if a.question not in have)
        sent = _by_question((a.question, a.number, a.text) for a in rows)
        # the tap answered these otherwise: kept where they are, never merged over the tap's
        left = [row for row in kept if row[0] in have and sent[row[0]] != have[row[0]]]
        contact = r.contact
        if contact is None and sealed is not None:
            contact = open_contact(contact_key, bytes(sealed), r.id)
        merged.append(replace(r, answers=r.answers + added, contact=contact))
        done.append((r.id, json.dumps(left) if left else None))
    pq.merged_follow_ups(done, now)
    return merged
