"""Content hashes kept keyed: every stored ``content_hash`` (responses and kept conflicts)
becomes the HMAC-SHA256 of the SHA-256 it held, under a key derived from the hub's secret
(``shared.crypto.keyed_content_hash``), which is what ingest stores and compares from now on.
A retry of a response stored before is therefore still a duplicate and other content still a
conflict, while a copy of the database no longer confirms a guessed contact.

The key is handed in by the caller (hub/services/setup.py), as the migrations never read the
hub's configuration; without it a database holding responses is refused, an empty one has
nothing to key."""

from shared.crypto import keyed_content_hash

USES_CONTENT_KEY = True
_PAGE = 5000


def up(db, sql, content_key: bytes | None) -> None:
    if content_key is None:
        if any(
            db.execute_sql(f"SELECT 1 FROM {table} LIMIT 1").fetchone() for table in ("response", "response_conflict")
        ):
            raise RuntimeError("v0008 keys the held content hashes: migrate with content_key")
        return
    for table in ("response", "response_conflict"):
        _key_hashes(db, table, content_key)


def _key_hashes(db, table: str, content_key: bytes) -> None:
    """Page through the table in key order, so a large hub never holds every row at once."""
    param = db.param
    last = None
    while True:
        after, args = ("", ()) if last is None else (f" WHERE id > {param}", (last,))
        rows = db.execute_sql(f"SELECT id, content_hash FROM {table}{after} ORDER BY id LIMIT {_PAGE}", args).fetchall()
        if not rows:
            return
        db.cursor().executemany(
            f"UPDATE {table} SET content_hash = {param} WHERE id = {param}",
            [(keyed_content_hash(content_key, stored), key) for key, stored in rows],
        )
        last = rows[-1][0]
