"""Windowed rules: what the last minutes of a store say, checked by a job.

For each active window rule and each store in its scope, the smiley answers captured in the
last ``window_minutes`` are counted per face and scored with shared/scoring (negative share
with its n, smiley index); a volume drop compares the window's response count with the same
window on the days before. A rule that holds raises an alert (hub/services/alerts/routing.py)
with the figures and the window's negative responses that are in no case yet; it fires again
for a store only after a full window has passed since its last alert, so a bad hour is one
case, not sixty. Responses of a resolved case were dealt with: they are left out of the
figures, and a window on the smiley answers fires only when it holds a negative response that
no case holds yet (docs/cases.md), so resolving a case never reopens it with its own
complaints, and new complaints after it open a new case.

Capture times are used, not receive times, so a terminal's week of backlog arriving at once
does not look like a bad quarter of an hour. Unfinished phone responses are not counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from hub.db import write_transaction
from hub.models import Case, SurveyVersion
from hub.queries import windows as q
from hub.services.alerts.conditions import TERMINAL_SILENT, WindowCondition, WindowFigures
from hub.services.alerts.opening_hours import store_is_open
from hub.services.alerts.routing import alerts_state, raise_alert
from hub.services.alerts.rule_book import RuleFacts, StoreFacts
from shared import scoring

MAX_ATTACHED = 50  # negative responses attached to one window alert


# q.smiley_answers: response id, store id, touchpoint code, survey key, survey id, version, question, face,
# the state of the response's case (None: in no case)
Row = tuple[Any, ...]
FaceKey = tuple[int, int, str]  # survey id, version, question


def check_windows(now: datetime) -> int:
    """Check every active window rule for every store in its scope; returns alerts raised."""
    book = alerts_state().book.get()
    raised = 0
    rows_by_window: dict[int, list[Row]] = {}
    codes = {s.id: s.code for s in book.stores.values()}
    for rule in book.window_rules:
        condition = rule.condition
        assert isinstance(condition, WindowCondition)
        if condition.measure == TERMINAL_SILENT:
            continue  # raised by the silent-terminal job (hub/services/terminal_health.py)
        stores = [s for s in book.stores.values() if rule.covers_store(s.code)]
        if condition.measure == "volume_drop_percent":
            raised += sum(_volume(rule, condition, store, now) for store in stores)
            continue
        if condition.window_minutes not in rows_by_window:
            since = now - timedelta(minutes=condition.window_minutes)
            rows_by_window[condition.window_minutes] = q.smiley_answers(since, now)
        rows = [r for r in rows_by_window[condition.window_minutes] if _in_scope(rule, r, codes)]
        raised += _check_smileys(rule, condition, stores, rows, now)
    return raised


def _check_smileys(
    rule: RuleFacts, condition: WindowCondition, stores: list[StoreFacts], rows: list[Row], now: datetime
) -> int:
    """A rule on the window's smiley answers (``rows``, already in the rule's scope), store by store."""
    faces = _faces({_face_key(r) for r in rows})
    by_store: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_store[row[1]].append(row)
    raised = 0
    for store in stores:
        store_rows = by_store.get(store.id, [])
        if store_rows:
            raised += _check_store(rule, condition, store, store_rows, faces, now)
    return raised


def _check_store(
    rule: RuleFacts,
    condition: WindowCondition,
    store: StoreFacts,
    rows: list[Row],
    faces: dict[FaceKey, int],
    now: datetime,
) -> int:
    """1 when the store's window figures hold the condition and raise an alert, else 0."""
    rows = [row for row in rows if row[8] != "resolved"]  # dealt with already
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts[faces[_face_key(row)]][row[7]] += 1
    figures = condition.figures(counts)
    if not condition.holds(figures) or _fired_within(rule, store, condition.window_minutes, now):
        return 0
    negative = [
        str(row[0]) for row in rows if row[8] is None and scoring.smiley_weight(row[7], faces[_face_key(row)]) < 0
    ]
    if not negative:
        return 0  # every complaint of the window is in a case already
    with write_transaction():
        return int(raise_alert(store, rule, negative[:MAX_ATTACHED], now=now, summary=figures.as_dict()) > 0)


def _face_key(row: Row) -> FaceKey:
    return (row[4], row[5], row[6])


def _in_scope(rule: RuleFacts, row: Row, codes: dict[int, str]) -> bool:
    if rule.touchpoint is not None and rule.touchpoint != (codes.get(row[1]), row[2]):
        return False
    return rule.survey is None or rule.survey == row[3]


def _faces(keys: Iterable[FaceKey]) -> dict[FaceKey, int]:
    found: dict[FaceKey, int] = {}
    definitions: dict[tuple[int, int], dict[str, Any]] = {}
    for survey_id, version, question in keys:
        if (survey_id, version) not in definitions:
            row = SurveyVersion.get_or_none((SurveyVersion.survey == survey_id) & (SurveyVersion.version == version))
            definitions[(survey_id, version)] = row.definition if row else {}
        questions = {q["id"]: q for q in definitions[(survey_id, version)].get("questions", [])}
        found[(survey_id, version, question)] = int(questions.get(question, {}).get("faces", 5))
    return found


def _fired_within(
    rule: RuleFacts, store: StoreFacts, minutes: int, now: datetime, *, or_resolved: bool = False
) -> bool:
    """An open case of this rule at this store was alerted within the last window (with
    ``or_resolved``, also a case resolved within it: a volume drop has no responses to tell a
    new alarm from the one just dealt with)."""
    since = (now - timedelta(minutes=minutes)).replace(tzinfo=None)
    recent = (Case.state != "resolved") & (Case.last_alert_at > since)
    if or_resolved:
        recent |= (Case.state == "resolved") & (Case.resolved_at > since)
    return Case.select().where((Case.store == store.id) & (Case.rule == rule.id) & recent).exists()


def _volume(rule: RuleFacts, condition: WindowCondition, store: StoreFacts, now: datetime) -> int:
    """A volume drop: only while the store is open for the whole window."""
    window = timedelta(minutes=condition.window_minutes)
    if not (store_is_open(store, now) and store_is_open(store, now - window)):
        return 0

    def count(end: datetime) -> int:
        return q.response_count(store.id, end - window, end)

    days = condition.baseline_days
    baseline = sum(count(now - timedelta(days=d)) for d in range(1, days + 1)) / days
    figures = WindowFigures(count(now), None, None, baseline)
    if not condition.holds(figures) or _fired_within(rule, store, condition.window_minutes, now, or_resolved=True):
        return 0
    with write_transaction():
        return int(raise_alert(store, rule, [], now=now, summary=figures.as_dict()) > 0)
