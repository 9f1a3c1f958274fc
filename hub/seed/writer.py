"""Writes a seeded fleet (hub/seed/generator.py) into the hub's database, fast enough for ten
million responses in minutes.

* The fleet (regions, stores, touchpoints) is made through the catalog services, like an admin
  would; each store gets an exit terminal (with a real key pair, made from the seed) and a
  phone poster.
* Responses and answers go in as bulk rows, a few days per transaction: SQLite with the
  driver's ``executemany`` (the statements of the ingest hot path), PostgreSQL with ``COPY``.
* The rollups are counted by ``hub.services.rollups.Rollups``, the accumulator ingest and the
  phone page use, and written with each chunk, so they are what ingest would have produced.
* Speed-ups that are acceptable only because the seed fills a hub without responses, and a
  failed seed is simply started again on a new database: SQLite runs with ``synchronous=OFF``
  and a large page cache while seeding (both restored after; the seed process dying cannot
  harm the file, a power cut during the seed could), PostgreSQL commits the seed's
  transactions asynchronously (``SET LOCAL synchronous_commit = off``: a crash loses the last
  commits, never consistency). The hub itself never runs like that.
* A seeded response never travelled the wire, so its ``content_hash`` is a fingerprint of its
  content in a compact form rather than the hash of a wire body (hashing a built JSON body
  would double the seed's time). Only a re-send of the same id would see the difference.

The seed fills an empty hub: a database that holds responses already is refused.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TextIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.db import database, db_day, is_sqlite, write_transaction
from hub.models import Survey, SurveyVersion, Terminal
from hub.queries import responses as q
from hub.seed.generator import (
    PHONE_TOUCHPOINT,
    SURVEY_KEY,
    SURVEY_VERSION,
    TERMINAL_TOUCHPOINT,
    Generator,
    Plan,
    SeedResponse,
    SeedStore,
)
from hub.seed.progress import Progress
from hub.services import catalog, comment_search
from hub.services.rollups import Rollups
from hub.services.setup import migrate_schema
from shared.crypto import public_key_text
from shared.errors import AlreadyExists
from shared.protocol import AnswerRow

CHUNK_RESPONSES = 100_000  # responses per transaction (whole days)
SEED_APP_VERSION = "seed"


@dataclass(frozen=True)
class SeedReport:
    stores: int
    responses: int
    answers: int
    seconds: float
    first_day: date
    last_day: date
    drop_store: str | None  # the store with a planted drop, if any

    @property
    def rate(self) -> float:
        return self.responses / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class _Place:
    """A seeded store as the database knows it."""

    store_id: int
    terminal_id: str
    exit_id: int
    poster_id: int


def seed(plan: Plan, *, now: datetime, out: TextIO | None = None) -> SeedReport:
    """Migrate, make the fleet and write the plan's responses and rollups (app context with
    an open connection required). Raises AlreadyExists when the database holds responses."""
    migrate_schema(now)
    _refuse_unless_empty()
    survey_id = _survey_id(now)
    generator = Generator(plan)
    places = [_make_store(store, plan, now) for store in generator.stores]
    progress = Progress(plan.expected, "seeding responses", out)
    responses = answers = 0
    last_seen: dict[int, datetime] = {}
    with _fast_writes():
        for chunk in _chunks(generator.days(), CHUNK_RESPONSES):
            rows, answer_rows, rollups = _rows(chunk, generator.stores, places, survey_id, last_seen)
            with write_transaction():
                _relax_commit()
                _insert(rows, answer_rows)
                comment_search.index_comments(answer_rows, {r.id: r.locale for r in chunk})
                rollups.write()
            responses += len(rows)
            answers += len(answer_rows)
            progress.advance(len(rows))
    seconds = progress.finish()
    _record_terminals(generator, places, last_seen)
    return SeedReport(
        stores=len(places),
        responses=responses,
        answers=answers,
        seconds=seconds,
        first_day=plan.start,
        last_day=plan.end,
        drop_store=generator.drop.code if generator.drop else None,
    )


def _refuse_unless_empty() -> None:
    if database.execute_sql("SELECT 1 FROM response LIMIT 1").fetchone() is not None:
        raise AlreadyExists(
            "already_exists",
            "this database holds responses already; the seed fills an empty hub "
            "(name a new one with --database-url, e.g. sqlite:///var/seed.db)",
        )


def _survey_id(now: datetime) -> int:
    """The default exit survey, added when the hub has none yet."""
    survey = Survey.get_or_none(Survey.key == SURVEY_KEY)
    if survey is None:
        catalog.add_survey(catalog.DEFAULT_SURVEY, now)
        survey = Survey.get(Survey.key == SURVEY_KEY)
    found = SurveyVersion.get_or_none((SurveyVersion.survey == survey) & (SurveyVersion.version == SURVEY_VERSION))
    if found is None or found.definition.get("questions") != catalog.DEFAULT_SURVEY["questions"]:
        raise AlreadyExists(
            "already_exists",
            f"survey {SURVEY_KEY!r} version {SURVEY_VERSION} is not the default survey the seed answers",
        )
    return survey.id


def _make_store(store: SeedStore, plan: Plan, now: datetime) -> _Place:
    row = catalog.add_store(
        store.code,
        store.name,
        time_zone=store.time_zone,
        now=now,
        region=store.region,
        languages=list(store.languages),
        opening_hours=store.opening_hours,
    )
    exit_point = catalog.add_touchpoint(store.code, TERMINAL_TOUCHPOINT, "Exit terminal", kind="exit")
    poster = catalog.add_touchpoint(store.code, PHONE_TOUCHPOINT, "Phone poster at the exit", kind="poster")
    key = Ed25519PrivateKey.from_private_bytes(
        random.Random(f"voxloop-seed:{plan.seed}:key:{store.code}").randbytes(32)
    )
    terminal_id = f"t-seed-{store.code.lower()}"
    enrolled = datetime.combine(plan.start, time(6), UTC) - timedelta(days=1)
    with write_transaction():
        Terminal.create(
            id=terminal_id,
            store=row.id,
            touchpoint=exit_point.id,
            name="Exit terminal",
            public_key=public_key_text(key),
            status="active",
            enrolled_at=enrolled.replace(tzinfo=None),
            app_version=SEED_APP_VERSION,
            seq_ranges=[],
        )
    return _Place(row.id, terminal_id, exit_point.id, poster.id)


def _chunks(days: Iterator[tuple[date, list[SeedResponse]]], size: int) -> Iterator[list[SeedResponse]]:
    """Whole days, gathered until a chunk holds ``size`` responses."""
    chunk: list[SeedResponse] = []
    for _day, responses in days:
        chunk += responses
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# answers that repeat (every answer but a comment) are made once: AnswerRow is immutable
_ANSWERS: dict[tuple, AnswerRow] = {}


def _answer(question: str, kind: str, number: int | None, text: str | None) -> AnswerRow:
    if kind == "text":
        return AnswerRow(question, kind, number, text)
    key = (question, kind, number, text)
    found = _ANSWERS.get(key)
    if found is None:
        found = _ANSWERS[key] = AnswerRow(question, kind, number, text)
    return found


def _rows(
    chunk: list[SeedResponse],
    stores: list[SeedStore],
    places: list[_Place],
    survey_id: int,
    last_seen: dict[int, datetime],
) -> tuple[list[tuple], list[tuple], Rollups]:
    """Response rows (RESPONSE_COLUMNS order), answer rows and the rollups of a chunk."""
    rows: list[tuple] = []
    answers: list[tuple] = []
    rollups = Rollups()
    add = rollups.add
    moment = _moment_text if is_sqlite() else _moment_value
    days: dict[date, object] = {}
    for r in chunk:
        place = places[r.store]
        day = days.get(r.day)
        if day is None:
            day = days[r.day] = db_day(r.day)
        kiosk = r.channel == "kiosk"
        touchpoint_id = place.exit_id if kiosk else place.poster_id
        given = [_answer(*a) for a in r.answers()]
        rows.append(
            (
                r.id,
                place.store_id,
                touchpoint_id,
                place.terminal_id if kiosk else None,
                r.channel,
                survey_id,
                SURVEY_VERSION,
                moment(r.captured_at),
                moment(r.received_at),
                day,
                r.locale,
                r.seq,
                "suspect" if r.suspect else "",
                _fingerprint(r, stores[r.store].code, given),
                None,
            )
        )
        answers += [(r.id, a.question, a.kind, a.number, a.text) for a in given]
        add(
            store_id=place.store_id,
            touchpoint_id=touchpoint_id,
            channel=r.channel,
            day=day if isinstance(day, str) else r.day,
            hour=r.hour,
            locale=r.locale,
            answers=given,
            faces=4,
            suspect=r.suspect,
        )
        if kiosk:
            last_seen[r.store] = r.received_at
    return rows, answers, rollups


def _moment_text(value: datetime) -> str:
    """An aware UTC time as hub.db.db_time writes it on SQLite (naive ISO text), without its
    conversions: the generator's times are UTC already."""
    return value.isoformat(sep=" ")[:-6]  # drop "+00:00"


def _moment_value(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def _fingerprint(r: SeedResponse, store_code: str, answers: list[AnswerRow]) -> str:
    """A stand-in for the wire body's hash: the same content gives the same fingerprint."""
    given = ";".join(f"{a.question}={a.number if a.text is None else a.text}" for a in answers)
    text = f"{r.id}|{store_code}|{r.channel}|{r.captured_at:%Y%m%d%H%M%S%f}|{r.locale}|{r.seq}|{r.suspect}|{given}"
    return hashlib.sha256(text.encode()).hexdigest()


def _insert(rows: list[tuple], answers: list[tuple]) -> None:
    if is_sqlite():
        q.insert_responses(rows)
        q.insert_answers(answers)
        return
    cursor = database.cursor()
    with cursor.copy(f"COPY response ({', '.join(q.RESPONSE_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    with cursor.copy("COPY answer (response_id, question, kind, number, text) FROM STDIN") as copy:
        for row in answers:
            copy.write_row(row)


def _relax_commit() -> None:
    """PostgreSQL: this transaction's commit need not wait for the disk (a seed that dies is
    started again); reverts by itself at the end of the transaction."""
    if not is_sqlite():
        database.execute_sql("SET LOCAL synchronous_commit = off")


@contextmanager
def _fast_writes() -> Iterator[None]:
    """SQLite: no fsync and a large page cache while seeding a fresh database, restored after."""
    if not is_sqlite():
        yield
        return
    before = [database.execute_sql(f"PRAGMA {name}").fetchone()[0] for name in ("synchronous", "cache_size")]
    database.execute_sql("PRAGMA synchronous = OFF")
    database.execute_sql("PRAGMA cache_size = -262144")  # 256 MB
    try:
        yield
    finally:
        database.execute_sql(f"PRAGMA synchronous = {int(before[0])}")
        database.execute_sql(f"PRAGMA cache_size = {int(before[1])}")
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _record_terminals(generator: Generator, places: list[_Place], last_seen: dict[int, datetime]) -> None:
    """Each terminal's sequence state and last sign of life, as its syncs would have left them."""
    with write_transaction():
        for store in generator.stores:
            last = generator.last_seq(store.index)
            if not last:
                continue
            Terminal.update(
                last_seq=last,
                seq_ranges=[[1, last]],
                last_seen_at=last_seen[store.index].astimezone(UTC).replace(tzinfo=None),
            ).where(Terminal.id == places[store.index].terminal_id).execute()
