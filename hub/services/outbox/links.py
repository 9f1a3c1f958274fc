"""Links in alert emails: the case page, and a signed, expiring link that acknowledges.

The acknowledge link names the case and the person it was sent to, and carries an expiry and
an HMAC under a key derived from the hub's secret. Following it still needs a signed-in
session of that person (hub/cases/pages.py), so a forwarded email acknowledges nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

_LABEL = b"voxloop case acknowledge v1"


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _LABEL, hashlib.sha256).digest()


def _mac(secret_key: str, payload: str) -> str:
    digest = hmac.new(_key(secret_key), payload.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def ack_token(secret_key: str, case_id: int, user_id: int, expires: datetime) -> str:
    payload = f"{case_id}.{user_id}.{int(expires.timestamp())}"
    return f"{payload}.{_mac(secret_key, payload)}"


class LinkError(ValueError):
    """The link does not verify (``bad``) or has expired (``expired``)."""


def read_ack_token(secret_key: str, token: str, case_id: int, now: datetime) -> int:
    """The user id the link was made for; LinkError when it is not a link of this case or has expired."""
    try:
        case, user, expires, mac = token.split(".")
        payload = f"{int(case)}.{int(user)}.{int(expires)}"
    except ValueError:
        raise LinkError("bad") from None
    if not hmac.compare_digest(mac, _mac(secret_key, payload)) or int(case) != case_id:
        raise LinkError("bad")
    if datetime.fromtimestamp(int(expires), UTC) < now:
        raise LinkError("expired")
    return int(user)


def case_url(public_url: str, case_id: int) -> str:
    return f"{public_url.rstrip('/')}/cases/{case_id}"


def ack_url(public_url: str, secret_key: str, case_id: int, user_id: int, expires: datetime) -> str:
    return f"{case_url(public_url, case_id)}/ack/{ack_token(secret_key, case_id, user_id, expires)}"
