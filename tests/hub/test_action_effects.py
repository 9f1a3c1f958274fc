"""An action's effect (hub/services/action_effects.py), measured from the rollups of a fleet whose
history has a planted improvement of known size and start (hub/seed/action_history.py):
found clear with the right sign and an interval covering the planted size, a null action
unclear, too early said as such with the days still needed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.models import User
from hub.seed.action_history import history
from hub.services import actions
from hub.services.access import scope_for
from hub.services.action_effects import MATCHED, PRE_DAYS, effect_of, effects_of, measure, weekly_trend
from shared.scoring import smiley_weight
from tests.hub.action_data import Fleet, write_fleet
from tests.hub.conftest import connected

START = date(2026, 9, 28)  # the planted improvement's first day
LIFT = 10.0
MEASURED = datetime(2026, 10, 26, 10, 0, tzinfo=UTC)  # four whole weeks after the start


@pytest.fixture
def fleet(app) -> Fleet:
    planted = history(
        seed=7, stores=24, improved=(1, 2, 3), lift=LIFT, first=date(2026, 8, 3), start=START, last=date(2026, 10, 25)
    )
    return write_fleet(app, planted)


def _action(app, fields):
    with connected(app):
        admin = User.get(User.email == "admin@example.org")
        return actions.create_action(scope_for(admin), admin, {"title": "Second till", **fields}, now=MEASURED)


def test_a_planted_improvement_is_measured_clear_with_its_size_inside_the_interval(app, fleet):
    action = _action(app, {"kpi": "smiley_index", "scope": f"region:{fleet.region_id}", "effect_from": START})

    with connected(app):
        effect = effect_of(actions.get_action(scope_for(User.get_by_id(1)), action.id), MEASURED)

    assert effect.verdict == "clear"
    assert effect.estimate > 0
    assert effect.low <= LIFT <= effect.high
    assert effect.low > 0
    assert len(effect.treated) == 3
    assert effect.before == (START - timedelta(days=PRE_DAYS), START - timedelta(days=1))
    assert effect.after == (START, date(2026, 10, 25))
    assert effect.words.startswith("A clear improvement: +")
    assert "from 2026-09-28 to 2026-10-25" in effect.words
    assert f"{effect.n_treated[1]} from 2026-09-28" in effect.words


def test_a_lower_share_of_a_reason_is_measured_clear_when_lower_is_better(app):
    planted = history(
        seed=1, stores=24, improved=(1, 2, 3), lift=LIFT, first=date(2026, 8, 3), start=START, last=date(2026, 10, 25)
    )
    fleet = write_fleet(app, planted)
    fields = {"kpi": "reason_share", "reason": "queue", "scope": f"region:{fleet.region_id}", "effect_from": START}
    action = _action(app, fields)

    with connected(app):
        effect = effect_of(actions.get_action(scope_for(User.get_by_id(1)), action.id), MEASURED)

    assert (action.goal_direction, effect.verdict) == ("down", "clear")
    assert effect.high < 0
    assert effect.low <= -LIFT / 4 <= effect.high  # half the moved face-1 answers named the queue
    assert "% points" in effect.words


def test_a_null_action_in_a_store_where_nothing_changed_is_unclear(app, fleet):
    _action(app, {"kpi": "smiley_index", "scope": f"region:{fleet.region_id}", "effect_from": START})
    null = _action(app, {"kpi": "smiley_index", "scope": f"store:{fleet.store_ids[12]}", "effect_from": START})

    with connected(app):
        effect = effect_of(actions.get_action(scope_for(User.get_by_id(1)), null.id), MEASURED)

    assert effect.verdict == "unclear"
    assert effect.low < 0 < effect.high
    # the improved stores are under another action on the same figure: never a comparison
    assert not {s.store_id for s in effect.controls} & set(fleet.improved_ids())
    assert "The interval covers zero" in effect.words


def test_too_early_it_says_how_many_more_days_it_needs(app, fleet):
    action = _action(app, {"kpi": "smiley_index", "scope": f"region:{fleet.region_id}", "effect_from": START})

    with connected(app):
        effect = effect_of(actions.get_action(scope_for(User.get_by_id(1)), action.id), MEASURED - timedelta(days=23))

    assert effect.verdict == "pending"
    assert effect.days_needed == 9  # 5 whole days since the start, 14 needed
    assert "about 9 more day(s) needed" in effect.words


def test_an_action_without_a_start_is_not_measured_yet(app, fleet):
    action = _action(app, {"kpi": "nps", "scope": f"store:{fleet.store_ids[1]}"})

    with connected(app):
        effect = effect_of(actions.get_action(scope_for(User.get_by_id(1)), action.id), MEASURED)

    assert (effect.verdict, effect.days_needed) == ("pending", None)


def test_the_weekly_trend_shows_the_action_stores_above_the_comparison_after_the_start(app, fleet):
    action = _action(app, {"kpi": "smiley_index", "scope": f"region:{fleet.region_id}", "effect_from": START})

    with connected(app):
        found = actions.get_action(scope_for(User.get_by_id(1)), action.id)
        weeks = weekly_trend(found, effect_of(found, MEASURED), MEASURED)

    after = [w for w in weeks if w.start >= START]
    before = [w for w in weeks if w.start < START]
    assert len(after) == 4 and len(before) == 8
    gap_after = sum(w.treated.value - w.comparison.value for w in after) / 4
    gap_before = sum(w.treated.value - w.comparison.value for w in before) / 8
    assert gap_after - gap_before > LIFT / 2


def test_a_planted_worsening_is_called_negative_and_for_a_share_down_is_better():
    planted = history(
        seed=1, stores=24, improved=(1, 2, 3), lift=-LIFT, first=date(2026, 8, 3), start=START, last=date(2026, 10, 25)
    )
    weight = {face: smiley_weight(face, 4) for face in range(1, 5)}
    scored = {s: {d: {weight[f]: n for f, n in c.items()} for d, c in days.items()} for s, days in planted.days.items()}

    worse = measure(scored, (1, 2, 3), START, date(2026, 10, 26))
    lower_is_better = measure(scored, (1, 2, 3), START, date(2026, 10, 26), direction="down")

    assert worse.verdict == "negative" and worse.high < 0
    assert lower_is_better.verdict == "clear"


def test_with_enough_stores_the_comparison_is_those_whose_trend_before_was_like_the_action_stores():
    days = [START - timedelta(days=PRE_DAYS) + timedelta(days=i) for i in range(PRE_DAYS + 28)]

    def store(slope: float) -> dict:
        # 100 answers a day, the share of +100 faces rising by ``slope`` % a day (else -100)
        series = {}
        for i, day in enumerate(days):
            good = max(0, min(100, round(40 + slope * i)))
            series[day] = {100.0: good, -100.0: 100 - good}
        return series

    rising, flat = [f"r{i}" for i in range(10)], [f"f{i}" for i in range(20)]
    fleet = {"treated": store(0.5), **{s: store(0.5) for s in rising}, **{s: store(0.0) for s in flat}}
    fleet = {number: fleet[name] for number, name in enumerate(["treated", *rising, *flat], start=1)}

    effect = measure(fleet, (1,), START, START + timedelta(days=28))

    assert effect.matched
    assert {s.store_id for s in effect.controls} == set(range(2, 2 + MATCHED))  # rising ones only
    assert effect.verdict == "unclear" and abs(effect.estimate) < 1  # the trend continued, nothing more


def test_a_list_measures_each_action_as_its_own_page_does(app, fleet):
    region = _action(app, {"kpi": "smiley_index", "scope": f"region:{fleet.region_id}", "effect_from": START})
    later = _action(app, {"kpi": "smiley_index", "scope": f"store:{fleet.store_ids[12]}", "effect_from": "2026-10-05"})
    queue = _action(
        app, {"kpi": "reason_share", "reason": "queue", "scope": f"store:{fleet.store_ids[2]}", "effect_from": START}
    )

    with connected(app):
        found = [actions.get_action(scope_for(User.get_by_id(1)), a.id) for a in (region, later, queue)]
        listed = effects_of(found, MEASURED)
        alone = {a.id: effect_of(a, MEASURED) for a in found}

    assert listed == alone
    assert listed[region.id].verdict == "clear" and listed[later.id].after == (date(2026, 10, 5), date(2026, 10, 25))
