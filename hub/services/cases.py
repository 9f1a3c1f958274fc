"""Cases: what an alert asks someone to do, worked from open to resolved.

open -> acknowledged -> resolved, with an assignee, comments, a "called back" step when the
customer left a contact, a resolution category and note, and an audit trail (case_event) of
who did what when. Every function takes the caller's Scope: a case of a store outside it is
"not found" (its existence is not revealed); HQ analysts read but do not act. The customer's
contact is opened only for people who work the case (``may_work``).

Resolving can send the customer a close-the-loop email (when they left an email address and
consented): one per address and case, however many of the case's responses left it (the dedupe
key names the case and a keyed hash of the address, never the address). It goes through the
outbox like every message; the address stays sealed there and is opened only when the message
is sent. What a case is and which responses it holds: docs/cases.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from peewee import JOIN

from hub.db import write_transaction
from hub.models import AlertRule, Case, CaseEvent, CaseResponse, OutboxMessage, Response, Store, User
from hub.queries import cases as q
from hub.services.access import Scope, scope_for
from hub.services.case_classification import classified
from hub.services.contact_matches import case_addresses, matching_cases
from hub.services.outbox import queue
from hub.services.personal_data import open_contact
from hub.services.response_views import iso_utc
from shared.errors import CaseStateError, NotFound, RequestError, VoxloopError

STATES = ("open", "acknowledged", "resolved")
RESOLUTION_CATEGORIES = (
    "resolved_with_customer",
    "fixed_in_store",
    "staff_coaching",
    "no_action_possible",
    "not_reachable",
    "spam_or_test",
    "other",
)
MAX_TEXT = 4000
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


# --- reading ---------------------------------------------------------------------------------


def may_work(scope: Scope, case: Case) -> bool:
    """Who works a case (and so may see the customer's contact): anyone in scope who acts on cases."""
    return scope.can_act_on_cases and scope.sees(case.store_id)


SORTS = ("recent", "newest", "oldest", "sla")  # last alert, opened newest / oldest first, SLA due first
AGES = ("day", "week", "older")  # opened within a day, within a week, more than a week ago


def list_cases(
    scope: Scope,
    *,
    state: str | None = None,
    limit: int = 200,
    sort: str = "recent",
    age: str | None = None,
    breached: bool = False,
    now: datetime | None = None,
    category: str | None = None,
    priority: str | None = None,
) -> list[Case]:
    """The cases the caller sees: by ``state`` (or ``unresolved``, ``all``), opened within
    ``age``, only those past their acknowledgement SLA (``breached``: open and overdue at
    ``now``), of a ``category`` and ``priority`` (hub/services/case_classification.py), in
    the order ``sort`` names."""
    query = (
        Case.select(Case, Store, AlertRule)
        .join(Store, on=(Case.store == Store.id))
        .switch(Case)
        .join(AlertRule, on=(Case.rule == AlertRule.id))
    )
    if state == "unresolved":
        query = query.where(Case.state != "resolved")
    elif state in STATES:
        query = query.where(Case.state == state)
    elif state not in (None, "", "all"):
        raise RequestError("malformed_request", f"state must be one of {', '.join((*STATES, 'unresolved', 'all'))}")
    if sort not in SORTS:
        raise RequestError("malformed_request", f"sort must be one of {', '.join(SORTS)}")
    if (age is not None or breached) and now is None:
        raise ValueError("age and breached need now")
    if age is not None:
        if age not in AGES:
            raise RequestError("malformed_request", f"age must be one of {', '.join(AGES)}")
        assert now is not None
        week_ago = (now - timedelta(days=7)).replace(tzinfo=None)
        day_ago = (now - timedelta(days=1)).replace(tzinfo=None)
        query = query.where(
            Case.opened_at < week_ago if age == "older" else Case.opened_at >= (day_ago if age == "day" else week_ago)
        )
    if breached:
        assert now is not None
        query = query.where((Case.state == "open") & (Case.ack_due_at < now.replace(tzinfo=None)))
    query = classified(query, category=category, priority=priority)
    order = {
        "recent": (Case.last_alert_at.desc(), Case.id.desc()),
        "newest": (Case.opened_at.desc(), Case.id.desc()),
        "oldest": (Case.opened_at, Case.id),
        "sla": (Case.state != "open", Case.ack_due_at, Case.id),
    }[sort]
    query = scope.restrict(query, Case.store)
    return list(query.order_by(*order).limit(limit))


def breached(case: Case, at: datetime) -> bool:
    """Whether an open case is past its acknowledgement SLA at ``at``."""
    due = case.ack_due_at
    return case.state == "open" and due is not None and due.replace(tzinfo=UTC) < at


def response_counts(found: Iterable[Case]) -> dict[int, int]:
    """How many responses each case holds (what its header and the list say)."""
    counts = q.response_counts([c.id for c in found])
    return {c.id: counts.get(c.id, 0) for c in found}


def names_of(ids: Iterable[int | None]) -> dict[int, str]:
    """People's names by id: every page names people, never by number."""
    return {i: person["name"] for i, person in _user_names(ids).items()}


def get_case(scope: Scope, case_id: int) -> Case:
    case = (
        Case.select(Case, Store, AlertRule)
        .join(Store, on=(Case.store == Store.id))
        .switch(Case)
        .join(AlertRule, on=(Case.rule == AlertRule.id))
        .where(Case.id == case_id)
        .first()
    )
    if case is None or not scope.sees(case.store_id):
        raise NotFound("not_found", f"there is no case {case_id}")
    return case


def misrouted_cases(scope: Scope, limit: int = 100) -> list[Case]:
    """Cases whose store had no active store manager when they opened (HQ's list)."""
    query = (
        Case.select(Case, Store, AlertRule)
        .join(Store, on=(Case.store == Store.id))
        .switch(Case)
        .join(AlertRule, on=(Case.rule == AlertRule.id))
        .where(Case.misrouted == True)  # noqa: E712
    )
    return list(scope.restrict(query, Case.store).order_by(Case.opened_at.desc()).limit(limit))


def events(case: Case) -> list[CaseEvent]:
    return list(
        CaseEvent.select(CaseEvent, User)
        .join(User, JOIN.LEFT_OUTER, on=(CaseEvent.user == User.id))
        .where(CaseEvent.case == case.id)
        .order_by(CaseEvent.at, CaseEvent.id)
    )


def messages(case: Case) -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.case == case.id).order_by(OutboxMessage.id))


def contacts(scope: Scope, case: Case, contact_key: bytes) -> dict[str, str]:
    """The customers' contact addresses of the case by response id: only for people who work
    it (everyone else gets nothing). Opened here, never stored in clear."""
    if not may_work(scope, case):
        return {}
    rows = (
        Response.select(Response.id, Response.contact_sealed)
        .join(CaseResponse, on=(CaseResponse.response == Response.id))
        .where((CaseResponse.case == case.id) & Response.contact_sealed.is_null(False))
    )
    found = {}
    for row in rows:
        try:
            found[str(row.id)] = str(open_contact(contact_key, bytes(row.contact_sealed), str(row.id)).get("address"))
        except (ValueError, KeyError):  # a contact sealed under another key: say so, do not fail the page
            found[str(row.id)] = "(cannot be opened with this hub's key)"
    return found


def prior_cases(scope: Scope, case: Case, contact_key: bytes) -> list[Case]:
    """The same customer's other cases at this store, newest first: the store's recent cases
    whose responses left a contact address this case's responses left too. Only for people
    who work the case (the match opens sealed contacts); never another store's cases."""
    if not may_work(scope, case):
        return []
    mine = case_addresses(case.id, contact_key)
    matched = matching_cases(case.store_id, case.id, case.opened_at, mine, contact_key)
    if not matched:
        return []
    found = Case.select(Case, AlertRule).join(AlertRule, on=(Case.rule == AlertRule.id)).where(Case.id.in_(matched))
    return list(found.order_by(Case.opened_at.desc()))


def case_as_dict(case: Case, *, public_url: str) -> dict[str, Any]:
    names = _user_names([case.assignee_id, case.acknowledged_by_id, case.resolved_by_id, case.called_back_by_id])
    return {
        "id": case.id,
        "state": case.state,
        "store": {"code": case.store.code, "name": case.store.name},
        "rule": {"id": case.rule.id, "key": case.rule.key, "name": case.rule.name},
        "opened_at": iso_utc(case.opened_at),
        "last_alert_at": iso_utc(case.last_alert_at),
        "alert_count": case.alert_count,
        "ack_due_at": iso_utc(case.ack_due_at),
        "escalation_level": case.escalation_level,
        "misrouted": bool(case.misrouted),
        "figures": case.summary,
        "assignee": names.get(case.assignee_id),
        "acknowledged_at": iso_utc(case.acknowledged_at),
        "acknowledged_by": names.get(case.acknowledged_by_id),
        "called_back_at": iso_utc(case.called_back_at),
        "called_back_by": names.get(case.called_back_by_id),
        "resolved_at": iso_utc(case.resolved_at),
        "resolved_by": names.get(case.resolved_by_id),
        "resolution_category": case.resolution_category,
        "resolution_note": case.resolution_note,
        "url": f"{public_url.rstrip('/')}/cases/{case.id}",
    }


def _user_names(ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {u.id: {"id": u.id, "name": u.name} for u in User.select(User.id, User.name).where(User.id.in_(wanted))}


# --- working a case --------------------------------------------------------------------------


def _workable(scope: Scope, case_id: int) -> Case:
    case = get_case(scope, case_id)
    if not scope.can_act_on_cases:
        raise VoxloopError("forbidden", "HQ analysts read cases; they do not work them")
    return case


def _event(case: Case, user: User | None, action: str, at: datetime, text: str | None = None, **data: Any) -> None:
    q.add_events([(case.id, at, user.id if user else None, action, text, json.dumps(data) if data else None)])


def _text(value: object, what: str, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RequestError("malformed_request", f"{what} must not be empty")
        return None
    if not isinstance(value, str):
        raise RequestError("malformed_request", f"{what} must be a text of at most {MAX_TEXT} characters")
    if len(value) > MAX_TEXT:
        raise RequestError(
            "malformed_request",
            f"{what} has {len(value):,} characters; at most {MAX_TEXT:,} are kept: shorten it and send it again",
        )
    return value.strip()


def acknowledge(scope: Scope, user: User, case_id: int, *, now: datetime) -> Case:
    case = _workable(scope, case_id)
    at = now.replace(tzinfo=None)
    with write_transaction():
        changed = (
            Case.update(state="acknowledged", acknowledged_at=at, acknowledged_by=user.id)
            .where((Case.id == case.id) & (Case.state == "open"))
            .execute()
        )
        if changed != 1:
            raise CaseStateError(f"case {case.id} is {Case.get_by_id(case.id).state}, not open")
        _event(case, user, "acknowledged", now)
    return get_case(scope, case.id)


def comment(scope: Scope, user: User, case_id: int, text: object, *, now: datetime) -> CaseEvent:
    case = _workable(scope, case_id)
    body = _text(text, "the comment", required=True)
    with write_transaction():
        _event(case, user, "commented", now, body)
    return CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id.desc()).first()


def assign(scope: Scope, user: User, case_id: int, assignee_id: object, *, now: datetime) -> Case:
    case = _workable(scope, case_id)
    if assignee_id is None:
        assignee = None
    else:
        if isinstance(assignee_id, bool) or not isinstance(assignee_id, int):
            raise RequestError("malformed_request", "assignee must be a user id or null")
        assignee = User.get_or_none((User.id == assignee_id) & (User.active == True))  # noqa: E712
        if assignee is None or not may_work(scope_for(assignee), case):
            raise NotFound("not_found", "the assignee must be an active person who works this store's cases")
    with write_transaction():
        if case.state == "resolved":
            raise CaseStateError(f"case {case.id} is resolved")
        Case.update(assignee=assignee.id if assignee else None).where(Case.id == case.id).execute()
        _event(
            case,
            user,
            "assigned",
            now,
            assignee.name if assignee else "nobody",
            assignee=assignee.id if assignee else None,
        )
    return get_case(scope, case.id)


def called_back(scope: Scope, user: User, case_id: int, *, now: datetime, note: object = None) -> Case:
    case = _workable(scope, case_id)
    text = _text(note, "the note", required=False)
    has_contact = (
        Response.select()
        .join(CaseResponse, on=(CaseResponse.response == Response.id))
        .where((CaseResponse.case == case.id) & Response.contact_sealed.is_null(False))
        .exists()
    )
    if not has_contact:
        raise CaseStateError("nobody in this case left a contact to call back")
    with write_transaction():
        if case.state == "resolved":
            raise CaseStateError(f"case {case.id} is resolved")
        Case.update(called_back_at=now.replace(tzinfo=None), called_back_by=user.id).where(Case.id == case.id).execute()
        _event(case, user, "called_back", now, text)
    return get_case(scope, case.id)


def resolve(
    scope: Scope,
    user: User,
    case_id: int,
    *,
    category: object,
    note: object,
    now: datetime,
    notify_customer: bool = False,
    customer_message: object = None,
    contact_key: bytes | None = None,
) -> Case:
    """Resolve with a category and a note; with ``notify_customer`` also queue the
    close-the-loop email to every customer of the case who left an email address."""
    case = _workable(scope, case_id)
    if category not in RESOLUTION_CATEGORIES:
        raise RequestError("malformed_request", f"category must be one of {', '.join(RESOLUTION_CATEGORIES)}")
    text = _text(note, "the resolution note", required=True)
    message = _text(customer_message, "the message to the customer", required=False)
    reachable = close_loop_targets(scope, case, contact_key) if notify_customer and contact_key else []
    if notify_customer and not reachable:
        raise CaseStateError("no customer of this case left an email address to write to")
    at = now.replace(tzinfo=None)
    with write_transaction():
        changes: dict[Any, Any] = {
            Case.state: "resolved",
            Case.resolved_at: at,
            Case.resolved_by: user.id,
            Case.resolution_category: category,
            Case.resolution_note: text,
        }
        if case.acknowledged_at is None:
            changes.update({Case.acknowledged_at: at, Case.acknowledged_by: user.id})
        changed = Case.update(changes).where((Case.id == case.id) & (Case.state != "resolved")).execute()
        if changed != 1:
            raise CaseStateError(f"case {case.id} is resolved already")
        _event(case, user, "resolved", now, text, category=category)
        for response_id, address_key in reachable:
            queue(
                kind="close_loop",
                channel="email",
                recipient="customer",
                case_id=case.id,
                rule_id=case.rule_id,
                store_id=case.store_id,
                dedupe_key=f"close_loop:{case.id}:{address_key}",
                payload={"response_id": response_id, "message": message, "by": user.name},
                now=now,
            )
        if reachable:
            _event(case, user, "customer_notified", now, f"close-the-loop email queued ({len(reachable)})")
    return get_case(scope, case.id)


def close_loop_targets(scope: Scope, case: Case, contact_key: bytes | None) -> list[tuple[str, str]]:
    """One response per email address left in the case (with consent, which a stored contact
    always has), with a keyed hash of the address: (response id, address key)."""
    if contact_key is None:
        return []
    found: dict[str, str] = {}
    for rid, address in sorted(contacts(scope, case, contact_key).items()):
        if _EMAIL.match(address):
            key = hmac.new(contact_key, b"close-loop:" + address.strip().lower().encode(), hashlib.sha256)
            found.setdefault(key.hexdigest()[:32], rid)
    return [(rid, key) for key, rid in found.items()]
