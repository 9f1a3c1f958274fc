"""GET /api/v1/config: the signed terminal's configuration, with an ETag."""

from __future__ import annotations

from flask import Response, jsonify, request

from hub.api import bp
from hub.api.device_auth import authenticate
from hub.clock import now
from hub.services.terminal_config import config_etag
from hub.state import state


@bp.get("/config")
def config() -> Response:
    # A replayed GET only returns what the replayer already saw, so no nonce is recorded here;
    # the created-time window still bounds it.
    sender = authenticate(request, request.get_data(cache=False), now().timestamp())
    body = state().terminal_config(sender.terminal)
    etag = config_etag(body)
    unchanged = request.if_none_match.contains(etag.strip('"'))
    response = Response(status=304) if unchanged else jsonify(body)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "no-cache"
    return response
