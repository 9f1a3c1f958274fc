"""/api/v1/helpdesk/<name>/events: a help desk (RT by a scrip, or any other system) says that a
ticket changed. Signed with Standard Webhooks under HELPDESK_INBOUND_SECRET, no session and no
API token; the hub then reads the ticket from the help desk itself
(hub/services/helpdesk/inbound.py, docs/helpdesk.md)."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from hub.api import bp
from hub.clock import now
from hub.services.helpdesk.inbound import receive
from hub.services.helpdesk.settings import HelpDeskSettings
from shared.errors import RequestError


@bp.post("/helpdesk/<name>/events")
def helpdesk_event(name: str) -> Response:
    if request.mimetype != "application/json":
        raise RequestError("wrong_content_type", f"send Content-Type: application/json, not {request.mimetype!r}")
    settings = HelpDeskSettings.from_config(current_app.config)
    result = receive(settings, name, request.headers, request.get_data(cache=True), now())
    return jsonify(result.as_dict())
