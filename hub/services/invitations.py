"""Invitations: a POS, shop or CRM asks voxloop to invite a customer to give feedback about
one visit or contact (``POST /api/v1/invitations``, ``voxloop hub import-invitations``).

An invitation names its store and touchpoint, the asking system (``source``) and its receipt
or contact id (``reference``), the channel (email; sms through a provider), the customer's
language, when to send and the address; a contact centre adds the pseudonymous agent and team.
One invitation per source and reference, ever: a request sent again answers the invitation it
made (``created`` false) and invites nobody twice.

At creation the address is sealed at rest and kept only as long as something will be sent to
it (hub/services/invitation_sending.py forgets it then); the interval rule and the suppression
list compare keyed hashes of addresses, never addresses. An address that unsubscribed is
``suppressed`` at once; one invited within ``interval`` of another invitation's time is
``skipped`` (reason ``interval``); neither keeps the address.

A batch (a CSV file) is checked whole first: any bad row and nothing is made, every bad row
named by its line (``InvitationsRefused``, code ``invalid_invitations``).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.db import write_transaction
from hub.models import Invitation, InvitationSuppression, PhoneReceipt, Store, Touchpoint
from hub.queries.invitations import made_before, standing
from hub.services.access import Scope
from hub.services.invitation_keys import InvitationKeys, phone_receipt
from hub.services.measures import (
    RowError,
    RowsRefused,
)  # a bad row named by its line, as the measures' import names one
from hub.services.personal_data import seal_contact
from shared.protocol import parse_time

SOURCE = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
REFERENCE = re.compile(r"^[A-Za-z0-9_.:/-]{1,64}$")
PSEUDONYM = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
LANGUAGES = ("de", "en")
FIELDS = ("source", "reference", "store", "touchpoint", "channel", "language", "send_after", "address")
OPTIONAL = ("agent", "team")
MAX_BATCH = 1000
MAX_AHEAD = timedelta(days=90)  # a send time further ahead is a mistake, not a plan
ALIVE = ("scheduled", "sent")  # the states that count for the interval rule


@dataclass(frozen=True)
class InvitationSettings:
    """REMINDER_HOURS after the invitation one reminder (0: none); no person invited again
    within INTERVAL_DAYS; the link opens the phone page for LINK_DAYS."""

    reminder_after: timedelta | None = timedelta(hours=72)
    interval: timedelta = timedelta(days=30)
    link_days: int = 30

    @classmethod
    def from_config(cls, config: Any) -> InvitationSettings:
        hours = float(config["INVITATION_REMINDER_HOURS"])
        return cls(
            reminder_after=timedelta(hours=hours) if hours > 0 else None,
            interval=timedelta(days=float(config["INVITATION_INTERVAL_DAYS"])),
            link_days=int(config["INVITATION_LINK_DAYS"]),
        )


@dataclass(frozen=True)
class Ask:
    """What a system asks for, line-numbered (a CSV line; the index of an API request)."""

    line: int
    source: str
    reference: str
    store: str
    touchpoint: str
    channel: str
    language: str
    send_after: str
    address: str
    agent: str | None = None
    team: str | None = None


class InvitationsRefused(RowsRefused):
    """Nothing was made; ``errors`` names every bad row."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors, "invalid_invitations", "cannot be used, so no invitation was made")


@dataclass(frozen=True)
class Made:
    invitation: Invitation
    created: bool


def ask_from(line: int, item: dict[str, Any]) -> Ask:
    return Ask(line, *(str(item.get(name) or "").strip() for name in FIELDS), item.get("agent"), item.get("team"))


# --- checking ------------------------------------------------------------------------------


def _field_errors(ask: Ask, now: datetime) -> list[RowError]:
    errors = []

    def bad(code: str, detail: str) -> None:
        errors.append(RowError(ask.line, code, detail))

    if not SOURCE.match(ask.source):
        bad("wrong_type", "source is 1-40 letters, digits or _ . : -")
    if not REFERENCE.match(ask.reference):
        bad("wrong_type", "reference is 1-64 letters, digits or _ . : / -")
    if ask.channel not in Invitation.CHANNELS:
        bad("unknown_channel", f"channel is one of {', '.join(Invitation.CHANNELS)}")
    elif not (EMAIL if ask.channel == "email" else PHONE).match(ask.address) or len(ask.address) > 254:
        bad("wrong_type", "address is an email address" if ask.channel == "email" else "address is a +E.164 number")
    if ask.language not in LANGUAGES:
        bad("bad_locale", f"language is one of {', '.join(LANGUAGES)}")
    at = parse_time(ask.send_after)
    if at is None:
        bad("bad_time", "send_after is an RFC 3339 time with its zone")
    elif at > now + MAX_AHEAD:
        bad("bad_time", f"send_after is at most {MAX_AHEAD.days} days ahead")
    for name in OPTIONAL:
        value = getattr(ask, name)
        if value is not None and (not isinstance(value, str) or not PSEUDONYM.match(value)):
            bad("wrong_type", f"{name} is a pseudonymous id of 1-40 letters, digits or _ . -")
    return errors


def _place(scope: Scope, ask: Ask) -> tuple[Touchpoint | None, RowError | None]:
    store = Store.get_or_none(Store.code == ask.store)
    if store is None or not scope.sees(store.id):
        return None, RowError(ask.line, "wrong_store", f"no store {ask.store!r} this caller may invite for")
    touchpoint = Touchpoint.get_or_none((Touchpoint.store == store.id) & (Touchpoint.code == ask.touchpoint))
    if touchpoint is None:
        return None, RowError(ask.line, "wrong_touchpoint", f"store {ask.store} has no touchpoint {ask.touchpoint!r}")
    return touchpoint, None


def check(scope: Scope, asks: Sequence[Ask], now: datetime) -> list[Touchpoint]:
    """The touchpoint of every ask; InvitationsRefused naming every bad row."""
    errors: list[RowError] = []
    places: list[Touchpoint] = []
    seen: dict[tuple[str, str], int] = {}
    known: dict[tuple[str, str], tuple[Touchpoint | None, RowError | None]] = {}
    for ask in asks:
        errors += _field_errors(ask, now)
        place = (ask.store, ask.touchpoint)
        if place not in known:
            known[place] = _place(scope, ask)
        touchpoint, error = known[place]
        if error is not None:
            error = RowError(ask.line, error.code, error.detail)
        if error is not None:
            errors.append(error)
        else:
            places.append(touchpoint)
        key = (ask.source, ask.reference)
        if key in seen:
            errors.append(RowError(ask.line, "malformed_row", f"the same source and reference as line {seen[key]}"))
        seen.setdefault(key, ask.line)
    if errors:
        raise InvitationsRefused(errors)
    return places


# --- making --------------------------------------------------------------------------------


def invite(
    scope: Scope,
    asks: Sequence[Ask],
    *,
    keys: InvitationKeys,
    settings: InvitationSettings,
    now: datetime,
    user_id: int | None = None,
) -> list[Made]:
    """Every ask checked, then all made in one transaction (or none); an ask whose source and
    reference exist answers the invitation made before."""
    if not asks:
        raise InvitationsRefused([RowError(1, "missing_field", "no invitation was sent")])
    if len(asks) > MAX_BATCH:
        raise InvitationsRefused([RowError(1, "malformed_row", f"at most {MAX_BATCH} invitations at once")])
    places = check(scope, asks, now)
    with write_transaction():
        return [_make(ask, tp, keys, settings, now, user_id) for ask, tp in zip(asks, places, strict=True)]


def _make(
    ask: Ask,
    touchpoint: Touchpoint,
    keys: InvitationKeys,
    settings: InvitationSettings,
    now: datetime,
    user: int | None,
) -> Made:
    same = (Invitation.source == ask.source) & (Invitation.reference == ask.reference)
    if made_before(ask.source, ask.reference) is not None:
        return Made(Invitation.get(same), False)
    send_after = parse_time(ask.send_after)
    address_hash = keys.address_hash(ask.channel, ask.address)
    state, reason = _first_state(address_hash, send_after, settings.interval)
    public_id = secrets.token_hex(12)
    values = {
        "public_id": public_id,
        "source": ask.source,
        "reference": ask.reference,
        "store": touchpoint.store_id,
        "touchpoint": touchpoint.id,
        "channel": ask.channel,
        "language": ask.language,
        "send_after": _naive(send_after),
        "address_sealed": seal_contact(keys.seal, {"address": ask.address}, public_id)
        if state == "scheduled"
        else None,
        "address_hash": address_hash,
        "agent": ask.agent,
        "team": ask.team,
        "state": state,
        "reason": reason,
        "created_by": user,
        "created_at": _naive(now),
    }
    Invitation.insert(values).on_conflict_ignore().execute()
    if made_before(ask.source, ask.reference) != public_id:
        return Made(Invitation.get(same), False)  # a request racing this one made it first
    return Made(Invitation(**values), True)


def _first_state(address_hash: str, send_after: datetime, interval: timedelta) -> tuple[str, str | None]:
    unsubscribed, recent = standing(address_hash, send_after - interval, send_after + interval, None)
    if unsubscribed:
        return "suppressed", "unsubscribed"
    if recent:
        return "skipped", "interval"
    return "scheduled", None


def suppressed(address_hash: str) -> bool:
    return InvitationSuppression.select().where(InvitationSuppression.address_hash == address_hash).exists()


def invited_within(address_hash: str, at: datetime, interval: timedelta, *, other_than: int | None = None) -> bool:
    """Another invitation to the same person is sent or planned within ``interval`` of ``at``."""
    return standing(address_hash, at - interval, at + interval, other_than)[1]


def answered(invitation: Invitation) -> bool:
    """The customer answered on the phone page (the receipt the link binds is claimed)."""
    return (
        PhoneReceipt.select()
        .where(
            (PhoneReceipt.store == invitation.store_id) & (PhoneReceipt.receipt == phone_receipt(invitation.public_id))
        )
        .exists()
    )


def as_dict(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.public_id,
        "source": invitation.source,
        "reference": invitation.reference,
        "channel": invitation.channel,
        "state": invitation.state,
        "reason": invitation.reason,
    }


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# --- CSV -----------------------------------------------------------------------------------


def csv_asks(text: str) -> list[Ask]:
    """The rows of a CSV file (a header naming the fields; agent and team optional), each
    numbered by its line; InvitationsRefused for a file without the columns."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in FIELDS if c not in header]
    if missing:
        raise InvitationsRefused(
            [RowError(1, "missing_field", f"the header lacks {', '.join(missing)} (it needs {', '.join(FIELDS)})")]
        )
    reader.fieldnames = header
    asks = []
    for row in reader:
        if None in row:
            raise InvitationsRefused([RowError(reader.line_num, "malformed_row", "more values than the header names")])
        item = {k: (v or "").strip() for k, v in row.items()}
        for name in OPTIONAL:
            item[name] = item.get(name) or None
        asks.append(ask_from(reader.line_num, item))
    return asks


def erase_address(address: str, *, keys: InvitationKeys) -> int:
    """A customer's erasure request (``voxloop hub erase --contact``) reaches their invitations:
    the sealed address and its keyed hash are blanked, and one still waiting is held back
    (``suppressed``, reason ``erased``). The suppression list keeps its hash: an unsubscribe is
    still honoured after an erasure. How many invitations held the address."""
    hashes = [keys.address_hash(channel, address) for channel in Invitation.CHANNELS]
    with write_transaction():
        Invitation.update(state="suppressed", reason="erased").where(
            Invitation.address_hash.in_(hashes) & (Invitation.state == "scheduled")
        ).execute()
        return (
            Invitation.update(address_sealed=None, address_hash=None)
            .where(Invitation.address_hash.in_(hashes))
            .execute()
        )
