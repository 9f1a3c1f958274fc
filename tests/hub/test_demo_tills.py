"""The demo's open tills: the seeded fleet plans its tills by how busy an hour is and is short
in some hours, where the queues back up; loaded as the ``open_tills`` measure, the drivers
page's link finds it (fewer tills, a lower index, more "waiting at the till"), with the hour
of day and weekday held equal; the queues overall stay as often as before; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from hub.models import Measure, MeasureValue
from hub.seed.generator import PRESSURE_NORM, Generator, Plan, staffing
from hub.seed.tills import load_tills
from hub.seed.writer import seed
from hub.services import measure_links
from hub.services.access import Scope
from tests.hub.conftest import connected

END = date(2026, 11, 22)
PLAN = Plan(stores=4, days=60, per_day=60, seed=3, end=END)


def test_a_short_hour_backs_up_more_and_the_average_stays():
    generator = Generator(PLAN)
    pressures, short = [], []
    for store in generator.stores:
        for i in range(PLAN.days):
            day = PLAN.start + timedelta(days=i)
            planned = staffing(PLAN.seed, store.index, day, generator._shapes[store.index][day.weekday()])
            assert generator.tills(store, day) == {hour: tills for hour, (tills, _) in planned.items()}
            pressures += [p for _, p in planned.values()]
            short += [p for tills, p in planned.values() if p > 1 / PRESSURE_NORM + 1e-9]
    assert 0.95 < sum(pressures) / len(pressures) < 1.05
    assert 0.15 < len(short) / len(pressures) < 0.25  # about one hour in five is short
    assert sum(short) / len(short) > 1.5 / PRESSURE_NORM  # and backs up half as often again or more


def test_the_demo_fleets_link_between_open_tills_and_the_scores_is_found(app, clock):
    with connected(app):
        seed(PLAN, now=clock())
        loaded = load_tills(PLAN, now=clock())
        held = MeasureValue.select().join(Measure).where(Measure.code == "open_tills").count()
        links = {
            link.figure: link
            for link in measure_links.links_for(Scope(0, "hq_admin", None), None, PLAN.start, PLAN.end)
            if link.measure == "open_tills"
        }

    assert loaded == held > 0
    index, queue = links["smiley_index"].estimate, links["reason:queue"].estimate
    assert index.high < 0, index  # fewer tills: a lower index, the interval wholly below 0
    assert queue.low > 0, queue  # and more responses naming the queue
