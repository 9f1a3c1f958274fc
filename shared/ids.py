"""Time-ordered response ids (UUIDv7, RFC 9562), made where a response is captured.

The id is the idempotency key from the terminal or browser to the hub's database, so it
must be unique without coordination and sort by capture time (good for B-tree inserts).
Time and randomness are passed in: the caller owns the clock and the entropy source.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def uuid7(now: datetime, random_bytes: bytes) -> str:
    """A UUIDv7 for the millisecond of ``now``; ``random_bytes`` needs at least 10 bytes."""
    if len(random_bytes) < 10:
        raise ValueError("uuid7 needs 10 random bytes")
    # Exact integer milliseconds: int(now.timestamp() * 1000) is off by one for some instants after 2038
    # (float rounding). A naive ``now`` is local time, as with datetime.timestamp().
    ms = ((now.astimezone(UTC) - _EPOCH) // _MS) & ((1 << 48) - 1)
    rand = int.from_bytes(random_bytes[:10], "big")
    rand_a = (rand >> 68) & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


def is_uuid(text: object) -> bool:
    """True for a canonical lower-case hyphenated UUID string (the only form on the wire)."""
    return isinstance(text, str) and _CANONICAL.fullmatch(text) is not None
