"""What following an invitation's links does.

- The personal link (``/invite/<token>``) records when it was first opened and leads to the
  phone page under a phone token bound to the invitation's receipt (``inv:<public id>``), so
  the phone page takes one response for it and refuses a second (``token_used``), as for a
  receipt's QR code. The phone token expires ``link_days`` after the invitation was sent.
- The unsubscribe link (``/unsubscribe/<token>``, also the one-click POST of RFC 8058) puts the
  address's keyed hash on the suppression list, marks the invitation ``unsubscribed`` (no
  reminder), holds back every other invitation to that address still waiting, and forgets the
  addresses. Following it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hub.db import write_transaction
from hub.models import Invitation, InvitationSuppression, Store, Touchpoint
from hub.services.invitation_keys import InvitationKeys, phone_receipt
from hub.services.invitations import InvitationSettings
from hub.services.qr_tokens import QrKeys, make_phone_token
from shared.errors import NotFound, TokenError


@dataclass(frozen=True)
class Opened:
    phone_token: str
    language: str


def _invitation(public_id: str) -> Invitation:
    invitation = Invitation.get_or_none(Invitation.public_id == public_id)
    if invitation is None:
        raise NotFound("not_found", "no such invitation")
    return invitation


def open_link(
    token: str, *, keys: InvitationKeys, qr_keys: QrKeys, settings: InvitationSettings, now: datetime
) -> Opened:
    invitation = _invitation(keys.read_link(token, now.timestamp()))
    if invitation.sent_at is None:
        raise TokenError("expired_token", "this invitation was not sent")
    if invitation.opened_at is None:
        with write_transaction():
            Invitation.update(opened_at=_naive(now)).where(
                (Invitation.id == invitation.id) & Invitation.opened_at.is_null()
            ).execute()
    store = Store.get_by_id(invitation.store_id)
    touchpoint = Touchpoint.get_by_id(invitation.touchpoint_id)
    sent = invitation.sent_at.replace(tzinfo=UTC)
    phone_token = make_phone_token(
        qr_keys,
        store.code,
        touchpoint.code,
        receipt=phone_receipt(invitation.public_id),
        expires=sent + timedelta(days=settings.link_days),
    )
    return Opened(phone_token, invitation.language)


def unsubscribe_language(token: str, *, keys: InvitationKeys, now: datetime) -> str:
    """The language of the invitation an unsubscribe link belongs to (for its page)."""
    return _invitation(keys.read_unsubscribe(token, now.timestamp())).language


def unsubscribe(token: str, *, keys: InvitationKeys, now: datetime) -> str:
    """Suppress the link's address; the invitation's language (for the answer's page)."""
    invitation = _invitation(keys.read_unsubscribe(token, now.timestamp()))
    at = _naive(now)
    with write_transaction():
        if invitation.address_hash is not None:
            InvitationSuppression.insert(
                address_hash=invitation.address_hash, created_at=at
            ).on_conflict_ignore().execute()
            Invitation.update(state="suppressed", reason="unsubscribed", address_sealed=None).where(
                (Invitation.address_hash == invitation.address_hash)
                & (Invitation.state == "scheduled")
                & (Invitation.id != invitation.id)
            ).execute()
        Invitation.update(state="unsubscribed", unsubscribed_at=at, address_sealed=None).where(
            (Invitation.id == invitation.id) & Invitation.unsubscribed_at.is_null()
        ).execute()
    return invitation.language


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
