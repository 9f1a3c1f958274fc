"""The bench's statement table (bench/pg_statements.py) on a real server started with its
settings: what it lists is what the database ran."""

from __future__ import annotations

import psycopg

from bench import pg_statements
from tests.conftest import missing_system_package
from tests.support.postgres import TemporaryPostgres, find_pg_bin


def test_the_table_lists_each_statement_per_unit_of_work() -> None:
    if find_pg_bin() is None:
        missing_system_package("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    with TemporaryPostgres(settings=pg_statements.SETTINGS) as server:
        busy, quiet = server.create_database("busy"), server.create_database("quiet")
        with psycopg.connect(busy, autocommit=True) as conn:
            conn.execute("CREATE TABLE counted (n int)")
        pg_statements.reset(busy)
        with psycopg.connect(busy, autocommit=True) as conn:
            for n in range(12):
                conn.execute("INSERT INTO counted (n) VALUES (%s)", (n,))
        with psycopg.connect(quiet, autocommit=True) as conn:
            conn.execute("SELECT 1")

        text = pg_statements.table(busy, {"busy": 4, "quiet": 1}, unit="page")

    busy_part, quiet_part = text.split("\nquiet: ")
    insert = next(line for line in busy_part.splitlines() if "INSERT INTO counted" in line)
    spent, calls, rows = insert.split()[:3]
    assert (float(calls), float(rows)) == (3.0, 3.0)  # 12 inserts over 4 pages
    assert float(spent) > 0
    assert "per page" in busy_part and "INSERT INTO counted" not in quiet_part
    assert "SELECT $1" in quiet_part  # the other database's statement, with its constant normalised
