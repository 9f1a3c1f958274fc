"""Who hears of an alert at each level: the store's active store managers (level 0), the
regional managers of its region or the store (1), the HQ admins (2).

A store without anyone at a level is skipped to the next one (routing calls that
*misrouted*; escalation goes up from the case's level)."""

from __future__ import annotations

from dataclasses import dataclass

from hub.i18n import lazy_gettext
from hub.queries import cases as q
from hub.services.alerts.rule_book import StoreFacts

LEVELS = ("store managers", "regional managers", "HQ admins")
# the levels as pages and emails name them, in the reader's language (hub/i18n.py)
LEVEL_NAMES = (lazy_gettext("store managers"), lazy_gettext("regional managers"), lazy_gettext("HQ admins"))
TOP_LEVEL = len(LEVELS) - 1


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str


def first_reachable(store: StoreFacts, start: int = 0) -> tuple[int, list[Recipient]]:
    """The first level from ``start`` up that has someone to tell, and those people (every
    level read in one statement: routing asks this in the ingest transaction)."""
    people: dict[int, list[Recipient]] = {}
    for level, user_id, email in q.people_to_tell(store.id, store.region_id):
        people.setdefault(level, []).append(Recipient(user_id, email))
    for level in range(start, TOP_LEVEL + 1):
        if people.get(level):
            return level, people[level]
    return TOP_LEVEL, []
