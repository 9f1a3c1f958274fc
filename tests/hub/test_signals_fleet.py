"""Signals over a fleet: twelve stores of seeded binomial noise at everyday volumes, written
with the ingest's own rollup accumulator; the job stays silent on the steady ones and finds the
one store whose faces dropped, in that store's own time zone (both databases)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hub.db import write_transaction
from hub.models import Signal, Touchpoint
from hub.services import catalog
from hub.services.rollups import Rollups
from hub.services.signals import check_signals
from shared.protocol import AnswerRow
from tests.hub.conftest import connected

STEADY = (0.06, 0.10, 0.39, 0.45)  # four faces: index +48.7, 16 % unhappy
WORSE = (0.135, 0.10, 0.39, 0.375)  # index +33.7: 15 points worse, 23.5 % unhappy


def write_days(store_id: int, touchpoint_id: int, last: date, days: int, volume: int, faces_for, rng) -> None:
    acc = Rollups()
    for back in range(days):
        day = last - timedelta(days=back)
        p = faces_for(day)
        for face in rng.choices((1, 2, 3, 4), weights=p, k=volume):
            acc.add(
                store_id=store_id,
                touchpoint_id=touchpoint_id,
                channel="kiosk",
                day=day,
                hour=12,
                locale="de",
                answers=[AnswerRow("rating", "smiley", face, None)],
                faces=4,
            )
    with write_transaction():
        acc.write()


def test_steady_stores_stay_silent_and_the_dropped_one_is_found_in_its_own_time_zone(app, clock):
    rng = random.Random(20261123)
    with connected(app):
        stores = []
        for i in range(12):
            zone = "Pacific/Honolulu" if i == 0 else "Europe/Berlin"
            store = catalog.add_store(f"S{i:03d}", f"Store {i}", time_zone=zone, now=clock())
            catalog.add_touchpoint(store.code, "exit", "Exit")
            stores.append(store)
        # 09:00 UTC on 23 Nov is still 22 Nov in Honolulu: its window ends on 21 Nov, Berlin's on 22 Nov
        honolulu_window = date(2026, 11, 15)
        for store in stores:
            touchpoint = Touchpoint.get(Touchpoint.store == store.id)
            if store.code == "S000":
                write_days(
                    store.id,
                    touchpoint.id,
                    date(2026, 11, 21),
                    63,
                    250,
                    lambda day: WORSE if day >= honolulu_window else STEADY,
                    rng,
                )
            else:
                write_days(store.id, touchpoint.id, date(2026, 11, 22), 63, 80, lambda day: STEADY, rng)

        made = check_signals(clock())

        found = list(Signal.select().where(Signal.id.in_(made)))
    assert made
    assert {s.store_id for s in found} == {stores[0].id}
    assert {s.window_end for s in found} == {date(2026, 11, 21)}
    assert all(s.current_n == 7 * 250 and s.baseline_n == 56 * 250 for s in found)
    index = next(s for s in found if s.kpi == "smiley_index")
    assert index.baseline_value - index.current_value > 8
    assert index.p_value < 0.0005


def sliding(week_before_end: int) -> tuple[float, float, float, float]:
    """Four faces whose index is 8-9 points below STEADY's in each of the last four weeks."""
    worse = 0.10 if week_before_end == 3 else 0.105
    return (worse, 0.10, 0.39, 0.51 - worse)


def test_a_slow_slide_that_no_single_week_shows_is_found_by_the_drift_detector(app, clock):
    rng = random.Random(20261202)
    end = date(2026, 11, 22)  # Berlin: the window ending yesterday
    with connected(app):
        store = catalog.add_store("S100", "Store 100", time_zone="Europe/Berlin", now=clock())
        catalog.add_touchpoint(store.code, "exit", "Exit")
        touchpoint = Touchpoint.get(Touchpoint.store == store.id)

        def faces_for(day: date):
            weeks_before_end = (end - day).days // 7
            return sliding(weeks_before_end) if weeks_before_end < 4 else STEADY

        write_days(store.id, touchpoint.id, end, 7 * 40, 40, faces_for, rng)

        made = check_signals(clock())

        found = list(Signal.select().where(Signal.id.in_(made)))
    assert [s.kpi for s in found] == ["smiley_index"]
    drift = found[0]
    assert drift.test.startswith("CUSUM of weekly means over the last 4 weeks")
    assert drift.window_end == end and (drift.window_end - drift.window_start).days + 1 in (14, 21, 28)
    assert drift.baseline_end == date(2026, 10, 25) and drift.baseline_n == 56 * 40
    assert drift.baseline_value - drift.current_value >= 3
