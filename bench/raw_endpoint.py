"""The raw limit for ingest: a minimal WSGI endpoint that stores a terminal batch and nothing else.

For every POSTed batch it does ``json.loads`` of the body and inserts the response rows and the
answer rows, with the database driver directly (sqlite3 / psycopg): SQLite ``INSERT OR IGNORE``,
many rows to a statement as the hub does (hub/db.py ``insert_rows``); PostgreSQL ``INSERT ... ON
CONFLICT DO NOTHING`` by ``executemany`` (psycopg pipelines it, as in the hub), committed per batch with
the hub's durability (SQLite: WAL + synchronous=FULL; PostgreSQL: synchronous_commit=on), into the
hub's own schema (hub.migrations). No signature check, no validation, no duplicate detection, no
rollups, no nonce, no heartbeat, no sync log: what is left is what any ingest must pay (HTTP,
JSON, the rows, the durable commit). bench/ingest.py serves it with the same server (waitress)
and thread count as the hub and sends it the very same requests.

Cheap stand-ins where the hub computes something: ``content_hash`` is a constant of the same
length (64 characters), ``local_day`` is the UTC date of ``captured_at`` (no time-zone
conversion), ``captured_at`` is stored as sent. store/touchpoint/survey ids come from a dict
loaded at start, keyed by the terminal id the client names in ``X-Bench-Terminal``.

Run: ``python -m bench.raw_endpoint --database-url URL --port P --threads T`` (the database
must have been made with :func:`prepare_database`).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from flask import Flask, Response, request

from hub.db import row_chunks, values_statement

RESPONSE_COLUMNS = (
    "id, store_id, touchpoint_id, terminal_id, channel, survey_id, survey_version, captured_at, "
    "received_at, local_day, locale, seq, flags, content_hash, contact_sealed"
)
ANSWER_COLUMNS = "response_id, question, kind, number, text"
HASH_STAND_IN = "0" * 64


def _sqlite_path(url: str) -> str:
    return unquote(url.split(":///", 1)[1])


def is_sqlite_url(url: str) -> bool:
    return url.startswith("sqlite:")


# --- setup (run by bench/ingest.py before the server starts) -----------------------------------


def prepare_database(url: str, terminals: list[tuple[str, str]], survey_key: str = "exit") -> None:
    """Apply the hub's migrations to a fresh database and add the rows the responses refer to:
    one survey, and per (terminal id, store code) a store, its ``exit`` touchpoint and the terminal."""
    from hub.db import open_database
    from hub.migrations import migrate

    db = open_database(url)
    db.connect()
    try:
        migrate(db)
        now = datetime.now(UTC).replace(tzinfo=None)
        p = db.param
        with db.atomic():
            db.execute_sql(
                f"INSERT INTO survey (key, name, current_version) VALUES ({p}, {p}, 1)", (survey_key, "Exit survey")
            )
            survey_id = db.execute_sql(f"SELECT id FROM survey WHERE key = {p}", (survey_key,)).fetchone()[0]
            for terminal_id, store_code in terminals:
                db.execute_sql(
                    f"INSERT INTO store (code, name, time_zone, opening_hours, languages, created_at) "
                    f"VALUES ({p}, {p}, 'Europe/Berlin', '{{}}', '[\"de\",\"en\"]', {p})",
                    (store_code, f"Bench {store_code}", now),
                )
                store_id = db.execute_sql(f"SELECT id FROM store WHERE code = {p}", (store_code,)).fetchone()[0]
                db.execute_sql(
                    "INSERT INTO touchpoint (store_id, code, name, kind, survey_id) "
                    f"VALUES ({p}, 'exit', 'Exit', 'exit', {p})",
                    (store_id, survey_id),
                )
                touchpoint_id = db.execute_sql(
                    f"SELECT id FROM touchpoint WHERE store_id = {p} AND code = 'exit'", (store_id,)
                ).fetchone()[0]
                db.execute_sql(
                    f"INSERT INTO terminal (id, store_id, touchpoint_id, name, public_key, status, enrolled_at) "
                    f"VALUES ({p}, {p}, {p}, 'bench', 'unused', 'active', {p})",
                    (terminal_id, store_id, touchpoint_id, now),
                )
    finally:
        db.close()


# --- the endpoint --------------------------------------------------------------------------------


def insert_sqlite_rows(conn: sqlite3.Connection, head: str, width: int, rows: list[tuple]) -> None:
    """The rows many to a statement, in the hub's statements (hub/db.py ``insert_rows``): as
    deployed that beats executemany, which runs a statement per row, for raw as for the hub."""
    for start, size in row_chunks(len(rows)):
        conn.execute(values_statement(head, width, size), [v for row in rows[start : start + size] for v in row])


class _SqliteStore:
    """One sqlite3 connection per server thread; writers queue on a lock and take an IMMEDIATE
    transaction, as the hub does (hub/db.py), so nobody sleeps in SQLite's busy handler."""

    def __init__(self, url: str) -> None:
        self.path = _sqlite_path(url)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.response_head = f"INSERT OR IGNORE INTO response ({RESPONSE_COLUMNS})"
        self.answer_head = f"INSERT OR IGNORE INTO answer ({ANSWER_COLUMNS})"

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
            for pragma in (
                "journal_mode = wal",
                "synchronous = full",
                "foreign_keys = 1",
                "busy_timeout = 10000",
                "cache_size = -16000",
            ):
                conn.execute(f"PRAGMA {pragma}")
            self.local.conn = conn
        return conn

    def lookup(self) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
        conn = self.connection()
        terminals = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, store_id, touchpoint_id FROM terminal")}
        surveys = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM survey")}
        return terminals, surveys

    def store(self, responses: list[tuple], answers: list[tuple]) -> None:
        conn = self.connection()
        with self.lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                insert_sqlite_rows(conn, self.response_head, 15, responses)
                insert_sqlite_rows(conn, self.answer_head, 5, answers)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")


class _PostgresStore:
    """One psycopg connection per server thread, synchronous_commit=on, a commit per batch."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.local = threading.local()
        marks = ", ".join(["%s"] * 15)
        self.response_sql = f"INSERT INTO response ({RESPONSE_COLUMNS}) VALUES ({marks}) ON CONFLICT DO NOTHING"
        self.answer_sql = f"INSERT INTO answer ({ANSWER_COLUMNS}) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"

    def connection(self) -> Any:
        import psycopg

        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = psycopg.connect(self.url)
            conn.execute("SET synchronous_commit = on; SET TIME ZONE 'UTC'")
            conn.commit()
            self.local.conn = conn
        return conn

    def lookup(self) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
        conn = self.connection()
        terminals = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, store_id, touchpoint_id FROM terminal")}
        surveys = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM survey")}
        conn.commit()
        return terminals, surveys

    def store(self, responses: list[tuple], answers: list[tuple]) -> None:
        conn = self.connection()
        try:
            with conn.cursor() as cursor:
                cursor.executemany(self.response_sql, responses)
                cursor.executemany(self.answer_sql, answers)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def create_raw_app(database_url: str) -> Flask:
    store = _SqliteStore(database_url) if is_sqlite_url(database_url) else _PostgresStore(database_url)
    terminals, surveys = store.lookup()
    app = Flask(__name__)

    @app.post("/api/v1/sync")
    def sync() -> Response:
        batch = json.loads(request.get_data(cache=False))
        terminal_id = request.headers["X-Bench-Terminal"]
        store_id, touchpoint_id = terminals[terminal_id]
        received = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        responses, answers = [], []
        for item in batch["responses"]:
            rid = item["id"]
            captured = item["captured_at"]
            responses.append(
                (
                    rid,
                    store_id,
                    touchpoint_id,
                    terminal_id,
                    item["channel"],
                    surveys[item["survey"]],
                    item["survey_version"],
                    captured,
                    received,
                    captured[:10],
                    item["locale"],
                    item["seq"],
                    " ".join(item.get("flags", ())),
                    HASH_STAND_IN,
                    None,
                )
            )
            for answer in item["answers"]:
                value = answer["value"]
                if isinstance(value, list):
                    answers.extend((rid, answer["question"], answer["kind"], None, v) for v in value)
                elif isinstance(value, str):
                    answers.append((rid, answer["question"], answer["kind"], None, value))
                else:
                    answers.append((rid, answer["question"], answer["kind"], value, None))
        store.store(responses, answers)
        return Response(json.dumps({"stored": len(responses)}), mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status":"ok"}', mimetype="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    from waitress import serve

    serve(create_raw_app(args.database_url), host=args.host, port=args.port, threads=args.threads, ident="voxloop-raw")


if __name__ == "__main__":
    main()
