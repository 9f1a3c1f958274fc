"""Response rates of invitations per store and channel: how many were invited, sent, opened
and answered, for the stores a person sees (hub/services/access.py), over the invitations made
in a period of days (UTC days: invitations are counted when they were made)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from hub.models import Store
from hub.queries.invitations import rates
from hub.services.access import Scope
from hub.services.analytics import Period


@dataclass(frozen=True)
class RateRow:
    store: Store
    channel: str
    invited: int
    sent: int
    opened: int
    answered: int

    @property
    def answer_rate(self) -> float | None:
        """Answered per sent, in %."""
        return 100.0 * self.answered / self.sent if self.sent else None


def response_rates(scope: Scope, period: Period) -> list[RateRow]:
    start = datetime.combine(period.start, time(0), UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(0), UTC)
    found = rates(scope.store_ids, start, end)
    stores = {s.id: s for s in Store.select().where(Store.id.in_(sorted({r[0] for r in found}) or [-1]))}
    return [RateRow(stores[s], c, n, sent, opened, answered) for s, c, n, sent, opened, answered in found]
