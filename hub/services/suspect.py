"""Flagging stored responses ``suspect`` after their answers were counted.

A phone conversation that finishes faster than a person reads, and the earlier responses of a
burst from one client, are known to be suspect only after some of their answers were counted
as anyone's. ``mark_suspect`` moves them: their counts leave the rollups the figures read
(``Rollups(weight=-1)``), they are counted in suspect_daily instead, and the flag is stored,
all in the caller's transaction. A response flagged suspect already is left as it is, so
marking twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.queries import rollups as q
from hub.services.rollups import Rollups, answers_by_response, count_stored

SUSPECT = "suspect"


def mark_suspect(response_ids: Iterable[str]) -> list[str]:
    """Flag the stored responses ``suspect`` and move their counts; the ids that changed."""
    rows = [row for row in q.responses_by_id(sorted(set(response_ids))) if SUSPECT not in row[7].split()]
    if not rows:
        return []
    answers = answers_by_response([str(row[0]) for row in rows])
    taken, counted = Rollups(weight=-1), Rollups()
    faces_of: dict[str, int] = {}
    for row in rows:
        given = answers.get(str(row[0]), [])
        count_stored(taken, row, given, faces_of, suspect=False)
        count_stored(counted, row, given, faces_of, suspect=True)
        q.set_flags(str(row[0]), " ".join(sorted({*row[7].split(), SUSPECT})))
    taken.write()
    counted.write()
    return [str(row[0]) for row in rows]
