"""Indexes for the comment browser (hub/queries/comments.py), which walks the responses in
scope newest first in (capture time, id) order and stops after a page: every store's
responses in that order (HQ), one store's (a store manager: the walk stays in their store),
and the text answers alone (each response on the way is asked "has it a comment?" from the
index, without reading its other answers). The walk of every store carries the store id, so
a walk over a few stores skips the others' responses without reading them."""

STATEMENTS = [
    "CREATE INDEX response_walk ON response (captured_at, id, store_id)",
    "CREATE INDEX response_store_walk ON response (store_id, captured_at, id)",
    "CREATE INDEX answer_text ON answer (response_id) WHERE kind = 'text'",
]


def up(db, sql) -> None:
    for statement in STATEMENTS:
        sql(statement)
