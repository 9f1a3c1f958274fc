"""The daily digest: each morning every store and regional manager gets one email with their
open cases and what yesterday brought (cases opened and resolved, responses), and the tasks of
actions given to them that are due by tomorrow or overdue (hub/services/action_digest.py).

It is queued once per person and local day (the outbox's dedupe key), at ``hour`` o'clock in
the time zone of the person's first store, and only when there is something to report. The
figures are computed when it is queued (hub/services/outbox/render/personal.py renders them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.i18n import case_state_name, day, in_language, ngettext, when
from hub.models import Case, Response, Store, User
from hub.services.access import scope_for
from hub.services.action_digest import digest_tasks
from hub.services.cases import list_cases
from hub.services.outbox import already_queued, queue_personal_email
from hub.services.recommendation_words import digest_recommendations

DIGEST_ROLES = ("store_manager", "regional_manager")


def queue_digests(now: datetime, *, hour: int, public_url: str) -> int:
    """Queue today's digest for everyone whose local ``hour`` has come; returns how many.
    An ``hour`` outside 0-23 turns digests off."""
    if not 0 <= hour <= 23:
        return 0
    queued = 0
    # read the people first: writing while a query is still open locks a second job out on SQLite
    people = list(User.select().where((User.active == True) & User.role.in_(DIGEST_ROLES)).order_by(User.id))  # noqa: E712
    for user in people:
        scope = scope_for(user)
        if not scope.store_ids:
            continue
        stores = list(Store.select().where(Store.id.in_(sorted(scope.store_ids))).order_by(Store.code))
        zone = ZoneInfo(stores[0].time_zone)
        local = now.astimezone(zone)
        if local.hour < hour:
            continue
        key = f"digest:{user.id}:{local.date().isoformat()}"
        if already_queued(key):
            continue
        day_start = datetime.combine(local.date(), time(0), zone).astimezone(UTC).replace(tzinfo=None)
        yesterday_start = day_start - timedelta(days=1)
        store_ids = [s.id for s in stores]
        open_cases = list_cases(scope, state="unresolved", limit=50)
        opened = (
            Case.select()
            .where(Case.store.in_(store_ids) & (Case.opened_at >= yesterday_start) & (Case.opened_at < day_start))
            .count()
        )
        resolved = (
            Case.select()
            .where(Case.store.in_(store_ids) & (Case.resolved_at >= yesterday_start) & (Case.resolved_at < day_start))
            .count()
        )
        base = public_url.rstrip("/")
        with in_language(user.language):
            tasks = digest_tasks(user, local.date(), base)
            recommendations = digest_recommendations(stores, local.date(), base, now)
        if not open_cases and not opened and not tasks and not recommendations:
            continue
        responses = (
            Response.select()
            .where(Response.store.in_(store_ids) & (Response.local_day == local.date() - timedelta(days=1)))
            .count()
        )
        with in_language(user.language):  # the person's language (hub/i18n.py)
            payload = _payload(user, stores, local.date(), zone, open_cases, base, now)
        payload["yesterday"] = {"opened": opened, "resolved": resolved, "responses": responses}
        payload["tasks"] = tasks
        payload["recommendations"] = recommendations
        queued += queue_personal_email("digest", user, key, payload, now)
    return queued


def _payload(
    user: User, stores: list[Store], today: date, zone: ZoneInfo, open_cases: list[Case], base: str, now: datetime
) -> dict[str, Any]:
    return {
        "subject": ngettext(
            "voxloop daily digest %(day)s: %(num)s open case",
            "voxloop daily digest %(day)s: %(num)s open cases",
            len(open_cases),
            day=day(today),
        ),
        "name": user.name,
        "date": today.isoformat(),
        "stores": [f"{s.code} {s.name}" for s in stores],
        "open": [
            {
                "id": c.id,
                "store": c.store.code,
                "rule": c.rule.name,
                "state": c.state,
                "opened_at": when(c.opened_at, zone.key),
                "state_name": case_state_name(c.state),
                "overdue": c.state == "open" and c.ack_due_at is not None and c.ack_due_at < now.replace(tzinfo=None),
                "url": f"{base}/cases/{c.id}",
            }
            for c in open_cases
        ],
    }
