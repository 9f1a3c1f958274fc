"""Each team's recommendation of the day: the one reason in its scope to work on today.

How it is chosen. Every store-local morning (``MORNING_HOUR``, the ``recommendations`` job of
hub/jobs.py) each team of each store (hub/services/teams.py; a store without teams has its
whole-store team) gets one recommendation, made once and kept (``recommendation``: one row per
store, team and day, a unique key, so several job processes make it once):

- the reasons are the store's drivers over its last ``WEEK`` complete local days, measured as
  the drivers page measures them (hub/services/drivers.py ``reason_drivers``), limited to the
  team's reasons (a team without reasons: every reason);
- the reason is the first of them by ``top_reasons``, the one rule of what to work on first:
  the greatest estimated gain of the smiley index, or, where only unhappy faces were asked,
  the most unhappiness it adds; too small samples only after the others. No reason with an
  order above zero: the recommendation says that nothing stands out;
- the evidence: how many named it, the share of those asked, the gain with its interval, as
  measured that morning, and the ``COMMENTS`` newest comments of the store's responses naming
  it that week (through the team's touchpoints when it has some), kept as answer ids so an
  erased comment is never shown again;
- what was already tried: the actions whose goal is that reason's share in that store (its
  own, its region's or every store's) and their measured effect (hub/services/action_effects.py:
  clear, unclear, negative, or not yet measured).

It is shown on the start page of everyone who sees the store (a team's members first), in
the daily digest, and sent as the ``recommendation.made`` webhook to the alert rules of kind
``recommendation`` that cover the store. A person who works the store (not an HQ analyst)
dismisses it with a word why; the dismissal is kept with who and when (``recommendation_event``)
and shown to HQ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.db import db_time, stored_day, write_transaction
from hub.models import Action, Recommendation, RecommendationEvent, Store, User
from hub.queries.recommendations import comment_texts, comments_naming
from hub.services.access import Scope
from hub.services.action_effects import Effect, effects_of
from hub.services.actions import stores_of
from hub.services.analytics import Period, survey_scales
from hub.services.drivers import Driver, choice_questions, reason_drivers, survey_definition, top_reasons
from hub.services.recommendation_events import announce
from hub.services.teams import WHOLE_STORE, TeamView, team_keys, teams_of, teams_of_member
from shared.errors import NotFound, RequestError, VoxloopError

MORNING_HOUR = 6
WEEK = 7
COMMENTS = 3
MAX_NOTE = 500
SHOWN = 20  # at most this many on a start page (HQ sees every store's)


# --- making them ---------------------------------------------------------------------------


@dataclass
class Run:
    """What one job run reads once for every store: the survey's reason texts, its smiley
    question, and the effects of the actions measured so far (an action of many stores is
    measured once)."""

    labels: dict[str, dict[str, str]]
    smiley: str | None
    measured: dict[int, Effect] = field(default_factory=dict)

    @classmethod
    def start(cls) -> Run:
        return cls(reason_texts(), survey_scales().smiley)


def make_recommendations(now: datetime, *, hour: int = MORNING_HOUR) -> int:
    """Make today's recommendations of every store whose local ``hour`` has come and that has
    none yet for a team; returns how many were made. A run with nothing to make reads two
    small queries (the job runs every few minutes)."""
    stores = list(Store.select().order_by(Store.id))
    due = {s.id: now.astimezone(ZoneInfo(s.time_zone)) for s in stores}
    due = {k: local for k, local in due.items() if local.hour >= hour}
    if not due:
        return 0
    first = min(local.date() for local in due.values())
    made = {
        (r.store_id, r.team_key, stored_day(r.day))
        for r in Recommendation.select(Recommendation.store, Recommendation.team_key, Recommendation.day).where(
            Recommendation.day >= first
        )
    }
    keys = team_keys()
    run = Run.start()
    count = 0
    for store in stores:
        if store.id not in due:
            continue
        day = due[store.id].date()
        if all((store.id, key, day) in made for key in keys.get(store.id, (WHOLE_STORE,))):
            continue
        missing = [t for t in teams_of(store.id) if (store.id, t.key, day) not in made]
        if missing:
            count += len(make_day(store, day, missing, now, run))
    return count


def make_day(store: Store, day: date, teams: Sequence[TeamView], now: datetime, run: Run | None = None) -> list[int]:
    """The recommendations of ``teams`` of ``store`` for ``day`` (made by whoever is first:
    one already made is left as it is); returns the ids made now."""
    period = Period.ending(day - timedelta(days=1), WEEK)
    _, drivers = reason_drivers([store.id], period, "en")
    run = run or Run.start()
    made = []
    for team in teams:
        found = make_one(store, team, day, drivers, period, now, run)
        if found is not None:
            made.append(found)
    return made


def reason_texts() -> dict[str, dict[str, str]]:
    """Option id -> its texts by language, from the survey's current version."""
    try:
        definition = survey_definition()
    except NotFound:
        return {}
    return {o.id: dict(o.text) for q in choice_questions(definition) for o in q.options}


def _figures(driver: Driver) -> dict[str, Any]:
    return {
        "n": driver.n,
        "rated": driver.rated,
        "asked": driver.asked,
        "occurrence": _round(driver.occurrence),
        "share": _round(driver.share),
        "share_low": _round(driver.share_low),
        "share_high": _round(driver.share_high),
        "gain": _round(driver.gain),
        "gain_low": _round(driver.gain_low),
        "gain_high": _round(driver.gain_high),
        "basis": driver.basis,
        "small_sample": driver.small_sample,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def choose(drivers: Iterable[Driver], team: TeamView) -> Driver | None:
    """The team's reason to work on first (``top_reasons``), among its reasons."""
    pool = [d for d in drivers if d.kind == "reason" and (not team.reasons or d.key in team.reasons)]
    return next(iter(top_reasons(pool, 1)), None)


def tried(store_id: int, option: str, now: datetime, measured: dict[int, Effect] | None = None) -> list[dict[str, Any]]:
    """The actions whose goal is ``option``'s share in the store, newest first, with their
    measured effect as of ``now`` (verdict None: not in effect yet, or dropped). ``measured``
    keeps the effects of one job run, so an action of many stores is measured once."""
    actions = [
        a
        for a in Action.select()
        .where((Action.kpi == "reason_share") & (Action.reason == option))
        .order_by(Action.created_at.desc(), Action.id.desc())
        if store_id in stores_of(a)
    ]
    measured = {} if measured is None else measured
    measured.update(effects_of([a for a in actions if a.id not in measured], now))
    effects = {a.id: measured[a.id] for a in actions if a.id in measured}
    found = []
    for action in actions:
        effect = effects.get(action.id)
        found.append(
            {
                "id": action.id,
                "title": action.title,
                "state": action.state,
                "effect_from": action.effect_from.isoformat() if action.effect_from else None,
                "verdict": effect.verdict if effect else None,
                "estimate": _round(effect.estimate) if effect else None,
                "low": _round(effect.low) if effect else None,
                "high": _round(effect.high) if effect else None,
            }
        )
    return found


def evidence(store: Store, team: TeamView, driver: Driver, period: Period, now: datetime, run: Run) -> dict[str, Any]:
    """What a recommendation of ``driver`` rests on, as kept with it."""
    comments = comments_naming(
        store.id,
        driver.question,
        driver.key,
        period.start,
        period.end,
        smiley_question=run.smiley,
        touchpoints=team.touchpoints,
        limit=COMMENTS,
    )
    return {
        "label": run.labels.get(driver.key, {"en": driver.label}),
        "figures": _figures(driver),
        "comments": [
            {"answer": a, "at": at.replace(tzinfo=UTC).isoformat(), "face": face, "touchpoint": code}
            for a, at, _text, face, code in comments
        ],
        "tried": tried(store.id, driver.key, now, run.measured),
    }


def make_one(
    store: Store,
    team: TeamView,
    day: date,
    drivers: Sequence[Driver],
    period: Period,
    now: datetime,
    run: Run,
) -> int | None:
    """Keep ``team``'s recommendation for ``day`` and announce it, in one transaction; None
    when it was made already."""
    driver = choose(drivers, team)
    data: dict[str, Any] = {"period": {"start": period.start.isoformat(), "end": period.end.isoformat()}}
    if driver is not None:
        data.update(evidence(store, team, driver, period, now, run))
    with write_transaction():
        inserted = (
            Recommendation.insert(
                store=store.id,
                team_key=team.key,
                team=team.id,
                team_name=team.name,
                day=day,
                question=driver.question if driver else None,
                reason=driver.key if driver else None,
                data=data,
                made_at=db_time(now),
            )
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        if not inserted:  # another job process was first
            return None
        found = Recommendation.get(
            (Recommendation.store == store.id) & (Recommendation.team_key == team.key) & (Recommendation.day == day)
        )
        RecommendationEvent.create(recommendation=found.id, at=db_time(now), kind="made")
        announce(found, store, now)
    return found.id


# --- reading them ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A recommendation as people read it."""

    recommendation: Recommendation
    store: Store
    mine: bool  # the person is a member of its team
    comments: list[dict[str, Any]]  # with their current text; erased ones left out
    dismissed_by: str | None

    @property
    def data(self) -> Mapping[str, Any]:
        return self.recommendation.data or {}

    def label(self, language: str | None) -> str:
        texts = self.data.get("label") or {}
        return texts.get(language or "en") or texts.get("en") or self.recommendation.reason or ""


def local_days(stores: Iterable[Store], now: datetime) -> dict[int, date]:
    return {s.id: now.astimezone(ZoneInfo(s.time_zone)).date() for s in stores}


def _shown(found: Sequence[Recommendation], stores: Mapping[int, Store], user_id: int | None) -> list[Shown]:
    member_of = teams_of_member(user_id) if user_id is not None else set()
    ids = [c["answer"] for r in found for c in (r.data or {}).get("comments", ())]
    texts = comment_texts(ids)
    people = {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(
        [r.dismissed_by_id for r in found if r.dismissed_by_id] or [-1]))}  # fmt: skip
    shown = [
        Shown(
            r,
            stores[r.store_id],
            r.team_id in member_of,
            [{**c, "text": texts[c["answer"]]} for c in (r.data or {}).get("comments", ()) if texts.get(c["answer"])],
            people.get(r.dismissed_by_id) if r.dismissed_by_id else None,
        )
        for r in found
    ]
    return sorted(shown, key=lambda s: (not s.mine, s.store.code, s.recommendation.team_name))


def today_for(scope: Scope, now: datetime, *, limit: int = SHOWN) -> list[Shown]:
    """Today's recommendations (each store's local day) of the stores in scope, the person's
    own teams first, then by store and team; at most ``limit``."""
    stores = {s.id: s for s in scope.restrict(Store.select(), Store.id)}
    days = local_days(stores.values(), now)
    if not days:
        return []
    query = Recommendation.select().where(Recommendation.day.in_(sorted(set(days.values()))))
    found = [r for r in scope.restrict(query, Recommendation.store) if stored_day(r.day) == days[r.store_id]]
    member_of = teams_of_member(scope.user_id)
    found.sort(key=lambda r: (r.team_id not in member_of, stores[r.store_id].code, r.team_name))
    return _shown(found[:limit], stores, scope.user_id)


def for_store_day(store: Store, day: date, now: datetime) -> list[Shown]:
    """A store's recommendations of ``day``, made now for the teams that have none yet (the
    digest may go out before the job ran; no scope of a page)."""
    query = Recommendation.select().where((Recommendation.store == store.id) & (Recommendation.day == day))
    keys = {r.team_key for r in query}
    missing = [t for t in teams_of(store.id) if t.key not in keys]
    if missing:
        make_day(store, day, missing, now)
    return _shown(list(query.clone()), {store.id: store}, None)


def dismissed(scope: Scope, now: datetime, days: int = 14) -> list[Shown]:
    """The recommendations dismissed in the last ``days``, newest first (HQ reads them)."""
    since = now - timedelta(days=days)
    query = Recommendation.select().where(
        Recommendation.dismissed_at.is_null(False) & (Recommendation.dismissed_at >= db_time(since))
    )
    found = list(scope.restrict(query, Recommendation.store).order_by(Recommendation.dismissed_at.desc()).limit(100))
    stores = {s.id: s for s in Store.select().where(Store.id.in_([r.store_id for r in found] or [-1]))}
    return sorted(_shown(found, stores, None), key=lambda s: s.recommendation.dismissed_at, reverse=True)


# --- dismissing ------------------------------------------------------------------------------


def may_dismiss(scope: Scope, store_id: int) -> bool:
    """Everyone who sees the store and works it (not HQ analysts)."""
    return scope.sees(store_id) and scope.can_act_on_cases


def dismiss(scope: Scope, recommendation_id: int, note: object, *, now: datetime) -> Recommendation:
    """Set a recommendation aside with a word why. One outside the scope does not exist (404);
    an HQ analyst is refused (403); a missing word or one dismissed already is a bad request."""
    found = Recommendation.get_or_none(Recommendation.id == recommendation_id)
    if found is None or not scope.sees(found.store_id):
        raise NotFound("not_found", f"recommendation {recommendation_id} does not exist")
    if not may_dismiss(scope, found.store_id):
        raise VoxloopError("forbidden", "HQ analysts read recommendations; they do not dismiss them")
    text = " ".join(str(note or "").split())
    if not text or len(text) > MAX_NOTE:
        raise RequestError("malformed_request", f"say in 1 to {MAX_NOTE} characters why it is dismissed")
    with write_transaction():
        changed = (
            Recommendation.update(dismissed_at=db_time(now), dismissed_by=scope.user_id, dismissed_note=text)
            .where((Recommendation.id == recommendation_id) & Recommendation.dismissed_at.is_null())
            .execute()
        )
        if not changed:
            raise RequestError("malformed_request", "this recommendation was dismissed already")
        RecommendationEvent.create(
            recommendation=recommendation_id, at=db_time(now), user=scope.user_id, kind="dismissed", text=text
        )
    return Recommendation.get_by_id(recommendation_id)
