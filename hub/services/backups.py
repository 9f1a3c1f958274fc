"""Backups of the hub's database and restoring one (``voxloop hub backup`` / ``hub restore``).

SQLite: SQLite's online backup API copies the database page by page inside one read
transaction, so the copy is the database as one commit left it, while the hub goes on writing
(WAL: readers never block the writer). The copy is then switched to a single self-contained
file (journal mode DELETE) and checked (``PRAGMA integrity_check``). Restoring copies the
backup into the database file through the same API, so the WAL and its index stay consistent.

PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot: pg_dump runs in one
repeatable-read transaction) and ``pg_restore --single-transaction --clean --if-exists
--no-owner``, so a failed restore leaves the database as it was. The password goes to the
tools in their environment (PGPASSWORD), never on a command line.

A restore refuses a database that holds rows unless forced, and says what it restored. The
hub should be stopped while it runs; afterwards every terminal's next sync is told the
sequence numbers the restored hub lacks and sends them again (hub/services/ingest.py).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from shared.errors import RequestError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class Summary:
    """What a database holds, as a backup or restore reports it."""

    engine: str
    size_bytes: int
    schema_version: int | None = None  # None: not read (a PostgreSQL dump is not opened)
    responses: int | None = None
    terminals: int | None = None

    def describe(self) -> str:
        if self.schema_version is None:
            return f"{self.engine} dump of {self.size_bytes} bytes"
        return (
            f"{self.engine} database at schema version {self.schema_version}: {self.responses} responses,"
            f" {self.terminals} terminals ({self.size_bytes} bytes)"
        )


def engine_of(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgres", "postgresql"):
        return "postgres"
    raise RequestError("malformed_request", f"unsupported database URL scheme {scheme!r}")


def backup(url: str, target: Path, *, pg_bin: str = "") -> Summary:
    """Write a backup of the database at ``url`` to ``target`` (refused if it exists)."""
    if target.exists():
        raise RequestError("already_exists", f"{target} exists already: name a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if engine_of(url) == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
        else:
            _run(_pg_tool(pg_bin, "pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", url=url)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return _summary_of_backup(target, url, pg_bin)


def restore(url: str, source: Path, *, force: bool = False, pg_bin: str = "") -> Summary:
    """Put the backup ``source`` in place of the database at ``url``; a database holding rows
    is refused unless ``force``. Returns what the database holds afterwards."""
    if not source.is_file():
        raise RequestError("not_found", f"no backup file {source}")
    engine = engine_of(url)
    kind = backup_kind(source)
    if kind != engine:
        raise RequestError("malformed_request", f"{source} is a {kind} backup; the hub's database is {engine}")
    if not force and holds_rows(url):
        raise RequestError(
            "already_exists",
            "the database holds data: restore replaces all of it; stop the hub and add --force to go ahead",
        )
    if engine == "sqlite":
        _check_sqlite_backup(source)
        _sqlite_restore(source, _sqlite_path(url))
    else:
        _run(
            _pg_tool(pg_bin, "pg_restore"),
            "--single-transaction",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            str(source),
            url=url,
            database_flag=True,
        )
    return summary(url)


def backup_kind(path: Path) -> str:
    """``sqlite`` or ``postgres`` by the file's first bytes; a clear error for anything else."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgres"
    raise RequestError("malformed_request", f"{path} is neither a SQLite database nor a pg_dump custom-format file")


def holds_rows(url: str) -> bool:
    """Whether any table of the database holds a row (a freshly migrated schema holds none but
    the record of its migrations, which does not count)."""
    if engine_of(url) == "sqlite" and not Path(_sqlite_path(url)).is_file():
        return False
    with closing(_connect(url)) as db:
        tables = _tables(db, engine_of(url))
        return any(
            db.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() is not None
            for table in tables
            if table != "schema_migration"
        )


def summary(url: str) -> Summary:
    engine = engine_of(url)
    with closing(_connect(url)) as db:
        tables = set(_tables(db, engine))

        def scalar(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0] or 0)

        version = scalar("SELECT MAX(version) FROM schema_migration") if "schema_migration" in tables else 0
        responses = scalar("SELECT COUNT(*) FROM response") if "response" in tables else 0
        terminals = scalar("SELECT COUNT(*) FROM terminal") if "terminal" in tables else 0
        if engine == "sqlite":
            size = Path(_sqlite_path(url)).stat().st_size
        else:
            size = scalar("SELECT pg_database_size(current_database())")
    return Summary(engine, size, version, responses, terminals)


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_path(url: str) -> str:
    path = unquote(url.split(":///", 1)[1]) if ":///" in url else ""
    if not path or path == ":memory:":
        raise RequestError("malformed_request", "a backup needs a database file: sqlite:///var/voxloop.db")
    return path


def _sqlite_backup(path: str, target: Path) -> None:
    if not Path(path).is_file():
        raise RequestError("not_found", f"no database file {path}")
    with (
        closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)  # one step: the whole database in one read transaction
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        (result,) = copy.execute("PRAGMA integrity_check").fetchone()
        if result != "ok":
            raise RequestError("internal_error", f"the backup failed its integrity check: {result}")
    with target.open("rb") as handle:
        os.fsync(handle.fileno())


def _check_sqlite_backup(source: Path) -> None:
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
        (result,) = db.execute("PRAGMA integrity_check").fetchone()
        if result != "ok":
            raise RequestError("malformed_request", f"{source} fails SQLite's integrity check: {result}")
        if "schema_migration" not in _tables(db, "sqlite"):
            raise RequestError("malformed_request", f"{source} is a SQLite database, but no voxloop hub's")


def _sqlite_restore(source: Path, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_db,
        closing(sqlite3.connect(path, timeout=30)) as db,
    ):
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        backup_db.backup(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_tool(pg_bin: str, name: str) -> str:
    found = str(Path(pg_bin) / name) if pg_bin else shutil.which(name)
    if not found or not Path(found).exists():
        raise RequestError(
            "not_found", f"{name} is not installed (apt-get install postgresql-client, or set PG_BIN_DIR)"
        )
    return found


def _pg_environment(url: str) -> dict[str, str]:
    """libpq's environment for ``url``: the password stays out of every command line."""
    parts = urlsplit(url)
    env = {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGDATABASE": unquote(parts.path.lstrip("/")),
    }
    if parts.username:
        env["PGUSER"] = unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return env


def _run(tool: str, *args: str, url: str, database_flag: bool = False) -> None:
    env = _pg_environment(url)
    command = [tool, *args]
    if database_flag:
        command.insert(1, f"--dbname={env['PGDATABASE']}")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise RequestError("internal_error", f"{Path(tool).name} failed: {message[-1] if message else done.returncode}")


def _summary_of_backup(target: Path, url: str, pg_bin: str) -> Summary:
    if engine_of(url) == "sqlite":
        return summary(f"sqlite:///{target}")
    listing = subprocess.run(
        [_pg_tool(pg_bin, "pg_restore"), "--list", str(target)], capture_output=True, text=True, check=True
    ).stdout
    if "TABLE DATA public response " not in listing:
        raise RequestError("internal_error", "the dump holds no responses table: not a voxloop hub's database")
    return Summary("postgres", target.stat().st_size)


# --- both -------------------------------------------------------------------------------------


def _connect(url: str):
    if engine_of(url) == "sqlite":
        return sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True, timeout=30)
    import psycopg

    return psycopg.connect(url, autocommit=True)


def _tables(db, engine: str) -> list[str]:
    if engine == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return [row[0] for row in db.execute(sql).fetchall()]
