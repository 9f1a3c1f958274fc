"""The rollups the dashboards read, counted as responses are stored.

Ingest (terminal batches), the phone page (answers that arrive one by one) and the demo seed
all count through ``Rollups``, so a figure means the same whichever way its responses came.
``write`` adds the counts in the caller's transaction: a response and its counts commit
together or not at all. ``rebuild_rollups`` counts everything again from the raw responses
(so does a migration that adds rollups to a hub that already held responses:
``count_held_responses``; tests compare with it).

What each table holds (hub/models.py; ``store_id = 0`` rows are the total over every store):
- rollup_daily: every answer value per store, touchpoint, channel, question and local day;
- score_daily: numeric answers (smiley, CSAT, NPS) per question, day, store and channel;
- score_monthly: score_daily summed by calendar month (the first of the month as its day),
  so long periods read 12 rows a year (hub/queries/scores.py);
- score_weekly: score_daily summed by ISO week (the Monday as its day), so the whole weeks
  at a period's edges are a row each (the 28-day ranking reads about 9 rows a store);
- hour_daily: smiley answers per day, store and local hour of capture;
- reason_daily: each chosen option of a choice question, by the response's smiley face;
- reason_pair_daily: each pair of options a response chose together, by its face, and (both
  options '') each response that chose any option of the question: the driver regression
  needs them (hub/services/reason_effects.py);
- term_daily: the words and phrases of comments (hub/services/comment_text.py), with how
  many of those comments came with an unhappy or a happy face and their summed sentiment;
  the term '' counts every comment of the language;
- suspect_daily: rollup_daily's counts for responses flagged ``suspect`` (a terminal's
  hammered buttons, a phone answer faster than a person reads, a burst from one client).
  They are counted there only: every other table, and so every figure, leaves them out
  unless a reader asks to add them back (hub/queries/scores.py ``with_suspect``).
- suspect_monthly: suspect_daily summed by question, store and month whatever the value, so
  a period's count of suspect responses reads its whole months there (v0036).

A response flagged suspect after its answers were counted (a phone conversation finished too
fast, the earlier answers of a burst) is moved: ``Rollups(weight=-1)`` takes its counts
out of the tables it was in, and it is counted again as suspect (hub/services/suspect.py).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from peewee import Database

from hub.db import database, stored_time
from hub.queries import rollups as q
from hub.queries.rollups import ALL_COMMENTS, TOTAL
from hub.services.comment_text import LANGUAGES, comment_sentiment, comment_terms, detect_language
from hub.services.response_records import rollup_value
from shared.protocol import AnswerRow, SurveyDefinition
from shared.scoring import mood

NUMERIC_KINDS = frozenset({"smiley", "csat", "nps"})


def smiley_faces(definition: SurveyDefinition) -> int:
    """How many faces the survey's (first) smiley question has; 5 when it has none."""
    return next((q.faces for q in definition.questions if q.kind == "smiley"), 5)


FALLBACK_LANGUAGE = "en"  # comments in a language we do not analyse are read as English


def language_of(locale: str) -> str:
    """A page's language for the themes: the locale's language if we analyse it, else en."""
    language = (locale or "")[:2].lower()
    return language if language in LANGUAGES else FALLBACK_LANGUAGE


def comment_language(text: str, locale: str) -> str:
    """The language a comment is counted under: the one it is written in, else its page's."""
    return detect_language(text, language_of(locale))


@lru_cache(maxsize=4096)
def _monday(day: str) -> str:
    """The Monday of an ISO day's week, as ISO text (score_weekly's day)."""
    found = date.fromisoformat(day)
    return (found - timedelta(days=found.weekday())).isoformat()


def _counts(width: int) -> list:
    return [0] * width


def _first_of_month(day: str) -> str:
    """The first of an ISO day's month, as ISO text (score_monthly's day)."""
    return day[:8] + "01"


def _every_store(store_id: int) -> int:
    return TOTAL


def _summed(counts: dict[tuple, list], at: int, into: Callable[[Any], Any]) -> dict[tuple, list]:
    """``counts`` summed value by value over the rows whose key's part ``at`` maps to the same
    ``into(part)``: the day rows into their month's or week's, the stores' into every store's."""
    sums: dict[tuple, list] = {}
    for key, values in counts.items():
        target = (*key[:at], into(key[at]), *key[at + 1 :])
        row = sums.get(target)
        if row is None:
            sums[target] = list(values)
        else:
            for i, value in enumerate(values):
                row[i] += value
    return sums


@dataclass
class Rollups:
    """Counts gathered for one transaction, written by ``write``; ``weight`` -1 takes counts
    out again (a response moved to the suspect ones).

    Each answer is counted once, in its store's day row. The rows that sum those (every
    store's, the ISO week's, the month's) are derived in ``write`` from the distinct day rows:
    a batch of a hundred responses of one store and day holds a few dozen of them.
    """

    weight: int = 1
    daily: Counter = field(default_factory=Counter)
    scores: dict[tuple, list[int]] = field(default_factory=lambda: defaultdict(lambda: _counts(12)))
    hours: dict[tuple, list[int]] = field(default_factory=lambda: defaultdict(lambda: _counts(6)))
    reasons: dict[tuple, list[int]] = field(default_factory=lambda: defaultdict(lambda: _counts(6)))
    pairs: dict[tuple, list[int]] = field(default_factory=lambda: defaultdict(lambda: _counts(6)))
    terms: dict[tuple, list[Any]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0.0]))
    suspect: Counter = field(default_factory=Counter)

    def add(
        self,
        *,
        store_id: int,
        touchpoint_id: int,
        channel: str,
        day: date | str,
        hour: int | None,
        locale: str,
        answers: Iterable[AnswerRow],
        face: int | None = None,
        faces: int = 5,
        suspect: bool = False,
    ) -> None:
        """Count ``answers`` of one response. ``face`` is the response's smiley answer when it
        is stored already (a phone answer arriving after the smiley); otherwise the first
        smiley among ``answers`` is taken, and counted by ``hour`` (None: not known). The
        answers of a ``suspect`` response are counted in suspect_daily only."""
        answers = list(answers)
        day_key = day if isinstance(day, str) else day.isoformat()
        if suspect:
            for a in answers:
                self.suspect[(store_id, touchpoint_id, channel, a.question, day_key, rollup_value(a))] += self.weight
            return
        if face is None:
            face = self._add_smiley(answers, day_key, store_id, hour)
        feeling = mood(face, faces)
        chosen: dict[str, set[str]] = defaultdict(set)
        for a in answers:
            self.daily[(store_id, touchpoint_id, channel, a.question, day_key, rollup_value(a))] += self.weight
            if a.kind in NUMERIC_KINDS and a.number is not None and 0 <= a.number <= 10:
                self._add_score(a.question, a.number, day_key, store_id, channel)
            elif a.kind == "choice" and a.text:
                self._add_reason(a.question, a.text, day_key, store_id, face)
                chosen[a.question].add(a.text)
            elif a.kind == "text" and a.text and a.text.strip():
                self._add_comment(a.text, locale, day_key, store_id, feeling)
        for question, options in chosen.items():
            self._add_pairs(question, sorted(options), day_key, store_id, face)

    def _add_smiley(self, answers: list[AnswerRow], day: str, store_id: int, hour: int | None) -> int | None:
        """The first smiley answer's face (None without one), counted by ``hour`` when known."""
        smiley = next((a for a in answers if a.kind == "smiley" and a.number is not None), None)
        if smiley is None:
            return None
        face = smiley.number
        if hour is not None and 1 <= face <= 5:
            row = self.hours[(day, store_id, hour)]
            row[0] += self.weight
            row[face] += self.weight
        return face

    def _add_score(self, question: str, number: int, day: str, store_id: int, channel: str) -> None:
        row = self.scores[(question, day, store_id, channel)]
        row[0] += self.weight
        row[1 + number] += self.weight

    def add_score_counts(self, question: str, day: str, store_id: int, channel: str, counts: list[int]) -> None:
        """Count answers already tallied by value (``counts[v]`` answers of value v, 0-10) for
        one store and day, as ``add`` would have counted them one by one (so in the week's and
        month's rows and the totals too): a history written without responses."""
        row = self.scores[(question, day, store_id, channel)]
        row[0] += self.weight * sum(counts)
        for value, n in enumerate(counts):
            row[1 + value] += self.weight * n

    def _add_reason(self, question: str, option: str, day: str, store_id: int, face: int | None) -> None:
        """Count a chosen option, by the face of the response it came with."""
        row = self.reasons[(question, day, store_id, option)]
        row[0] += self.weight
        if face is not None and 1 <= face <= 5:
            row[face] += self.weight

    def _add_pairs(self, question: str, options: list[str], day: str, store_id: int, face: int | None) -> None:
        """Count the response under ('', ''): it chose an option; and under each pair it chose."""
        pairs = [("", "")] + [(a, b) for i, a in enumerate(options) for b in options[i + 1 :]]
        counted = face is not None and 1 <= face <= 5
        for option, other in pairs:
            row = self.pairs[(question, day, store_id, option, other)]
            row[0] += self.weight
            if counted:
                row[face] += self.weight

    def _add_comment(self, text: str, locale: str, day: str, store_id: int, feeling: str | None) -> None:
        """Count the comment under each of its terms, and under the term ``ALL_COMMENTS`` (every
        comment of the language, so a theme's share needs no scan of the per-store rows)."""
        language = comment_language(text, locale)
        weight = self.weight
        negative, positive = weight * (feeling == "negative"), weight * (feeling == "positive")
        sentiment = weight * comment_sentiment(text, language)
        terms = self.terms
        for term in (ALL_COMMENTS, *comment_terms(text, language)):
            row = terms[(day, store_id, language, term)]
            row[0] += weight
            row[1] += negative
            row[2] += positive
            row[3] += sentiment

    def _suspect_by_month(self) -> Counter:
        """The suspect answers by (question, month's first day, store), whatever the value."""
        months: Counter = Counter()
        for (store_id, _, _, question, day, _), count in self.suspect.items():
            months[(question, day[:8] + "01", store_id)] += count
        return months

    def write(self) -> None:
        """Add the counts to the tables (in the caller's transaction) and start afresh.

        Every store's own rows first, then the every-store rows (``store_id = 0``): every
        transaction that counts anything updates those, so on PostgreSQL they are row locks
        that transactions of different stores wait for until commit. Taken last (and by the
        caller as late in its transaction as it can: hub/services/ingest.py), they are held
        for the shortest time; always in this table order and sorted, so never in a cycle."""
        q.add_daily(self.daily.items())
        q.add_suspect(self.suspect.items())
        q.add_suspect_monthly(self._suspect_by_month().items())
        tables = (
            (q.add_scores, self.scores, 2),
            (q.add_monthly_scores, _summed(self.scores, 1, _first_of_month), 2),
            (q.add_weekly_scores, _summed(self.scores, 1, _monday), 2),
            (q.add_hours, self.hours, 1),
            (q.add_reasons, self.reasons, 2),
            (q.add_reason_pairs, self.pairs, 2),
            (q.add_terms, self.terms, 1),
        )
        for every_store in (False, True):
            for add, counts, store_at in tables:
                add(list((_summed(counts, store_at, _every_store) if every_store else counts).items()))
        self.__init__(weight=self.weight)  # type: ignore[misc]


def local_hour(captured_at: datetime, received_at: datetime, flags: str, zone: ZoneInfo) -> int:
    """The store-local hour a stored response was captured (its receive time when the
    device clock was wrong: the same rule that dated its local day)."""
    moment = received_at if "clock_skew" in flags.split() else captured_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).hour


# --- counting again from the raw responses ---------------------------------------------------


def rebuild_rollups(chunk: int = 2000) -> int:
    """Empty every rollup and count all stored responses again; returns how many."""
    q.empty_rollups()
    faces_of: dict[str, int] = {}
    done = 0
    for rows in q.stored_responses(chunk):
        acc = Rollups()
        answers = answers_by_response([str(row[0]) for row in rows])
        for row in rows:
            count_stored(acc, row, answers.get(str(row[0]), []), faces_of)
        acc.write()
        done += len(rows)
    return done


def answers_by_response(response_ids: list[str]) -> dict[str, list[AnswerRow]]:
    answers: dict[str, list[AnswerRow]] = defaultdict(list)
    for response_id, question, kind, number, text in q.answers_of(response_ids):
        answers[str(response_id)].append(AnswerRow(question, kind, number, text))
    return answers


def count_stored(
    acc: Rollups, row: tuple, answers: list[AnswerRow], faces_of: dict[str, int], *, suspect: bool | None = None
) -> None:
    """Count a stored response (a row of ``q.stored_responses``) with its answers, as suspect
    when its flags say so (``suspect`` None) or as ``suspect`` says."""
    _, store_id, touchpoint_id, channel, day, captured, received, flags, locale, zone, definition = row
    key = definition if isinstance(definition, str) else json.dumps(definition, sort_keys=True)
    if key not in faces_of:
        faces_of[key] = smiley_faces(SurveyDefinition.from_dict(json.loads(key)))
    acc.add(
        store_id=store_id,
        touchpoint_id=touchpoint_id,
        channel=channel,
        day=str(day)[:10],
        hour=local_hour(stored_time(captured), stored_time(received), flags, ZoneInfo(zone)),
        locale=locale,
        answers=answers,
        faces=faces_of[key],
        suspect="suspect" in flags.split() if suspect is None else suspect,
    )


def count_held_responses(db: Database) -> None:
    """Count the responses ``db`` holds into rollups a migration has just added (``migrate``'s
    ``count_rollups``). ``db`` is bound to the models for the while: migrating may come before
    the app binds them."""
    previous = database.obj
    database.initialize(db)
    try:
        rebuild_rollups()
    finally:
        database.obj = previous
