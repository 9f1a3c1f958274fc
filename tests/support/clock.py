"""Time in the tests: no test may depend on the wall clock, the weekday or the time zone.

In-process tests hand the hub a clock (``app.config["CLOCK"]``, ``now=``). A process a test
starts gets a clock of its own instead: ``ProcessClock`` is the pair of settings
``VOXLOOP_CLOCK_START`` / ``VOXLOOP_CLOCK_ANCHOR`` (hub/clock.py) together with the same clock
on the test's side, so the test signs, captures and waits in the time its hub believes in.

To prove that nothing else leaks in, CI runs the time-sensitive tests again with the test
process's own wall clock moved (``VOXLOOP_TEST_WALL_CLOCK``, an ISO-8601 time with its offset):
time-machine moves ``time.time()`` and ``datetime.now()`` there and lets them tick, while the
monotonic clock that timed waits use stays real. Processes started without a clock of their
own get that moved wall clock (tests/e2e/processes.py), so they see the same hour.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WALL_CLOCK_ENV = "VOXLOOP_TEST_WALL_CLOCK"

# A weekday morning when every test and demo store is open (08:00-20:00 Mon-Sat, Berlin):
# Wednesday 25 November 2026, 11:00 in Berlin.
STORE_OPEN = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

_moved_by = 0.0  # seconds the wall clock of this process was moved by (moved minus real)
_traveller = None


def move_wall_clock(environ: Mapping[str, str] = os.environ) -> datetime | None:
    """Move this process's wall clock to ``VOXLOOP_TEST_WALL_CLOCK`` if it is set; returns where."""
    global _moved_by, _traveller
    text = environ.get(WALL_CLOCK_ENV, "").strip()
    if not text or _traveller is not None:
        return None
    import time_machine

    from hub.clock import parse_start

    destination = parse_start(text)
    _moved_by = destination.timestamp() - time.time()
    _traveller = time_machine.travel(destination, tick=True)
    _traveller.start()
    return destination


def real_time() -> float:
    """Real Unix time, also while the wall clock of this process is moved."""
    return time.time() - _moved_by


@dataclass(frozen=True)
class ProcessClock:
    """A clock shared with the processes a test starts: it showed ``start`` at the real Unix
    time ``anchor`` and ticks in real seconds."""

    start: datetime
    anchor: float

    @classmethod
    def starting_at(cls, start: datetime) -> ProcessClock:
        return cls(start.astimezone(UTC), real_time())

    @classmethod
    def wall(cls) -> ProcessClock:
        """This process's wall clock (moved or not), for a process that needs no hour of its own."""
        return cls.starting_at(datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=real_time() - self.anchor)

    @property
    def env(self) -> dict[str, str]:
        return {"VOXLOOP_CLOCK_START": self.start.isoformat(), "VOXLOOP_CLOCK_ANCHOR": repr(self.anchor)}
