"""Silent terminals: an active terminal that has not been heard from for
TERMINAL_SILENT_MINUTES while its store is open is flagged (``terminal.silent_since``), and
the flag is cleared once it syncs again.

Silence only counts in opening hours (a public holiday of the store's place is closed): a
terminal switched off overnight or over Christmas is not silent, and
one whose store opened ten minutes ago has had only ten minutes to speak. So a terminal is
flagged when its store is open now and was open ``minutes`` ago (like a volume drop,
hub/services/alerts/windows.py), and its last contact (or enrollment) is older than that.

Flagging can alert: every active window rule with the condition ``{"terminal_silent": true}``
(the default rule ``terminal_silent``) that covers the store opens or joins the store's case
through the alert routing (hub/services/alerts/routing.py), in the transaction that sets the
flag, so a terminal's silence alerts once however many job processes run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.db import write_transaction
from hub.models import Store, Terminal, Touchpoint
from hub.services.alerts.conditions import TERMINAL_SILENT, WindowCondition
from hub.services.alerts.opening_hours import store_is_open
from hub.services.alerts.routing import alerts_state, raise_alert
from hub.services.alerts.rule_book import RuleBook, RuleFacts


@dataclass
class HealthRun:
    flagged: list[str] = field(default_factory=list)  # terminal ids newly flagged silent
    cleared: list[str] = field(default_factory=list)  # heard from again (or revoked)
    alerts: int = 0  # messages queued or extended


def is_silent(terminal: Terminal) -> bool:
    """Flagged and not heard from since (a sync after the flag clears it at the next run;
    pages show it cleared at once)."""
    since = terminal.silent_since
    if terminal.status != "active" or since is None:
        return False
    return terminal.last_seen_at is None or terminal.last_seen_at <= since


def check_terminals(now: datetime, *, minutes: int) -> HealthRun:
    """Flag the terminals silent for ``minutes`` of opening time (and alert on them), clear
    those heard from since."""
    run = HealthRun()
    at = now.astimezone(UTC).replace(tzinfo=None)
    limit = at - timedelta(minutes=minutes)
    run.cleared = [t.id for t in Terminal.select().where(Terminal.silent_since.is_null(False)) if not is_silent(t)]
    if run.cleared:
        with write_transaction():
            Terminal.update(silent_since=None).where(Terminal.id.in_(run.cleared)).execute()
    # read them all first: a SELECT still being iterated keeps a SQLite read snapshot open, and
    # the write below would then fail at once (busy) after another thread's or process's write
    candidates = list(
        Terminal.select(Terminal, Store, Touchpoint)
        .join(Store, on=(Terminal.store == Store.id))
        .switch(Terminal)
        .join(Touchpoint, on=(Terminal.touchpoint == Touchpoint.id))
        .where((Terminal.status == "active") & Terminal.silent_since.is_null())
        .where((Terminal.last_seen_at < limit) | (Terminal.last_seen_at.is_null() & (Terminal.enrolled_at < limit)))
    )
    book = alerts_state().book.get()
    for t in candidates:
        if not (store_is_open(t.store, now) and store_is_open(t.store, now - timedelta(minutes=minutes))):
            continue
        with write_transaction():
            # compare-and-set: another job process may flag (and alert on) it at the same time
            claim = Terminal.update(silent_since=at).where((Terminal.id == t.id) & Terminal.silent_since.is_null())
            if not claim.execute():
                continue
            run.flagged.append(t.id)
            run.alerts += _alert(book, t, now)
    return run


def silent_rules(book: RuleBook, store_code: str, touchpoint_code: str) -> list[RuleFacts]:
    """The active silent-terminal rules that cover a store's touchpoint."""
    return [
        rule
        for rule in book.window_rules
        if isinstance(rule.condition, WindowCondition)
        and rule.condition.measure == TERMINAL_SILENT
        and rule.covers_store(store_code)
        and rule.touchpoint in (None, (store_code, touchpoint_code))
    ]


def _alert(book: RuleBook, t: Terminal, now: datetime) -> int:
    if t.store.code not in book.stores:
        return 0
    summary: dict[str, Any] = {
        # the window figures every alert message shows: no responses came from it
        "n": 0,
        "negative_share": None,
        "index": None,
        "baseline": None,
        "terminal": t.id,
        "terminal_name": t.name,
        "touchpoint": t.touchpoint.code,
        "last_seen_at": (t.last_seen_at.isoformat() + "Z") if t.last_seen_at else None,
    }
    store = book.store(t.store.code)
    return sum(
        raise_alert(store, rule, [], now=now, summary=summary)
        for rule in silent_rules(book, t.store.code, t.touchpoint.code)
    )
