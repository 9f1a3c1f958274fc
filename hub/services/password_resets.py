"""Passwords reset by email, for people who forgot theirs.

Asking for a link always gets the same answer, whether or not the email belongs to someone,
so the form tells no one who has an account. A link carries a random token (256 bits) that
works once, until it expires; the hub keeps only its SHA-256, and the outbox message that
mails it holds the token sealed with the hub's contact key (AES-256-GCM), so a copy of the
database opens no account. Requests are rate-limited per person (further ones send nothing)
and per client address (``too_many_attempts``). Setting the new password ends every session
of the person and every other link still open.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from hub.db import write_transaction
from hub.i18n import lazy_gettext
from hub.models import PasswordReset, User
from hub.services.outbox.queueing import queue
from hub.services.personal_data import seal_contact
from hub.services.users import check_new_password, set_password
from shared.errors import RequestError, VoxloopError

LINK_TTL = timedelta(minutes=30)
RATE_WINDOW = timedelta(hours=1)
MAX_PER_PERSON = 3
MAX_PER_ADDRESS = 10
LANGUAGES = ("en", "de")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_link(email: str, *, address: str, lang: str, contact_key: bytes, now: datetime) -> None:
    """Mail a reset link to the active person with ``email``, if there is one and they have not
    asked too often; raises ``too_many_attempts`` when this client asked too often."""
    naive_now, address = now.replace(tzinfo=None), address[:64]
    since = naive_now - RATE_WINDOW
    recent = PasswordReset.select().where(PasswordReset.requested_at > since)
    if recent.where(PasswordReset.address == address).count() >= MAX_PER_ADDRESS:
        raise VoxloopError("too_many_attempts", lazy_gettext("too many password reset requests; try again in an hour"))
    user = User.get_or_none((User.email == (email or "").strip().lower()) & User.active)
    if user is not None and recent.where(PasswordReset.user == user.id).count() >= MAX_PER_PERSON:
        user = None  # asked often enough: this request is counted, and sends nothing
    token = secrets.token_urlsafe(32)
    with write_transaction():
        reset = PasswordReset.create(
            user=user.id if user else None,
            token_hash=_hash(token) if user else None,
            address=address,
            requested_at=naive_now,
            expires_at=naive_now + LINK_TTL,
        )
        if user is not None:
            bound_to = f"password_reset:{reset.id}"  # the sealed token opens for this message only
            sealed = seal_contact(contact_key, {"token": token}, bound_to)
            queue(
                kind="password_reset",
                channel="email",
                recipient=user.email,
                user_id=user.id,
                dedupe_key=f"password_reset:{reset.id}",
                payload={"sealed": sealed.hex(), "bound_to": bound_to, "lang": lang if lang in LANGUAGES else "en"},
                now=now,
            )


def person_for(token: str, *, now: datetime) -> User:
    """The person a link is for while it works; raises ``invalid_reset_link`` otherwise."""
    reset = PasswordReset.get_or_none(PasswordReset.token_hash == _hash(token or ""))
    if reset is None or reset.used_at is not None or reset.expires_at <= now.replace(tzinfo=None):
        raise RequestError("malformed_request", lazy_gettext("this link does not work any more; ask for a new one"))
    user = User.get_or_none((User.id == reset.user_id) & User.active)
    if user is None:
        raise RequestError("malformed_request", lazy_gettext("this link does not work any more; ask for a new one"))
    return user


def reset_password(token: str, password: str, *, now: datetime) -> User:
    """Set the new password through a working link, which is used up with every other link of
    the person; every session of the person ends (hub/services/users.py: ``set_password``)."""
    check_new_password(password)
    user = person_for(token, now=now)
    naive_now = now.replace(tzinfo=None)
    with write_transaction():
        claimed = (
            PasswordReset.update(used_at=naive_now)
            .where((PasswordReset.token_hash == _hash(token)) & PasswordReset.used_at.is_null())
            .execute()
        )
        if claimed != 1:  # another request with the same link was quicker
            raise RequestError("malformed_request", lazy_gettext("this link does not work any more; ask for a new one"))
        PasswordReset.update(used_at=naive_now).where(
            (PasswordReset.user == user.id) & PasswordReset.used_at.is_null()
        ).execute()
    set_password(user, password)
    return user
