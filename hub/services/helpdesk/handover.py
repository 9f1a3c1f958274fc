"""Handing a case to the help desk: by the case page's button (someone who works the case) or
by the sync job for the rules and stores HELPDESK_AUTO_RULES / HELPDESK_AUTO_STORES name.

Handing over writes the case's ticket record (state ``queued``), a step in its audit trail and
a ``ticket_create`` message on the outbox's ``ticket`` channel, all in one transaction: a help
desk that is down delays the ticket, never loses it (hub/services/helpdesk/outbound.py).
A case is handed over once; a resolved case is not handed over.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from hub.db import write_transaction
from hub.models import AlertRule, Case, HelpdeskTicket, Store, User
from hub.queries import cases as case_queries
from hub.services.access import Scope
from hub.services.helpdesk.content import reference_of
from hub.services.helpdesk.settings import HelpDeskSettings
from hub.services.outbox import queue
from hub.services.response_views import iso_utc
from shared.errors import CaseStateError, NotFound, VoxloopError

QUEUED = "queued"  # the ticket's state until the help desk made it


def ticket_of(case_id: int) -> HelpdeskTicket | None:
    """The case's ticket record (the caller has checked that it sees the case)."""
    return HelpdeskTicket.get_or_none(HelpdeskTicket.case == case_id)


def ticket_as_dict(case_id: int) -> dict[str, object] | None:
    """The case's ticket as the API shows it (None: not handed over): the system, the ticket's
    number and link once the help desk made it (null while the outbox still tries), and its
    state as last read (``queued`` until made)."""
    row = ticket_of(case_id)
    return None if row is None else _ticket_dict(row)


def tickets_as_dicts(case_ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """``ticket_as_dict`` of many cases in one read: the cases handed over only."""
    ids = list(case_ids)
    if not ids:
        return {}
    return {row.case_id: _ticket_dict(row) for row in HelpdeskTicket.select().where(HelpdeskTicket.case.in_(ids))}


def _ticket_dict(row: HelpdeskTicket) -> dict[str, object]:
    return {
        "system": row.system,
        "number": row.external_id,
        "state": row.state,
        "url": row.url,
        "handed_at": iso_utc(row.handed_at),
    }


def hand_over(scope: Scope, user: User, case_id: int, *, settings: HelpDeskSettings, now: datetime) -> HelpdeskTicket:
    """A person hands the case over: it must be in their scope, and they must work cases."""
    case = Case.get_or_none(Case.id == case_id)
    if case is None or not scope.sees(case.store_id):
        raise NotFound("not_found", f"there is no case {case_id}")
    if not scope.can_act_on_cases:
        raise VoxloopError("forbidden", "HQ analysts read cases; they do not work them")
    if not settings.enabled:
        raise CaseStateError("no help desk is configured for this hub")
    with write_transaction():
        _hand(case, user.id, settings, now)
    found = ticket_of(case.id)
    assert found is not None
    return found


def hand_over_automatically(settings: HelpDeskSettings, now: datetime) -> list[int]:
    """Hand over every unresolved case of the rules and stores the settings name that has no
    ticket yet; the ids of the cases handed over now."""
    if not settings.enabled or not (settings.auto_rules or settings.auto_stores):
        return []
    named = False
    if settings.auto_rules:
        named = AlertRule.key.in_(sorted(settings.auto_rules))
    if settings.auto_stores:
        by_store = Store.code.in_(sorted(settings.auto_stores))
        named = by_store if named is False else (named | by_store)
    handed = HelpdeskTicket.select(HelpdeskTicket.case)
    waiting = (
        Case.select(Case)
        .join(AlertRule, on=(Case.rule == AlertRule.id))
        .switch(Case)
        .join(Store, on=(Case.store == Store.id))
        .where((Case.state != "resolved") & Case.id.not_in(handed) & named)
        .order_by(Case.id)
    )
    done = []
    for case in waiting:
        with write_transaction():
            if _hand(case, None, settings, now, quietly=True):
                done.append(case.id)
    return done


def _hand(case: Case, user_id: int | None, settings: HelpDeskSettings, now: datetime, *, quietly: bool = False) -> bool:
    """Inside a write transaction: record the hand-over and queue the ticket's creation."""
    current = Case.get_by_id(case.id)
    if current.state == "resolved" or ticket_of(case.id) is not None:
        if quietly:
            return False
        if current.state == "resolved":
            raise CaseStateError(f"case {case.id} is resolved")
        raise CaseStateError(f"case {case.id} is with the help desk already")
    at = now.replace(tzinfo=None)
    HelpdeskTicket.insert(
        case=case.id,
        system=settings.system,
        reference=reference_of(case.id),
        state=QUEUED,
        handed_at=at,
        handed_by=user_id,
        updated_at=at,
    ).execute()
    queue(
        kind="ticket_create",
        channel="ticket",
        recipient=settings.system,
        case_id=case.id,
        store_id=case.store_id,
        dedupe_key=f"ticket_create:{case.id}",
        payload={"system": settings.system},
        now=now,
    )
    data = json.dumps({"system": settings.system, "automatic": user_id is None})
    case_queries.add_events([(case.id, now, user_id, "handed_to_helpdesk", None, data)])
    return True
