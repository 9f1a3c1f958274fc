"""Integer ids in URLs, bounded to what the database can hold.

Flask's ``int`` converter takes any number of digits; SQLite's integers (and PostgreSQL's
BIGINT) stop at 2**63 - 1, so ``/cases/99999999999999999999999`` reached the query and failed
there with a 500. The hub registers this converter as ``int`` once, in ``create_app``, so every
``<int:...>`` route answers such an id as what it is: a thing that does not exist (404).
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**63 - 1


class DatabaseId(IntegerConverter):
    """A non-negative integer that fits a 64-bit signed column; anything larger is 404 at once.

    Not werkzeug's ``max``: an id over it stops matching, and werkzeug then answers 405 for a
    method the path has under another route (PATCH where a GET also exists), not 404."""

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        if isinstance(number, int) and number > LARGEST_ID:
            raise NotFound()
        return number
