"""Versioned schema migrations, applied in order by ``voxloop hub migrate``.

Each migration is a module ``vNNNN_name.py`` with ``def up(db, sql)``; ``sql`` runs a
statement after replacing the few dialect words that differ between SQLite and PostgreSQL
({serial}, {bytes}, {ts}, {bool}, {uuid}, {double}: an 8-byte float, as PostgreSQL's REAL has 4;
{without_rowid}: a table kept in its primary key's order on SQLite). A migration never changes
once released: later ones alter.

A migration that adds rollups sets ``COUNTS_ROLLUPS = True``; ``migrate`` then has the
responses a hub already holds counted into them, in the transaction of the last such
migration it applies (counting is today's code, which needs every rollup of today), by the
``count_rollups`` its caller hands in (hub/services/setup.py: the service that counts at
ingest), since the migrations sit below the services and counting is theirs. A migration
that adds a rollup it fills itself in SQL from another (v0033: weeks summed from days) sets
``SUMS_ROLLUPS = True`` instead: alone it counts nothing, but when older migrations count,
they count in its transaction or a later one, once its table is there. A migration that sets
``USES_CONTENT_KEY = True`` (v0008, keyed content hashes) is called ``up(db, sql, content_key)``
with the key the caller derived from the hub's secret, which the migrations never read.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from datetime import UTC, datetime

from peewee import Database, SqliteDatabase

_DIALECT = {
    "sqlite": {
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "bytes": "BLOB",
        "ts": "DATETIME",
        "bool": "INTEGER",
        "uuid": "TEXT",
        "without_rowid": " WITHOUT ROWID",
        "double": "REAL",
    },
    "postgres": {
        "serial": "BIGSERIAL PRIMARY KEY",
        "bytes": "BYTEA",
        "ts": "TIMESTAMP",
        "bool": "BOOLEAN",
        "uuid": "UUID",
        "without_rowid": "",
        "double": "DOUBLE PRECISION",
    },
}


def available() -> list[tuple[int, str]]:
    """(version, module name) of every migration shipped, in order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("v") and info.name[1:5].isdigit():
            found.append((int(info.name[1:5]), info.name))
    return sorted(found)


def applied(db: Database) -> set[int]:
    if "schema_migration" not in db.get_tables():
        return set()
    return {row[0] for row in db.execute_sql("SELECT version FROM schema_migration").fetchall()}


def migrate(
    db: Database,
    now: datetime | None = None,
    count_rollups: Callable[[Database], None] | None = None,
    content_key: bytes | None = None,
) -> list[str]:
    """Apply every pending migration, each in its own transaction; returns what was applied.
    ``count_rollups(db)`` counts held responses into new rollups; without it, a migration that
    adds rollups to a database holding responses is refused. ``content_key`` keys the content
    hashes held (v0008); without it, that migration refuses a database holding responses."""
    dialect = _DIALECT["sqlite" if isinstance(db, SqliteDatabase) else "postgres"]

    def sql(statement: str) -> None:
        db.execute_sql(statement.format(**dialect))

    with db.atomic():
        sql(
            "CREATE TABLE IF NOT EXISTS schema_migration"
            " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {ts} NOT NULL)"
        )
    done = applied(db)
    waiting = [(version, name) for version, name in available() if version not in done]
    # the counting of today needs today's rollups: only the last migration that adds rollups
    # counts (a database between two of them says so on /healthz: migrations pending)
    modules = {v: importlib.import_module(f"{__name__}.{name}") for v, name in waiting}
    counting = []
    if any(getattr(module, "COUNTS_ROLLUPS", False) for module in modules.values()):
        counting = [
            v
            for v, module in modules.items()
            if getattr(module, "COUNTS_ROLLUPS", getattr(module, "SUMS_ROLLUPS", False))
        ]
    ran = []
    for version, name in waiting:
        module = importlib.import_module(f"{__name__}.{name}")
        with db.atomic():
            if getattr(module, "USES_CONTENT_KEY", False):
                module.up(db, sql, content_key)
            else:
                module.up(db, sql)
            if counting and version == counting[-1]:
                _count_held_responses(db, name, count_rollups)
            db.execute_sql(
                f"INSERT INTO schema_migration (version, name, applied_at) VALUES ({db.param}, {db.param}, {db.param})",
                (version, name, (now or datetime.now(UTC)).replace(tzinfo=None)),
            )
        ran.append(name)
    return ran


def _count_held_responses(db: Database, name: str, count_rollups: Callable[[Database], None] | None) -> None:
    if count_rollups is not None:
        count_rollups(db)
    elif db.execute_sql("SELECT 1 FROM response LIMIT 1").fetchone() is not None:
        raise RuntimeError(f"{name} counts the held responses into rollups: migrate with count_rollups")


def pending(db: Database) -> list[str]:
    done = applied(db)
    return [name for version, name in available() if version not in done]
