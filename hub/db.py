"""The hub's one database: SQLite by default, PostgreSQL when a URL says so.

The database object is created unbound (a ``DatabaseProxy``) and bound at start, so models
and queries import it without knowing which engine runs.

Durability: an acknowledgement is a promise, so commits reach the disk before the hub
answers (SQLite: WAL with synchronous=FULL; PostgreSQL: synchronous_commit=on).

One writer: SQLite takes one writer at a time, and threads that wait on its busy handler sleep
and retry, which ruins tail latency. Writers in this process therefore queue on a lock before
they open an IMMEDIATE transaction; run one hub process per SQLite file (deploy/gunicorn.conf.py
does). PostgreSQL needs no such lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from peewee import Database, DatabaseProxy, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

database = DatabaseProxy()
_write_lock = threading.Lock()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -16000,
}


class PostgresDatabase(PooledPostgresqlDatabase):
    """PostgreSQL with commits that are durable before the hub answers."""

    def _initialize_connection(self, conn):
        with conn.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on; SET TIME ZONE 'UTC'")
        conn.commit()


def open_database(url: str, max_connections: int = 8) -> Database:
    """A database for ``sqlite:///path`` or ``postgresql://user:pass@host:port/name``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:///:memory:
        path = unquote(url.split(":///", 1)[1]) if ":///" in url else ""
        if not path:
            raise ValueError("a SQLite URL names a file: sqlite:///var/voxloop.db")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, check_same_thread=False, cached_statements=256)
    if parts.scheme in ("postgres", "postgresql"):
        return PostgresDatabase(
            unquote(parts.path.lstrip("/")),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            max_connections=max_connections,
            stale_timeout=300,
            timeout=10,
        )
    raise ValueError(f"unsupported database URL scheme {parts.scheme!r} (use sqlite:/// or postgresql://)")


def bind(url: str, max_connections: int = 8) -> Database:
    """Point the shared proxy at the database behind ``url`` (closing any earlier one)."""
    old = database.obj
    if old is not None:
        if hasattr(old, "close_all"):
            old.close_all()  # a pool: release every connection, not only this thread's
        elif not old.is_closed():
            old.close()
    db = open_database(url, max_connections)
    database.initialize(db)
    return db


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that writes: serialised per process on SQLite, plain on PostgreSQL."""
    if is_sqlite():
        with _write_lock, database.atomic("IMMEDIATE"):
            yield
    else:
        with database.atomic():
            yield


# --- values of raw statements ----------------------------------------------------------------
# Raw statements bypass peewee's field conversion, and the two drivers differ: sqlite3 takes
# and hands back text (in peewee's form, so raw and ORM rows compare), psycopg dates and
# datetimes. These four functions are the one place that knows it.


def db_time(value: datetime) -> datetime | str:
    """A datetime as naive UTC, in the form the driver takes for raw statements
    (peewee's text form on SQLite, a datetime on PostgreSQL)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ") if is_sqlite() else value


def db_day(day: date | str) -> date | str:
    """A day (a date, or ISO text such as a day read back from SQLite) in the form the driver
    takes for raw statements: ISO text on SQLite, a date on PostgreSQL."""
    if is_sqlite():
        return day if isinstance(day, str) else day.isoformat()
    return day if isinstance(day, date) else date.fromisoformat(day)


def stored_day(value: date | str) -> date:
    """A day column read with raw SQL as a date (SQLite hands back text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def stored_time(value: datetime | str) -> datetime:
    """A timestamp column read with raw SQL as a datetime, naive UTC as stored (SQLite hands
    back text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def placeholders(count: int) -> str:
    return ", ".join([database.param] * count)


# A statement inserts at most this many rows, and what is left goes in statements of the
# smaller sizes: a handful of statement texts per table, which the driver keeps prepared.
ROWS_PER_STATEMENT = (64, 16, 4, 1)


def row_chunks(count: int) -> Iterator[tuple[int, int]]:
    """(first row, number of rows) of each statement that inserts ``count`` rows."""
    start = 0
    for size in ROWS_PER_STATEMENT:
        while count - start >= size:
            yield start, size
            start += size


@lru_cache(maxsize=256)
def values_statement(head: str, width: int, rows: int, tail: str = "", param: str = "?") -> str:
    """``head VALUES (...), (...) tail`` for ``rows`` rows of ``width`` values each."""
    row = "(" + ", ".join([param] * width) + ")"
    return f"{head} VALUES {', '.join([row] * rows)} {tail}".rstrip()


def insert_rows(head: str, width: int, rows: Sequence[Sequence[Any]], tail: str = "") -> None:
    """Insert ``rows`` of ``width`` values with ``head`` (``INSERT INTO t (columns)``) and
    ``tail`` (an ON CONFLICT clause), in the caller's transaction.

    SQLite: many rows to a statement. The driver's executemany runs a statement once per row
    and lets go of the interpreter's lock around each run; in a hub whose other threads are
    busy checking batches, the writing thread, holding SQLite's write lock, then waits to get
    it back, again and again. As deployed the hub stores 6 to 17 % more a second this way
    (docs/performance.md, "Many rows to a statement"). PostgreSQL: executemany, which psycopg
    sends as one pipeline."""
    if not rows:
        return
    cursor = database.cursor()
    if not is_sqlite():
        cursor.executemany(values_statement(head, width, 1, tail, database.param), rows)
        return
    for start, size in row_chunks(len(rows)):
        values = [v for row in rows[start : start + size] for v in row]
        cursor.execute(values_statement(head, width, size, tail), values)
