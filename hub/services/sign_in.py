"""Checking a password, with throttling against guessing.

Failed attempts are counted per email and per client address over a window, in the
database, so every hub process agrees. Past the limit the answer is "too many attempts"
whether or not the password is right, and it says when to try again.

A successful sign-in with a hash made at an older cost stores a new one
(hub/services/passwords.py).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from hub.db import write_transaction
from hub.models import LoginAttempt, User
from hub.services.passwords import hash_password, needs_rehash, parameters, verify_password
from shared.errors import VoxloopError

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 20


@functools.cache
def _dummy_hash(_parameters: str) -> str:
    # verified when the email is unknown, so an unknown email takes as long as a wrong password
    return hash_password("voxloop-no-such-user")


def sign_in(email: str, password: str, *, address: str, now: datetime) -> User:
    """The active user with this email and password; raises VoxloopError otherwise."""
    email = (email or "").strip().lower()
    naive_now = now.replace(tzinfo=None)
    since = naive_now - WINDOW
    failures = LoginAttempt.select().where(~LoginAttempt.succeeded & (LoginAttempt.attempted_at > since))
    if (
        failures.where(LoginAttempt.email == email).count() >= MAX_FAILURES_PER_EMAIL
        or failures.where(LoginAttempt.address == address).count() >= MAX_FAILURES_PER_ADDRESS
    ):
        raise VoxloopError(
            "too_many_attempts", f"too many failed sign-ins; try again in {int(WINDOW.total_seconds() // 60)} minutes"
        )
    user = User.get_or_none(User.email == email)
    stored = user.password_hash if user else _dummy_hash(parameters())
    ok = verify_password(password or "", stored) and bool(user and user.active)
    new_hash = hash_password(password) if ok and needs_rehash(stored) else None  # slow: outside the lock
    with write_transaction():
        LoginAttempt.create(email=email[:200], address=address[:64], attempted_at=naive_now, succeeded=ok)
        if new_hash is not None:
            User.update(password_hash=new_hash).where(User.id == user.id).execute()
    if not ok:
        raise VoxloopError("bad_credentials")
    return user
