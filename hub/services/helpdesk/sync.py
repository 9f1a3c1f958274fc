"""The help desk sync job (hub/jobs.py: ``helpdesk``, every HELPDESK_POLL_SECONDS): both
directions in one run.

1. hands over the cases a setting names (hub/services/helpdesk/handover.py);
2. reads the tickets of the queue changed since the last run (the help desk's own time, kept in
   ``helpdesk_cursor``; the newest change is asked for again, so nothing between two reads is
   missed, and applying a change twice changes nothing):
   - a new state is stored on the ticket record and written into the case's trail;
   - a ticket someone took up (``open``) acknowledges an open case ("acknowledged in the help
     desk": the escalation stops);
   - a finished ticket (resolved, rejected) resolves the case with the ticket's last comment as
     the resolution note ("resolved in the help desk");
3. queues the resolution of every case resolved here whose ticket was not told yet (a
   ``ticket_resolve`` on the outbox's ticket channel).

A help desk that cannot be reached is logged and asked again at the next run.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from hub.db import write_transaction
from hub.i18n import gettext, in_language
from hub.models import Case, HelpdeskCursor, HelpdeskTicket
from hub.queries import cases as case_queries
from hub.services.helpdesk import HelpDesk, HelpDeskError, TicketState
from hub.services.helpdesk.handover import hand_over_automatically
from hub.services.helpdesk.settings import HelpDeskSettings
from hub.services.outbox import queue

log = logging.getLogger("voxloop.helpdesk")

RESOLVED_THERE = "resolved in the help desk"
RESOLUTION_CATEGORY = "other"


@dataclass
class SyncRun:
    handed_over: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # cases whose ticket changed state
    acknowledged: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)  # cases resolved from the help desk
    pushed: list[int] = field(default_factory=list)  # cases whose resolution was queued
    error: str | None = None


def sync(settings: HelpDeskSettings, now: datetime, *, desk: HelpDesk | None = None) -> SyncRun:
    run = SyncRun()
    if not settings.enabled:
        return run
    run.handed_over = hand_over_automatically(settings, now)
    desk = desk or settings.desk()
    try:
        pull_changes(settings.system, desk, now, run)
    except HelpDeskError as error:
        run.error = str(error)
        log.warning("the help desk's changes cannot be read now: %s", error, extra={"helpdesk": settings.system})
    run.pushed = push_resolutions(settings.system, now)
    return run


def pull_changes(system: str, desk: HelpDesk, now: datetime, run: SyncRun) -> None:
    cursor = HelpdeskCursor.get_or_none(HelpdeskCursor.system == system)
    changes = desk.changed_since(cursor.changed_since if cursor else None)
    mapped = {
        row.external_id: row
        for row in HelpdeskTicket.select().where(
            (HelpdeskTicket.system == system) & HelpdeskTicket.external_id.in_([c.external_id for c in changes])
        )
    }
    for change in changes:
        row = mapped.get(change.external_id)
        if row is not None:
            _apply(row, change, desk, now, run)
    newest = max([c.updated for c in changes if c.updated] + ([cursor.changed_since] if cursor else []), default=None)
    if newest is not None:
        with write_transaction():
            HelpdeskCursor.insert(system=system, changed_since=newest, polled_at=now.replace(tzinfo=None)).on_conflict(
                conflict_target=[HelpdeskCursor.system],
                update={HelpdeskCursor.changed_since: newest, HelpdeskCursor.polled_at: now.replace(tzinfo=None)},
            ).execute()


def apply_ticket(system: str, desk: HelpDesk, external_id: str, now: datetime, run: SyncRun) -> HelpdeskTicket | None:
    """Read one ticket's state from the help desk and apply it as the poll does (a help desk's
    event names a ticket: hub/services/helpdesk/inbound.py); the ticket's record after, or None
    when no case has that ticket (the help desk is not asked then)."""
    row = HelpdeskTicket.get_or_none((HelpdeskTicket.system == system) & (HelpdeskTicket.external_id == external_id))
    if row is None:
        return None
    _apply(row, desk.ticket_state(external_id), desk, now, run)
    return HelpdeskTicket.get_by_id(row.case_id)


def _apply(row: HelpdeskTicket, change: TicketState, desk: HelpDesk, now: datetime, run: SyncRun) -> None:
    case = Case.get_by_id(row.case_id)
    note = None
    if change.done and case.state != "resolved":
        note = desk.last_comment(change.external_id) or RESOLVED_THERE  # asked outside the transaction
    at = now.replace(tzinfo=None)
    with write_transaction():
        if row.state != change.state:
            HelpdeskTicket.update(state=change.state, updated_at=at).where(HelpdeskTicket.case == row.case_id).execute()
            _event(row.case_id, now, "helpdesk_state", change.state, ticket=change.external_id)
            run.changed.append(row.case_id)
        if note is not None:
            _resolve_case(case, note, change, now, run)
        elif change.state == "open" and case.state == "open":
            taken = (
                Case.update(state="acknowledged", acknowledged_at=at, acknowledged_by=None)
                .where((Case.id == case.id) & (Case.state == "open"))
                .execute()
            )
            if taken:
                _event(case.id, now, "acknowledged_in_helpdesk", None, ticket=change.external_id)
                run.acknowledged.append(case.id)


def _resolve_case(case: Case, note: str, change: TicketState, now: datetime, run: SyncRun) -> None:
    at = now.replace(tzinfo=None)
    changes = {
        Case.state: "resolved",
        Case.resolved_at: at,
        Case.resolved_by: None,
        Case.resolution_category: RESOLUTION_CATEGORY,
        Case.resolution_note: note[:4000],
    }
    if case.acknowledged_at is None:
        changes[Case.acknowledged_at] = at
    if Case.update(changes).where((Case.id == case.id) & (Case.state != "resolved")).execute() != 1:
        return
    HelpdeskTicket.update(resolution_pushed_at=at).where(HelpdeskTicket.case == case.id).execute()
    _event(case.id, now, "resolved_in_helpdesk", note[:4000], ticket=change.external_id, category=RESOLUTION_CATEGORY)
    run.resolved.append(case.id)


def push_resolutions(system: str, now: datetime) -> list[int]:
    """Queue the resolution of every case resolved here whose ticket was not told yet."""
    waiting = (
        HelpdeskTicket.select(HelpdeskTicket, Case)
        .join(Case, on=(HelpdeskTicket.case == Case.id))
        .where(
            (HelpdeskTicket.system == system)
            & (Case.state == "resolved")
            & HelpdeskTicket.resolution_pushed_at.is_null()
        )
        .order_by(HelpdeskTicket.case)
    )
    pushed = []
    for row in waiting:
        case = row.case
        with write_transaction():
            claimed = (
                HelpdeskTicket.update(resolution_pushed_at=now.replace(tzinfo=None))
                .where((HelpdeskTicket.case == case.id) & HelpdeskTicket.resolution_pushed_at.is_null())
                .execute()
            )
            if not claimed:
                continue
            queue(
                kind="ticket_resolve",
                channel="ticket",
                recipient=system,
                case_id=case.id,
                store_id=case.store_id,
                dedupe_key=f"ticket_resolve:{case.id}",
                payload={"note": _resolution_text(case)},
                now=now,
            )
        pushed.append(case.id)
    return pushed


def _resolution_text(case: Case) -> str:
    """The comment the ticket gets, in the hub's language."""
    with in_language(None):
        return gettext(
            "Resolved in voxloop (%(category)s): %(note)s",
            category=case.resolution_category or "other",
            note=case.resolution_note or "",
        )


def _event(case_id: int, now: datetime, action: str, text: str | None, **data: object) -> None:
    case_queries.add_events([(case_id, now, None, action, text, json.dumps(data))])
