"""Where PostgreSQL's own time goes, statement by statement (the pg_stat_statements extension).

A bench starts its throwaway server with ``SETTINGS``, calls ``reset`` before its timed part and
``table`` after it: the statements of each named database, by their total execution time per
unit of work (a batch, a page), with their calls and rows per unit. Execution time only: the
server's parsing, planning of unprepared statements, protocol and commit work are not in it,
so the sum is less than the server's CPU time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SETTINGS = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all"}


def reset(url: str) -> None:
    """Create the extension (once per server) and forget what it counted so far."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")


def table(url: str, units: Mapping[str, float], unit: str = "batch", limit: int = 12) -> str:
    """The ``limit`` costliest statements of each database in ``units`` (name -> how many
    units of work it did), per unit, and every statement's sum."""
    import psycopg

    lines = []
    with psycopg.connect(url) as conn:
        for name, count in units.items():
            rows = conn.execute(
                "SELECT s.calls, s.total_exec_time, s.rows, s.query FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s ORDER BY s.total_exec_time DESC",
                (name,),
            ).fetchall()
            total = sum(row[1] for row in rows)
            lines.append(
                f"{name}: {total / count:.1f} ms of execution per {unit} in {len(rows)} statements; the costliest:"
            )
            lines.append(f"  {'ms/' + unit:>9} {'calls/' + unit:>12} {'rows/' + unit:>11}  statement")
            for calls, spent, produced, query in rows[:limit]:
                text = re.sub(r"\s+", " ", query)[:110]
                lines.append(f"  {spent / count:>9.2f} {calls / count:>12.1f} {produced / count:>11.1f}  {text}")
    return "\n".join(lines)
