"""The same customer again: a store's other cases whose responses left a contact address one
of the given addresses matches. Contacts are sealed at rest (hub/services/personal_data.py),
each under its own response, so the match opens them; the case page's earlier cases of a
customer and a case's priority (a repeat customer) both ask here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from hub.models import Case, CaseResponse, Response
from hub.services.personal_data import open_contact

PRIOR_DAYS = 365  # how far back to look for the same customer's earlier cases
PRIOR_CASES = 200  # ... among at most this many of the store's latest cases


def same(address: str) -> str:
    """An address as compared: without blanks and case (emails), without spaces and dashes (phones)."""
    text = address.strip().lower()
    return text if "@" in text else "".join(ch for ch in text if ch.isdigit() or ch == "+")


def case_addresses(case_id: int, contact_key: bytes, *, latest: int | None = None) -> set[str]:
    """The addresses the case's responses (the ``latest`` captured, or all) left, as compared
    (those that cannot be opened with this key are left out)."""
    rows = (
        Response.select(Response.id, Response.contact_sealed)
        .join(CaseResponse, on=(CaseResponse.response == Response.id))
        .where((CaseResponse.case == case_id) & Response.contact_sealed.is_null(False))
        .order_by(Response.captured_at.desc(), Response.id.desc())
        .tuples()
    )
    return _opened(rows if latest is None else rows.limit(latest), contact_key)


def _opened(rows: Iterable[tuple], contact_key: bytes) -> set[str]:
    found = set()
    for response_id, sealed in rows:
        try:
            found.add(same(str(open_contact(contact_key, bytes(sealed), str(response_id)).get("address"))))
        except (ValueError, KeyError):
            continue
    found.discard("")
    return found


def matching_cases(
    store_id: int,
    case_id: int,
    opened_at: datetime,
    addresses: set[str],
    contact_key: bytes,
    *,
    opened_before: bool = False,
) -> set[int]:
    """Ids of the store's other cases opened in the ``PRIOR_DAYS`` before ``opened_at`` (and,
    unless ``opened_before``, since) among its latest ``PRIOR_CASES``, whose responses left
    one of ``addresses`` (as ``same`` gives them)."""
    if not addresses:
        return set()
    where = (Case.store == store_id) & (Case.id != case_id) & (Case.opened_at >= opened_at - timedelta(days=PRIOR_DAYS))
    if opened_before:
        where &= (Case.opened_at < opened_at) | ((Case.opened_at == opened_at) & (Case.id < case_id))
    recent = [c.id for c in Case.select(Case.id).where(where).order_by(Case.opened_at.desc()).limit(PRIOR_CASES)]
    if not recent:
        return set()
    rows = (
        Response.select(Response.id, Response.contact_sealed, CaseResponse.case)
        .join(CaseResponse, on=(CaseResponse.response == Response.id))
        .where(CaseResponse.case.in_(recent) & Response.contact_sealed.is_null(False))
        .tuples()
    )
    matched = set()
    for response_id, sealed, other in rows:
        if other not in matched and _opened([(response_id, sealed)], contact_key) & addresses:
            matched.add(other)
    return matched
