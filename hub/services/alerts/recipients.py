"""Who hears of an alert at each level: the store's active store managers (level 0), the
regional managers of its region or the store (1), the HQ admins (2).

A store without anyone at a level is skipped to the next one (routing calls that
*misrouted*; escalation goes up from the case's level)."""

from __future__ import annotations

from dataclasses import dataclass

from hub.i18n import lazy_gettext
from hub.models import User, UserRegion, UserStore
from hub.services.alerts.rule_book import StoreFacts

LEVELS = ("store managers", "regional managers", "HQ admins")
# the levels as pages and emails name them, in the reader's language (hub/i18n.py)
LEVEL_NAMES = (lazy_gettext("store managers"), lazy_gettext("regional managers"), lazy_gettext("HQ admins"))
TOP_LEVEL = len(LEVELS) - 1


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str


def recipients_at(store: StoreFacts, level: int) -> list[Recipient]:
    """The active people of one level for a store."""
    if level == 0:
        query = (
            User.select(User.id, User.email)
            .join(UserStore, on=(UserStore.user == User.id))
            .where((UserStore.store == store.id) & (User.role == "store_manager"))
        )
    elif level == 1:
        in_region = UserRegion.select(UserRegion.user).where(UserRegion.region == store.region_id)
        direct = UserStore.select(UserStore.user).where(UserStore.store == store.id)
        query = User.select(User.id, User.email).where(
            (User.role == "regional_manager") & (User.id.in_(in_region) | User.id.in_(direct))
        )
    else:
        query = User.select(User.id, User.email).where(User.role == "hq_admin")
    rows = query.where(User.active == True).order_by(User.id)  # noqa: E712
    return [Recipient(u.id, u.email) for u in rows]


def first_reachable(store: StoreFacts, start: int = 0) -> tuple[int, list[Recipient]]:
    """The first level from ``start`` up that has someone to tell, and those people."""
    for level in range(start, TOP_LEVEL + 1):
        people = recipients_at(store, level)
        if people:
            return level, people
    return TOP_LEVEL, []
