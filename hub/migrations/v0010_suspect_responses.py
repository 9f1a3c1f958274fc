"""Suspect responses counted apart, and the phone page's one response per page.

- ``suspect_daily``: the answers of responses flagged ``suspect`` (a terminal's hammered
  buttons, a phone answer faster than a person reads, a burst from one client), in
  rollup_daily's shape. The other rollups no longer count them: figures leave them out by
  default and add them back only when asked (hub/services/rollups.py). The responses a hub
  holds are counted again in this migration's transaction (``COUNTS_ROLLUPS``), so its
  suspect ones move here.
- ``phone_ticket``: which response each served phone page (its signed ticket) was used for;
  a page takes one response and the later versions of that response.
- ``phone_burst``: the new responses of each client address bucket over the last minute or
  so (a keyed hash of the address, never the address), to flag bursts; rows older than the
  burst window are deleted as new ones come.
"""

STATEMENTS = [
    """CREATE TABLE suspect_daily (
        store_id INTEGER NOT NULL REFERENCES store (id),
        touchpoint_id INTEGER NOT NULL REFERENCES touchpoint (id),
        channel TEXT NOT NULL,
        question TEXT NOT NULL,
        day DATE NOT NULL,
        value TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (store_id, touchpoint_id, channel, question, day, value))""",
    "CREATE INDEX suspect_daily_day ON suspect_daily (day, store_id)",
    """CREATE TABLE phone_ticket (
        ticket TEXT PRIMARY KEY,
        response_id {uuid} NOT NULL,
        used_at {ts} NOT NULL)""",
    "CREATE INDEX phone_ticket_used ON phone_ticket (used_at)",
    """CREATE TABLE phone_burst (
        bucket TEXT NOT NULL,
        response_id {uuid} NOT NULL,
        at {ts} NOT NULL,
        PRIMARY KEY (bucket, response_id))""",
    "CREATE INDEX phone_burst_at ON phone_burst (at)",
]


COUNTS_ROLLUPS = True


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
