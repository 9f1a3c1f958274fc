"""The thank-you screen's continuation codes (shared/continuation.py): which phone
conversation continues each tapped response, and what it said while the terminal's response
had not arrived yet.

- ``phone_continuation``: one row per tapped response continued on a phone. The first served
  page (its ticket's digest) that sends answers claims it; only that page's later versions
  pass. ``content_hash`` names the latest version taken (a keyed hash, as on responses), so a
  retry changes nothing. While the terminal's response is not stored, the follow-up waits in
  ``pending`` (the answers as JSON) and ``pending_contact`` (sealed like a response's contact);
  ingest merges it when the terminal's response arrives and clears both.
"""

STATEMENTS = [
    """CREATE TABLE phone_continuation (
        response_id {uuid} PRIMARY KEY,
        terminal_id TEXT NOT NULL REFERENCES terminal (id),
        ticket TEXT NOT NULL,
        claimed_at {ts} NOT NULL,
        updated_at {ts} NOT NULL,
        content_hash TEXT NOT NULL,
        finished {bool} NOT NULL,
        locale TEXT NOT NULL,
        pending TEXT,
        pending_contact {bytes},
        merged_at {ts})""",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
