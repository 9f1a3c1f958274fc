"""/api/v1/analytics/measure-signals: the measure signals (hub/services/measure_signals.py: the
smiley index fell while an operational measure moved, as an HQ admin's rule asked) as JSON for
BI tools, for signed-in people within their scope, newest first, a page at a time (``limit``,
``cursor``). ``store`` (a code; outside the scope: 404 like an unknown one) narrows the list."""

from __future__ import annotations

from flask import Response, request

from hub.api import bp
from hub.api.paging import page_request, paged_answer
from hub.api.people import person
from hub.models import User
from hub.services import analytics, measure_signals
from hub.services.access import Scope


@bp.get("/analytics/measure-signals")
@person(grant="analytics:read")
def analytics_measure_signals(user: User, scope: Scope) -> Response:
    code = request.args.get("store", "")
    store = analytics.store_in_scope(scope, code) if code else None
    page = page_request("measure-signals", (int,))
    found = measure_signals.list_signals(
        scope,
        store_id=store.id if store else None,
        before_id=page.after[0] if page.after else None,
        limit=page.limit + 1,
    )
    rows = found[: page.limit]
    next_key = (rows[-1].id,) if len(found) > page.limit else None
    body = {"store": store.code if store else None, "signals": [measure_signals.signal_row(s) for s in rows]}
    return paged_answer(body, page, next_key)
