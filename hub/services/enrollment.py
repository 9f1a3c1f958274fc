"""Terminals join a store with a single-use, expiring code and a key pair of their own.

An admin makes a code for a store and touchpoint; the hub keeps only its hash. The terminal
sends the code with its Ed25519 public key (the private key never leaves the terminal) and
gets a device id, which is the key id of every request it signs from then on.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from hub.db import write_transaction
from hub.models import EnrollmentCode, Store, Terminal, Touchpoint
from shared.crypto import load_public_key
from shared.errors import EnrollmentError, NotFound

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a touch screen


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


def enroll(code: str, public_key: str, *, name: str | None, app_version: str | None, now: datetime) -> Terminal:
    """Bind a new terminal to the code's store; raises EnrollmentError when the code is unusable."""
    load_public_key(public_key)  # raises bad_public_key
    naive_now = now.replace(tzinfo=None)
    with write_transaction():
        entry = EnrollmentCode.get_or_none(EnrollmentCode.code_hash == _hash(code or ""))
        if entry is None:
            raise EnrollmentError("unknown_code", "no enrollment code matches; ask for a new one")
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
