"""The rule book: the active alert rules and the stores' facts, compiled for the ingest path,
which reads them from memory (a ``BookCache`` per app, reloaded when a rule changes in this
process or after a few seconds, so a change made by another hub process applies soon too).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.models import AlertRule, Store, Survey, Touchpoint
from hub.services.alerts.conditions import (
    ActionCondition,
    ResponseCondition,
    SignalCondition,
    WindowCondition,
    parse_action_condition,
    parse_response_condition,
    parse_signal_condition,
    parse_window_condition,
)
from shared.errors import RuleError
from shared.protocol import ValidResponse

KINDS = ("response", "window", "signal", "action")


@dataclass(frozen=True)
class StoreFacts:
    id: int
    code: str
    name: str
    region_id: int | None
    time_zone: str
    opening_hours: Mapping[str, Any]
    country: str | None = None  # public holidays are closed days (opening_hours.py)
    subdivision: str | None = None

    @classmethod
    def of(cls, s: Store) -> StoreFacts:
        return cls(s.id, s.code, s.name, s.region_id, s.time_zone, s.opening_hours or {}, s.country, s.subdivision)


@dataclass(frozen=True)
class RuleFacts:
    id: int
    name: str
    kind: str
    condition: ResponseCondition | WindowCondition | SignalCondition | ActionCondition
    store_codes: frozenset[str] | None  # None: every store
    touchpoint: tuple[str, str] | None  # (store code, touchpoint code)
    survey: str | None
    email: bool
    webhook_url: str | None
    throttle_minutes: int
    sla_minutes: int
    quiet_hours: bool

    def applies_to(self, response: ValidResponse) -> bool:
        if self.store_codes is not None and response.store not in self.store_codes:
            return False
        if self.touchpoint is not None and self.touchpoint != (response.store, response.touchpoint):
            return False
        return self.survey is None or self.survey == response.survey

    def covers_store(self, store_code: str) -> bool:
        return self.store_codes is None or store_code in self.store_codes


@dataclass
class RuleBook:
    rules: list[RuleFacts]  # active single-response rules
    window_rules: list[RuleFacts]
    stores: dict[str, StoreFacts]  # by code
    loaded_at: float = field(default_factory=time.monotonic)
    signal_rules: list[RuleFacts] = field(default_factory=list)

    def store(self, code: str) -> StoreFacts:
        return self.stores[code]


def load_book() -> RuleBook:
    stores = {s.code: StoreFacts.of(s) for s in Store.select()}
    by_id = {s.id: s for s in stores.values()}
    touchpoints = {
        t.id: (by_id[t.store_id].code, t.code)
        for t in Touchpoint.select(Touchpoint.id, Touchpoint.store, Touchpoint.code)
    }
    surveys = {s.id: s.key for s in Survey.select(Survey.id, Survey.key)}
    by_kind: dict[str, list[RuleFacts]] = {kind: [] for kind in KINDS}
    for row in AlertRule.select().where(AlertRule.active == True).order_by(AlertRule.id):  # noqa: E712
        facts = compile_rule(row, stores, touchpoints, surveys)
        if facts is not None:
            by_kind[row.kind].append(facts)
    return RuleBook(by_kind["response"], by_kind["window"], stores, signal_rules=by_kind["signal"])


def compile_rule(
    row: AlertRule,
    stores: Mapping[str, StoreFacts],
    touchpoints: Mapping[int, tuple[str, str]],
    surveys: Mapping[int, str],
) -> RuleFacts | None:
    """A rule as the routing reads it; None for a rule that cannot be applied (kept rules are
    checked when saved, so this only guards against a scope deleted since)."""
    parsers = {
        "response": parse_response_condition,
        "signal": parse_signal_condition,
        "action": parse_action_condition,
    }
    parse = parsers.get(row.kind, parse_window_condition)
    try:
        condition = parse(row.condition)
    except RuleError:
        return None
    store_codes: frozenset[str] | None = None
    touchpoint = None
    if row.scope == "region":
        store_codes = frozenset(s.code for s in stores.values() if s.region_id == row.region_id)
    elif row.scope == "store":
        store_codes = frozenset(s.code for s in stores.values() if s.id == row.store_id)
    elif row.scope == "touchpoint":
        touchpoint = touchpoints.get(row.touchpoint_id)
        if touchpoint is None:
            return None
        store_codes = frozenset({touchpoint[0]})
    survey = surveys.get(row.survey_id) if row.scope == "survey" else None
    if row.scope == "survey" and survey is None:
        return None
    return RuleFacts(
        id=row.id,
        name=row.name,
        kind=row.kind,
        condition=condition,
        store_codes=store_codes,
        touchpoint=touchpoint,
        survey=survey,
        email=bool(row.email),
        webhook_url=row.webhook_url,
        throttle_minutes=row.throttle_minutes,
        sla_minutes=row.sla_minutes,
        quiet_hours=bool(row.quiet_hours),
    )


class BookCache:
    """The rule book, reloaded when a rule changes in this process or after ``ttl`` seconds
    (a rule changed by another hub process is applied within that time)."""

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._book: RuleBook | None = None
        self._lock = threading.Lock()

    def get(self, *, stale_store: str | None = None) -> RuleBook:
        book = self._book
        if (
            book is None
            or time.monotonic() - book.loaded_at > self.ttl
            or (stale_store is not None and stale_store not in book.stores)
        ):
            with self._lock:
                book = self._book = load_book()
        return book

    def forget(self) -> None:
        self._book = None


_caches: weakref.WeakSet[BookCache] = weakref.WeakSet()


def forget_book() -> None:
    """A rule or store changed: every app in this process reloads its book on next use."""
    for cache in list(_caches):
        cache.forget()


def new_book_cache(ttl: float = 2.0) -> BookCache:
    cache = BookCache(ttl)
    _caches.add(cache)
    return cache
