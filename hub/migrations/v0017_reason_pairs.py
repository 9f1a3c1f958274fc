"""Reasons named together: ``reason_pair_daily``.

A response that names several options of a multiple-choice question is counted once per pair
of them (``option`` < ``other``), by its smiley face, per question, local day and store
(``store_id = 0``: every store), like ``reason_daily``. The row with ``option`` and
``other`` both '' counts the responses that named any option of the question. The driver
analysis needs them: a regression of the face on the reasons needs how often two reasons come
together, which the count per option cannot give (hub/services/reason_effects.py). The
responses a hub holds are counted in this migration's transaction (``COUNTS_ROLLUPS``).
"""

_FACES = ", ".join(f"v{k} INTEGER NOT NULL DEFAULT 0" for k in range(1, 6))

STATEMENTS = [
    f"""CREATE TABLE reason_pair_daily (
        question TEXT NOT NULL,
        day DATE NOT NULL,
        store_id INTEGER NOT NULL,
        option TEXT NOT NULL,
        other TEXT NOT NULL,
        n INTEGER NOT NULL,
        {_FACES},
        PRIMARY KEY (question, day, store_id, option, other)){{without_rowid}}""",
    "CREATE INDEX reason_pair_daily_store ON reason_pair_daily (store_id, question, day)",
]

COUNTS_ROLLUPS = True


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
