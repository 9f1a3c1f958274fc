"""Who is calling: a terminal proves it holds the private key enrolled for its device id."""

from __future__ import annotations

from flask import Request, current_app

from hub.services.device_signatures import signing_terminal
from hub.services.ingest import Sender
from shared.crypto import read_signature


def authenticate(request: Request, body: bytes, now: float) -> Sender:
    """The signing terminal, checked in this order: headers, created time, device, signature
    (hub/services/device_signatures.py)."""
    signed = read_signature(request.headers)
    path = request.full_path.rstrip("?") if request.query_string else request.path
    max_skew = current_app.config["SIGNATURE_MAX_SKEW_SECONDS"]
    return signing_terminal(signed, request.method, path, body, now=now, max_skew=max_skew)
