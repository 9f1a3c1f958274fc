"""The terminal's own database: every response and its outbox state, durable before thanks.

One SQLite file (WAL, synchronous=FULL): a tap is committed to disk before the thank-you
screen shows, in one transaction that gives it the next device sequence number. A response
then moves ``pending`` -> ``delivered`` only when the hub acknowledged it (``accepted`` or
``duplicate``), or ``pending`` -> ``quarantined`` when the hub refused it (``invalid``,
``conflict``): kept and shown, never retried forever. A response the terminal's own protocol
check refuses is stored ``quarantined`` at once, the same way, and never sent. Delivered responses stay for a
retention period, so a hub restored from a backup can ask for them again.

A full disk must not wedge the outbox. The WAL is kept small (checkpointed every 256 pages,
cut back to 1 MiB, emptied after every sync round and after a write that found the disk full).
A *reserve* file of 1 MiB next to the database keeps room for recording acknowledgements:
a write that marks responses delivered or quarantined (or queues them again, or forgets old
ones) and finds the disk full gives the reserve up and tries once more; captures never use
it (a tap is refused as long as the reserve cannot be kept), and it is made again as soon as
there is room. Bookkeeping (last sync, last error, clock offset) is written only when there
is room and kept in memory otherwise, so failed rounds on a full disk write nothing.

The schema version lives in SQLite's ``user_version``; ``SCHEMA`` holds one script per version.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from peewee import SqliteDatabase

from shared.errors import Problem
from shared.ids import uuid7
from shared.protocol import PROTOCOL_VERSION, format_time
from shared.sequence import Ranges, subtract_numbers

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    # SQLite's defaults let the WAL reach about 4 MiB and keep that size: checkpoint every 256
    # pages (1 MiB) and cut the file back to 1 MiB when a checkpoint resets it
    "wal_autocheckpoint": 256,
    "journal_size_limit": 1 << 20,
}
# room kept for recording acknowledgements: more than the WAL frames of marking a batch
RESERVE_BYTES = 1 << 20
# below this much free space beside the reserve, bookkeeping stays in memory
LOW_SPACE_BYTES = 256 << 10

log = logging.getLogger("voxloop.kiosk.store")

SCHEMA = [
    # version 1
    """
    CREATE TABLE response (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        body TEXT NOT NULL,
        rating INTEGER,
        captured_at TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        delivered_at TEXT,
        error_code TEXT,
        error_detail TEXT
    );
    CREATE INDEX response_state_seq ON response (state, seq);
    CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
]

DELIVERED_STATUSES = frozenset({"accepted", "duplicate"})
QUARANTINE_STATUSES = frozenset({"invalid", "conflict"})


T = TypeVar("T")


class StoreFull(Exception):
    """The terminal's disk (or database) is full: the tap could not be stored."""


def _disk_full(exc: BaseException | None) -> bool:
    """SQLITE_FULL anywhere in the chain: SQLite rolls the transaction back itself, so the
    error that surfaces may be the failed ROLLBACK that followed, with the real one behind it."""
    seen = 0
    while exc is not None and seen < 10:
        if (
            getattr(exc, "sqlite_errorname", None) == "SQLITE_FULL"
            or "database or disk is full" in str(exc)
            or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC)
        ):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


@dataclass(frozen=True)
class Captured:
    id: str
    seq: int
    suspect: bool
    body: dict[str, Any]
    problems: tuple[Problem, ...] = ()  # what the protocol check refused: stored quarantined


def _sqlite(path: str, pragmas: dict[str, Any]) -> SqliteDatabase:
    return SqliteDatabase(path, pragmas=pragmas, check_same_thread=False)


class LocalStore:
    """All access to the terminal's database. Safe to share between the UI thread and the sync
    worker: writes are serialised by a lock, SQLite's WAL lets reads run alongside."""

    def __init__(
        self,
        path: Path | str,
        *,
        max_pages: int | None = None,
        reserve_bytes: int = RESERVE_BYTES,
        pragmas: Mapping[str, Any] | None = None,
        database: Callable[[str, dict[str, Any]], SqliteDatabase] | None = None,
    ) -> None:
        """``max_pages`` caps the database's size (SQLite's max_page_count, per connection):
        how tests meet a full database without filling a disk. ``pragmas`` override PRAGMAS
        and ``database(path, pragmas)`` makes the peewee database (tests only: the power-cut
        test runs this store on an APSW connection through a disk that records its syncs)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pragmas = {**PRAGMAS, **(pragmas or {}), **({"max_page_count": int(max_pages)} if max_pages else {})}
        self.db = (database or _sqlite)(str(self.path), pragmas)
        self._lock = threading.Lock()
        self.reserve_path = self.path.with_name(self.path.name + ".reserve")
        self.reserve_bytes = reserve_bytes
        self._unsaved: dict[str, Any] = {}  # bookkeeping not yet written (no room on the disk)
        self._acknowledgements_fail = False
        self._open()

    def close(self) -> None:
        self.db.close()

    def _open(self) -> None:
        try:
            self._migrate()
        except Exception as exc:
            if not (_disk_full(exc) or "disk I/O error" in str(exc)):
                raise
            # restarted on a full disk: opening needs a little room (the shared-memory index,
            # the WAL being recovered)
            self._release_reserve()
            self.db.close()
            self._migrate()
        self.checkpoint()

    # --- schema ---------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._lock:
            version = self.db.execute_sql("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(SCHEMA[version:], start=version + 1):
                with self.db.atomic("IMMEDIATE"):
                    for statement in filter(str.strip, script.split(";")):
                        self.db.execute_sql(statement)
                    self.db.execute_sql(f"PRAGMA user_version = {int(number)}")

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction, serialised with the other writers; a full disk or database
        becomes StoreFull (the transaction is rolled back, earlier data is untouched)."""
        try:
            with self._lock, self.db.atomic("IMMEDIATE"):
                yield
        except Exception as exc:
            if _disk_full(exc):
                self._checkpoint_quietly()
                raise StoreFull(
                    f"the terminal's storage is full (database or disk is full): this change was not stored, "
                    f"everything stored before is intact; free space where {self.path} lives"
                ) from exc
            raise

    def _acknowledging(self, write: Callable[[], T]) -> T:
        """A write that records what the hub said (or frees space): on a full disk it gives the
        reserve up and tries once more, so an acknowledgement is never lost for want of room."""
        try:
            with self._writing():
                result = write()
        except StoreFull:
            if not self._release_reserve():
                self._acknowledgements_fail = True
                raise
            try:
                with self._writing():
                    result = write()
            except StoreFull:
                self._acknowledgements_fail = True
                raise
            self._checkpoint_quietly()
        self._acknowledgements_fail = False
        return result

    # --- room on the disk -----------------------------------------------------------------

    def checkpoint(self) -> None:
        """Copy the WAL into the database and empty it, then make the reserve again if it was
        given up and there is room. Called after every sync round."""
        self._checkpoint_quietly()
        self._keep_reserve()

    def _checkpoint_quietly(self) -> None:
        """A checkpoint that may not finish on a full disk (the database cannot grow): it is
        tried again after the next round."""
        try:
            with self._lock:
                self.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception as exc:
            if not (_disk_full(exc) or "disk I/O error" in str(exc)):
                raise

    def _keep_reserve(self) -> bool:
        """Whether the reserve is in place, making it if it is not and there is room."""
        if self.reserve_bytes <= 0:
            return True
        try:
            if self.reserve_path.stat().st_size >= self.reserve_bytes:
                return True
        except FileNotFoundError:
            pass
        try:
            fd = os.open(self.reserve_path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, self.reserve_bytes)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise
            self.reserve_path.unlink(missing_ok=True)
            return False
        self._acknowledgements_fail = False
        return True

    def _release_reserve(self) -> bool:
        """Give the reserve up; False when there was none to give."""
        try:
            self.reserve_path.unlink()
        except FileNotFoundError:
            return False
        log.warning("the disk is full: the reserve kept for recording acknowledgements is used now")
        return True

    def _room(self) -> bool:
        stat = os.statvfs(self.path.parent)
        return stat.f_bavail * stat.f_frsize >= LOW_SPACE_BYTES

    def can_acknowledge(self) -> bool:
        """Whether what the hub acknowledges can be recorded: False after marking failed even
        with the reserve given up, until there is room for the reserve again. Sending responses
        whose acknowledgement cannot be recorded would only send them again and again."""
        return not self._acknowledgements_fail or self._keep_reserve()

    # --- settings -------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._unsaved:
            return self._unsaved[key]
        row = self.db.execute_sql("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, **values: Any) -> None:
        with self._writing():
            self._put(values)

    def note(self, **values: Any) -> None:
        """Bookkeeping (last sync, last error, clock offset): written when the disk has room,
        else kept in memory (``get`` answers it) and written with the next note that fits."""
        self._unsaved.update(values)
        if not self._room():
            return
        with suppress(StoreFull):
            self.put(**self._unsaved)
            self._unsaved.clear()

    def _put(self, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            self.db.execute_sql(
                "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    # --- capture --------------------------------------------------------------------------

    def record(
        self,
        *,
        config: Mapping[str, Any],
        answers: Sequence[Mapping[str, Any]],
        locale: str,
        now: datetime,
        random_bytes: bytes,
        press_interval: float,
        contact: Mapping[str, Any] | None = None,
        check: Callable[[Mapping[str, Any]], Sequence[Problem]] | None = None,
    ) -> Captured:
        """Store one response durably and return it; raises StoreFull when the disk is full.

        A press closer than ``press_interval`` seconds to the previous one is kept and flagged
        ``suspect`` (someone hammering the buttons), never dropped. When ``check`` finds problems
        with the response, it is stored quarantined with them (kept, shown, never sent) and the
        returned ``Captured`` names them.
        """
        if not self._keep_reserve():
            raise StoreFull(
                "the terminal's storage is full: the room kept for recording deliveries is taken, so no tap is "
                f"stored; everything stored before is intact; free space where {self.path} lives"
            )
        with self._writing():
            seq = self.get("last_seq", 0) + 1
            previous = self.get("last_capture_at")
            suspect = previous is not None and 0 <= now.timestamp() - previous < press_interval
            body = {
                "id": uuid7(now, random_bytes),
                "v": PROTOCOL_VERSION,
                "channel": "kiosk",
                "store": config["store"]["code"],
                "touchpoint": config["touchpoint"]["code"],
                "survey": config["survey"]["key"],
                "survey_version": config["survey"]["version"],
                "captured_at": format_time(now),
                "locale": locale,
                "seq": seq,
                "answers": [dict(a) for a in answers],
            }
            if contact:
                body["contact"] = dict(contact)
            if suspect:
                body["flags"] = ["suspect"]
            problems = tuple(check(body)) if check is not None else ()
            rating = next((a["value"] for a in answers if a.get("kind") == "smiley"), None)
            self.db.execute_sql(
                "INSERT INTO response (id, seq, body, rating, captured_at, state, error_code, error_detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    body["id"],
                    seq,
                    json.dumps(body, separators=(",", ":")),
                    rating,
                    body["captured_at"],
                    "quarantined" if problems else "pending",
                    problems[0].code if problems else None,
                    json.dumps([p.as_dict() for p in problems])[:2000] if problems else None,
                ),
            )
            self._put({"last_seq": seq, "last_capture_at": now.timestamp()})
        return Captured(id=body["id"], seq=seq, suspect=suspect, body=body, problems=problems)

    # --- outbox ---------------------------------------------------------------------------

    def pending(self, limit: int) -> list[dict[str, Any]]:
        """The oldest responses not yet acknowledged, in sequence order."""
        rows = self.db.execute_sql(
            "SELECT body FROM response WHERE state = 'pending' ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def apply_results(self, results: Sequence[Mapping[str, Any]], now: datetime) -> dict[str, int]:
        """Mark what the hub acknowledged as delivered and what it refused as quarantined."""
        stamp = format_time(now)
        return self._acknowledging(lambda: self._mark(results, stamp))

    def _mark(self, results: Sequence[Mapping[str, Any]], stamp: str) -> dict[str, int]:
        counts = {"delivered": 0, "quarantined": 0}
        for result in results:
            status, response_id = result.get("status"), result.get("id")
            if status in DELIVERED_STATUSES:
                cursor = self.db.execute_sql(
                    "UPDATE response SET state = 'delivered', delivered_at = ? WHERE id = ? AND state = 'pending'",
                    (stamp, response_id),
                )
                counts["delivered"] += self.db.rows_affected(cursor)
            elif status in QUARANTINE_STATUSES:
                detail = json.dumps(result.get("problems") or [])[:2000]
                cursor = self.db.execute_sql(
                    "UPDATE response SET state = 'quarantined', error_code = ?, error_detail = ? "
                    "WHERE id = ? AND state = 'pending'",
                    (result.get("code") or status, detail, response_id),
                )
                counts["quarantined"] += self.db.rows_affected(cursor)
        return counts

    def requeue_missing(self, ranges: Sequence[Sequence[int]]) -> int:
        """The hub lost these sequence numbers (restored from a backup): send them again."""

        def requeue() -> int:
            requeued = 0
            for first, last in ranges:
                cursor = self.db.execute_sql(
                    "UPDATE response SET state = 'pending', delivered_at = NULL "
                    "WHERE state = 'delivered' AND seq BETWEEN ? AND ?",
                    (int(first), int(last)),
                )
                requeued += self.db.rows_affected(cursor)
            return requeued

        return self._acknowledging(requeue)

    def unsendable(self, ranges: Sequence[Sequence[int]]) -> Ranges:
        """The sequence numbers in ``ranges`` this terminal will never send: quarantined, or no
        longer held (forgotten after the retention period)."""
        sendable: list[int] = []
        for first, last in ranges:
            rows = self.db.execute_sql(
                "SELECT seq FROM response WHERE seq BETWEEN ? AND ? AND state != 'quarantined'", (int(first), int(last))
            ).fetchall()
            sendable += (row[0] for row in rows)
        return subtract_numbers(ranges, sendable)

    def prune_delivered(self, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
        """Forget delivered responses older than the retention period (never pending ones)."""
        return self._acknowledging(
            lambda: self.db.rows_affected(
                self.db.execute_sql(
                    "DELETE FROM response WHERE state = 'delivered' AND delivered_at < ?", (format_time(now - keep),)
                )
            )
        )

    # --- what the admin screen and `voxloop kiosk status` show ------------------------------

    def counts(self) -> dict[str, int]:
        counts = {"pending": 0, "delivered": 0, "quarantined": 0}
        for state, n in self.db.execute_sql("SELECT state, COUNT(*) FROM response GROUP BY state").fetchall():
            counts[state] = n
        return counts

    def quarantined(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.db.execute_sql(
            "SELECT id, seq, captured_at, error_code, error_detail FROM response "
            "WHERE state = 'quarantined' ORDER BY seq DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [dict(zip(("id", "seq", "captured_at", "code", "detail"), row, strict=True)) for row in rows]

    def export(self) -> Iterator[dict[str, Any]]:
        """Every local response with its outbox state, oldest first (for support)."""
        cursor = self.db.execute_sql("SELECT body, state, delivered_at, error_code FROM response ORDER BY seq")
        for body, state, delivered_at, error_code in cursor:
            yield {"state": state, "delivered_at": delivered_at, "error_code": error_code, "response": json.loads(body)}

    def integrity_ok(self) -> bool:
        return self.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
