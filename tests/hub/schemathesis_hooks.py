"""What the OpenAPI document says in words but JSON Schema cannot state, told to schemathesis's
generator (loaded by tests/hub/test_api_schemathesis.py through SCHEMATHESIS_HOOKS).

An analytics period relates two parameters: ``from`` must not come after ``to``, and the
period spans at most 400 days (3700 for the ``daily`` and ``responses`` lists). A query that
breaks that is refused with a documented 400 ``bad_parameter``; a generator that cannot know
it would count those as valid requests refused, so queries with two well-formed days that
break it are not generated. A page's ``cursor`` is opaque and given out by the hub: a
well-formed one the generator makes up is refused as the document says, so none is made up
(the stateful phase follows the real ones in the ``next`` links). Malformed days and cursors
are still sent, and must still be refused.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import schemathesis

CURSOR = re.compile(r"[A-Za-z0-9_-]+")

LONG_LISTS = ("/api/v1/analytics/daily", "/api/v1/analytics/responses")
TODAY = date(2026, 11, 23)  # the hub's clock in the tests (tests/hub/conftest.py START)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@schemathesis.hook
def filter_query(context: Any, query: dict[str, Any] | None) -> bool:
    operation = getattr(context, "operation", None)
    if operation is None or not operation.path.startswith("/api/v1/analytics/") or not query:
        return True
    if isinstance(query.get("cursor"), str) and CURSOR.fullmatch(query["cursor"]):
        return False  # a made-up cursor in the form of a real one
    first, last = _day(query.get("from")), _day(query.get("to"))
    if ("from" in query and first is None) or ("to" in query and last is None):
        return True  # a malformed day: the server must refuse it, the document says so
    end = last or TODAY
    start = first or end - timedelta(days=27)
    limit = 3700 if operation.path in LONG_LISTS else 400
    return start <= end and (end - start).days < limit


# An alert rule's settings that name things of the hub's data or relate two settings: a region,
# store, touchpoint or survey scope names one that exists, reason_in names options some survey
# offers, a webhook goes to an allowed address, and a rule needs a channel (email true or a
# webhook; an action rule a webhook). Well-formed values that break these are refused with a
# documented 422 invalid_rule, so they are not generated; malformed ones are still sent and must
# still be refused.
NAMED_SCOPES = ("region", "store", "touchpoint", "survey")


@schemathesis.hook
def filter_body(context: Any, body: Any) -> bool:
    operation = getattr(context, "operation", None)
    if operation is None or not operation.path.startswith("/api/v1/alert-rules") or not isinstance(body, dict):
        return True
    if operation.path.endswith("/test"):
        return True
    condition = body.get("condition")
    if isinstance(condition, dict) and "reason_in" in condition:
        return False
    if body.get("scope") in NAMED_SCOPES or isinstance(body.get("webhook_url"), str):
        return False
    if body.get("kind") == "action":  # needs a webhook_url, and any generated one is left out above
        return False
    return body.get("email") is not False
