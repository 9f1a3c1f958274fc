"""Terminals join a store with a single-use, expiring code and a key pair of their own.

An admin makes a code for a store and touchpoint; the hub keeps only its hash. The terminal
sends the code with its Ed25519 public key (the private key never leaves the terminal) and
gets a device id, which is the key id of every request it signs from then on.

A code is looked up with a plain read, so a wrong guess never takes SQLite's write lock; only
a code that exists is claimed in a write transaction. Wrong guesses are counted per client
address in this process's memory (MAX_WRONG_CODES in WRONG_CODE_WINDOW, then
``too_many_attempts`` until the oldest leaves the window): a code has 60 bits, so the count
only has to keep a guesser from keeping the hub busy, and with several processes each
counts its own.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import deque
from datetime import datetime, timedelta

from flask import current_app

from hub.db import write_transaction
from hub.models import EnrollmentCode, Store, Terminal, Touchpoint
from shared.crypto import load_public_key
from shared.errors import EnrollmentError, NotFound, VoxloopError

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a touch screen
MAX_WRONG_CODES = 10
WRONG_CODE_WINDOW = timedelta(minutes=15)


class WrongCodes:
    """Wrong enrollment codes per client address, in memory (one per app)."""

    def __init__(self, *, limit: int = MAX_WRONG_CODES, window: timedelta = WRONG_CODE_WINDOW, size: int = 10_000):
        self.limit, self.window, self.size = limit, window, size
        self._seen: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        times = self._seen.get(address, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def check(self, address: str, now: datetime) -> None:
        """Raise ``too_many_attempts`` while ``address`` has used up its wrong guesses."""
        with self._lock:
            times = self._recent(address, now)
            if len(times) >= self.limit:
                wait = int((times[0] + self.window - now).total_seconds()) + 1
                raise VoxloopError("too_many_attempts", f"too many wrong enrollment codes; try again in {wait} seconds")

    def record(self, address: str, now: datetime) -> None:
        with self._lock:
            if address not in self._seen and len(self._seen) >= self.size:
                self._seen.pop(next(iter(self._seen)))  # the longest-known address goes first
            times = self._recent(address, now)
            times.append(now)
            self._seen[address] = times


def _wrong_codes() -> WrongCodes:
    return current_app.extensions.setdefault("voxloop_wrong_enrollment_codes", WrongCodes())


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def make_code(store: Store, touchpoint: Touchpoint, *, now: datetime, ttl: timedelta) -> str:
    """A new code such as ``K7QM-2XHD-P9TA`` (60 bits), valid once until ``now + ttl``."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    with write_transaction():
        EnrollmentCode.create(
            code_hash=_hash(raw),
            store=store,
            touchpoint=touchpoint,
            created_at=now.replace(tzinfo=None),
            expires_at=(now + ttl).replace(tzinfo=None),
        )
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def enroll(
    code: str,
    public_key: str,
    *,
    name: str | None,
    app_version: str | None,
    now: datetime,
    address: str = "?",
) -> Terminal:
    """Bind a new terminal to the code's store; raises EnrollmentError when the code is unusable
    and ``too_many_attempts`` when ``address`` sent too many wrong codes."""
    load_public_key(public_key)  # raises bad_public_key
    naive_now = now.replace(tzinfo=None)
    wrong_codes = _wrong_codes()
    wrong_codes.check(address, naive_now)
    if not EnrollmentCode.select().where(EnrollmentCode.code_hash == _hash(code or "")).exists():
        wrong_codes.record(address, naive_now)  # a plain read: a wrong guess takes no write lock
        raise EnrollmentError("unknown_code", "no enrollment code matches; ask for a new one")
    with write_transaction():
        entry = EnrollmentCode.get(EnrollmentCode.code_hash == _hash(code or ""))
        if entry.used_at is not None:
            raise EnrollmentError("used_code", "this enrollment code was already used; ask for a new one")
        if entry.expires_at <= naive_now:
            raise EnrollmentError(
                "expired_code", f"this enrollment code expired at {entry.expires_at:%Y-%m-%d %H:%M} UTC"
            )
        terminal_id = "t" + secrets.token_urlsafe(12)
        terminal = Terminal.create(
            id=terminal_id,
            store=entry.store_id,
            touchpoint=entry.touchpoint_id,
            name=(name or f"Terminal {terminal_id[:7]}")[:80],
            public_key=public_key,
            status="active",
            enrolled_at=naive_now,
            app_version=(app_version or "")[:40] or None,
            seq_ranges=[],
        )
        claimed = (
            EnrollmentCode.update(used_at=naive_now, terminal=terminal_id)
            .where((EnrollmentCode.id == entry.id) & EnrollmentCode.used_at.is_null())
            .execute()
        )
        if claimed != 1:  # another enrollment won the race for the same code
            raise EnrollmentError("used_code", "this enrollment code was already used; ask for a new one")
    return terminal


def enrollment_payload(hub_url: str, code: str) -> str:
    """What an enrollment QR code carries: the hub to talk to and the code (never a URL that
    a browser would open and a proxy would log)."""
    return f"voxloop-enroll:{hub_url.rstrip('/')}#{code}"


def revoke(terminal_id: str, *, now: datetime) -> Terminal:
    """Stop trusting a terminal; what it already delivered stays."""
    with write_transaction():
        terminal = Terminal.get_or_none(Terminal.id == terminal_id)
        if terminal is None:
            raise NotFound("not_found", f"no terminal {terminal_id!r}")
        terminal.status = "revoked"
        terminal.revoked_at = now.replace(tzinfo=None)
        terminal.save()
    return terminal
