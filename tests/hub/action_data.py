"""A fleet's history written into the rollups, for the action specifications: stores, a region
holding the improved ones, and the score rollups of hub/seed/action_history.py (the daily
smiley counts of each store, by day, week and month, and the every-store totals), as ingest
would have counted them.
Half the most unhappy faces (rounded down) name the reason ``queue`` (reason_daily), so a
planted gain of ``lift`` index points lowers the queue's share by about ``lift / 4`` points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import Flask

from hub.db import database
from hub.models import ReasonDaily, Region, Store
from hub.queries.rollups import TOTAL
from hub.seed.action_history import History
from hub.services import catalog
from hub.services.rollups import Rollups
from tests.hub.conftest import connected


@dataclass(frozen=True)
class Fleet:
    history: History
    store_ids: dict[int, int]  # the history's store number -> store id
    region_id: int  # the region of the improved stores

    def improved_ids(self) -> list[int]:
        return [self.store_ids[s] for s in self.history.improved]


def write_fleet(app: Flask, found: History, *, region: str = "Berlin") -> Fleet:
    with connected(app):
        berlin = Region.create(name=region)
        ids = {}
        for number in range(1, found.stores + 1):
            store = catalog.add_store(
                f"S{number:03d}", f"Store {number}", time_zone="Europe/Berlin", now=datetime(2026, 7, 1, tzinfo=UTC)
            )
            if number in found.improved:
                Store.update(region=berlin).where(Store.id == store.id).execute()
            ids[number] = store.id
        counted = Rollups()
        for number, days in found.days.items():
            for day, counts in days.items():
                if counts:
                    values = [counts.get(k, 0) for k in range(11)]
                    counted.add_score_counts("rating", str(day), ids[number], "terminal", values)
        reasons = _queue_rows(found, ids)
        with database.atomic():
            counted.write()
            for start in range(0, len(reasons), 500):
                ReasonDaily.insert_many(reasons[start : start + 500]).execute()
    return Fleet(found, ids, berlin.id)


def _queue_rows(found: History, ids: dict[int, int]) -> list[dict[str, object]]:
    """reason_daily: half the face-1 answers of each store and day name the queue (and the totals)."""
    rows, totals = [], {}
    for number, days in found.days.items():
        for day, counts in days.items():
            named = counts.get(1, 0) // 2
            if named:
                rows.append(
                    {
                        "question": "reason",
                        "day": day,
                        "store_id": ids[number],
                        "option": "queue",
                        "n": named,
                        "v1": named,
                        "v2": 0,
                        "v3": 0,
                        "v4": 0,
                        "v5": 0,
                    }
                )
                totals[day] = totals.get(day, 0) + named
    rows += [
        {
            "question": "reason",
            "day": d,
            "store_id": TOTAL,
            "option": "queue",
            "n": n,
            "v1": n,
            "v2": 0,
            "v3": 0,
            "v4": 0,
            "v5": 0,
        }
        for d, n in totals.items()
    ]
    return rows


def planted_fleet(app: Flask) -> Fleet:
    """24 stores of region Berlin; stores 1-3 improve by 10 index points from 28 Sep 2026
    (history from 3 Aug to 25 Oct, seed 7)."""
    from hub.seed.action_history import history

    return write_fleet(
        app,
        history(
            seed=7,
            stores=24,
            improved=(1, 2, 3),
            lift=10.0,
            first=date(2026, 8, 3),
            start=date(2026, 9, 28),
            last=date(2026, 10, 25),
        ),
    )
