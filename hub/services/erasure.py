"""Erasure requests (GDPR Art. 17) and anonymising a staff account (docs/data-protection.md).

``erase_contact``: a customer who left a contact asks for their data to be erased. Contacts
are sealed (hub/services/personal_data.py), so the responses are found by opening every
sealed contact with the contact key and comparing addresses (an email case-insensitively, a
phone number by its digits). What an erasure removes:

- the sealed contact of every matching response, and of its kept conflicting versions;
- the free-text answers (comments) of those responses: a comment is the customer's own words
  and may name them; the ratings and chosen reasons stay, anonymous without the contact;
- any free-text answer of any response that contains the address itself;
- close-the-loop emails to that customer not yet sent (deleted), and what the sent ones said
  (their payload);
- a phone follow-up still waiting for its terminal's tap (phone_continuation) whose contact
  is that address or whose answers name it: its waiting answers and contact are dropped, so
  nothing of it joins the tap when the tap arrives.

The daily rollups keep their counts (they hold no text but counted terms; ``voxloop hub
rebuild-rollups`` recounts the terms without the erased comments). On SQLite the deleted bytes
are overwritten (secure_delete) and the WAL is checkpointed and truncated, so the address and
its sealed form leave the database file and the WAL (tests/hub/test_erasure.py measures it).

``anonymise_person``: a staff member's name and email are replaced by a pseudonym; the
account is switched off, its sessions ended, its API tokens revoked, its password made
unusable and its store and region links removed. The case audit trail stays (who did what
when), naming the pseudonym; sign-in attempts and reset requests under the old email go.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from peewee import fn

from hub.db import write_transaction
from hub.models import (
    Answer,
    ApiToken,
    LoginAttempt,
    OutboxItem,
    OutboxMessage,
    PasswordReset,
    PhoneContinuation,
    Response,
    ResponseConflict,
    User,
    UserRegion,
    UserStore,
)
from hub.services import comment_search
from hub.services.personal_data import open_contact
from hub.services.retention import checkpoint, erase_conflict_contacts, overwriting_deletes
from shared.errors import NotFound, RequestError

_NOT_DIGITS = re.compile(r"[^0-9]")
_NO_PASSWORD = "!anonymised"  # noqa: S105 (not of any hash's form: verify_password refuses it)


@dataclass(frozen=True)
class ContactErasure:
    responses: int  # whose contact was removed
    comments: int  # free-text answers removed
    conflicts: int  # kept conflicting versions whose contact was removed
    messages: int  # close-the-loop emails deleted or emptied
    checkpoint_complete: bool | None  # SQLite: the WAL was emptied (None on PostgreSQL)
    follow_ups: int = 0  # phone follow-ups waiting for their tap, dropped

    def describe(self) -> str:
        text = (
            f"erased the contact of {self.responses} responses, {self.comments} comments,"
            f" {self.conflicts} kept conflicts, {self.messages} customer emails,"
            f" {self.follow_ups} waiting phone follow-ups"
        )
        if self.checkpoint_complete is False:
            text += "; the WAL could not be emptied while the hub reads: run again with the hub stopped"
        return text


def same_address(a: str, b: str) -> bool:
    """An email compared case-insensitively, a phone number by its digits (and a leading +)."""
    return _address_key(a) == _address_key(b)


def _address_key(address: str) -> str:
    text = address.strip()
    if "@" in text:
        return text.casefold()
    return ("+" if text.startswith("+") else "") + _NOT_DIGITS.sub("", text.removeprefix("00"))


def erase_contact(address: str, *, contact_key: bytes, now: datetime) -> ContactErasure:
    """Erase the contact ``address`` from every response that holds it (see the module)."""
    address = address.strip()
    if len(_address_key(address)) < 3:
        raise RequestError("malformed_request", "give the email address or phone number the customer left")
    matched = [
        str(r.id)
        for r in Response.select(Response.id, Response.contact_sealed).where(Response.contact_sealed.is_null(False))
        if same_address(_opened_address(contact_key, r), address)
    ]
    comments = Answer.kind == "text"
    needle = address.casefold()
    candidates = Answer.select(Answer.id, Answer.text).where(
        comments & Answer.text.is_null(False) & fn.LOWER(Answer.text).contains(needle)
    )
    blank = {a.id for a in candidates if needle in (a.text or "").casefold()}  # LIKE's _ and % match more
    conflicts = []
    if matched:
        of_matched = Answer.select(Answer.id).where(
            comments & Answer.response.in_(matched) & Answer.text.is_null(False)
        )
        blank |= {a.id for a in of_matched}
        conflicts = [(c.id, c.body) for c in ResponseConflict.select().where(ResponseConflict.response_id.in_(matched))]
    waiting = _waiting_follow_ups(address, contact_key)
    at = now.astimezone(UTC).replace(tzinfo=None)
    with overwriting_deletes():
        with write_transaction():
            contacts = Response.update(contact_sealed=None).where(Response.id.in_(matched)).execute() if matched else 0
            comments_removed = Answer.update(text=None).where(Answer.id.in_(sorted(blank))).execute() if blank else 0
            messages = _customer_messages(matched, at)
            if waiting:
                PhoneContinuation.update(pending=None, pending_contact=None).where(
                    PhoneContinuation.response_id.in_(waiting)
                ).execute()
        erased_conflicts = erase_conflict_contacts(conflicts)
        if comments_removed:
            comment_search.forget_erased()
    done = checkpoint()
    return ContactErasure(
        responses=contacts,
        comments=comments_removed,
        conflicts=erased_conflicts,
        messages=messages,
        checkpoint_complete=None if done is None else done[0] == 0,
        follow_ups=len(waiting),
    )


def _waiting_follow_ups(address: str, contact_key: bytes) -> list[str]:
    """The phone follow-ups waiting for their tap whose contact is ``address`` or whose
    answers name it."""
    needle = address.casefold()
    found = []
    waiting = PhoneContinuation.select(
        PhoneContinuation.response_id, PhoneContinuation.pending, PhoneContinuation.pending_contact
    ).where(PhoneContinuation.pending.is_null(False) | PhoneContinuation.pending_contact.is_null(False))
    for f in waiting:
        contact = ""
        if f.pending_contact is not None:
            try:
                contact = str(
                    open_contact(contact_key, bytes(f.pending_contact), str(f.response_id)).get("address", "")
                )
            except (InvalidTag, ValueError):
                contact = ""
        if (contact and same_address(contact, address)) or needle in (f.pending or "").casefold():
            found.append(str(f.response_id))
    return found


def _opened_address(contact_key: bytes, response: Response) -> str:
    try:
        contact = open_contact(contact_key, bytes(response.contact_sealed), str(response.id))
    except (InvalidTag, ValueError):  # sealed under another secret: not this hub's to read
        return ""
    return str(contact.get("address", ""))


def _customer_messages(response_ids: list[str], at: datetime) -> int:
    """Close-the-loop emails to the erased contact: unsent ones deleted, sent ones emptied."""
    touched = 0
    for message in OutboxMessage.select().where(OutboxMessage.kind == "close_loop"):
        if str((message.payload or {}).get("response_id")) not in response_ids:
            continue
        if message.state == "sent":
            OutboxMessage.update(payload={}).where(OutboxMessage.id == message.id).execute()
        else:
            _delete_messages(OutboxMessage.id == message.id)
        touched += 1
    return touched


def _delete_messages(condition: object) -> None:
    ids = [m.id for m in OutboxMessage.select(OutboxMessage.id).where(condition)]
    if ids:
        OutboxItem.delete().where(OutboxItem.message.in_(ids)).execute()
        OutboxMessage.delete().where(OutboxMessage.id.in_(ids)).execute()


# --- staff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anonymised:
    user_id: int
    pseudonym: str
    email: str


def anonymise_person(email: str, *, now: datetime) -> Anonymised:
    """Replace a staff member's name and email with a pseudonym (see the module)."""
    user = User.get_or_none(User.email == email.strip().lower())
    if user is None:
        raise NotFound("not_found", "no person with that email")
    old_email, old_name = user.email, user.name
    pseudonym = f"Anonymised {secrets.token_hex(4)}"
    new_email = f"{pseudonym.split()[1]}@anonymised.invalid"
    at = now.astimezone(UTC).replace(tzinfo=None)
    with overwriting_deletes(), write_transaction():
        User.update(
            name=pseudonym,
            email=new_email,
            password_hash=_NO_PASSWORD,
            active=False,
            session_version=User.session_version + 1,
            report_frequency="off",
        ).where(User.id == user.id).execute()
        ApiToken.update(revoked_at=at).where((ApiToken.user == user.id) & ApiToken.revoked_at.is_null()).execute()
        UserStore.delete().where(UserStore.user == user.id).execute()
        UserRegion.delete().where(UserRegion.user == user.id).execute()
        LoginAttempt.delete().where(LoginAttempt.email == old_email).execute()
        PasswordReset.delete().where(PasswordReset.user == user.id).execute()
        _delete_messages((OutboxMessage.recipient == old_email) & (OutboxMessage.state != "sent"))
        OutboxMessage.update(recipient=new_email, payload={}).where(OutboxMessage.recipient == old_email).execute()
        for message in OutboxMessage.select().where(OutboxMessage.kind == "close_loop"):
            if (message.payload or {}).get("by") == old_name:
                OutboxMessage.update(payload={**message.payload, "by": pseudonym}).where(
                    OutboxMessage.id == message.id
                ).execute()
    checkpoint()
    return Anonymised(user.id, pseudonym, new_email)
