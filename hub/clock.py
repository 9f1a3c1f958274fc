"""The hub's clock, replaceable per app so tests step time instead of patching it.

An app's clock is ``app.config["CLOCK"]``, a function returning an aware UTC datetime. Tests
in the same process hand one in. A process started for a test or a demo is given a clock by
two settings instead (hub/config.py): ``CLOCK_START``, the time its clock shows at the real
instant ``CLOCK_ANCHOR`` (Unix seconds; default: when the app was created), from where it
ticks in real seconds. Every process of one deployment given the same pair agrees on the time,
whenever it was started. The scheduler's own waits stay on the real clock; only what the jobs
and requests believe the time to be moves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app

Clock = Callable[[], datetime]


def system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    return current_app.config.get("CLOCK", system_now)()


def clock_from(config: Mapping[str, Any]) -> Clock:
    """The clock a configuration asks for: ``CLOCK`` if given, ``CLOCK_START`` if set, else the
    system clock."""
    if config.get("CLOCK"):
        return config["CLOCK"]
    start = str(config.get("CLOCK_START") or "").strip()
    if not start:
        return system_now
    anchor = str(config.get("CLOCK_ANCHOR") or "").strip()
    return clock_starting_at(parse_start(start), float(anchor) if anchor else time.time())


def clock_starting_at(start: datetime, anchor: float, real_time: Callable[[], float] = time.time) -> Clock:
    """A clock that shows ``start`` at the real instant ``anchor`` and ticks with real time."""

    def clock() -> datetime:
        return start + timedelta(seconds=real_time() - anchor)

    return clock


def parse_start(text: str) -> datetime:
    """An ISO-8601 time with its offset (``2026-11-29T03:00:00+01:00``, ``...Z``) as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"CLOCK_START is not an ISO-8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise ValueError(f"CLOCK_START needs an offset or Z, so it means one instant: {text!r}")
    return value.astimezone(UTC)
