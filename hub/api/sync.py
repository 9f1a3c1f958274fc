"""POST /api/v1/sync: a signed batch in, per-item results out."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from hub.api import bp
from hub.api.device_auth import authenticate
from hub.api.request_body import json_body
from hub.clock import now
from hub.metrics import count_ingested
from hub.services.ingest import ingest_batch
from hub.state import state
from shared.protocol import format_time, read_batch


@bp.post("/sync")
def sync() -> Response:
    raw = request.get_data(cache=False)
    at = now()
    sender = authenticate(request, raw, at.timestamp())
    batch = read_batch(json_body(request, raw), current_app.config["SYNC_MAX_ITEMS"])
    result = ingest_batch(
        sender, batch, surveys=state().surveys, contact_key=state().contact_key, content_key=state().content_key, now=at
    )
    count_ingested(result.results)
    return jsonify(
        {
            "hub_time": format_time(at),
            "results": result.results,
            "missing": result.missing,
            "config_etag": state().config_etag(sender.terminal),
        }
    )
