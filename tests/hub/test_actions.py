"""Actions and projects (hub/services/actions.py): made for a figure and a scope, worked through
their states with tasks and comments, every step in the audit trail, and seen only by the
people whose stores they concern."""

from __future__ import annotations

from datetime import date

import pytest

from hub.models import Action, Case, Region, Store, Touchpoint
from hub.services import actions
from hub.services.access import scope_for
from shared.errors import NotFound, RequestError, VoxloopError
from tests.hub.conftest import START, connected

TODAY = date(2026, 11, 23)


def make(person, fields, **extra):
    return actions.create_action(scope_for(person), person, {**fields, **extra}, now=START)


def for_store(store, **extra):
    return {"title": "Second till at peak hours", "kpi": "smiley_index", "scope": f"store:{store.id}", **extra}


def test_a_store_manager_makes_an_action_for_their_store_planned_and_owned_by_them(app, people, store):
    with connected(app):
        action = make(people["mia"], for_store(store, due_on="2026-12-15"))

        assert (action.state, action.store_id, action.owner_id) == ("planned", store.id, people["mia"].id)
        assert action.goal_direction == "up"
        assert action.due_on == date(2026, 12, 15)
        assert [e.kind for e in actions.events(action)] == ["created"]


def test_a_store_manager_cannot_make_an_action_for_another_store_nor_for_every_store(app, people, other_store):
    with connected(app):
        with pytest.raises(RequestError) as another:
            make(people["mia"], for_store(other_store))
        with pytest.raises(RequestError) as every:
            make(people["mia"], {"title": "x", "kpi": "nps", "scope": "all"})

        assert another.value.code == every.value.code == "invalid_action"
        assert Action.select().count() == 0


def test_a_store_manager_sees_only_their_stores_actions_and_another_answers_not_found(app, people, store, other_store):
    with connected(app):
        mine = make(people["mia"], for_store(store))
        theirs = make(people["hans"], for_store(other_store))

        listed = actions.list_actions(scope_for(people["mia"]), state="all", today=TODAY)
        assert [row.action.id for row in listed] == [mine.id]
        with pytest.raises(NotFound):
            actions.get_action(scope_for(people["mia"]), theirs.id)
        with pytest.raises(NotFound):
            actions.update_action(scope_for(people["mia"]), people["mia"], theirs.id, {"state": "done"}, now=START)
        assert Action.get_by_id(theirs.id).state == "planned"


def test_hq_sees_every_action_and_a_regional_manager_those_of_their_region(app, people, store, other_store):
    with connected(app):
        north = Store.get_by_id(store.id).region_id
        mine = make(people["mia"], for_store(store))
        make(people["hans"], for_store(other_store))
        regional = make(people["rolf"], {"title": "Fresh counter", "kpi": "csat", "scope": f"region:{north}"})

        hq = actions.list_actions(scope_for(people["ana"]), state="all", today=TODAY)
        rolf = actions.list_actions(scope_for(people["rolf"]), state="all", today=TODAY)
        mia = actions.list_actions(scope_for(people["mia"]), state="all", today=TODAY)

        assert len(hq) == 3
        assert {row.action.id for row in rolf} == {mine.id, regional.id}
        assert {row.action.id for row in mia} == {mine.id}


def test_an_hq_analyst_reads_actions_but_does_not_make_or_work_them(app, people, store):
    with connected(app):
        action = make(people["mia"], for_store(store))
        with pytest.raises(VoxloopError) as making:
            make(people["ana"], for_store(store))
        with pytest.raises(VoxloopError) as working:
            actions.comment(scope_for(people["ana"]), people["ana"], action.id, "hello", now=START)

        assert making.value.code == working.value.code == "forbidden"


def test_states_move_as_allowed_and_every_change_is_in_the_audit_trail(app, people, store):
    with connected(app):
        scope, mia = scope_for(people["mia"]), people["mia"]
        action = make(mia, for_store(store))

        actions.update_action(scope, mia, action.id, {"state": "in_progress", "effect_from": "2026-11-30"}, now=START)
        done = actions.update_action(scope, mia, action.id, {"state": "done"}, now=START)
        with pytest.raises(VoxloopError) as refused:
            actions.update_action(scope, mia, action.id, {"state": "planned"}, now=START)

        assert (done.state, done.effect_from) == ("done", date(2026, 11, 30))
        assert done.closed_at is not None
        assert refused.value.code == "action_state"
        trail = [(e.kind, e.data) for e in actions.events(done)]
        assert ("state", {"before": "planned", "after": "in_progress"}) in trail
        assert ("in_effect", {"before": None, "after": "2026-11-30"}) in trail
        assert ("state", {"before": "in_progress", "after": "done"}) in trail


def test_tasks_are_assigned_done_and_counted_in_the_progress(app, people, store):
    with connected(app):
        scope, mia = scope_for(people["mia"]), people["mia"]
        action = make(mia, for_store(store, due_on="2026-11-20"))
        first = actions.add_task(scope, mia, action.id, {"title": "Ask for a till", "assignee": mia.id}, now=START)
        actions.add_task(scope, mia, action.id, {"title": "Roster", "due_on": "2026-11-22"}, now=START)

        actions.update_task(scope, mia, action.id, first.id, {"done": True}, now=START)
        (row,) = actions.list_actions(scope, today=TODAY)

        assert (row.tasks, row.tasks_done, row.overdue_tasks, row.overdue) == (2, 1, 1, True)
        assert [e.kind for e in actions.events(action)][-1] == "task_done"


def test_an_assignee_must_see_the_actions_store(app, people, store):
    with connected(app):
        scope, mia = scope_for(people["mia"]), people["mia"]
        action = make(mia, for_store(store))
        with pytest.raises(RequestError) as refused:
            actions.add_task(scope, mia, action.id, {"title": "x", "assignee": people["hans"].id}, now=START)

        assert refused.value.code == "invalid_action"
        assert actions.tasks(action) == []


def test_a_comment_is_kept_in_the_trail_and_an_empty_one_is_refused(app, people, store):
    with connected(app):
        scope, mia = scope_for(people["mia"]), people["mia"]
        action = make(mia, for_store(store))
        actions.comment(scope, mia, action.id, "  Talked to the area manager  ", now=START)
        with pytest.raises(RequestError):
            actions.comment(scope, mia, action.id, "   ", now=START)

        assert [(e.kind, e.text) for e in actions.events(action)][-1] == ("commented", "Talked to the area manager")


def test_a_reason_share_goal_needs_a_reason_the_survey_offers_and_is_better_down(app, people, store):
    with connected(app):
        action = make(people["mia"], for_store(store, kpi="reason_share", reason="queue"))
        with pytest.raises(RequestError):
            make(people["mia"], for_store(store, kpi="reason_share", reason="parking"))

        assert (action.kpi, action.reason, action.goal_direction) == ("reason_share", "queue", "down")


def test_several_cases_link_to_one_action_but_only_cases_of_its_stores(app, people, store, other_store):
    with connected(app):
        from hub.models import AlertRule

        rule = AlertRule.select().first()
        opened = dict(rule=rule, state="open", opened_at=START, last_alert_at=START, alert_count=1,
                      escalation_level=0, misrouted=False)  # fmt: skip
        one, two = Case.create(store=store.id, **{**opened, "state": "resolved"}), Case.create(store=store.id, **opened)
        foreign = Case.create(store=other_store.id, **opened)
        scope, mia = scope_for(people["mia"]), people["mia"]

        action = make(mia, for_store(store, origin="case", cases=[one.id]))
        actions.link_case(scope, mia, action.id, two.id, now=START)
        actions.link_case(scope, mia, action.id, two.id, now=START)  # again: nothing changes
        with pytest.raises(RequestError):
            actions.link_case(scope, mia, action.id, foreign.id, now=START)

        assert actions.linked_cases(scope, action) == [one.id, two.id]
        assert [a.id for a in actions.actions_of_case(scope, two.id)] == [action.id]


def test_a_touchpoint_action_belongs_to_its_store(app, people, store):
    with connected(app):
        point = Touchpoint.get(Touchpoint.store == store.id)
        action = make(people["mia"], for_store(store, scope=f"touchpoint:{point.id}"))

        assert (action.store_id, action.touchpoint_id) == (store.id, point.id)
        assert actions.stores_of(action) == [store.id]


def test_a_project_groups_actions_of_several_stores(app, people, store, other_store):
    with connected(app):
        admin = people["admin"]
        first = make(admin, for_store(store, project_name="Second till in every store"))
        second = make(admin, for_store(other_store, project=str(first.project_id)))

        rows = actions.list_actions(scope_for(admin), project_id=first.project_id, today=TODAY)
        assert {r.action.id for r in rows} == {first.id, second.id}
        assert Region.select().count() == 2  # the people fixture's regions, untouched
