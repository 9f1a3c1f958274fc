"""Figures per store and local day, what a BI tool loads to build its own views: responses,
the smiley index with the count of every face, NPS with its promoters, passives and
detractors, CSAT when the survey asks it. Counts come from score_daily, scores from
shared/scoring, so they equal the dashboards' figures for the same store and day."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from hub.models import Store
from hub.queries import analytics_rows as q
from hub.services.analytics import Period, Scales
from shared.scoring import csat, nps, nps_groups, smiley_index


@dataclass(frozen=True)
class StoreDay:
    day: date
    store_id: int
    store_code: str
    faces: dict[int, int]  # smiley face -> answers
    nps: dict[int, int]  # 0..10 -> answers
    csat: dict[int, int] | None  # None: the survey asks no CSAT

    @property
    def key(self) -> tuple[str, int]:
        return (self.day.isoformat(), self.store_id)

    def as_dict(self, scales: Scales) -> dict[str, Any]:
        body: dict[str, Any] = {
            "day": self.day.isoformat(),
            "store": self.store_code,
            "responses": sum(self.faces.values()),
            "smiley_index": smiley_index(self.faces, scales.faces).as_dict(),
            "faces": {str(face): self.faces.get(face, 0) for face in range(1, scales.faces + 1)},
            "nps": {
                **nps(self.nps).as_dict(),
                **nps_groups(self.nps),
            },
        }
        if self.csat is not None:
            body["csat"] = csat(self.csat).as_dict()
        return body


def store_days(
    store_ids: Collection[int] | None,
    period: Period,
    scales: Scales,
    *,
    after: tuple[date, int] | None,
    limit: int,
) -> list[StoreDay]:
    """The next ``limit`` store-days with responses in ``period``, by day, then store id."""
    questions = [x for x in (scales.smiley, scales.nps, scales.csat) if x]
    if scales.smiley is None:
        return []
    keys = q.store_days(scales.smiley, period.start, period.end, store_ids, after=after, limit=limit)
    counts = q.store_day_counts(questions, keys)
    codes = dict(Store.select(Store.id, Store.code).where(Store.id.in_({s for _, s in keys} or {-1})).tuples())

    def of(found: Mapping[str, dict[int, int]], question: str | None) -> dict[int, int]:
        return dict(found.get(question, {})) if question else {}

    return [
        StoreDay(
            day=day,
            store_id=store,
            store_code=codes.get(store, ""),
            faces=of(counts[(day, store)], scales.smiley),
            nps=of(counts[(day, store)], scales.nps),
            csat=of(counts[(day, store)], scales.csat) if scales.csat else None,
        )
        for day, store in keys
    ]
