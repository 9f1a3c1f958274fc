"""Who is calling: a terminal proves it holds the private key enrolled for its device id."""

from __future__ import annotations

from datetime import timedelta

from flask import Request, current_app

from hub.queries.terminals import load_terminal
from hub.services.ingest import Sender
from shared.crypto import check_created, load_public_key, read_signature, verify_request
from shared.errors import SignatureError


def authenticate(request: Request, body: bytes, now: float) -> Sender:
    """The signing terminal, checked in this order: headers, created time, device, signature.

    The nonce is checked by the caller's write transaction (it is recorded with the data, so a
    replay is refused and a request that failed can be signed afresh)."""
    signed = read_signature(request.headers)
    max_skew = current_app.config["SIGNATURE_MAX_SKEW_SECONDS"]
    check_created(signed, now, max_skew)
    terminal = load_terminal(signed.key_id)
    if terminal is None:
        raise SignatureError("unknown_device", f"no terminal is enrolled as {signed.key_id!r}")
    if terminal.status != "active":
        raise SignatureError("revoked_device", "this terminal was revoked; keep its data and ask for re-enrollment")
    path = request.full_path.rstrip("?") if request.query_string else request.path
    verify_request(load_public_key(terminal.public_key), signed, request.method, path, body)
    return Sender(terminal=terminal, nonce=signed.nonce, created=signed.created, max_skew=timedelta(seconds=max_skew))
