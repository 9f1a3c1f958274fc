"""Teams: who works a store or a part of it (checkout team, fresh counter, service desk).

A team belongs to one store, answers for some of the survey's reasons (the options of its
choice questions) and touchpoints, and has members: active people linked to that store. A team
with no reason answers for every reason; a store without teams has one implicit whole-store
team (``WHOLE_STORE``), so every store gets its daily recommendation
(hub/services/recommendations.py).

Who may do what, decided on every call through the person's Scope: everyone reads the teams of
the stores they see; HQ admins change every store's teams, a store manager their own stores'.
Another store's team is "not found".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hub.db import db_time, write_transaction
from hub.i18n import lazy_gettext
from hub.models import Recommendation, Store, Team, TeamMember, TeamReason, TeamTouchpoint, Touchpoint, User, UserStore
from hub.services.access import Scope
from hub.services.actions import reasons as survey_reasons
from shared.errors import NotFound, RequestError, VoxloopError

MAX_NAME = 80
WHOLE_STORE = 0  # the team key of a store's implicit whole-store team


@dataclass(frozen=True)
class TeamView:
    """A team as the recommendation and the pages read it; ``id`` None: the whole store."""

    id: int | None
    store_id: int
    name: str
    reasons: tuple[str, ...] = ()  # empty: every reason
    touchpoints: tuple[int, ...] = ()  # touchpoint ids; empty: every touchpoint
    members: tuple[int, ...] = ()  # user ids
    touchpoint_codes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> int:
        return self.id if self.id is not None else WHOLE_STORE


def whole_store(store_id: int) -> TeamView:
    """The team of a store without teams; its name is shown as "Whole store" in each language."""
    return TeamView(None, store_id, "")


def _views(teams: Sequence[Team]) -> list[TeamView]:
    ids = [t.id for t in teams] or [-1]
    reasons: dict[int, list[str]] = {}
    for row in TeamReason.select().where(TeamReason.team.in_(ids)).order_by(TeamReason.option):
        reasons.setdefault(row.team_id, []).append(row.option)
    places: dict[int, list[tuple[int, str]]] = {}
    query = (
        TeamTouchpoint.select(TeamTouchpoint.team, Touchpoint.id, Touchpoint.code)
        .join(Touchpoint)
        .where(TeamTouchpoint.team.in_(ids))
        .order_by(Touchpoint.code)
    )
    for team_id, touchpoint_id, code in query.tuples():
        places.setdefault(team_id, []).append((touchpoint_id, code))
    members: dict[int, list[int]] = {}
    for row in TeamMember.select().where(TeamMember.team.in_(ids)).order_by(TeamMember.user):
        members.setdefault(row.team_id, []).append(row.user_id)
    return [
        TeamView(
            t.id,
            t.store_id,
            t.name,
            tuple(reasons.get(t.id, ())),
            tuple(p for p, _ in places.get(t.id, ())),
            tuple(members.get(t.id, ())),
            tuple(c for _, c in places.get(t.id, ())),
        )
        for t in teams
    ]


def teams_of(store_id: int) -> list[TeamView]:
    """The store's teams by name, or its whole-store team when it has none (no scope check:
    for the job, and for callers that checked the store)."""
    found = _views(list(Team.select().where(Team.store == store_id).order_by(Team.name)))
    return found or [whole_store(store_id)]


def list_teams(scope: Scope) -> list[tuple[Store, list[TeamView]]]:
    """Every store in scope with its own teams (none listed: it has the whole-store team)."""
    stores = list(scope.restrict(Store.select().order_by(Store.code), Store.id))
    teams = _views(list(scope.restrict(Team.select(), Team.store).order_by(Team.name)))
    by_store: dict[int, list[TeamView]] = {}
    for team in teams:
        by_store.setdefault(team.store_id, []).append(team)
    return [(s, by_store.get(s.id, [])) for s in stores]


def team_keys() -> dict[int, list[int]]:
    """Store id -> the keys of its teams, for every store with teams (one query)."""
    found: dict[int, list[int]] = {}
    for team_id, store_id in Team.select(Team.id, Team.store).tuples():
        found.setdefault(store_id, []).append(team_id)
    return found


def teams_of_member(user_id: int) -> set[int]:
    """The ids of the teams ``user_id`` is a member of."""
    return {row.team_id for row in TeamMember.select(TeamMember.team).where(TeamMember.user == user_id)}


def may_edit(scope: Scope, store_id: int) -> bool:
    """HQ admins, and store managers of the store."""
    return scope.can_administer or (scope.role == "store_manager" and scope.sees(store_id))


def get_team(scope: Scope, team_id: int) -> TeamView:
    team = Team.get_or_none(Team.id == team_id)
    if team is None or not scope.sees(team.store_id):
        raise NotFound("not_found", f"team {team_id} does not exist")
    return _views([team])[0]


def people_of(store_id: int) -> list[User]:
    """Who may be a member of the store's teams: the active people linked to the store."""
    return people_by_store([store_id]).get(store_id, [])


def people_by_store(store_ids: Collection[int]) -> dict[int, list[User]]:
    """The active people linked to each of ``store_ids``, by name (one query)."""
    found: dict[int, list[User]] = {}
    query = (
        User.select(User, UserStore.store)
        .join(UserStore, on=(UserStore.user == User.id))
        .where(UserStore.store.in_(sorted(store_ids) or [-1]) & (User.active == True))  # noqa: E712
        .order_by(User.name, User.id)
    )
    for user in query:
        found.setdefault(user.userstore.store_id, []).append(user)
    return found


def touchpoints_by_store(store_ids: Collection[int]) -> dict[int, list[Touchpoint]]:
    """Each store's touchpoints by code (one query)."""
    found: dict[int, list[Touchpoint]] = {}
    query = Touchpoint.select().where(Touchpoint.store.in_(sorted(store_ids) or [-1])).order_by(Touchpoint.code)
    for touchpoint in query:
        found.setdefault(touchpoint.store_id, []).append(touchpoint)
    return found


def _invalid(detail: object) -> RequestError:
    return RequestError("malformed_request", str(detail))


def _name(raw: object) -> str:
    name = " ".join(str(raw or "").split())
    if not name or len(name) > MAX_NAME:
        raise _invalid(lazy_gettext("A team needs a name of 1 to %(max)s characters.", max=MAX_NAME))
    return name


def _reasons(raw: Collection[str]) -> list[str]:
    known = {option for option, _ in survey_reasons()}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _invalid(lazy_gettext("%(reason)s is not a reason of the survey.", reason=repr(unknown[0])))
    return sorted(set(raw))


def _ids(raw: Collection[object], allowed: Collection[int], what: object) -> list[int]:
    found = []
    for value in raw:
        text = str(value)
        if not text.isdigit() or int(text) not in allowed:
            raise _invalid(lazy_gettext("%(what)s %(value)s is not of this store.", what=what, value=repr(text)))
        found.append(int(text))
    return sorted(set(found))


def _store(scope: Scope, raw: object) -> int:
    text = str(raw or "")
    if not text.isdigit() or not scope.sees(int(text)) or Store.get_or_none(Store.id == int(text)) is None:
        raise NotFound("not_found", f"store {text!r} does not exist")
    return int(text)


def save_team(scope: Scope, fields: Mapping[str, object], *, now: datetime, team_id: int | None = None) -> TeamView:
    """Create a team (``team_id`` None; ``fields["store"]`` names its store) or change one:
    its name, reasons, touchpoints and members, all checked before anything is written."""
    store_id = get_team(scope, team_id).store_id if team_id is not None else _store(scope, fields.get("store"))
    if not may_edit(scope, store_id):
        raise VoxloopError("forbidden", "only HQ admins and the store's managers change its teams")
    name = _name(fields.get("name"))
    reasons = _reasons(list(fields.get("reasons") or ()))  # type: ignore[call-overload]
    touchpoints = _ids(
        list(fields.get("touchpoints") or ()),  # type: ignore[call-overload]
        {t.id for t in Touchpoint.select(Touchpoint.id).where(Touchpoint.store == store_id)},
        lazy_gettext("Touchpoint"),
    )
    members = _ids(
        list(fields.get("members") or ()),  # type: ignore[call-overload]
        {u.id for u in people_of(store_id)},
        lazy_gettext("Person"),
    )
    taken = Team.select().where((Team.store == store_id) & (Team.name == name))
    if team_id is not None:
        taken = taken.where(Team.id != team_id)
    if taken.exists():
        raise _invalid(lazy_gettext("The store already has a team named %(name)s.", name=name))
    with write_transaction():
        if team_id is None:
            team_id = Team.create(store=store_id, name=name, created_at=db_time(now), updated_at=db_time(now)).id
        else:
            Team.update(name=name, updated_at=db_time(now)).where(Team.id == team_id).execute()
            for model in (TeamReason, TeamTouchpoint, TeamMember):
                model.delete().where(model.team == team_id).execute()
        if reasons:
            TeamReason.insert_many([{"team": team_id, "option": r} for r in reasons]).execute()
        if touchpoints:
            TeamTouchpoint.insert_many([{"team": team_id, "touchpoint": t} for t in touchpoints]).execute()
        if members:
            TeamMember.insert_many([{"team": team_id, "user": u} for u in members]).execute()
    return get_team(scope, team_id)


def delete_team(scope: Scope, team_id: int) -> None:
    """Delete a team; its past recommendations stay, under the name it had."""
    team = get_team(scope, team_id)
    if not may_edit(scope, team.store_id):
        raise VoxloopError("forbidden", "only HQ admins and the store's managers change its teams")
    with write_transaction():
        for model in (TeamReason, TeamTouchpoint, TeamMember):
            model.delete().where(model.team == team_id).execute()
        Recommendation.update(team=None).where(Recommendation.team == team_id).execute()
        Team.delete().where(Team.id == team_id).execute()
