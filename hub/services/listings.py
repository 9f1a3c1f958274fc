"""What the management pages (hub/admin/) show and choose from: regions, stores,
touchpoints, surveys and their versions, people, alert rules, terminals and their sync log,
each in the order the pages list them, and the one row a page is about (NotFound when there
is none). Reads only; every change goes through the area's service (catalog, users,
enrollment, alerts.rules, targets). Lists of store data take the caller's Scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from peewee import JOIN

from hub.models import (
    AlertRule,
    Region,
    Store,
    Survey,
    SurveyVersion,
    SyncLog,
    Terminal,
    Touchpoint,
    User,
    UserRegion,
    UserStore,
)
from hub.services.access import Scope
from shared.errors import NotFound

SYNC_LOG_LENGTH = 20


def _found(row: Any, what: str) -> Any:
    if row is None:
        raise NotFound("not_found", f"no such {what}")
    return row


# --- places ---------------------------------------------------------------------------------


def regions() -> list[Region]:
    return list(Region.select().order_by(Region.name))


def all_stores() -> list[Store]:
    """Every store's code and name, for a choice."""
    return list(Store.select(Store.code, Store.name).order_by(Store.code))


def stores(scope: Scope) -> list[Store]:
    """The stores in scope with their regions, by code."""
    query = Store.select(Store, Region).join(Region, JOIN.LEFT_OUTER).order_by(Store.code)
    return list(scope.restrict(query, Store.id))


def store(code: str, scope: Scope) -> Store:
    """The store with ``code``; NotFound when there is none or it is outside the scope."""
    found = _found(Store.get_or_none(Store.code == code), "store")
    scope.require_store(found.id)
    return found


def touchpoint_counts() -> dict[int, int]:
    """Store id -> how many touchpoints it has (stores without any left out)."""
    counts: dict[int, int] = {}
    for t in Touchpoint.select(Touchpoint.store):
        counts[t.store_id] = counts.get(t.store_id, 0) + 1
    return counts


def places(scope: Scope | None = None) -> list[Touchpoint]:
    """Every touchpoint with its store, by store and touchpoint code; only the scope's when
    one is given."""
    query = Touchpoint.select(Touchpoint, Store).join(Store).order_by(Store.code, Touchpoint.code)
    return list(query if scope is None else scope.restrict(query, Touchpoint.store))


def store_touchpoints(store: Store) -> list[Touchpoint]:
    """A store's touchpoints with their surveys, by code."""
    query = Touchpoint.select(Touchpoint, Survey).join(Survey).where(Touchpoint.store == store.id)
    return list(query.order_by(Touchpoint.code))


# --- surveys --------------------------------------------------------------------------------


def surveys() -> list[Survey]:
    return list(Survey.select().order_by(Survey.key))


def survey(key: str) -> Survey:
    return _found(Survey.get_or_none(Survey.key == key), "survey")


def survey_exists(key: str) -> bool:
    return Survey.get_or_none(Survey.key == key) is not None


def survey_version(survey: Survey, number: int) -> SurveyVersion:
    row = SurveyVersion.get_or_none((SurveyVersion.survey == survey.id) & (SurveyVersion.version == number))
    if row is None:
        raise NotFound("not_found", f"survey {survey.key!r} has no version {number}")
    return row


def survey_versions(survey: Survey) -> list[SurveyVersion]:
    """Every version of a survey, the newest first."""
    query = SurveyVersion.select().where(SurveyVersion.survey == survey.id)
    return list(query.order_by(SurveyVersion.version.desc()))


def survey_touchpoints(survey: Survey) -> list[Touchpoint]:
    """The touchpoints that ask a survey."""
    return list(Touchpoint.select().where(Touchpoint.survey == survey.id))


def survey_use(rows: Sequence[Survey]) -> tuple[dict[int, int], dict[int, int]]:
    """Survey id -> how many versions it has, and -> how many touchpoints ask it."""
    versions = {s.id: SurveyVersion.select().where(SurveyVersion.survey == s.id).count() for s in rows}
    used = {s.id: Touchpoint.select().where(Touchpoint.survey == s.id).count() for s in rows}
    return versions, used


# --- people ---------------------------------------------------------------------------------


def people() -> list[User]:
    """Everyone, the active first, by role and name."""
    return list(User.select().order_by(User.active.desc(), User.role, User.name))


def person(user_id: int) -> User:
    return _found(User.get_or_none(User.id == user_id), "person")


def store_managers() -> list[User]:
    """Everyone with the store manager role, by name."""
    return list(User.select().where(User.role == "store_manager").order_by(User.name))


def managers_of(store: Store) -> set[int]:
    """The ids of the store managers of a store."""
    query = (
        User.select(User.id)
        .join(UserStore, on=(UserStore.user == User.id))
        .where((UserStore.store == store.id) & (User.role == "store_manager"))
    )
    return {u.id for u in query}


def people_places() -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """User id -> the codes of their stores, and -> the names of their regions."""
    stores_of: dict[int, list[str]] = {}
    for user_id, code in UserStore.select(UserStore.user, Store.code).join(Store).order_by(Store.code).tuples():
        stores_of.setdefault(user_id, []).append(code)
    regions_of: dict[int, list[str]] = {}
    for user_id, name in UserRegion.select(UserRegion.user, Region.name).join(Region).order_by(Region.name).tuples():
        regions_of.setdefault(user_id, []).append(name)
    return stores_of, regions_of


def picked_places(codes: Sequence[str], names: Sequence[str]) -> tuple[list[Store], list[Region]]:
    """The stores and regions a form picked by code and name; NotFound when one is unknown."""
    found_stores = list(Store.select().where(Store.code.in_(list(codes) or [""])))
    found_regions = list(Region.select().where(Region.name.in_(list(names) or [""])))
    if len(found_stores) != len(set(codes)) or len(found_regions) != len(set(names)):
        raise NotFound("not_found", "no such store or region")
    return found_stores, found_regions


# --- alert rules and terminals --------------------------------------------------------------


def alert_rules() -> list[AlertRule]:
    return list(AlertRule.select().order_by(AlertRule.id))


def terminals(scope: Scope, store: Store | None = None) -> list[Terminal]:
    """The terminals in scope (of one store when given) with store and touchpoint, by store,
    status and enrolment."""
    query = (
        Terminal.select(Terminal, Store, Touchpoint)
        .join(Store, on=(Terminal.store == Store.id))
        .switch(Terminal)
        .join(Touchpoint, on=(Terminal.touchpoint == Touchpoint.id))
        .order_by(Store.code, Terminal.status, Terminal.enrolled_at)
    )
    if store is not None:
        query = query.where(Terminal.store == store.id)
    return list(scope.restrict(query, Terminal.store))


def terminal(terminal_id: str, scope: Scope) -> Terminal:
    """A terminal the scope sees; NotFound otherwise."""
    found = Terminal.get_or_none(Terminal.id == terminal_id)
    if found is None or not scope.sees(found.store_id):
        raise NotFound("not_found", "no such terminal")
    return found


def sync_log(terminal: Terminal) -> list[SyncLog]:
    """A terminal's latest syncs, the newest first."""
    query = SyncLog.select().where(SyncLog.terminal == terminal.id).order_by(SyncLog.received_at.desc())
    return list(query.limit(SYNC_LOG_LENGTH))
