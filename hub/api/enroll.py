"""POST /api/v1/enroll: an enrollment code and a public key in, a device id and config out."""

from __future__ import annotations

from flask import Response, jsonify, request

from hub.api import bp
from hub.api.request_body import json_body
from hub.clock import now
from hub.services.enrollment import enroll as enroll_terminal
from hub.services.terminal_config import config_etag
from hub.state import state
from shared.errors import RequestError
from shared.protocol import format_time


@bp.post("/enroll")
def enroll() -> Response:
    body = json_body(request, request.get_data(cache=False))
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("code"), str)
        or not isinstance(body.get("public_key"), str)
    ):
        raise RequestError("malformed_request", 'send {"code": ..., "public_key": ...} (name, app_version optional)')
    name, version = body.get("name"), body.get("app_version")
    at = now()
    terminal = enroll_terminal(
        body["code"],
        body["public_key"],
        name=name if isinstance(name, str) else None,
        app_version=version if isinstance(version, str) else None,
        now=at,
        address=request.remote_addr or "?",
    )
    config = state().terminal_config(terminal)
    response = jsonify({"device_id": terminal.id, "hub_time": format_time(at), "config": config})
    response.status_code = 201
    response.headers["ETag"] = config_etag(config)
    return response
