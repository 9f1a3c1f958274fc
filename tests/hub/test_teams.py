"""Teams (hub/services/teams.py): a team of a store mapped to reasons, touchpoints and the
store's people; everything checked before anything is written, scoped like every store's data
(HQ admins and the store's managers change, others read or see nothing), and a deleted team's
past recommendations kept under the name it had."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.models import Recommendation, Store, Team, TeamMember, TeamReason, Touchpoint
from hub.services import teams
from hub.services.access import scope_for
from hub.services.recommendations import make_recommendations
from shared.errors import NotFound, RequestError, VoxloopError
from tests.hub.alerting import sign_in_as
from tests.hub.conftest import connected

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


def _save(who, fields, team_id=None):
    return teams.save_team(scope_for(who), fields, now=NOW, team_id=team_id)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"name": "Checkout", "reasons": ["queue", "parking"]}, "'parking' is not a reason of the survey"),
        ({"name": "", "reasons": ["queue"]}, "A team needs a name of 1 to 80 characters"),
        ({"name": "x" * 81}, "A team needs a name of 1 to 80 characters"),
        ({"name": "Checkout", "members": ["hans"]}, "Person 'hans' is not of this store"),
    ],
)
def test_a_team_that_cannot_be_is_refused_with_its_reason_and_nothing_is_written(app, people, store, fields, words):
    with connected(app):
        with pytest.raises(RequestError) as refused:
            _save(people["mia"], {"store": store.id, **fields})
        assert words in str(refused.value.detail)
        assert Team.select().count() == 0


def test_people_and_touchpoints_of_another_store_are_refused(app, people, store, other_store):
    with connected(app):
        hamburg_exit = Touchpoint.get(Touchpoint.store == other_store.id)
        for fields in ({"members": [people["hans"].id]}, {"touchpoints": [hamburg_exit.id]}):
            with pytest.raises(RequestError, match="is not of this store"):
                _save(people["admin"], {"store": store.id, "name": "Checkout", **fields})
        assert Team.select().count() == 0


def test_a_second_team_of_the_same_name_in_a_store_is_refused(app, people, store, other_store):
    with connected(app):
        _save(people["mia"], {"store": store.id, "name": "Checkout"})
        with pytest.raises(RequestError, match="already has a team named Checkout"):
            _save(people["mia"], {"store": store.id, "name": " Checkout "})
        _save(people["hans"], {"store": other_store.id, "name": "Checkout"})  # another store may
        assert Team.select().count() == 2


def test_only_hq_admins_and_the_stores_managers_change_its_teams(app, people, store, other_store):
    with connected(app):
        team = _save(people["mia"], {"store": store.id, "name": "Checkout"})
        with pytest.raises(NotFound):  # Hamburg's manager does not learn that B001 exists
            _save(people["hans"], {"store": store.id, "name": "Fresh"})
        with pytest.raises(NotFound):
            teams.delete_team(scope_for(people["hans"]), team.id)
        for reader in ("rolf", "ana"):  # the regional manager and the analyst read only
            assert teams.get_team(scope_for(people[reader]), team.id).name == "Checkout"
            with pytest.raises(VoxloopError, match="only HQ admins and the store's managers"):
                _save(people[reader], {"name": "Renamed"}, team_id=team.id)
        assert [t.name for t in Team.select()] == ["Checkout"]


def test_a_change_replaces_the_mapping_and_a_deleted_team_leaves_its_recommendations(app, people, store):
    with connected(app):
        team = _save(people["mia"], {"store": store.id, "name": "Checkout", "reasons": ["queue"],
                                     "members": [people["mia"].id]})  # fmt: skip
        changed = _save(people["admin"], {"name": "Tills", "reasons": ["queue", "staff"]}, team_id=team.id)
        make_recommendations(NOW)
        teams.delete_team(scope_for(people["mia"]), team.id)
        kept = Recommendation.get(Recommendation.store == store.id)
        left = (Team.select().count(), TeamReason.select().count(), TeamMember.select().count())
        after = teams.teams_of(Store.get_by_id(store.id).id)

    assert (changed.name, changed.reasons, changed.members) == ("Tills", ("queue", "staff"), ())
    assert (kept.team_name, kept.team_id, kept.team_key) == ("Tills", None, team.id)
    assert left == (0, 0, 0)
    assert [(t.id, t.name) for t in after] == [(None, "")]  # the whole store again


def test_the_teams_page_says_why_a_team_was_refused_and_keeps_nothing(app, people, store):
    client = app.test_client()
    token = sign_in_as(client, people["mia"])

    answer = client.post(
        "/admin/teams",
        data={"csrf_token": token, "store": str(store.id), "name": "Checkout", "reasons": ["parking"]},
        follow_redirects=True,
    )

    assert answer.status_code == 200
    assert "&#39;parking&#39; is not a reason of the survey." in answer.get_data(as_text=True)
    with connected(app):
        assert Team.select().count() == 0


def test_a_form_without_its_csrf_token_changes_nothing(app, people, store):
    client = app.test_client()
    sign_in_as(client, people["mia"])

    answer = client.post("/admin/teams", data={"store": str(store.id), "name": "Checkout"})

    assert answer.status_code == 403
    with connected(app):
        assert Team.select().count() == 0
