"""Checking a password, with throttling against guessing that cannot be aimed at someone.

Failed attempts are kept in the database, so every hub process agrees. They are counted per
email and client address together (someone guessing one person's password) and per client
address alone (someone trying many people's): past a few free failures in the window each
further attempt from there must wait, twice as long after every failure, up to the window.
Nothing locks an account: the person signs in from their own device, whatever a guesser
elsewhere does. While a wait runs the answer is "too many attempts", whether or not the
password is right, and says when to try again.

A successful sign-in with a hash made at an older cost stores a new one
(hub/services/passwords.py).
"""

from __future__ import annotations

import functools
import math
from datetime import datetime, timedelta

from peewee import Expression

from hub.db import write_transaction
from hub.i18n import lazy_gettext
from hub.models import LoginAttempt, User
from hub.services.passwords import hash_password, needs_rehash, parameters, verify_password
from shared.errors import VoxloopError

WINDOW = timedelta(minutes=15)
FREE_FAILURES_PER_EMAIL_AND_ADDRESS = 5
FREE_FAILURES_PER_ADDRESS = 20


@functools.cache
def _dummy_hash(_parameters: str) -> str:
    # verified when the email is unknown, so an unknown email takes as long as a wrong password
    return hash_password("voxloop-no-such-user")


def _wait(where: Expression, free: int, now: datetime) -> timedelta:
    """How long the next attempt must wait: nothing for ``free`` failures in the window, then
    1 s after the last failure, doubling with each failure, at most the window."""
    failures = LoginAttempt.select(LoginAttempt.attempted_at).where(
        where & ~LoginAttempt.succeeded & (LoginAttempt.attempted_at > now - WINDOW)
    )
    count = failures.count()
    if count < free:
        return timedelta(0)
    last = failures.order_by(LoginAttempt.attempted_at.desc()).first().attempted_at
    delay = min(timedelta(seconds=2 ** min(count - free, 20)), WINDOW)
    return max(last + delay - now, timedelta(0))


def wait_before_attempt(email: str, address: str, *, now: datetime) -> timedelta:
    """How long this client must wait before trying ``email`` again (zero: it may try now)."""
    naive_now = now.replace(tzinfo=None)
    return max(
        _wait(
            (LoginAttempt.email == email) & (LoginAttempt.address == address),
            FREE_FAILURES_PER_EMAIL_AND_ADDRESS,
            naive_now,
        ),
        _wait(LoginAttempt.address == address, FREE_FAILURES_PER_ADDRESS, naive_now),
    )


def sign_in(email: str, password: str, *, address: str, now: datetime) -> User:
    """The active user with this email and password; raises VoxloopError otherwise."""
    email, address = (email or "").strip().lower()[:200], address[:64]
    wait = wait_before_attempt(email, address, now=now)
    if wait:
        raise VoxloopError(
            "too_many_attempts",
            lazy_gettext(
                "too many failed sign-ins; try again in %(seconds)s seconds", seconds=math.ceil(wait.total_seconds())
            ),
        )
    user = User.get_or_none(User.email == email)
    stored = user.password_hash if user else _dummy_hash(parameters())
    ok = verify_password(password or "", stored) and bool(user and user.active)
    new_hash = hash_password(password) if ok and needs_rehash(stored) else None  # slow: outside the lock
    with write_transaction():
        LoginAttempt.create(email=email, address=address, attempted_at=now.replace(tzinfo=None), succeeded=ok)
        if new_hash is not None:
            User.update(password_hash=new_hash).where(User.id == user.id).execute()
    if not ok:
        raise VoxloopError("bad_credentials")
    return user
