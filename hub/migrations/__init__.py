"""Versioned schema migrations, applied in order by ``voxloop hub migrate``.

Each migration is a module ``vNNNN_name.py`` with ``def up(db, sql)``; ``sql`` runs a
statement after replacing the few dialect words that differ between SQLite and PostgreSQL
({serial}, {bytes}, {ts}, {bool}, {uuid}, {double}: an 8-byte float, as PostgreSQL's REAL has 4;
{without_rowid}: a table kept in its primary key's order on SQLite). A migration never changes
once released: later ones alter.
"""

from __future__ import annotations

import importlib
import pkgutil
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


def migrate(db: Database, now: datetime | None = None) -> list[str]:
    """Apply every pending migration, each in its own transaction; returns what was applied."""
    dialect = _DIALECT["sqlite" if isinstance(db, SqliteDatabase) else "postgres"]

    def sql(statement: str) -> None:
        db.execute_sql(statement.format(**dialect))

    with db.atomic():
        sql(
            "CREATE TABLE IF NOT EXISTS schema_migration"
            " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {ts} NOT NULL)"
        )
    done = applied(db)
    ran = []
    for version, name in available():
        if version in done:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        with db.atomic():
            module.up(db, sql)
            db.execute_sql(
                f"INSERT INTO schema_migration (version, name, applied_at) VALUES ({db.param}, {db.param}, {db.param})",
                (version, name, (now or datetime.now(UTC)).replace(tzinfo=None)),
            )
        ran.append(name)
    return ran


def pending(db: Database) -> list[str]:
    done = applied(db)
    return [name for version, name in available() if version not in done]
