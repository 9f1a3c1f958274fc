"""Links in messages: the case page, an action's page, and a signed, expiring link that
acknowledges a case.

The acknowledge link names the case and the person it was sent to and expires after
ALERT_LINK_TTL_HOURS. It is a token in the hub's one format (shared/crypto.py ``make_token``,
as the QR codes carry), signed under a key derived from the hub's secret for this purpose
only. Following it still needs a signed-in session of that person (hub/cases/pages.py), so
a forwarded email acknowledges nothing.

Links sent before this format (``<case>.<user>.<expiry>.<mac>``) are still read until they
expire: at most ALERT_LINK_TTL_HOURS after the release that made the new ones, after which
``_read_dotted`` can go.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.crypto import TOKEN_PREFIX, derive_key, make_token, read_token
from shared.errors import TokenError

KEY_ID = "ack1"
_LABEL = "voxloop case acknowledge v2"
_DOTTED_LABEL = b"voxloop case acknowledge v1"  # the links made before the token format


@dataclass(frozen=True)
class Links:
    """What a message needs to link back: the hub's public URL, its secret, the link lifetime."""

    public_url: str
    secret_key: str
    ttl: timedelta


class LinkError(ValueError):
    """The link does not verify (``bad``) or has expired (``expired``)."""


def ack_token(secret_key: str, case_id: int, user_id: int, expires: datetime) -> str:
    claims = {"c": case_id, "u": user_id, "e": int(expires.timestamp())}
    return make_token(claims, KEY_ID, derive_key(secret_key, _LABEL))


def read_ack_token(secret_key: str, token: str, case_id: int, now: datetime) -> int:
    """The user id the link was made for; LinkError when it is not a link of this case or has expired."""
    if not token.startswith(f"{TOKEN_PREFIX}."):
        return _read_dotted(secret_key, token, case_id, now)
    try:
        claims = read_token(token, {KEY_ID: derive_key(secret_key, _LABEL)}, now.timestamp())
    except TokenError as error:
        raise LinkError("expired" if error.code == "expired_token" else "bad") from None
    case, user = claims.get("c"), claims.get("u")
    if not isinstance(user, int) or case != case_id or "e" not in claims:
        raise LinkError("bad")
    return user


def _read_dotted(secret_key: str, token: str, case_id: int, now: datetime) -> int:
    try:
        case, user, expires, mac = token.split(".")
        payload = f"{int(case)}.{int(user)}.{int(expires)}"
    except ValueError:
        raise LinkError("bad") from None
    key = hmac.new(secret_key.encode(), _DOTTED_LABEL, hashlib.sha256).digest()
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:18]
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    if not hmac.compare_digest(mac, expected) or int(case) != case_id:
        raise LinkError("bad")
    if datetime.fromtimestamp(int(expires), UTC) < now:
        raise LinkError("expired")
    return int(user)


def case_url(public_url: str, case_id: int) -> str:
    return f"{public_url.rstrip('/')}/cases/{case_id}"


def ack_url(public_url: str, secret_key: str, case_id: int, user_id: int, expires: datetime) -> str:
    return f"{case_url(public_url, case_id)}/ack/{ack_token(secret_key, case_id, user_id, expires)}"


def action_url(public_url: str, action_id: int) -> str:
    """The action's page (a signed-in page: the link itself opens nothing)."""
    return f"{public_url.rstrip('/')}/actions/{action_id}"
