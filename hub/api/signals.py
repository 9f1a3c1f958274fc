"""/api/v1/analytics/signals: the signals (hub/services/signals.py) as JSON for BI tools, for
signed-in people within their scope, newest first, a page at a time (``limit``, ``cursor``).
``store`` (a code; outside the scope: 404 like an unknown one) and ``state`` (open, dismissed,
all; default all) narrow the list. The rows are the page's JSON and CSV rows."""

from __future__ import annotations

from flask import Response, request

from hub.api import bp
from hub.api.paging import bad_parameter, page_request, paged_answer
from hub.api.people import person
from hub.models import User
from hub.services import analytics, signals
from hub.services.access import Scope


@bp.get("/analytics/signals")
@person(grant="analytics:read")
def analytics_signals(user: User, scope: Scope) -> Response:
    code = request.args.get("store", "")
    store = analytics.store_in_scope(scope, code) if code else None
    state = request.args.get("state", "all")
    if state not in signals.STATES:
        raise bad_parameter("state", f"state must be one of {', '.join(signals.STATES)}")
    page = page_request("signals", (int,))
    found = signals.list_signals(
        scope,
        state=state,
        store_id=store.id if store else None,
        before_id=page.after[0] if page.after else None,
        limit=page.limit + 1,
    )
    rows = found[: page.limit]
    next_key = (rows[-1].id,) if len(found) > page.limit else None
    body = {"store": store.code if store else None, "state": state, "signals": [signals.signal_row(s) for s in rows]}
    return paged_answer(body, page, next_key)
