"""The seeded fleet's open tills as an hourly measure (``open_tills``): what drove the seeded
queues (hub/seed/generator.py ``staffing``), loaded through hub/services/measures.py like the
API and the CSV import, so the drivers page's "Measures and scores" has a link to find."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.seed.generator import Generator, Plan
from hub.services import measures
from hub.services.access import Scope

OPEN_TILLS = measures.Definition("open_tills", "Open tills", "tills", "level", "hour")


def load_tills(plan: Plan, *, now: datetime) -> int:
    """Every seeded store's open tills per open hour of the plan's days; how many values."""
    generator = Generator(plan)
    hq = Scope(0, "hq_admin", None)
    loaded = 0
    for store in generator.stores:
        rows = []
        for i in range(plan.days):
            day = plan.start + timedelta(days=i)
            for hour, tills in generator.tills(store, day).items():
                rows.append(measures.Row(len(rows) + 1, OPEN_TILLS.code, store.code, f"{day}T{hour:02d}:00", tills))
        if rows:
            measures.load(hq, rows, now=now, definitions={OPEN_TILLS.code: OPEN_TILLS}, may_define=True)
            loaded += len(rows)
    return loaded
