"""Which terminal signed a request: the device id names it, its enrolled public key proves it.

The checks run in this order: the created time, the device (known, not revoked), the body's
digest and the signature. The nonce is checked by the caller's write transaction (it is
recorded with the data, so a replay is refused and a request that failed can be signed afresh).
"""

from __future__ import annotations

from datetime import timedelta

from hub.queries.terminals import load_terminal
from hub.services.ingest import Sender
from shared.crypto import SignedRequest, check_created, load_public_key, verify_request
from shared.errors import SignatureError


def signing_terminal(
    signed: SignedRequest, method: str, path: str, body: bytes, *, now: float, max_skew: int
) -> Sender:
    """The terminal that signed ``method path body``; SignatureError when it did not."""
    check_created(signed, now, max_skew)
    terminal = load_terminal(signed.key_id)
    if terminal is None:
        raise SignatureError("unknown_device", f"no terminal is enrolled as {signed.key_id!r}")
    if terminal.status != "active":
        raise SignatureError("revoked_device", "this terminal was revoked; keep its data and ask for re-enrollment")
    verify_request(load_public_key(terminal.public_key), signed, method, path, body)
    return Sender(terminal=terminal, nonce=signed.nonce, created=signed.created, max_skew=timedelta(seconds=max_skew))
