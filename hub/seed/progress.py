"""A progress bar on stderr for long runs: done/total, rate and time left, without a library.

On a terminal the bar redraws itself in place (at most a few times a second); into a file or
a pipe it writes a line at every tenth of the way and at least once a minute, so logs stay
short and readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30


class Progress:
    def __init__(self, total: int, what: str, out: TextIO | None = None, clock=time.monotonic) -> None:
        self.total = max(1, total)
        self.what = what
        self.out = out if out is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self.done = 0
        self._tty = bool(getattr(self.out, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_tenth = -1

    def advance(self, count: int) -> None:
        self.done += count
        now = self.clock()
        tenth = min(10, self.done * 10 // self.total)
        if self._tty and now - self._last_draw >= 0.25:
            self._last_draw = now
            self.out.write("\r" + self.line(now))
            self.out.flush()
        elif not self._tty and (tenth > self._last_tenth or now - self._last_draw >= 60):
            self._last_tenth = tenth
            self._last_draw = now
            self.out.write(self.line(now) + "\n")
            self.out.flush()

    def finish(self) -> float:
        """Draw the final state; returns the seconds taken."""
        now = self.clock()
        self.total = max(1, self.done)  # the total was an estimate; now it is known
        self.out.write(("\r" if self._tty else "") + self.line(now) + "\n")
        self.out.flush()
        return now - self.started

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        share = min(1.0, self.done / self.total)
        filled = int(share * _WIDTH)
        left = (self.total - self.done) / rate if rate > 0 and self.done < self.total else 0.0
        return (
            f"{self.what} [{'#' * filled}{'.' * (_WIDTH - filled)}] {share:6.1%} "
            f"{self.done:,}/~{self.total:,}  {rate:,.0f}/s  elapsed {_clock(elapsed)}  ETA {_clock(left)}"
        )


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
