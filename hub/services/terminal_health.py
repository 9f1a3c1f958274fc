"""Silent terminals: an active terminal that has not been heard from for
TERMINAL_SILENT_MINUTES while its store is open is flagged (``terminal.silent_since``), and
the flag is cleared once it syncs again.

Silence only counts in opening hours: a terminal switched off overnight is not silent, and
one whose store opened ten minutes ago has had only ten minutes to speak. So a terminal is
flagged when its store is open now and was open ``minutes`` ago (like a volume drop,
hub/services/alerts/windows.py), and its last contact (or enrollment) is older than that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.db import write_transaction
from hub.models import Store, Terminal
from hub.services.alerts.opening_hours import is_open


@dataclass
class HealthRun:
    flagged: list[str] = field(default_factory=list)  # terminal ids newly flagged silent
    cleared: list[str] = field(default_factory=list)  # heard from again (or revoked)


def is_silent(terminal: Terminal) -> bool:
    """Flagged and not heard from since (a sync after the flag clears it at the next run;
    pages show it cleared at once)."""
    since = terminal.silent_since
    if terminal.status != "active" or since is None:
        return False
    return terminal.last_seen_at is None or terminal.last_seen_at <= since


def check_terminals(now: datetime, *, minutes: int) -> HealthRun:
    """Flag the terminals silent for ``minutes`` of opening time, clear those heard from."""
    run = HealthRun()
    at = now.replace(tzinfo=None)
    limit = at - timedelta(minutes=minutes)
    flagged = Terminal.select().where(Terminal.silent_since.is_null(False))
    for t in flagged:
        if not is_silent(t):
            run.cleared.append(t.id)
    candidates = (
        Terminal.select(Terminal, Store)
        .join(Store)
        .where((Terminal.status == "active") & Terminal.silent_since.is_null())
        .where((Terminal.last_seen_at < limit) | (Terminal.last_seen_at.is_null() & (Terminal.enrolled_at < limit)))
    )
    for t in candidates:
        hours, zone = t.store.opening_hours or {}, t.store.time_zone
        if is_open(hours, zone, now) and is_open(hours, zone, now - timedelta(minutes=minutes)):
            run.flagged.append(t.id)
    if run.cleared or run.flagged:
        with write_transaction():
            if run.cleared:
                Terminal.update(silent_since=None).where(Terminal.id.in_(run.cleared)).execute()
            if run.flagged:
                Terminal.update(silent_since=at).where(
                    Terminal.id.in_(run.flagged) & Terminal.silent_since.is_null()
                ).execute()
    return run
